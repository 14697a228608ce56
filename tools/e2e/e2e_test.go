package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"flashkiosk/firmware/library"
	"flashkiosk/hal/sim"
	"flashkiosk/images/toolchain"
	"flashkiosk/tools/fakedrive"
	"flashkiosk/tools/fakenbd"
	"flashkiosk/tools/vm"
)

// wait bounds each wait for the kiosk: software emulation on a shared
// 2-core machine is slow, and a kiosk that never gets there fails anyway.
const wait = 3 * time.Minute

// fixture is what every test shares: the kiosk build, a signed library
// and kioskctl, made once.
type fixture struct {
	dir      string
	build    Build
	lib, pub string
	kioskctl string
}

var shared = sync.OnceValues(func() (*fixture, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	dir, err := os.MkdirTemp("", "e2e")
	if err != nil {
		return nil, err
	}
	f := &fixture{dir: dir, kioskctl: filepath.Join(dir, "kioskctl")}
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", f.kioskctl, "flashkiosk/tools/cmd/kioskctl").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("build kioskctl: %v: %s", err, out)
	}
	if f.build, err = BuildKiosk(ctx, dir); err != nil {
		return nil, err
	}
	f.lib, f.pub, err = testLibrary(ctx, dir)
	return f, err
})

func TestMain(m *testing.M) {
	code := m.Run()
	if f, err := shared(); err == nil {
		os.RemoveAll(f.dir)
	}
	os.Exit(code)
}

func setup(t *testing.T) *fixture {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("the end-to-end tests need root (as CI runs them)")
	}
	f, err := shared()
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// koreanName is a file of the test library whose name must come through.
const koreanName = "대문.html"

// testLibrary builds a signed library of Korean and English files in two
// tiers, about 6 MB.
func testLibrary(ctx context.Context, dir string) (lib, pub string, err error) {
	src := filepath.Join(dir, "src")
	files := map[string][]byte{
		"위키백과/" + koreanName:    []byte("<h1>위키백과, 우리 모두의 백과사전</h1>"),
		"위키백과/자유.txt":           bytes.Repeat([]byte("자유 "), 100000),
		"wiki/Freedom.html":     bytes.Repeat([]byte("<p>freedom</p>"), 20000),
		"films/documentary.mp4": bytes.Repeat([]byte("frame "), 700000),
		"tiers.toml":            []byte("[[tier]]\nname = \"wiki\"\npaths = [\"위키백과/**\", \"wiki/**\"]\n[[tier]]\nname = \"films\"\npaths = [\"films/**\"]\n"),
	}
	for name, body := range files {
		p := filepath.Join(src, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return "", "", err
		}
		if err := os.WriteFile(p, body, 0o644); err != nil {
			return "", "", err
		}
	}
	lib = filepath.Join(dir, "library")
	pub, err = SignedLibrary(ctx, src, lib, library.BuildOptions{Name: "시험 라이브러리", Date: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)})
	return lib, pub, err
}

// baseConfig is kiosk.toml for the tests' small sticks.
const baseConfig = "board = \"vm\"\nmin_size = \"32MiB\"\nlabel = \"E2E TEST\"\n"

// booted is a kiosk under test.
type booted struct {
	*Kiosk
	t    *testing.T
	disk string
}

// boot writes a system disk with config, lib and pub and boots a kiosk
// from it; at cleanup it kills the VM and checks that the boot and library
// partitions were not written.
func boot(t *testing.T, f *fixture, config, lib, pub string) *booted {
	t.Helper()
	disk := filepath.Join(t.TempDir(), "system.img")
	ctx := context.Background()
	if _, err := SystemDisk(ctx, disk, lib, pub, []byte(config)); err != nil {
		t.Fatal(err)
	}
	return bootDisk(t, f, disk)
}

