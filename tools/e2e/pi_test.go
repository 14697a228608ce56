package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/bits"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"flashkiosk/board"
	"flashkiosk/firmware/fat"
	"flashkiosk/images"
	"flashkiosk/tools/vm"
)

// piDTB is the device tree of the Raspberry Pi 3 B on the boot partition.
const piDTB = "bcm2710-rpi-3-b.dtb"

// TestPi is the smoke test of the real Raspberry Pi image: written by
// images.WritePi, its kiosk.toml edited on the card as a partner would
// (board pi3b, start on insert), and booted in qemu's raspi3b from its
// own kernel, DTB and initramfs with the image as the SD card. kioskd
// must find its disk as mmcblk0, and write and verify a stick
// hot-plugged where a Pi 3 B's first USB socket is.
func TestPi(t *testing.T) {
	f := setup(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	dir := t.TempDir()
	img := filepath.Join(dir, "flashkiosk-rpi.img")
	start := time.Now()
	if _, err := images.WritePi(ctx, img, images.Pi{Library: f.lib, PublicKey: f.pub}); err != nil {
		t.Fatal(err)
	}
	t.Logf("image written in %v", time.Since(start).Round(100*time.Millisecond))

	pi3, ok := board.Lookup("pi3b")
	if !ok {
		t.Fatal(`board.Lookup("pi3b") found no profile`)
	}
	boot := bootFiles(t, img, dir, "vmlinuz", piDTB, images.InitramfsFile, images.ConfigFile)
	editConfig(t, img, boot[images.ConfigFile], map[string]string{
		"board": `"pi3b"`, "start": `"insert"`, "min_size": `"32MiB"`,
	})
	// qemu ignores pull-ups, so the GO and INFO buttons read held from
	// the start, like a stuck pair: the kiosk must ignore them (not take
	// them for the shutdown gesture) and, in insert mode, work on.
	dtb := filepath.Join(dir, "pi3.dtb")
	if err := vm.RaspiDTB(boot[piDTB], dtb); err != nil {
		t.Fatal(err)
	}
	padToPowerOfTwo(t, img)
	before, err := Protected(img)
	if err != nil {
		t.Fatal(err)
	}

	booted := time.Now()
	v, err := vm.Start(ctx, vm.Config{
		Machine: "raspi3b", Kernel: boot["vmlinuz"], DTB: dtb, Initrd: boot[images.InitramfsFile],
		// qemu's bcm2835 watchdog resets the machine the moment it is
		// armed (with -no-reboot, qemu exits): no watchdog here.
		Append: "uroot.uinitargs=-watchdog=",
		Disks:  []vm.Disk{{Path: img}},
	})
	if err != nil {
		t.Fatal(err)
	}
	var logs []string
	defer func() {
		v.Close()
		if t.Failed() {
			t.Logf("the Pi's console:\n%s", strings.Join(logs, "\n"))
		}
	}()
	// until reads console lines into logs up to the first for which end
	// holds, and returns it.
	until := func(what string, end func(string) bool) vm.Line {
		t.Helper()
		wctx, cancel := context.WithTimeout(ctx, wait)
		defer cancel()
		for {
			l, err := v.Next(wctx)
			if err != nil {
				t.Fatalf("waiting for %s: %v", what, err)
			}
			logs = append(logs, l.Text)
			if end(l.Text) {
				return l
			}
		}
	}
	ready := until("kioskd ready", func(s string) bool { return strings.Contains(s, "kioskd: ready") })
	t.Logf("kioskd ready %v after qemu started", ready.Time.Sub(booted).Round(100*time.Millisecond))
	if want := "board pi3b, 4 ports, start on insert"; !strings.Contains(ready.Text, want) {
		t.Errorf("kioskd says %q; want %q (the edited kiosk.toml)", ready.Text, want)
	}
	if Count(logs, "kioskd: kiosk disk mmcblk0:") != 1 {
		t.Errorf("kioskd did not take mmcblk0 for its disk")
	}

	// A Pi 3 B's sockets are ports of the hub at 1-1; qemu's raspi3b has
	// one root port: a hub there puts the stick where pi3b's port 1 is.
	path := pi3.Ports[0].Paths[0]
	port, ok := strings.CutPrefix(path, "1-")
	if !ok || !strings.HasPrefix(port, "1.") {
		t.Fatalf("pi3b's port 1 is %s; want a port of the hub at 1-1", path)
	}
	stickImg := stick(t, 64<<20, true)
	if err := v.PlugHub(ctx, "hub", ""); err != nil {
		t.Fatal(err)
	}
	plugged := time.Now()
	if err := v.PlugUSB(ctx, "stick", vm.Stick{Image: stickImg, Port: port}); err != nil {
		t.Fatal(err)
	}
	prefix := fmt.Sprintf("port %s: sda", pi3.Ports[0].Name)
	end := until("the stick's outcome", func(s string) bool {
		return strings.HasPrefix(s, prefix+": ") || (strings.HasPrefix(s, prefix+" ") && strings.Contains(s, ": refused: "))
	})
	t.Logf("stick written and verified %v after it was plugged", end.Time.Sub(plugged).Round(100*time.Millisecond))
	if !strings.Contains(end.Text, ": done: ") {
		t.Fatalf("the stick ended with %q; want done", end.Text)
	}
	if Count(logs, "safe to unplug") != 0 {
		t.Errorf("the kiosk shut down: it took the buttons held since boot for the shutdown gesture")
	}
	v.Close()

	hostCheck(t, f, stickImg)
	if n := markers(t, stickImg); n != 0 {
		t.Errorf("the stick holds %d donor markers; want none", n)
	}
	if after, err := Protected(img); err != nil {
		t.Error(err)
	} else if after != before {
		t.Errorf("the kiosk wrote to its boot or library partition")
	}
}

// bootFiles copies the named files out of the image's boot partition into
// dir and returns their paths by name.
func bootFiles(t *testing.T, img, dir string, names ...string) map[string]string {
	t.Helper()
	src, err := os.Open(img)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	st, err := src.Stat()
	if err != nil {
		t.Fatal(err)
	}
	vol, err := fat.OpenVolume(src, st.Size())
	if err != nil {
		t.Fatalf("fat.OpenVolume(%s) = %v", img, err)
	}
	paths := make(map[string]string)
	for _, name := range names {
		in, err := vol.Open(name)
		if err != nil {
			t.Fatalf("the boot partition: %v", err)
		}
		out := filepath.Join(dir, name)
		dst, err := os.Create(out)
		if err != nil {
			t.Fatal(err)
		}
		_, err = io.Copy(dst, in)
		in.Close()
		if cerr := dst.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			t.Fatalf("copy %s from the boot partition: %v", name, err)
		}
		paths[name] = out
	}
	return paths
}

