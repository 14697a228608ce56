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
	"sync"
	"testing"
	"time"

	"flashkiosk/board"
	"flashkiosk/firmware/fat"
	"flashkiosk/images"
	"flashkiosk/tools/vm"
)

// piBoard is the config.txt section name of the board qemu's raspi3b is.
const piBoard = "pi3"

// pi is the Pi image, written once for the Pi tests, each of which boots
// a copy (the kiosk writes its journal).
var pi struct {
	once sync.Once
	img  string
	err  error
}

// piImage returns a new copy of the Pi image: images.WritePi with the
// initramfs the other tests boot; kiosk.toml changed as a partner would
// on the card (drives start on insert, small test sticks pass, the board
// stays "auto"); padded to a power of two for qemu's SD card.
func piImage(t *testing.T, f *fixture) string {
	t.Helper()
	pi.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		img := filepath.Join(f.dir, "flashkiosk-rpi.img")
		start := time.Now()
		if _, err := images.WritePi(ctx, img, images.Pi{Library: f.lib, PublicKey: f.pub, Initramfs: f.build.Initrd}); err != nil {
			pi.err = err
			return
		}
		set := map[string]string{"start": `"insert"`, "min_size": `"32MiB"`}
		if pi.err = editConfig(img, set); pi.err != nil {
			return
		}
		pi.img, pi.err = img, padToPowerOfTwo(img)
		t.Logf("Pi image written in %v", time.Since(start).Round(100*time.Millisecond))
	})
	if pi.err != nil {
		t.Fatal(pi.err)
	}
	img := filepath.Join(t.TempDir(), "flashkiosk-rpi.img")
	if out, err := exec.Command("cp", "--sparse=always", pi.img, img).CombinedOutput(); err != nil {
		t.Fatalf("copy the Pi image: %v: %s", err, out)
	}
	return img
}

// piVM is a Pi image booted in qemu's raspi3b.
type piVM struct {
	*vm.VM
	t       *testing.T
	fw      vm.PiBoot
	started time.Time
	logs    []string
}

// bootPi boots img as the Pi's firmware would: the kernel, initramfs,
// device tree and command line come from the image's boot partition
// through vm.PiFirmware, the console is the mini UART cmdline.txt names.
// With late set, the SD slot is empty at power-on: put img in with
// InsertSD. The emulation-only changes are vm's raspi3b quirks; the
// Bluetooth device the Pi 3 B's DTB puts on the PL011 is left
// in: with the console on the mini UART it is in no one's way.
func bootPi(t *testing.T, ctx context.Context, img string, late bool) *piVM {
	t.Helper()
	disk, err := os.Open(img)
	if err != nil {
		t.Fatal(err)
	}
	defer disk.Close()
	st, err := disk.Stat()
	if err != nil {
		t.Fatal(err)
	}
	vol, err := fat.OpenVolume(disk, st.Size())
	if err != nil {
		t.Fatalf("fat.OpenVolume(%s) = %v", img, err)
	}
	fw, err := vm.PiFirmware(vol, piBoard, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range fw.Skipped {
		t.Logf("config.txt: for other boards, not emulated: %s", l)
	}
	cfg := vm.Config{Machine: "raspi3b", Kernel: fw.Kernel, DTB: fw.DTB, Initrd: fw.Initrd, Cmdline: fw.Cmdline, MiniUART: true}
	if late {
		cfg.EmptySD = true
	} else {
		cfg.Disks = []vm.Disk{{Path: img}}
	}
	p := &piVM{t: t, fw: fw, started: time.Now()}
	if p.VM, err = vm.Start(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.Close()
		if t.Failed() {
			t.Logf("the Pi's command line: %s\nits console:\n%s", fw.Cmdline, strings.Join(p.logs, "\n"))
		}
	})
	return p
}

// until reads console lines into logs up to the first for which end
// holds, and returns it. A kernel panic fails at once: without the
// watchdog's driver the Pi cannot restart, and would hang.
func (p *piVM) until(what string, end func(string) bool) vm.Line {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	for {
		l, err := p.Next(ctx)
		if err != nil {
			p.t.Fatalf("waiting for %s: %v", what, err)
		}
		p.logs = append(p.logs, l.Text)
		if strings.Contains(l.Text, "Kernel panic") {
			p.t.Fatalf("waiting for %s: %s", what, l.Text)
		}
		if end(l.Text) {
			return l
		}
	}
}

func (p *piVM) untilLine(s string) vm.Line {
	p.t.Helper()
	return p.until(fmt.Sprintf("%q", s), func(l string) bool { return strings.Contains(l, s) })
}