// bootDisk boots a kiosk from an existing system disk.
func bootDisk(t *testing.T, f *fixture, disk string) *booted {
	t.Helper()
	before, err := Protected(disk)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	k, err := Boot(ctx, Config{Build: f.build, Disk: disk})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	b := &booted{Kiosk: k, t: t, disk: disk}
	t.Cleanup(func() {
		b.Close()
		cancel()
		after, err := Protected(disk)
		if err != nil {
			t.Error(err)
		} else if after != before {
			t.Errorf("the kiosk wrote to its boot or library partition")
		}
		if t.Failed() {
			_, logs := k.Console.Snapshot()
			t.Logf("the kiosk's log:\n%s", strings.Join(logs, "\n"))
		}
	})
	b.until("kioskd ready", func(_ sim.View, logs []string) bool { return Count(logs, "kioskd: ready") > 0 })
	return b
}

func (b *booted) until(what string, ok func(v sim.View, logs []string) bool) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := b.Until(ctx, ok); err != nil {
		b.t.Fatalf("waiting for %s: %v", what, err)
	}
}

func (b *booted) press(button string) {
	b.t.Helper()
	if err := b.Press(button, 100*time.Millisecond); err != nil {
		b.t.Fatal(err)
	}
}

func (b *booted) plug(id string, s vm.Stick) {
	b.t.Helper()
	if err := b.VM.PlugUSB(context.Background(), id, s); err != nil {
		b.t.Fatal(err)
	}
}

func (b *booted) unplug(id string) {
	b.t.Helper()
	if err := b.VM.UnplugUSB(context.Background(), id); err != nil {
		b.t.Fatal(err)
	}
}

// shows waits until the LCD has a row starting with each of rows.
func (b *booted) shows(rows ...string) {
	b.t.Helper()
	b.until(fmt.Sprintf("the LCD to show %q", rows), func(v sim.View, _ []string) bool { return v.Has(rows...) })
}

func (b *booted) logged(s string, n int) {
	b.t.Helper()
	b.until(fmt.Sprintf("%d log lines with %q", n, s), func(_ sim.View, logs []string) bool { return Count(logs, s) >= n })
}

// stick makes a sparse stick image of size bytes; with donor set, it
// holds the marker at its start, middle and end.
func stick(t testing.TB, size int64, donor bool) string {
	t.Helper()
	img := filepath.Join(t.TempDir(), fmt.Sprintf("stick-%dM.img", size>>20))
	if err := vm.SparseImage(img, size); err != nil {
		t.Fatal(err)
	}
	if donor {
		if err := PlantDonor(img, 0, size/2, size-int64(len(DonorMarker))); err != nil {
			t.Fatal(err)
		}
	}
	return img
}

func markers(t *testing.T, img string) int {
	t.Helper()
	n, err := CountDonor(img)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func hash(t *testing.T, img string) string {
	t.Helper()
	h, err := HashFile(img)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// hostCheck checks a produced stick on the host as a partner would:
// kioskctl check against the library, fsck.fat on its partition, and
// mtools listing the Korean name.
func hostCheck(t *testing.T, f *fixture, img string) {
	t.Helper()
	hostCheckLib(t, f, f.lib, img)
}

// hostCheckLib is hostCheck against the library lib.
func hostCheckLib(t *testing.T, f *fixture, lib, img string) {
	t.Helper()
	if out, err := exec.Command(f.kioskctl, "check", "--library", lib, img).CombinedOutput(); err != nil {
		t.Errorf("kioskctl check %s: %v:\n%s", filepath.Base(img), err, out)
	}
	part := filepath.Join(t.TempDir(), "part.img")
	src, err := os.Open(img)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.Create(part)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, io.NewSectionReader(src, 1<<20, 1<<40)); err != nil {
		t.Fatal(err)
	}
	dst.Close()
	if out, err := exec.Command("fsck.fat", "-n", part).CombinedOutput(); err != nil {
		t.Errorf("fsck.fat -n %s: %v:\n%s", filepath.Base(img), err, out)
	}
	cmd := exec.Command("mdir", "-/", "-b", "-i", img+"@@1M", "::")
	cmd.Env = append(os.Environ(), "MTOOLS_SKIP_CHECK=1")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), koreanName) {
		t.Errorf("mdir -/ %s = %v:\n%s\nwant %s listed", filepath.Base(img), err, out, koreanName)
	}
}