// editConfig changes settings of the image's kiosk.toml (a copy at
// config) and puts it back on the boot partition with mtools, as a
// partner edits it on the card: each key's line must be there.
func editConfig(t *testing.T, img, config string, set map[string]string) {
	t.Helper()
	data, err := os.ReadFile(config)
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.Split(data, []byte("\n"))
	for key, value := range set {
		found := false
		for i, l := range lines {
			if bytes.HasPrefix(l, []byte(key+" = ")) {
				lines[i], found = []byte(key+" = "+value), true
			}
		}
		if !found {
			t.Fatalf("the image's %s has no line %q", images.ConfigFile, key+" = ")
		}
	}
	if err := os.WriteFile(config, bytes.Join(lines, []byte("\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	disk, err := os.Open(img)
	if err != nil {
		t.Fatal(err)
	}
	_, parts, err := fat.ReadMBR(disk)
	disk.Close()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("mcopy", "-o", "-i", fmt.Sprintf("%s@@%d", img, parts[0].Start*images.SectorSize), config, "::"+images.ConfigFile)
	cmd.Env = append(os.Environ(), "MTOOLS_SKIP_CHECK=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("mcopy %s onto the image: %v: %s", images.ConfigFile, err, out)
	}
}

// padToPowerOfTwo grows the image (sparsely) to the next power of two,
// the only sizes qemu takes for an SD card.
func padToPowerOfTwo(t *testing.T, img string) {
	t.Helper()
	st, err := os.Stat(img)
	if err != nil {
		t.Fatal(err)
	}
	size := int64(1) << bits.Len64(uint64(st.Size())-1)
	if err := os.Truncate(img, size); err != nil {
		t.Fatal(err)
	}
}
