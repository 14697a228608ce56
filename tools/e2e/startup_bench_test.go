package e2e

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"flashkiosk/firmware/library"
	"flashkiosk/hal/sim"
	"flashkiosk/tools/libgen"
)

// startupFiles is the size of the encyclopedia BenchmarkStartup loads.
const startupFiles = 100000

// BenchmarkStartup measures, in the real kiosk in qemu (software
// emulation, slower than a Pi 4), how long kioskd takes to load its
// library from the system disk: from the log line before the library is
// opened to the one after its manifest, signature and every file's size
// were checked, and from boot to ready. It does so for the bench's library
// of three films and for an encyclopedia of 100,000 small files
// (tools/libgen), whose difference is the cost of the files' number.
func BenchmarkStartup(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Fatal("the end-to-end benchmark needs root (as CI runs it)")
	}
	f, err := shared()
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	films, filmsPub, err := benchLibraryDir(filepath.Join(dir, "films"))
	if err != nil {
		b.Fatal(err)
	}
	wiki, wikiPub := encyclopedia(b, dir)
	for range b.N {
		load, ready := startup(b, f, filepath.Join(dir, "films.img"), films, filmsPub)
		b.ReportMetric(load.Seconds(), "s-load-films")
		b.ReportMetric(ready.Seconds(), "s-ready-films")
		load, ready = startup(b, f, filepath.Join(dir, "wiki.img"), wiki, wikiPub)
		b.ReportMetric(load.Seconds(), "s-load-100k-files")
		b.ReportMetric(ready.Seconds(), "s-ready-100k-files")
	}
}

// encyclopedia builds in dir a signed library of startupFiles small files
// (tools/libgen, a fixed seed) and returns it with its public key.
func encyclopedia(b *testing.B, dir string) (lib, pub string) {
	src := filepath.Join(dir, "wiki-src")
	if _, err := libgen.Generate(src, libgen.Spec{Files: startupFiles, Seed: 14}); err != nil {
		b.Fatal(err)
	}
	lib = filepath.Join(dir, "wiki")
	pub, err := SignedLibrary(context.Background(), src, lib, library.BuildOptions{Name: "wiki", Date: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		b.Fatal(err)
	}
	if err := os.RemoveAll(src); err != nil {
		b.Fatal(err)
	}
	return lib, pub
}

// startup boots a kiosk whose system disk holds lib and returns how long
// kioskd took to load the library, and from boot to ready.
func startup(b *testing.B, f *fixture, disk, lib, pub string) (load, ready time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	if _, err := SystemDisk(ctx, disk, lib, pub, []byte(baseConfig)); err != nil {
		b.Fatal(err)
	}
	defer os.Remove(disk)
	start := time.Now()
	k, err := Boot(ctx, Config{Build: f.build, Disk: disk})
	if err != nil {
		b.Fatal(err)
	}
	defer k.Close()
	at := func(line string) time.Time {
		if err := k.Until(ctx, func(_ sim.View, logs []string) bool { return Count(logs, line) > 0 }); err != nil {
			b.Fatalf("waiting for %q: %v", line, err)
		}
		return time.Now()
	}
	before := at("kioskd: board vm")
	loaded := at(`kioskd: library "`)
	up := at("kioskd: ready")
	b.Logf("%s: library loaded in %v, ready %v after boot", filepath.Base(lib), loaded.Sub(before).Round(time.Millisecond), up.Sub(start).Round(time.Millisecond))
	return loaded.Sub(before), up.Sub(start)
}