// TestFourSticks plugs four sticks of different sizes, one holding donor
// data, presses GO once and waits for all four: each then passes
// kioskctl check, fsck.fat and mtools on the host, holds no donor data,
// and the journal counted four.
func TestFourSticks(t *testing.T) {
	f := setup(t)
	b := boot(t, f, baseConfig, f.lib, f.pub)
	sizes := []int64{64 << 20, 96 << 20, 128 << 20, 192 << 20}
	var imgs []string
	for i, size := range sizes {
		img := stick(t, size, i == 2)
		imgs = append(imgs, img)
		b.plug(fmt.Sprintf("s%d", i+1), vm.Stick{Image: img, Port: fmt.Sprint(i + 1)})
	}
	b.shows("P1 READY", "P2 READY", "P3 READY", "P4 READY")
	b.press("go")
	b.shows("P1 DONE", "P2 DONE", "P3 DONE", "P4 DONE")
	b.logged(": done: ", 4)
	// The kiosk armed qemu's i6300esb (15 s) and fed it: unfed, it would
	// have reset the VM, and qemu, run with -no-reboot, would have ended.
	b.logged("kioskd: watchdog /dev/watchdog armed, timeout 15s", 1)
	l, err := library.Open(f.lib)
	if err != nil {
		t.Fatal(err)
	}
	if st, err := b.VM.DiskStats(context.Background(), 0); err != nil || st.ReadBytes < l.Manifest.Total().Bytes {
		t.Errorf("the system disk served %+v, %v; want at least the library's %d bytes read", st, err, l.Manifest.Total().Bytes)
	}
	v, _ := b.Console.Snapshot()
	for i := 1; i <= 4; i++ {
		if !v.LEDs[fmt.Sprintf("%d.green", i)] || v.LEDs[fmt.Sprintf("%d.red", i)] {
			t.Errorf("port %d: green %v, red %v; want green only", i, v.LEDs[fmt.Sprintf("%d.green", i)], v.LEDs[fmt.Sprintf("%d.red", i)])
		}
	}
	for i := 1; i <= 4; i++ {
		b.unplug(fmt.Sprintf("s%d", i))
	}
	b.shows("CARD ") // the idle screen: every port empty
	b.Close()
	for _, img := range imgs {
		hostCheck(t, f, img)
		if n := markers(t, img); n != 0 {
			t.Errorf("%s holds %d donor markers; want none", filepath.Base(img), n)
		}
	}
	mountInGuest(t, f, imgs)
}

// TestRejects: a write-protected stick, a dying one and a fake one under
// fake = "reject" are each named on the panel, and nothing is written to
// the write-protected one.
func TestRejects(t *testing.T) {
	f := setup(t)
	b := boot(t, f, baseConfig+"fake = \"reject\"\n", f.lib, f.pub)
	ro := stick(t, 64<<20, true)
	roHash := hash(t, ro)
	const badSector = 40961 // 20 MiB + 512
	fake := fakeStick(t, 64<<20, 512<<20)

	b.plug("ro", vm.Stick{Image: ro, Port: "1", ReadOnly: true})
	b.plug("bad", vm.Stick{Image: stick(t, 64<<20, false), Port: "2", FailSectors: []int64{badSector}})
	b.plug("fake", vm.Stick{NBD: fake, Port: "3"})
	b.shows("P1 WRITE-PROT", "P2 READY", "P3 READY")
	b.press("go")
	b.shows("P1 WRITE-PROT", "P2 IO ERR", "P3 FAKE")
	b.logged(fmt.Sprint(badSector*512), 1)
	v, logs := b.Console.Snapshot()
	if !v.LEDs["2.red"] || v.LEDs["2.green"] {
		t.Errorf("port 2 (I/O error): red %v green %v; want red only", v.LEDs["2.red"], v.LEDs["2.green"])
	}
	for _, l := range logs {
		if strings.HasPrefix(l, "port 1: ") && strings.Contains(l, ": job started") {
			t.Errorf("a job ran on the write-protected stick: %s", l)
		}
	}
	b.Close()
	if h := hash(t, ro); h != roHash {
		t.Errorf("the write-protected stick changed")
	}
}

