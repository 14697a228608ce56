package kiosk

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"flashkiosk/firmware/drive"
	"flashkiosk/firmware/flash"
	"flashkiosk/firmware/journal"
	"flashkiosk/firmware/panel"
	"flashkiosk/firmware/source"
)

// slotName is the slot a drive belongs in: its port, and for the second
// and later units of a card reader, the port and the unit.
func slotName(d drive.Drive) string {
	if d.LUN != 0 {
		return fmt.Sprintf("%s.%d", d.Port, d.LUN)
	}
	return d.Port
}

// find returns the slot named port, or nil.
func (k *Kiosk) find(port string) *slot {
	for _, s := range k.slots {
		if s.view.Port == port {
			return s
		}
	}
	return nil
}

// overflow reports whether s is a slot for a port the board does not name.
func (k *Kiosk) overflow(s *slot) bool {
	for _, p := range k.cfg.Ports {
		if p == s.view.Port {
			return false
		}
	}
	return true
}

func (k *Kiosk) driveEvent(ctx context.Context, ev drive.Event) {
	d := ev.Drive
	if d.Partition || !d.USB {
		return // partitions belong to their disk; the SD card and loop devices have no port
	}
	name := slotName(d)
	s := k.find(name)
	switch ev.Kind {
	case drive.Added:
		if s == nil {
			s = &slot{view: panel.Slot{Port: name}}
			k.slots = append(k.slots, s)
		}
		if s.present && s.drive.Same(d) {
			return // told twice
		}
		if s.job != 0 {
			// A new drive while a job runs: the removal was missed.
			k.pulled(s)
		}
		if s.master != nil {
			k.masterGone(s)
		}
		k.place(ctx, s, d)
	case drive.Removed:
		if s == nil || !s.present || s.drive.Name != d.Name {
			return
		}
		s.present = false
		s.check = 0
		if s.master != nil {
			k.masterGone(s)
		}
		if s.job != 0 {
			k.pulled(s)
			return
		}
		if s.view.Status == panel.Removed {
			return // its job found it gone first: go on saying so
		}
		k.empty(s)
	}
}

// place puts d into s and checks it, off the loop.
func (k *Kiosk) place(ctx context.Context, s *slot, d drive.Drive) {
	s.drive, s.present = d, true
	s.view = panel.Slot{Port: s.view.Port, Drive: panel.DriveInfo{Vendor: d.Vendor, Model: d.Model, Size: d.Size}}
	id := k.id()
	s.check = id
	k.jobs.Go(func() {
		v := k.checker.Check(ctx, d)
		if !k.send(ctx, checked{id: id, v: v}) {
			v.Master.Close() // the kiosk ended meanwhile
		}
	})
}

// empty clears s, and drops it if it is an overflow slot.
func (k *Kiosk) empty(s *slot) {
	if k.overflow(s) {
		i := slices.Index(k.slots, s)
		k.slots = slices.Delete(k.slots, i, i+1)
		if k.screen == panel.Detail {
			switch {
			case k.port == i:
				k.screen, k.port = panel.Overview, 0
			case k.port > i:
				k.port-- // keep showing the same port
			}
		}
		return
	}
	*s = slot{view: panel.Slot{Port: s.view.Port}}
}

// pulled ends s's job because its drive went away.
func (k *Kiosk) pulled(s *slot) {
	s.cancel(nil)
	s.job, s.cancel = 0, nil
	k.removed(s)
	s.lib = nil
	k.settle()
}

// removed shows and records that s's drive was pulled before it was done;
// REMOVED stays until a drive goes into the port again.
func (k *Kiosk) removed(s *slot) {
	s.view.Status = panel.Removed
	s.view.Percent, s.view.MBps, s.view.ETA = 0, 0, 0
	k.record(s, "removed", flash.Result{}, 0)
}

// settle drops the cancel question once nothing is left to cancel, so the
// next GO starts drives again.
func (k *Kiosk) settle() {
	if k.confirm && !k.busy() {
		k.confirm = false
	}
}

// start starts a job on s's drive, writing lib to its end.
func (k *Kiosk) start(ctx context.Context, s *slot, lib *source.Library) {
	id := k.id()
	jctx, cancel := context.WithCancelCause(ctx)
	s.job, s.cancel, s.started = id, cancel, k.clock.Now()
	s.lib, s.phase = lib, flash.Probing
	s.view.Status = panel.Probing
	s.view.Percent = 0
	k.running++
	d := s.drive
	k.jobs.Go(func() {
		res, err := k.flasher.Flash(jctx, d, lib, func(p flash.Progress) {
			k.send(jctx, progressed{id: id, p: p})
		})
		k.send(ctx, finished{id: id, res: res, err: flash.SourceGoneCause(jctx, err)})
	})
}

// startReady starts every ready drive, if the kiosk may and a library may
// be written.
func (k *Kiosk) startReady(ctx context.Context) {
	if !k.canStart() {
		return
	}
	lib := k.current()
	if lib == nil {
		return
	}
	for _, s := range k.slots {
		if s.view.Status == panel.Ready && s.job == 0 {
			k.start(ctx, s, lib)
		}
	}
}