// ready waits for kioskd to be ready and checks how it says it came up:
// the board found from the device tree's model, the LCD looked for on
// I2C bus 1 (there only with config.txt's dtparam=i2c_arm=on applied).
// qemu 7.2 has no model of the BCM2835's I2C controller: each of the 16
// addresses the kiosk probes for the LCD times out after 1 s, where a Pi
// without a display gets 16 quick NACKs; either way there is none.
func (p *piVM) ready() {
	p.t.Helper()
	ready := p.untilLine("kioskd: ready")
	p.t.Logf("kioskd ready %v after qemu started", ready.Time.Sub(p.started).Round(100*time.Millisecond))
	if want := "board pi3b, 4 ports, start on insert"; !strings.Contains(ready.Text, want) {
		p.t.Errorf("kioskd says %q; want %q (the edited kiosk.toml)", ready.Text, want)
	}
	if !strings.HasPrefix(p.fw.Model, "Raspberry Pi 3 Model B") {
		p.t.Fatalf("the firmware's model is %q; want a Raspberry Pi 3 Model B", p.fw.Model)
	}
	for _, want := range []string{
		"kioskd: board pi3b (auto: this is a " + p.fw.Model + ")",
		"kioskd: kiosk disk mmcblk0:",
		"open display on I2C bus 1:",
		// The GPIO chip kioskd waits for; qemu models the BCM2835's GPIO.
		"panel: GPIO gpiochip0 (pinctrl-bcm2835, 54 lines) at /dev/gpiochip0",
		// dtparam=i2c_arm=on made /dev/i2c-1, but qemu 7.2 has no model of
		// the I2C controller behind it: the first probe times out, which
		// ends the probe, and the kiosk runs without a display.
		"connection timed out",
		"panel: NO DISPLAY",
	} {
		if Count(p.logs, want) != 1 {
			p.t.Errorf("the console says %q %d times; want once", want, Count(p.logs, want))
		}
	}
}

// writeStick plugs a stick holding donor data where a Pi 3 B's first USB
// socket is and waits until the kiosk has written and verified it; it
// returns the stick's image. With master not "", that image is plugged
// first, where the second socket is, and must be taken as a master drive
// whose library the kiosk uses.
func (p *piVM) writeStick(master string) string {
	p.t.Helper()
	pi3, ok := board.Lookup("pi3b")
	if !ok {
		p.t.Fatal(`board.Lookup("pi3b") found no profile`)
	}
	// A Pi 3 B's sockets are ports of the hub at 1-1; qemu's raspi3b has
	// one root port: a hub there puts the stick where pi3b's port 1 is.
	path := pi3.Ports[0].Paths[0]
	port, ok := strings.CutPrefix(path, "1-")
	if !ok || !strings.HasPrefix(port, "1.") {
		p.t.Fatalf("pi3b's port 1 is %s; want a port of the hub at 1-1", path)
	}
	img := stick(p.t, 64<<20, true)
	ctx := context.Background()
	if err := p.PlugHub(ctx, "hub", ""); err != nil {
		p.t.Fatal(err)
	}
	if master != "" {
		second, _ := strings.CutPrefix(pi3.Ports[1].Paths[0], "1-")
		plugged := time.Now()
		if err := p.PlugUSB(ctx, "master", vm.Stick{Image: master, Port: second}); err != nil {
			p.t.Fatal(err)
		}
		m := p.until("the master drive's check", func(s string) bool { return strings.Contains(s, ": master drive") })
		p.t.Logf("master drive mounted and opened %v after it was plugged: %s", m.Time.Sub(plugged).Round(100*time.Millisecond), m.Text)
		if !strings.Contains(m.Text, ": master drive: library ") || strings.Contains(m.Text, "DAMAGED") {
			p.t.Fatalf("the master drive: %q; want its library used", m.Text)
		}
	}
	plugged := time.Now()
	if err := p.PlugUSB(ctx, "stick", vm.Stick{Image: img, Port: port}); err != nil {
		p.t.Fatal(err)
	}
	added := p.until("the stick found", func(s string) bool {
		return strings.HasPrefix(s, "drive added: ") && strings.Contains(s, fmt.Sprintf(", port %s,", pi3.Ports[0].Name))
	})
	name, _, _ := strings.Cut(strings.TrimPrefix(added.Text, "drive added: "), " ")
	prefix := fmt.Sprintf("port %s: %s", pi3.Ports[0].Name, name)
	end := p.until("the stick's outcome", func(s string) bool {
		return strings.HasPrefix(s, prefix+": ") || (strings.HasPrefix(s, prefix+" ") && strings.Contains(s, ": refused: "))
	})
	p.t.Logf("stick written and verified %v after it was plugged", end.Time.Sub(plugged).Round(100*time.Millisecond))
	if !strings.Contains(end.Text, ": done: ") {
		p.t.Fatalf("the stick ended with %q; want done", end.Text)
	}
	return img
}

// checkAfter checks, once the Pi is off, the stick it wrote (against the
// library lib) and that it left its card's boot and library partitions as
// they were.
func checkAfter(t *testing.T, f *fixture, lib, stickImg, card, before string) {
	t.Helper()
	hostCheckLib(t, f, lib, stickImg)
	if n := markers(t, stickImg); n != 0 {
		t.Errorf("the stick holds %d donor markers; want none", n)
	}
	if after, err := Protected(card); err != nil {
		t.Error(err)
	} else if after != before {
		t.Errorf("the kiosk wrote to its boot or library partition")
	}
}

