package drive

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"flashkiosk/images/toolchain"
	"flashkiosk/tools/vm"
)

// guestEvent is an EVENT line of the vmwatch program.
type guestEvent struct {
	Kind     string `json:"kind"`
	Name     string `json:"name"`
	USB      bool   `json:"usb"`
	Port     string `json:"port"`
	PortPath string `json:"port_path"`
	Size     uint64 `json:"size"`
	RO       bool   `json:"ro"`
	Eligible bool   `json:"eligible"`
	Reason   string `json:"reason"`
	at       time.Time
}

// guest reads the vmwatch program's console.
type guest struct {
	t       *testing.T
	vm      *vm.VM
	uevents [][]byte
	state   string
}

// nextEvent returns the next EVENT line, keeping UEVENT and STATE lines.
func (g *guest) nextEvent(ctx context.Context) (guestEvent, error) {
	for {
		l, err := g.vm.Next(ctx)
		if err != nil {
			return guestEvent{}, err
		}
		switch {
		case strings.HasPrefix(l.Text, "UEVENT "):
			if b, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(l.Text, "UEVENT ")); err == nil {
				g.uevents = append(g.uevents, b)
			}
		case strings.HasPrefix(l.Text, "STATE"):
			g.state = strings.TrimSpace(strings.TrimPrefix(l.Text, "STATE"))
		case strings.HasPrefix(l.Text, "FAIL"):
			return guestEvent{}, fmt.Errorf("guest: %s", l.Text)
		case strings.HasPrefix(l.Text, "EVENT "):
			var e guestEvent
			if err := json.Unmarshal([]byte(strings.TrimPrefix(l.Text, "EVENT ")), &e); err != nil {
				return guestEvent{}, fmt.Errorf("guest line %q: %v", l.Text, err)
			}
			e.at = l.Time
			return e, nil
		}
	}
}

// expect waits up to within for the next event and checks its kind and name.
func (g *guest) expect(kind, name string, within time.Duration) guestEvent {
	g.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	e, err := g.nextEvent(ctx)
	if err != nil {
		g.t.Fatalf("waiting %v for %s %s: %v", within, kind, name, err)
	}
	if e.Kind != kind || e.Name != name {
		g.t.Fatalf("event %+v; want %s %s", e, kind, name)
	}
	return e
}

// quiet reads lines for d and fails on any event.
func (g *guest) quiet(d time.Duration) {
	g.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	if e, err := g.nextEvent(ctx); err == nil {
		g.t.Errorf("unexpected event %+v", e)
	}
}

