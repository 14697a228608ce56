package e2e

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"flashkiosk/firmware/library"
	"flashkiosk/hal/sim"
	"flashkiosk/tools/vm"
)

// Bench sticks: throttled so that the stick, not software emulation, is
// the limit, as on a real kiosk where USB sticks are the slow part.
const (
	benchStick    = 48 << 20
	benchThrottle = 4 << 20 // bytes a second, reads and writes together
	benchLibrary  = 24 << 20
)

// BenchmarkFourSticks measures, in the real kiosk in qemu, four throttled
// sticks written at once against one alone:
//   - parallel-efficiency: aggregate throughput of the four divided by four
//     times the throughput of one (target at least 0.9);
//   - library-read-ratio: bytes read from the system disk while the four
//     ran, divided by the library bytes written to one stick (target at
//     most 1.2: the library is read once for all four, not four times).
//
// The four run first, on a cold page cache, so the read ratio counts
// every read the disk served.
func BenchmarkFourSticks(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Fatal("the end-to-end benchmark needs root (as CI runs it)")
	}
	f, err := shared()
	if err != nil {
		b.Fatal(err)
	}
	lib, pub, err := benchLibraryDir(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	for range b.N {
		eff, ratio, one, four := fourSticks(b, f, lib, pub)
		b.ReportMetric(eff, "parallel-efficiency")
		b.ReportMetric(ratio, "library-read-ratio")
		b.ReportMetric(one, "MB/s-one")
		b.ReportMetric(four, "MB/s-four")
	}
}

func fourSticks(b *testing.B, f *fixture, lib, pub string) (eff, ratio, one, four float64) {
	dir := b.TempDir()
	disk := filepath.Join(dir, "system.img")
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	if _, err := SystemDisk(ctx, disk, lib, pub, []byte(baseConfig)); err != nil {
		b.Fatal(err)
	}
	k, err := Boot(ctx, Config{Build: f.build, Disk: disk})
	if err != nil {
		b.Fatal(err)
	}
	defer k.Close()
	wait := func(what string, ok func(v sim.View, logs []string) bool) {
		if err := k.Until(ctx, ok); err != nil {
			b.Fatalf("waiting for %s: %v", what, err)
		}
	}
	wait("kioskd ready", func(_ sim.View, logs []string) bool { return Count(logs, "kioskd: ready") > 0 })
	plug := func(id, port string) {
		img := filepath.Join(dir, id+".img")
		if err := vm.SparseImage(img, benchStick); err != nil {
			b.Fatal(err)
		}
		if err := k.VM.PlugUSB(ctx, id, vm.Stick{Image: img, Port: port, Throttle: benchThrottle}); err != nil {
			b.Fatal(err)
		}
	}
	run := func(ports ...string) time.Duration {
		var ready, done []string
		for _, p := range ports {
			ready, done = append(ready, "P"+p+" READY"), append(done, "P"+p+" DONE")
		}
		wait(fmt.Sprint(ready), func(v sim.View, _ []string) bool { return v.Has(ready...) })
		start := time.Now()
		if err := k.Press("go", 100*time.Millisecond); err != nil {
			b.Fatal(err)
		}
		wait(fmt.Sprint(done), func(v sim.View, _ []string) bool { return v.Has(done...) })
		return time.Since(start)
	}

	before, err := k.VM.DiskStats(ctx, 0)
	if err != nil {
		b.Fatal(err)
	}
	for i, p := range []string{"1", "2", "3", "4"} {
		plug(fmt.Sprintf("four%d", i), p)
	}
	t4 := run("1", "2", "3", "4")
	after, err := k.VM.DiskStats(ctx, 0)
	if err != nil {
		b.Fatal(err)
	}
	for i := range 4 {
		if err := k.VM.UnplugUSB(ctx, fmt.Sprintf("four%d", i)); err != nil {
			b.Fatal(err)
		}
	}
	wait("empty ports", func(v sim.View, _ []string) bool { return v.Has("CARD ") }) // the idle screen
	plug("one", "1")
	t1 := run("1")

	l, err := library.Open(lib)
	if err != nil {
		b.Fatal(err)
	}
	libBytes := l.Manifest.Total().Bytes
	const moved = 2 * benchStick // written, then read back
	one = float64(moved) / t1.Seconds() / 1e6
	four = 4 * float64(moved) / t4.Seconds() / 1e6
	eff = four / (4 * one)
	ratio = float64(after.ReadBytes-before.ReadBytes) / float64(libBytes)
	b.Logf("one stick: %v (%.2f MB/s); four sticks: %v (%.2f MB/s together); parallel efficiency %.3f (target >= 0.9)", t1.Round(time.Millisecond), one, t4.Round(time.Millisecond), four, eff)
	b.Logf("library %d bytes; the system disk served %d bytes while the four ran: ratio %.3f (target <= 1.2)", libBytes, after.ReadBytes-before.ReadBytes, ratio)
	return eff, ratio, one, four
}

// benchLibraryDir builds a signed library of benchLibrary bytes of
// incompressible files in one tier, so it fills most of a bench stick.
func benchLibraryDir(dir string) (lib, pub string, err error) {
	src := filepath.Join(dir, "src")
	if err := os.MkdirAll(src, 0o755); err != nil {
		return "", "", err
	}
	rng := rand.NewChaCha8([32]byte{'b', 'e', 'n', 'c', 'h'})
	for i := range 3 {
		f, err := os.Create(filepath.Join(src, fmt.Sprintf("film%d.mp4", i)))
		if err != nil {
			return "", "", err
		}
		_, err = io.CopyN(f, rng, benchLibrary/3)
		f.Close()
		if err != nil {
			return "", "", err
		}
	}
	lib = filepath.Join(dir, "library")
	pub, err = SignedLibrary(context.Background(), src, lib, library.BuildOptions{Name: "bench", Date: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)})
	return lib, pub, err
}