// TestFakeUseReal: with fake = "use-real" a fake stick is written to its
// real capacity and then holds the library.
func TestFakeUseReal(t *testing.T) {
	f := setup(t)
	b := boot(t, f, baseConfig+"fake = \"use-real\"\n", f.lib, f.pub)
	backing := filepath.Join(t.TempDir(), "real.img")
	sock := fakeStickFile(t, backing, 64<<20, 512<<20)
	b.plug("fake", vm.Stick{NBD: sock, Port: "1"})
	b.shows("P1 READY")
	b.press("go")
	b.shows("P1 DONE")
	b.logged("(wrap-around)", 1)
	b.Close()
	hostCheck(t, f, backing)
}

// TestSlowBesideFast: a throttled stick does not hold up a fast one.
func TestSlowBesideFast(t *testing.T) {
	f := setup(t)
	b := boot(t, f, baseConfig, f.lib, f.pub)
	b.plug("slow", vm.Stick{Image: stick(t, 64<<20, false), Port: "1", Throttle: 2 << 20})
	b.plug("fast", vm.Stick{Image: stick(t, 64<<20, false), Port: "2"})
	b.shows("P1 READY", "P2 READY")
	b.press("go")
	b.shows("P2 DONE")
	v, _ := b.Console.Snapshot()
	if v.Has("P1 DONE") {
		t.Errorf("the slow stick (2 MB/s, 64 MiB to write and read) finished no later than the fast one: %q", v.LCD)
	}
	if !v.Has("P1 W") && !v.Has("P1 V") && !v.Has("P1 CHECK") {
		t.Errorf("the slow stick is not being worked on when the fast one is done: %q", v.LCD)
	}
}

// TestPull pulls one stick while it is written and one while it is
// verified: both are named removed, a third stick finishes, and a pulled
// stick put back in is written.
func TestPull(t *testing.T) {
	f := setup(t)
	b := boot(t, f, baseConfig, f.lib, f.pub)
	a, c := stick(t, 64<<20, false), stick(t, 64<<20, false)
	b.plug("a", vm.Stick{Image: a, Port: "1", Throttle: 8 << 20})
	b.plug("b", vm.Stick{Image: stick(t, 64<<20, false), Port: "2", Throttle: 8 << 20})
	b.plug("c", vm.Stick{Image: c, Port: "3", Throttle: 4 << 20})
	b.shows("P1 READY", "P2 READY", "P3 READY")
	b.press("go")
	b.shows("P1 W")
	b.unplug("a")
	b.shows("P1 REMOVED")
	b.shows("P2 V")
	b.unplug("b")
	b.shows("P2 REMOVED")
	b.shows("P3 DONE")
	b.plug("a2", vm.Stick{Image: a, Port: "1"})
	b.shows("P1 READY")
	b.press("go")
	b.shows("P1 DONE")
	b.Close()
	hostCheck(t, f, a)
	hostCheck(t, f, c)
}

// TestBadLibrary: a card whose library lost its signature, and one whose
// manifest was changed after signing (both done to the card with mtools,
// as someone with a PC could), stop the kiosk, which says so and writes
// nothing.
func TestBadLibrary(t *testing.T) {
	f := setup(t)
	tests := []struct {
		name   string
		spoil  func(t *testing.T, lib string) // lib is "image@@offset" for mtools
		reason string
	}{
		{"unsigned", func(t *testing.T, lib string) {
			mtools(t, "mdel", "-i", lib, "::"+library.SignatureFile)
		}, "not signed"},
		{"tampered manifest", func(t *testing.T, lib string) {
			b, err := os.ReadFile(filepath.Join(f.lib, library.ManifestFile))
			if err != nil {
				t.Fatal(err)
			}
			spoiled := filepath.Join(t.TempDir(), library.ManifestFile)
			if err := os.WriteFile(spoiled, bytes.Replace(b, []byte("시험 라이브러리"), []byte("시험 라이브러라"), 1), 0o644); err != nil {
				t.Fatal(err)
			}
			mtools(t, "mcopy", "-o", "-i", lib, spoiled, "::"+library.ManifestFile)
		}, "does not match manifest.json"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			disk := filepath.Join(t.TempDir(), "system.img")
			w, err := SystemDisk(context.Background(), disk, f.lib, f.pub, []byte(baseConfig))
			if err != nil {
				t.Fatal(err)
			}
			tc.spoil(t, fmt.Sprintf("%s@@%d", disk, w.Partitions[1].Start*512))
			b := bootDisk(t, f, disk)
			img := stick(t, 64<<20, true)
			before := hash(t, img)
			b.plug("s", vm.Stick{Image: img, Port: "1"})
			b.until("the refusal", func(v sim.View, logs []string) bool {
				return strings.Contains(strings.Join(v.LCD, "|"), "LIBRARY BAD SIG") && Count(logs, tc.reason) > 0 && Count(logs, "drive added: sda") > 0
			})
			b.press("go")
			b.press("go")
			time.Sleep(2 * time.Second) // a wrong start would be under way by now
			b.Close()
			if after := hash(t, img); after != before {
				t.Errorf("the stick was written although the library is %s", tc.name)
			}
		})
	}
}