// startWaiting starts ready drives when no button is needed, once no
// drive is being checked: one may be a master drive whose library the
// drives should get.
func (k *Kiosk) startWaiting(ctx context.Context) {
	if k.cfg.StartOnInsert && !k.checking() {
		k.startReady(ctx)
	}
}

func (k *Kiosk) jobSlot(id int) *slot {
	for _, s := range k.slots {
		if s.job == id {
			return s
		}
	}
	return nil
}

func (k *Kiosk) jobEvent(ctx context.Context, ev event) {
	switch ev := ev.(type) {
	case checked:
		for _, s := range k.slots {
			if s.check == ev.id {
				k.checkedDrive(ctx, s, ev.v)
				return
			}
		}
		ev.v.Master.Close() // the drive left while it was checked
	case progressed:
		if s := k.jobSlot(ev.id); s != nil {
			s.phase = ev.p.Phase
			progress(&s.view, ev.p)
		}
	case finished:
		k.running--
		if s := k.jobSlot(ev.id); s != nil {
			k.finish(s, ev.res, ev.err)
		}
		k.settle()
		k.maybeOff()
	}
}

func (k *Kiosk) checkedDrive(ctx context.Context, s *slot, v Verdict) {
	s.check = 0
	if v.Master != nil {
		k.checkedMaster(ctx, s, v.Master)
		return
	}
	if r := v.Reason; r != drive.OK {
		s.view.Status, s.view.Reason = panel.Ineligible, r
		if name, ok := rejectName(r); ok {
			k.record(s, name, flash.Result{}, 0)
		}
	} else {
		s.view.Status = panel.Ready
	}
	k.startWaiting(ctx) // this drive, and those that waited for its check
}

// rejectName names a refused drive for the journal. Drives that are not
// donated sticks (the SD card, a master drive, an empty reader) are not
// recorded.
func rejectName(r drive.Reason) (string, bool) {
	switch r {
	case drive.WriteProtected:
		return flash.ReadOnly.String(), true
	case drive.TooSmall:
		return flash.TooSmall.String(), true
	case drive.TooLarge:
		return "rejected", true
	}
	return "", false
}

// progress shows p in v.
func progress(v *panel.Slot, p flash.Progress) {
	pct := 0
	if p.Total > 0 {
		pct = int(p.Done * 100 / p.Total)
	}
	switch p.Phase {
	case flash.Probing:
		v.Status, v.Percent = panel.Probing, pct
	case flash.Writing:
		v.Status, v.Percent, v.MBps, v.ETA = panel.Writing, pct, p.Rate()/1e6, p.ETA()
	case flash.Flushing:
		v.Status, v.Percent, v.ETA = panel.Writing, 100, 0
	case flash.Verifying:
		v.Status, v.Percent, v.MBps, v.ETA = panel.Verifying, pct, p.Rate()/1e6, p.ETA()
	}
}

// finish shows how s's job ended and records it.
func (k *Kiosk) finish(s *slot, res flash.Result, err error) {
	s.cancel(nil)
	s.job, s.cancel = 0, nil
	defer func() { s.lib = nil }()
	var re *RemovedError
	if errors.As(err, &re) {
		k.removed(s)
		return
	}
	o := flash.Classify(err)
	v := &s.view
	v.MBps, v.ETA = 0, 0
	var real int64
	if o == flash.Done {
		v.Status, v.Percent, v.Elapsed = panel.Done, 100, k.clock.Now().Sub(s.started)
		real = res.Bytes
	} else {
		v.Status, v.Outcome, v.Percent = panel.Failed, o, 0
		real = res.Probe.Real
		var (
			fe *flash.FakeError
			ie *flash.IOError
			me *flash.MismatchError
		)
		switch {
		case errors.As(err, &fe):
			real = fe.Real
		case errors.As(err, &ie):
			v.Offset = uint64(ie.Offset)
		case errors.As(err, &me):
			v.Offset = uint64(me.Offset)
		}
	}
	if real > 0 && uint64(real) < s.drive.Size {
		v.Drive.RealSize = uint64(real)
	}
	k.record(s, o.String(), res, real)
}

// record appends one journal record for s's drive and refreshes the
// counters.
func (k *Kiosk) record(s *slot, outcome string, res flash.Result, real int64) {
	r := journal.Record{
		SinceBoot: k.clock.Now().Sub(k.booted),
		Port:      s.view.Port,
		Vendor:    s.drive.Vendor,
		Model:     s.drive.Model,
		Reported:  int64(s.drive.Size),
		Real:      real,
		Library:   k.libraryName(s),
		Outcome:   outcome,
	}
	if outcome == flash.Done.String() {
		r.WriteMBps = res.WriteMBps()
		r.VerifyMBps = res.VerifyMBps()
	}
	if k.power == panel.SafeToUnplug {
		return // the journal is closed
	}
	if err := k.journal.Append(r); err != nil {
		k.logf("journal: %v", err)
	}
	k.count = countOf(k.journal.Counters())
}