// TestPi is the smoke test of the real Raspberry Pi image: written by
// images.WritePi, kiosk.toml edited on the card (piImage), booted in qemu's
// raspi3b as the Pi's firmware boots it (bootPi) with the image as the SD
// card. kioskd must take the board from the device tree, find its disk
// as mmcblk0, and write and verify a stick hot-plugged where a Pi 3 B's
// first USB socket is, from a newer library on a master drive formatted
// exFAT in the second socket: mounted by the Pi's own kernel, which has
// exFAT (the VM's has not), Korean names and all.
func TestPi(t *testing.T) {
	f := setup(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	masterLib := trustedLibrary(t, f, "exfat master", "2026-12-01", 0)
	master := exfatMaster(t, masterLib, 64<<20)
	masterHash := hash(t, master)
	img := piImage(t, f)
	before, err := Protected(img)
	if err != nil {
		t.Fatal(err)
	}
	p := bootPi(t, ctx, img, false)
	// qemu ignores pull-ups, so the GO and INFO buttons read held from
	// the start, like a stuck pair: the kiosk must ignore them (not take
	// them for the shutdown gesture) and, in insert mode, work on.
	p.ready()
	if Count(p.logs, "no kiosk disk yet") != 0 {
		t.Errorf("kioskd waited for its disk, in the slot since power-on")
	}
	stickImg := p.writeStick(master)
	if Count(p.logs, "safe to unplug") != 0 {
		t.Errorf("the kiosk shut down: it took the buttons held since boot for the shutdown gesture")
	}
	if Count(p.logs, `job started: writing library "exfat master" of 2026-12-01 on master drive`) != 1 {
		t.Errorf("the stick was not written from the exFAT master drive's library")
	}
	p.Close()
	checkAfter(t, f, masterLib, stickImg, img, before)
	if hash(t, master) != masterHash {
		t.Errorf("the exFAT master drive was written")
	}
}

// TestPiLateCard powers the Pi on with its SD slot empty and inserts the
// card about 5 s after kioskd starts waiting for it: kioskd must find it
// when the kernel does, come up ready and write and verify a stick.
func TestPiLateCard(t *testing.T) {
	f := setup(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	img := piImage(t, f)
	before, err := Protected(img)
	if err != nil {
		t.Fatal(err)
	}
	p := bootPi(t, ctx, img, true)
	waiting := p.untilLine("kioskd: no kiosk disk yet: waiting up to 30s for it")
	t.Logf("kioskd waits for its disk %v after qemu started", waiting.Time.Sub(p.started).Round(100*time.Millisecond))
	select {
	case <-time.After(5 * time.Second):
	case <-ctx.Done():
		t.Fatal(ctx.Err())
	}
	inserted := time.Now()
	if err := p.InsertSD(ctx, vm.Disk{Path: img}); err != nil {
		t.Fatal(err)
	}
	found := p.untilLine("kioskd: kiosk disk mmcblk0 appeared after ")
	t.Logf("kioskd found the card %v after it was inserted (%s)", found.Time.Sub(inserted).Round(100*time.Millisecond),
		strings.TrimPrefix(found.Text, "kioskd: "))
	p.ready()
	stickImg := p.writeStick("")
	p.Close()
	checkAfter(t, f, f.lib, stickImg, img, before)
}

// editConfig changes settings of the image's kiosk.toml (each key's line
// must be there) and puts it back on the boot partition with mtools, as a
// partner edits it on the card.
func editConfig(img string, set map[string]string) error {
	disk, err := os.Open(img)
	if err != nil {
		return err
	}
	defer disk.Close()
	st, err := disk.Stat()
	if err != nil {
		return err
	}
	vol, err := fat.OpenVolume(disk, st.Size())
	if err != nil {
		return fmt.Errorf("fat.OpenVolume(%s) = %w", img, err)
	}
	in, err := vol.Open(images.ConfigFile)
	if err != nil {
		return fmt.Errorf("the boot partition: %w", err)
	}
	data, err := io.ReadAll(in)
	in.Close()
	if err != nil {
		return fmt.Errorf("read %s: %w", images.ConfigFile, err)
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
			return fmt.Errorf("the image's %s has no line %q", images.ConfigFile, key+" = ")
		}
	}
	config := filepath.Join(filepath.Dir(img), images.ConfigFile)
	if err := os.WriteFile(config, bytes.Join(lines, []byte("\n")), 0o644); err != nil {
		return err
	}
	defer os.Remove(config)
	_, parts, err := fat.ReadMBR(disk)
	if err != nil {
		return err
	}
	cmd := exec.Command("mcopy", "-o", "-i", fmt.Sprintf("%s@@%d", img, parts[0].Start*images.SectorSize), config, "::"+images.ConfigFile)
	cmd.Env = append(os.Environ(), "MTOOLS_SKIP_CHECK=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("mcopy %s onto the image: %v: %s", images.ConfigFile, err, out)
	}
	return nil
}

// padToPowerOfTwo grows the image (sparsely) to the next power of two,
// the only sizes qemu takes for an SD card.
func padToPowerOfTwo(img string) error {
	st, err := os.Stat(img)
	if err != nil {
		return err
	}
	return os.Truncate(img, int64(1)<<bits.Len64(uint64(st.Size())-1))
}