func mtools(t testing.TB, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), "MTOOLS_SKIP_CHECK=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v: %s", name, strings.Join(args, " "), err, out)
	}
}

// TestPowerCut kills the VM while a stick is written: after the reboot
// the journal still holds the drive done before, and the stick is
// written again.
func TestPowerCut(t *testing.T) {
	f := setup(t)
	disk := filepath.Join(t.TempDir(), "system.img")
	if _, err := SystemDisk(context.Background(), disk, f.lib, f.pub, []byte(baseConfig)); err != nil {
		t.Fatal(err)
	}
	cut := stick(t, 64<<20, false)
	b := bootDisk(t, f, disk)
	b.plug("first", vm.Stick{Image: stick(t, 64<<20, false), Port: "1"})
	b.shows("P1 READY")
	b.press("go")
	b.shows("P1 DONE")
	b.plug("cut", vm.Stick{Image: cut, Port: "2", Throttle: 4 << 20})
	b.shows("P2 READY")
	b.press("go")
	b.shows("P2 W")
	b.Close() // the power cut

	b2 := bootDisk(t, f, disk)
	b2.logged("boot 2, 1 done", 1)
	b2.plug("cut", vm.Stick{Image: cut, Port: "2"})
	b2.shows("P2 READY")
	b2.press("go")
	b2.shows("P2 DONE")
	b2.Close()
	hostCheck(t, f, cut)
}

// fakeStick serves a fake stick of real bytes claiming claimed over NBD
// and returns its socket; writes past the real size wrap around.
func fakeStick(t *testing.T, real, claimed int64) string {
	t.Helper()
	return fakeStickFile(t, filepath.Join(t.TempDir(), "real.img"), real, claimed)
}

// fakeStickFile is fakeStick with its backing file at backing.
func fakeStickFile(t *testing.T, backing string, real, claimed int64) string {
	t.Helper()
	if err := vm.SparseImage(backing, real); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	sock := filepath.Join(t.TempDir(), "nbd.sock")
	srv, err := fakenbd.Start(ctx, sock, fakenbd.Config{File: backing, Claimed: claimed, Mode: fakedrive.Wrap})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		srv.Close()
		cancel()
	})
	return sock
}

// mountInGuest mounts each stick image's partition with the guest kernel's
// vfat driver (virtio disks of a small test VM) and checks that the
// Korean name of the library lists.
func mountInGuest(t *testing.T, f *fixture, imgs []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	initrd := filepath.Join(t.TempDir(), "vfatls.cpio")
	if err := toolchain.BuildInitramfs(ctx, initrd, toolchain.Initramfs{Arch: "arm64", Uinit: []string{"./tools/e2e/testdata/vfatls"}}); err != nil {
		t.Fatal(err)
	}
	var disks []vm.Disk
	for _, img := range imgs {
		disks = append(disks, vm.Disk{Path: img, ReadOnly: true})
	}
	v, err := vm.Start(ctx, vm.Config{Kernel: f.build.Kernel, Initrd: initrd, Disks: disks})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	found := map[string]bool{}
	for {
		l, err := v.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if l.Text == "DONE" {
			break
		}
		fields := strings.SplitN(l.Text, " ", 3)
		switch {
		case fields[0] == "FAIL":
			t.Errorf("guest: %s", l.Text)
		case fields[0] == "FILE" && len(fields) == 3 && fields[2] == "위키백과/"+koreanName:
			found[fields[1]] = true
		}
	}
	if len(found) != len(imgs) {
		t.Errorf("the guest's vfat listed 위키백과/%s on %d of %d sticks (%v)", koreanName, len(found), len(imgs), found)
	}
}

