package drive

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// stepSource feeds uevents to the watcher one at a time and tells the test
// when the watcher has finished with the previous one (it asks for more).
type stepSource struct {
	ready chan struct{}
	in    chan sourceItem
}

type sourceItem struct {
	ev  uevent
	err error
}

func (s *stepSource) next(ctx context.Context) (uevent, error) {
	select {
	case s.ready <- struct{}{}:
	case <-ctx.Done():
		return uevent{}, ctx.Err()
	}
	select {
	case it := <-s.in:
		return it.ev, it.err
	case <-ctx.Done():
		return uevent{}, ctx.Err()
	}
}

// watchRig runs a watcher over a fake tree and a stepSource.
type watchRig struct {
	t    *testing.T
	root string
	src  *stepSource
	out  chan Event
	done chan error
}

func newWatchRig(t *testing.T, tree string) (*watchRig, []Event) {
	t.Helper()
	r := &watchRig{t: t, root: buildTree(t, tree), src: &stepSource{ready: make(chan struct{}), in: make(chan sourceItem)},
		out: make(chan Event), done: make(chan error, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	h := &Host{Root: r.root}
	go func() { r.done <- h.watch(ctx, r.src, r.out) }()
	t.Cleanup(func() {
		cancel()
		if err := <-r.done; !errors.Is(err, context.Canceled) {
			t.Errorf("watch() after cancel = %v; want context.Canceled", err)
		}
	})
	return r, r.collect()
}

// collect gathers events until the watcher asks for the next uevent.
func (r *watchRig) collect() []Event {
	r.t.Helper()
	var evs []Event
	timeout := time.After(10 * time.Second)
	for {
		select {
		case e := <-r.out:
			evs = append(evs, e)
		case <-r.src.ready:
			return evs
		case err := <-r.done:
			r.t.Fatalf("watch() returned early: %v", err)
		case <-timeout:
			r.t.Fatalf("watcher stuck")
		}
	}
}

// feed hands the watcher one uevent (or error) and returns the events it sent.
func (r *watchRig) feed(it sourceItem) []Event {
	r.t.Helper()
	r.src.in <- it
	return r.collect()
}

// blockEvent makes a uevent for a block device of the fake tree.
func (r *watchRig) blockEvent(action, name string, env ...string) sourceItem {
	dir, err := filepath.EvalSymlinks(filepath.Join(r.root, "sys", "class", "block", name))
	devpath := "/devices/virtual/block/" + name
	if err == nil {
		devpath = strings.TrimPrefix(dir, filepath.Join(r.root, "sys"))
	}
	ev := uevent{Action: action, DevPath: devpath, Env: map[string]string{"ACTION": action, "DEVPATH": devpath, "SUBSYSTEM": "block", "DEVNAME": name, "DEVTYPE": "disk"}}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		ev.Env[k] = v
	}
	return sourceItem{ev: ev}
}

// set writes a sysfs attribute of a fake device.
func (r *watchRig) set(name, attr, value string) {
	r.t.Helper()
	if err := os.WriteFile(filepath.Join(r.root, "sys", "class", "block", name, attr), []byte(value+"\n"), 0o644); err != nil {
		r.t.Fatal(err)
	}
}

// unplug makes a fake device vanish from sysfs; plug brings it back.
func (r *watchRig) unplug(name string) string {
	r.t.Helper()
	link := filepath.Join(r.root, "sys", "class", "block", name)
	target, err := os.Readlink(link)
	if err != nil {
		r.t.Fatal(err)
	}
	if err := os.Remove(link); err != nil {
		r.t.Fatal(err)
	}
	return target
}

func (r *watchRig) plug(name, target string) {
	r.t.Helper()
	if err := os.Symlink(target, filepath.Join(r.root, "sys", "class", "block", name)); err != nil {
		r.t.Fatal(err)
	}
}

// summary renders events as "+sda -sdb" for comparison.
func summary(evs []Event) string {
	var s []string
	for _, e := range evs {
		sign := "+"
		if e.Kind == Removed {
			sign = "-"
		}
		s = append(s, sign+e.Drive.Name)
	}
	return strings.Join(s, " ")
}

func TestWatchStartScan(t *testing.T) {
	_, evs := newWatchRig(t, "pi4.txt")
	// Whole disks with a medium only: no partitions, not the empty card
	// reader slot sdc, not the detached loop1.
	if got, want := summary(evs), "+loop0 +mmcblk0 +sda +sdb +sdd +sde +sdf +sdg"; got != want {
		t.Errorf("watch start = %s; want %s", got, want)
	}
}

func TestWatchSequences(t *testing.T) {
	r, _ := newWatchRig(t, "pi4.txt")
	sdaTarget := ""
	for _, step := range []struct {
		name   string
		before func()
		item   func() sourceItem
		want   string
	}{
		{"change, nothing new", nil, func() sourceItem { return r.blockEvent("change", "sda", "MAJOR=8", "MINOR=0", "DISKSEQ=11") }, ""},
		{"partition re-read", nil, func() sourceItem { return r.blockEvent("change", "sda1", "DEVTYPE=partition") }, ""},
		{"partition removed", nil, func() sourceItem { return r.blockEvent("remove", "sda1", "DEVTYPE=partition") }, ""},
		{"not a block device", nil, func() sourceItem {
			return sourceItem{ev: uevent{Action: "remove", DevPath: "/devices/x/usb1/1-1/1-1.3/1-1.3.2", Env: map[string]string{"SUBSYSTEM": "usb"}}}
		}, ""},
		{"stale remove (older medium)", nil, func() sourceItem { return r.blockEvent("remove", "sda", "MAJOR=8", "MINOR=0", "DISKSEQ=10") }, ""},
		{"remove of another device number", nil, func() sourceItem { return r.blockEvent("remove", "sda", "MAJOR=8", "MINOR=16") }, ""},
		{"remove", func() { sdaTarget = r.unplug("sda") }, func() sourceItem { return r.blockEvent("remove", "sda", "MAJOR=8", "MINOR=0", "DISKSEQ=11") }, "-sda"},
		{"remove twice", nil, func() sourceItem { return r.blockEvent("remove", "sda", "MAJOR=8", "MINOR=0", "DISKSEQ=11") }, ""},
		{"add of a drive already gone", nil, func() sourceItem { return r.blockEvent("add", "sda", "MAJOR=8", "MINOR=0", "DISKSEQ=11") }, ""},
		{"plugged again", func() {
			r.plug("sda", sdaTarget)
			r.set("sda", "uevent", "MAJOR=8\nMINOR=0\nDEVNAME=sda\nDEVTYPE=disk\nDISKSEQ=30")
		},
			func() sourceItem { return r.blockEvent("add", "sda", "MAJOR=8", "MINOR=0", "DISKSEQ=30") }, "+sda"},
		{"late add of the same", nil, func() sourceItem { return r.blockEvent("add", "sda", "MAJOR=8", "MINOR=0", "DISKSEQ=30") }, ""},
		{"card inserted", func() { r.set("sdc", "size", "7744512") }, func() sourceItem { return r.blockEvent("change", "sdc", "DISK_MEDIA_CHANGE=1") }, "+sdc"},
		{"card swapped for another", func() { r.set("sdc", "size", "15523840") }, func() sourceItem { return r.blockEvent("change", "sdc", "DISK_MEDIA_CHANGE=1") }, "-sdc +sdc"},
		{"card pulled", func() { r.set("sdc", "size", "0") }, func() sourceItem { return r.blockEvent("change", "sdc", "DISK_MEDIA_CHANGE=1") }, "-sdc"},
		{"write-protect switched", func() { r.set("sdb", "ro", "1") }, func() sourceItem { return r.blockEvent("change", "sdb") }, "-sdb +sdb"},
		{"lost uevents: rescan", func() { r.unplug("sdd"); r.set("sdc", "size", "100000") }, func() sourceItem { return sourceItem{err: errOverflow} }, "+sdc -sdd"},
		{"rescan again, nothing new", nil, func() sourceItem { return sourceItem{err: errOverflow} }, ""},
		{"renamed", func() { r.plug("sdh", r.unplug("sdf")) }, func() sourceItem {
			return sourceItem{ev: uevent{Action: "move", DevPath: "/devices/x/block/sdh",
				Env: map[string]string{"SUBSYSTEM": "block", "DEVTYPE": "disk", "DEVPATH_OLD": "/devices/x/block/sdf"}}}
		}, "-sdf +sdh"},
		{"loop detached", func() { r.set("loop0", "size", "0") }, func() sourceItem { return r.blockEvent("change", "loop0") }, "-loop0"},
	} {
		if step.before != nil {
			step.before()
		}
		if got := summary(r.feed(step.item())); got != step.want {
			t.Errorf("%s: events %q; want %q", step.name, got, step.want)
		}
	}
}

func TestWatchRemovedCarriesAdded(t *testing.T) {
	r, start := newWatchRig(t, "pi4.txt")
	var added Drive
	for _, e := range start {
		if e.Drive.Name == "sde" {
			added = e.Drive
		}
	}
	r.unplug("sde")
	evs := r.feed(r.blockEvent("remove", "sde", "MAJOR=8", "MINOR=64"))
	if len(evs) != 1 || evs[0].Kind != Removed || evs[0].Drive != added {
		t.Errorf("remove sde = %v; want one Removed carrying %v", evs, added)
	}
}

func TestWatchSourceError(t *testing.T) {
	r := &watchRig{t: t, root: buildTree(t, "pi4.txt"), src: &stepSource{ready: make(chan struct{}), in: make(chan sourceItem)},
		out: make(chan Event, 100), done: make(chan error, 1)}
	h := &Host{Root: r.root}
	go func() { r.done <- h.watch(context.Background(), r.src, r.out) }()
	<-r.src.ready
	boom := errors.New("socket closed")
	r.src.in <- sourceItem{err: boom}
	if err := <-r.done; !errors.Is(err, boom) {
		t.Errorf("watch() with a failing source = %v; want %v", err, boom)
	}
}
