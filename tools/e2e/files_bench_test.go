package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"flashkiosk/hal/sim"
	"flashkiosk/tools/vm"
)

// filesStick is the size of the sticks BenchmarkFourSticksFiles writes:
// room for the encyclopedia's files in 4 KiB clusters.
const filesStick = 640 << 20

// peakRSS reads the peak resident size kioskd logged after a job.
var peakRSS = regexp.MustCompile(`kioskd: resources after (\d+) jobs: .*, peak rss (\d+) kB`)

// BenchmarkFourSticksFiles measures, in the real kiosk in qemu, kioskd's
// peak resident memory while it writes four sticks at once with the
// encyclopedia of startupFiles small files (issue 14: at most 160 MiB, so
// that a Pi Zero 2 W's 512 MB keeps room to spare), and how long the four
// took. The sticks are not throttled: the figure is memory, not speed.
func BenchmarkFourSticksFiles(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Fatal("the end-to-end benchmark needs root (as CI runs it)")
	}
	f, err := shared()
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	lib, pub := encyclopedia(b, dir)
	for range b.N {
		peak, took := fourFileSticks(b, f, dir, lib, pub)
		b.ReportMetric(float64(peak)/(1<<10), "MiB-peak-rss")
		b.ReportMetric(took.Seconds(), "s-four-sticks")
	}
}

func fourFileSticks(b *testing.B, f *fixture, dir, lib, pub string) (peakKB int, took time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Minute)
	defer cancel()
	disk := filepath.Join(dir, "system.img")
	if _, err := SystemDisk(ctx, disk, lib, pub, []byte(baseConfig)); err != nil {
		b.Fatal(err)
	}
	defer os.Remove(disk)
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
	var ready, done []string
	for i, port := range []string{"1", "2", "3", "4"} {
		img := filepath.Join(dir, fmt.Sprintf("stick%d.img", i))
		if err := vm.SparseImage(img, filesStick); err != nil {
			b.Fatal(err)
		}
		defer os.Remove(img)
		if err := k.VM.PlugUSB(ctx, fmt.Sprintf("stick%d", i), vm.Stick{Image: img, Port: port}); err != nil {
			b.Fatal(err)
		}
		ready, done = append(ready, "P"+port+" READY"), append(done, "P"+port+" DONE")
	}
	wait(fmt.Sprint(ready), func(v sim.View, _ []string) bool { return v.Has(ready...) })
	start := time.Now()
	if err := k.Press("go", 100*time.Millisecond); err != nil {
		b.Fatal(err)
	}
	wait(fmt.Sprint(done), func(v sim.View, _ []string) bool { return v.Has(done...) })
	took = time.Since(start)
	wait("the resources after the fourth job", func(_ sim.View, logs []string) bool {
		for _, l := range logs {
			if m := peakRSS.FindStringSubmatch(l); m != nil && m[1] == "4" {
				peakKB, _ = strconv.Atoi(m[2])
				return true
			}
		}
		return false
	})
	b.Logf("four sticks of %d files: %v; kioskd's peak resident memory %.1f MiB (target <= 160)", startupFiles, took.Round(time.Second), float64(peakKB)/(1<<10))
	return peakKB, took
}