// TestBadConfig: a mistake in the card's kiosk.toml is named with its line
// on the serial console and shortened on the LCD, and no stick is written.
func TestBadConfig(t *testing.T) {
	f := setup(t)
	b := boot(t, f, baseConfig+"fill = \"blue\"\n", f.lib, f.pub)
	img := stick(t, 64<<20, true)
	before := hash(t, img)
	b.plug("s", vm.Stick{Image: img, Port: "1"})
	b.until("the config error", func(v sim.View, logs []string) bool {
		return strings.Contains(strings.Join(v.LCD, "|"), "CFG L4 fill") && Count(logs, "kiosk.toml (/dev/vda1):4: fill:") > 0 &&
			Count(logs, "drive added: sda") > 0
	})
	b.press("go")
	time.Sleep(2 * time.Second) // a wrong start would be under way by now
	b.Close()
	if after := hash(t, img); after != before {
		t.Errorf("the stick was written although kiosk.toml is bad")
	}
}

// TestShutdown holds GO and INFO for five seconds: the kiosk ends, says it
// is safe to unplug and puts every LED out; the journal it closed opens at
// the next boot with the drive it recorded.
func TestShutdown(t *testing.T) {
	f := setup(t)
	disk := filepath.Join(t.TempDir(), "system.img")
	if _, err := SystemDisk(context.Background(), disk, f.lib, f.pub, []byte(baseConfig)); err != nil {
		t.Fatal(err)
	}
	b := bootDisk(t, f, disk)
	b.plug("s", vm.Stick{Image: stick(t, 64<<20, false), Port: "1"})
	b.shows("P1 READY")
	b.press("go")
	b.shows("P1 DONE")
	on, off := true, false
	for _, m := range []sim.Message{{Button: "go", Pressed: &on}, {Button: "info", Pressed: &on}} {
		if err := b.VM.Send(strings.TrimSpace(string(sim.Encode(m)))); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(5500 * time.Millisecond)
	for _, m := range []sim.Message{{Button: "go", Pressed: &off}, {Button: "info", Pressed: &off}} {
		if err := b.VM.Send(strings.TrimSpace(string(sim.Encode(m)))); err != nil {
			t.Fatal(err)
		}
	}
	b.logged("kioskd: shut down: safe to unplug", 1)
	b.until("every LED out", func(v sim.View, _ []string) bool {
		for _, lit := range v.LEDs {
			if lit {
				return false
			}
		}
		return len(v.LEDs) > 0
	})
	b.Close()

	b2 := bootDisk(t, f, disk)
	b2.logged("boot 2, 1 done, 0 failed", 1)
}

// TestTamperedContent: a library file changed on the card after signing
// (same size, other bytes) is caught while it streams: the stick fails
// with the library named, and is never reported done.
func TestTamperedContent(t *testing.T) {
	f := setup(t)
	disk := filepath.Join(t.TempDir(), "system.img")
	w, err := SystemDisk(context.Background(), disk, f.lib, f.pub, []byte(baseConfig))
	if err != nil {
		t.Fatal(err)
	}
	name := filepath.Join(f.lib, library.ContentDir, "wiki", "Freedom.html")
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	spoiled := filepath.Join(t.TempDir(), "Freedom.html")
	if err := os.WriteFile(spoiled, bytes.Replace(b, []byte("freedom"), []byte("FREEDOM"), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	mtools(t, "mcopy", "-o", "-i", fmt.Sprintf("%s@@%d", disk, w.Partitions[1].Start*512), spoiled, "::"+library.ContentDir+"/wiki/Freedom.html")
	k := bootDisk(t, f, disk)
	k.plug("s", vm.Stick{Image: stick(t, 64<<20, false), Port: "1"})
	k.shows("P1 READY")
	k.press("go")
	k.shows("P1 LIBRARY ERR")
	k.logged("wiki/Freedom.html", 1)
	_, logs := k.Console.Snapshot()
	if Count(logs, ": done: ") != 0 {
		t.Errorf("a stick was reported done from a tampered library")
	}
}
