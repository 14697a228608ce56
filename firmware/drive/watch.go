package drive

import (
	"context"
	"errors"
	"strconv"
)

// EventKind says whether a drive came or went.
type EventKind int

const (
	Added EventKind = iota + 1
	Removed
)

func (k EventKind) String() string {
	switch k {
	case Added:
		return "added"
	case Removed:
		return "removed"
	}
	return "EventKind(" + strconv.Itoa(int(k)) + ")"
}

// MarshalText gives JSON the words "added" and "removed".
func (k EventKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// Event is a drive that came or went. A Removed event carries the Drive
// exactly as its Added event did.
type Event struct {
	Kind  EventKind
	Drive Drive
}

// errOverflow says the kernel dropped uevents because the socket's receive
// buffer was full: the watcher must rescan sysfs.
var errOverflow = errors.New("uevent socket overflowed: uevents were lost")

// ueventSource yields kernel uevents; next returns errOverflow when some
// were lost.
type ueventSource interface {
	next(ctx context.Context) (uevent, error)
}

// watcher turns uevents into Added and Removed events. Every uevent only
// makes it look again at what sysfs says now, so late, repeated or lost
// uevents cannot leave a stale or duplicate drive behind.
type watcher struct {
	h     *Host
	out   chan<- Event
	known map[string]Drive // by kernel name: the drives reported Added and not yet Removed
}

// watch reports the drives present, then follows src until ctx ends.
func (h *Host) watch(ctx context.Context, src ueventSource, out chan<- Event) error {
	w := &watcher{h: h, out: out, known: make(map[string]Drive)}
	if err := w.rescan(ctx); err != nil {
		return err
	}
	for {
		ev, err := src.next(ctx)
		switch {
		case errors.Is(err, errOverflow):
			err = w.rescan(ctx)
		case err != nil:
		default:
			err = w.handle(ctx, ev)
		}
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return err
		}
	}
}

// handle reacts to one uevent.
func (w *watcher) handle(ctx context.Context, ev uevent) error {
	if ev.Env["SUBSYSTEM"] != "block" || ev.Env["DEVTYPE"] == "partition" {
		return nil
	}
	name := ev.sysName()
	if ev.Action == "remove" {
		old, ok := w.known[name]
		if !ok || !describes(ev, old) {
			return nil // stale: about a device already gone, or one sysfs has since replaced
		}
		delete(w.known, name)
		return w.send(ctx, Event{Removed, old})
	}
	if ev.Action == "move" {
		if old := ev.Env["DEVPATH_OLD"]; old != "" {
			if err := w.reconcile(ctx, uevent{DevPath: old}.sysName()); err != nil {
				return err
			}
		}
	}
	return w.reconcile(ctx, name)
}

// describes reports whether a uevent may be about drive d: the device
// number and disk sequence number, where the uevent has them, agree.
func describes(ev uevent, d Drive) bool {
	if ma, mi := ev.Env["MAJOR"], ev.Env["MINOR"]; ma != "" || mi != "" {
		if dev, err := parseDevNum(ma, mi); err != nil || dev != d.Dev {
			return false
		}
	}
	if s := ev.Env["DISKSEQ"]; s != "" && d.DiskSeq != 0 {
		if seq, err := strconv.ParseUint(s, 10, 64); err != nil || seq != d.DiskSeq {
			return false
		}
	}
	return true
}

// reconcile reads the device from sysfs and reports the difference to what
// was reported before.
func (w *watcher) reconcile(ctx context.Context, name string) error {
	d, err := w.h.Drive(name)
	return w.settle(ctx, name, d, err == nil)
}

// settle makes the known drive called name be d if present, else none.
// Only whole disks with a medium count as present.
func (w *watcher) settle(ctx context.Context, name string, d Drive, present bool) error {
	present = present && !d.Partition && d.Size > 0
	old, known := w.known[name]
	if present && known && old.Same(d) {
		return nil
	}
	if known {
		delete(w.known, name)
		if err := w.send(ctx, Event{Removed, old}); err != nil {
			return err
		}
	}
	if !present {
		return nil
	}
	w.known[name] = d
	return w.send(ctx, Event{Added, d})
}

// rescan compares every device in sysfs with what was reported, at start
// and after uevents were lost.
func (w *watcher) rescan(ctx context.Context) error {
	drives, _ := w.h.Scan() // a device sysfs cannot describe is reported as absent
	seen := make(map[string]bool, len(drives))
	for _, d := range drives {
		seen[d.Name] = true
		if err := w.settle(ctx, d.Name, d, true); err != nil {
			return err
		}
	}
	for name := range w.known {
		if !seen[name] {
			if err := w.settle(ctx, name, Drive{}, false); err != nil {
				return err
			}
		}
	}
	return nil
}

func (w *watcher) send(ctx context.Context, e Event) error {
	select {
	case w.out <- e:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