func stickImage(t *testing.T, dir, name string, size int64) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := vm.SparseImage(p, size); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestVMHotplug boots a real arm64 kernel in qemu with the watcher as its
// init's child, plugs and pulls virtual USB sticks, and checks the events:
// kind, port, size and verdict, logging how long each took to come.
func TestVMHotplug(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dir := t.TempDir()
	kernel, err := vm.Kernel(ctx, "arm64")
	if err != nil {
		t.Fatal(err)
	}
	initrd := filepath.Join(dir, "vmwatch.cpio")
	start := time.Now()
	if err := toolchain.BuildInitramfs(ctx, initrd, toolchain.Initramfs{Arch: "arm64", Uinit: []string{"./firmware/drive/testdata/vmwatch", "-ports", "1-4=D,2-4=D"}}); err != nil {
		t.Fatal(err)
	}
	t.Logf("initramfs built in %v", time.Since(start).Round(time.Millisecond))

	blank := stickImage(t, dir, "blank.img", 512<<20)
	small := stickImage(t, dir, "small.img", 64<<20)
	master := fatImage(t, true, map[string]string{"manifest.json": "{}", "manifest.sig": goodSig})

	start = time.Now()
	v, err := vm.Start(ctx, vm.Config{Kernel: kernel, Initrd: initrd})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	g := &guest{t: t, vm: v}
	if _, err := v.WaitFor(ctx, "READY"); err != nil {
		t.Fatal(err)
	}
	t.Logf("guest ready %v after start", time.Since(start).Round(time.Millisecond))
	// The start scan reports what the VM has without USB (the virt
	// machine's flash, mtdblock0): never eligible.
	for {
		qctx, qcancel := context.WithTimeout(ctx, time.Second)
		e, err := g.nextEvent(qctx)
		qcancel()
		if err != nil {
			break
		}
		if e.Kind != "added" || e.USB || e.Eligible {
			t.Errorf("start scan: %+v; want only devices not on USB, not eligible", e)
		}
	}

	var addLat, removeLat []time.Duration
	plug := func(id string, s vm.Stick, name string) guestEvent {
		t.Helper()
		t0 := time.Now()
		if err := v.PlugUSB(ctx, id, s); err != nil {
			t.Fatal(err)
		}
		e := g.expect("added", name, 5*time.Second)
		addLat = append(addLat, e.at.Sub(t0))
		return e
	}
	unplug := func(id, name string) {
		t.Helper()
		t0 := time.Now()
		if err := v.UnplugUSB(ctx, id); err != nil {
			t.Fatal(err)
		}
		e := g.expect("removed", name, 5*time.Second)
		removeLat = append(removeLat, e.at.Sub(t0))
	}

	e := plug("blank", vm.Stick{Image: blank, Port: "2", Serial: "BLANK0001"}, "sda")
	// qemu-xhci's USB 2 root hub is the guest's bus 2.
	if !e.USB || e.PortPath != "2-2" || e.Port != "2-2" || e.Size != 512<<20 || e.RO || !e.Eligible || e.Reason != "ok" {
		t.Errorf("blank stick: %+v; want USB at 2-2, 512 MiB, eligible", e)
	}
	e = plug("ro", vm.Stick{Image: small, Port: "3", ReadOnly: true}, "sdb")
	if e.PortPath != "2-3" || e.Size != 64<<20 || !e.RO || e.Reason != "write-protected" {
		t.Errorf("read-only stick: %+v; want 2-3, 64 MiB, write-protected", e)
	}
	unplug("ro", "sdb")
	e = plug("small", vm.Stick{Image: small, Port: "3"}, "sdb")
	if e.RO || e.Reason != "too small" {
		t.Errorf("small stick: %+v; want too small", e)
	}
	e = plug("master", vm.Stick{Image: master, Port: "1"}, "sdc")
	if e.Reason != "master drive" || e.Eligible {
		t.Errorf("master stick: %+v; want master drive", e)
	}
	unplug("blank", "sda")
	unplug("small", "sdb")
	unplug("master", "sdc")

	// qemu's xHCI ports, like a Pi 4's sockets, have a USB 3 side (bus 2)
	// and a USB 2 side (bus 1): the board map names both "D". A stick
	// behind a (full-speed) hub in that socket is in port D.3.
	e = plug("direct", vm.Stick{Image: blank, Port: "4"}, "sda")
	if e.PortPath != "2-4" || e.Port != "D" {
		t.Errorf("stick in port 4: %+v; want port path 2-4, port D", e)
	}
	unplug("direct", "sda")
	if err := v.PlugHub(ctx, "hub", "4"); err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	if err := v.PlugUSB(ctx, "behind", vm.Stick{Image: blank, Port: "4.3"}); err != nil {
		t.Fatal(err)
	}
	e = g.expect("added", "sda", 5*time.Second)
	t.Logf("behind a full-speed hub: added after %v", e.at.Sub(t0))
	if e.PortPath != "1-4.3" || e.Port != "D.3" {
		t.Errorf("stick behind hub: %+v; want port path 1-4.3, port D.3", e)
	}
	unplug("behind", "sda")

	// Plugged and pulled at once: whatever the guest saw, nothing stays.
	if err := v.PlugUSB(ctx, "fast", vm.Stick{Image: blank, Port: "2"}); err != nil {
		t.Fatal(err)
	}
	if err := v.UnplugUSB(ctx, "fast"); err != nil {
		t.Fatal(err)
	}
	for {
		qctx, qcancel := context.WithTimeout(ctx, 2*time.Second)
		_, err := g.nextEvent(qctx)
		qcancel()
		if err != nil {
			break
		}
	}
	if strings.Contains(g.state, "sd") {
		t.Errorf("after a fast plug and pull the guest holds %q; want no USB drive", g.state)
	}

	// Latencies are measured, not asserted: the machines are shared and
	// emulated, so a bound would only make the test flaky. A drive that
	// never shows fails expect's generous wait.
	t.Logf("add latency (device_add to event on the host): %v; remove latency (device_del to event): %v", addLat, removeLat)
	if *updateUevents {
		saveGuestUevents(t, g.uevents)
	}
}

// saveGuestUevents keeps the guest's first add and remove uevents of a USB
// disk, partition and device as test data.
func saveGuestUevents(t *testing.T, uevents [][]byte) {
	saved := map[string]bool{}
	for _, b := range uevents {
		ev, err := parseUevent(b)
		if err != nil {
			t.Errorf("guest uevent %q: %v", b, err)
			continue
		}
		kind := ev.Env["DEVTYPE"]
		name := fmt.Sprintf("usb-%s-%s.uevent", kind, ev.Action)
		if saved[name] || (ev.Action != "add" && ev.Action != "remove") {
			continue
		}
		saved[name] = true
		if err := os.WriteFile(filepath.Join("testdata", "uevents", name), b, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("recorded %s", name)
	}
}
