package kiosk

import (
	"context"

	"flashkiosk/firmware/drive"
	"flashkiosk/firmware/flash"
	"flashkiosk/firmware/panel"
	"flashkiosk/firmware/source"
)

// current is the library a job started now gets: the card's or a master
// drive's, as Config.Choice says; nil if none may be used.
func (k *Kiosk) current() *source.Library {
	var masters []*source.Library
	for _, s := range k.slots {
		if s.master != nil {
			masters = append(masters, s.master)
		}
	}
	return source.Pick(k.cfg.Choice, k.cfg.Card, masters)
}

// libraryName is the library recorded for s's drive: its job's, else the
// one a job would get now, else the card's.
func (k *Kiosk) libraryName(s *slot) string {
	switch cur := k.current(); {
	case s.lib != nil:
		return s.lib.Name
	case cur != nil:
		return cur.Name
	case k.cfg.Card != nil:
		return k.cfg.Card.Name
	}
	return ""
}

// libraryView is how the panel shows l: its signature's state says
// whether it can be used, and Port where its master drive is.
func libraryView(l *source.Library) panel.Library {
	if l == nil {
		return panel.Library{}
	}
	v := panel.Library{Name: l.Name, Date: l.Date, Size: uint64(max(l.Size, 0)), Port: l.Drive.Port}
	switch {
	case l.Usable():
		v.Signature = panel.SigValid
	case l.Trust == drive.Untrusted:
		v.Signature = panel.SigUntrusted
	case l.Trust == drive.BadSignature:
		v.Signature = panel.SigInvalid
	default:
		v.Signature = panel.SigUnreadable
	}
	return v
}

// checkedMaster shows the master drive in s with its library m, and
// starts drives that waited for a library, if the kiosk starts on insert.
func (k *Kiosk) checkedMaster(ctx context.Context, s *slot, m *source.Library) {
	s.master = m
	s.view.Status, s.view.Library = panel.Master, libraryView(m)
	k.startWaiting(ctx)
}

// masterGone lets go of the master drive that was in s: the jobs still
// reading its library (probing or writing) end as SOURCE GONE; those
// flushing or verifying no longer read it and go on. New jobs get the
// library Pick now gives.
func (k *Kiosk) masterGone(s *slot) {
	m := s.master
	s.master = nil
	ended := 0
	for _, o := range k.slots {
		if o.job != 0 && o.lib == m && (o.phase == flash.Probing || o.phase == flash.Writing) {
			o.cancel(&flash.SourceGoneError{Source: m.Drive.Name, Err: context.Canceled})
			ended++
		}
	}
	if ended > 0 {
		k.logf("port %s: master drive %s pulled out: %d jobs writing its library end as %s", s.view.Port, m.Drive.Name, ended, flash.SourceGone)
	}
	if err := m.Close(); err != nil {
		k.logf("port %s: master drive %s: %v", s.view.Port, m.Drive.Name, err)
	}
}

// closeMasters unmounts every master drive's volume, at the kiosk's end.
func (k *Kiosk) closeMasters() {
	for _, s := range k.slots {
		if s.master != nil {
			if err := s.master.Close(); err != nil {
				k.logf("port %s: master drive %s: %v", s.view.Port, s.master.Drive.Name, err)
			}
		}
	}
}

// checking reports whether a drive's check is under way: it may be a
// master drive with a newer library.
func (k *Kiosk) checking() bool {
	for _, s := range k.slots {
		if s.check != 0 {
			return true
		}
	}
	return false
}
