package drive

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

var updateUevents = flag.Bool("update-uevents", false, "record the loop device's uevents into testdata/uevents")

// needRoot fails the test unless it runs as root with the named commands:
// real-kernel tests must not pass by not running.
func needRoot(t *testing.T, cmds ...string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatalf("this test needs root (real loop devices and uevents); run it as root")
	}
	for _, c := range cmds {
		if _, err := lookTool(c); err != nil {
			t.Fatalf("%s not found: %v", c, err)
		}
	}
}

// TestLoopDevices attaches and detaches a real loop device and checks that
// the watcher reports both, with the right size, and that the policy
// refuses it as not on USB.
func TestLoopDevices(t *testing.T) {
	needRoot(t, "losetup")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	var rec *ueventConn
	if *updateUevents {
		var err error
		if rec, err = dialUevents(1 << 20); err != nil {
			t.Fatal(err)
		}
		defer rec.Close()
	}

	h := &Host{}
	events := make(chan Event, 64)
	done := make(chan error, 1)
	go func() { done <- h.Watch(ctx, events) }()
	defer func() {
		cancel()
		if err := <-done; err != context.Canceled {
			t.Errorf("Watch() after cancel = %v; want context.Canceled", err)
		}
	}()
	// Let the start scan finish before attaching, so the loop device is
	// seen through its uevent.
	time.Sleep(200 * time.Millisecond)

	const size = 300 << 20
	img := filepath.Join(t.TempDir(), "stick.img")
	if err := os.WriteFile(img, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(img, size); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("losetup", "-f", "--show", img).CombinedOutput()
	if err != nil {
		t.Fatalf("losetup -f --show: %v: %s", err, out)
	}
	dev := strings.TrimSpace(string(out))
	name := filepath.Base(dev)
	attached := true
	detach := func() {
		if attached {
			if out, err := exec.Command("losetup", "-d", dev).CombinedOutput(); err != nil {
				t.Errorf("losetup -d %s: %v: %s", dev, err, out)
			}
			attached = false
		}
	}
	defer detach()

	// Other packages' tests attach and detach loop devices at the same
	// time, so the name alone may be another test's earlier device: the
	// disk sequence number tells this medium apart.
	now, err := h.Drive(name)
	if err != nil {
		t.Fatal(err)
	}
	added := waitEvent(t, events, Added, now, 5*time.Second)
	if added.Size != size || added.USB || added.Partition || added.SectorSize != 512 {
		t.Errorf("added %s = %+v; want %d bytes, not USB, whole disk, 512-byte sectors", name, rawDrive(added), size)
	}
	if ok, r := (Policy{}).Eligible(added, h.Facts(ctx, added)); ok || r != NotUSB {
		t.Errorf("Eligible(%s) = %v, %v; want false, %v", name, ok, r, NotUSB)
	}
	// A test kiosk may treat it as a USB drive in a port; partitions and
	// other disks stay as they are.
	asUSB := &Host{AsUSB: map[string]string{name: "2"}}
	d, err := asUSB.Drive(name)
	if err != nil {
		t.Fatal(err)
	}
	if !d.USB || d.Port != "2" {
		t.Errorf("Host{AsUSB: %s=2}.Drive(%s) = %+v; want USB in port 2", name, name, rawDrive(d))
	}
	if ok, r := (Policy{}).Eligible(d, asUSB.Facts(ctx, d)); !ok {
		t.Errorf("Eligible(%s as USB) = %v, %v; want true", name, ok, r)
	}
	detach()
	removed := waitEvent(t, events, Removed, now, 5*time.Second)
	if removed != added {
		t.Errorf("removed %+v; want the drive as added, %+v", rawDrive(removed), rawDrive(added))
	}
	if rec != nil {
		recordUevents(t, rec, name)
	}
}

// TestUeventOverflow lets a tiny socket buffer overflow with real uevents
// and checks that the reader says so (the watcher then rescans), and goes
// on reading afterwards.
func TestUeventOverflow(t *testing.T) {
	needRoot(t, "losetup")
	c, err := dialUevents(1) // the kernel rounds up to its minimum, a few datagrams
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	img := filepath.Join(t.TempDir(), "stick.img")
	if err := os.WriteFile(img, make([]byte, 1<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 10; i++ {
		out, err := exec.Command("losetup", "-f", "--show", img).CombinedOutput()
		if err != nil {
			t.Fatalf("losetup -f --show: %v: %s", err, out)
		}
		if out, err := exec.Command("losetup", "-d", strings.TrimSpace(string(out))).CombinedOutput(); err != nil {
			t.Fatalf("losetup -d: %v: %s", err, out)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	overflowed := false
	for !overflowed {
		_, err := c.next(ctx)
		switch {
		case err == errOverflow:
			overflowed = true
		case err != nil:
			t.Fatalf("next() = %v; want errOverflow after 30 unread uevents", err)
		}
	}
	// The queued datagrams are still there after the error.
	ctx2, cancel2 := context.WithTimeout(context.Background(), time.Second)
	defer cancel2()
	if _, err := c.next(ctx2); err != nil {
		t.Errorf("next() after the overflow = %v; want the queued uevents", err)
	}
	// Cancellation ends a blocked read.
	ctx3, cancel3 := context.WithCancel(context.Background())
	go func() { time.Sleep(50 * time.Millisecond); cancel3() }()
	for {
		if _, err := c.next(ctx3); err != nil {
			if err != context.Canceled {
				t.Errorf("next() on a cancelled context = %v; want context.Canceled", err)
			}
			break
		}
	}
}

// waitEvent waits for an event of kind about the medium d (its name and
// disk sequence number), skipping events about other devices and earlier
// media under the same name (other tests use loop devices too).
func waitEvent(t *testing.T, events <-chan Event, kind EventKind, d Drive, within time.Duration) Drive {
	t.Helper()
	timeout := time.After(within)
	for {
		select {
		case e := <-events:
			if e.Drive.Name == d.Name && e.Drive.DiskSeq == d.DiskSeq && e.Kind == kind {
				return e.Drive
			}
		case <-timeout:
			t.Fatalf("no %v event for %s (disk sequence %d) within %v", kind, d.Name, d.DiskSeq, within)
		}
	}
}

// recordUevents saves the datagrams about the device name as test data.
func recordUevents(t *testing.T, c *ueventConn, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	dir := filepath.Join("testdata", "uevents")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	n := 0
	for {
		b, err := c.datagram(ctx)
		if err != nil {
			break
		}
		ev, err := parseUevent(b)
		if err != nil || ev.sysName() != name {
			continue
		}
		n++
		file := filepath.Join(dir, fmt.Sprintf("loop-%d.uevent", n))
		if err := os.WriteFile(file, b, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("recorded %s", file)
	}
}

// TestRootDiskInUse checks the facts on this machine's own root disk.
func TestRootDiskInUse(t *testing.T) {
	needRoot(t)
	var st unix.Stat_t
	if err := unix.Stat("/", &st); err != nil {
		t.Fatal(err)
	}
	majmin := fmt.Sprintf("%d:%d", unix.Major(st.Dev), unix.Minor(st.Dev))
	h := &Host{}
	name := h.nameOfDevNum(majmin)
	if name == "" {
		t.Fatalf("the root filesystem (device %s) is not on a block device; this test needs a machine whose root is on a disk", majmin)
	}
	d, err := h.Drive(name)
	if err != nil {
		t.Fatal(err)
	}
	f := h.Facts(context.Background(), d)
	if !f.InUse {
		t.Errorf("Facts(%s), the root disk = %+v; want InUse", name, f)
	}
	if d.USB {
		return // a PC booted from a USB disk: the policy must still refuse it
	}
	d.USB = true // as if it were: only the facts keep it safe then
	if ok, r := (Policy{}).Eligible(d, f); ok || r != SystemDisk {
		t.Errorf("Eligible(root disk %s as if on USB) = %v, %v; want false, %v", name, ok, r, SystemDisk)
	}
}

// TestLoopBackingInUse attaches a loop device over another loop device,
// as `losetup -f /dev/loop0` does: the device below is in use although
// the kernel lists no holder for it, before and after a file system on
// the one above is mounted.
func TestLoopBackingInUse(t *testing.T) {
	needRoot(t, "losetup", "mkfs.ext4", "mount", "umount")
	img := filepath.Join(t.TempDir(), "below.img")
	if err := os.WriteFile(img, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(img, 64<<20); err != nil {
		t.Fatal(err)
	}
	attach := func(backing string) string {
		out, err := exec.Command("losetup", "-f", "--show", backing).CombinedOutput()
		if err != nil {
			t.Fatalf("losetup -f --show %s: %v\n%s", backing, err, out)
		}
		dev := strings.TrimSpace(string(out))
		t.Cleanup(func() { exec.Command("losetup", "-d", dev).Run() })
		return dev
	}
	below := attach(img)
	h := &Host{}
	inUse := func() bool {
		d, err := h.Drive(filepath.Base(below))
		if err != nil {
			t.Fatal(err)
		}
		f := h.Facts(context.Background(), d)
		if f.Err != nil {
			t.Fatalf("Facts(%s) = %+v", below, f)
		}
		return f.InUse
	}
	if inUse() {
		t.Fatalf("Facts(%s) with nothing on it: InUse; want not", below)
	}
	above := attach(below)
	if !inUse() {
		t.Errorf("Facts(%s), the backing device of %s: not InUse; want InUse", below, above)
	}
	if out, err := exec.Command("mkfs.ext4", "-q", above).CombinedOutput(); err != nil {
		t.Fatalf("mkfs.ext4 %s: %v\n%s", above, err, out)
	}
	mnt := t.TempDir()
	if out, err := exec.Command("mount", above, mnt).CombinedOutput(); err != nil {
		t.Fatalf("mount %s: %v\n%s", above, err, out)
	}
	defer exec.Command("umount", mnt).Run()
	if !inUse() {
		t.Errorf("Facts(%s), below %s mounted on %s: not InUse; want InUse", below, above, mnt)
	}
}
