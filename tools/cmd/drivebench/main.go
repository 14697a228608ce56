// Command drivebench measures kioskctl write against references timed in
// the same run on the same loop device, and prints the ratios the project
// targets (run by `make bench`, as root). It measures two kinds of library:
// a few large films (below), and many small files beside a few films (see
// files.go; -files sets the counts, -films=false leaves the first out).
//
// For the films:
//
//   - write+verify time / (dd write + dd read of the whole device): at most 1.10
//   - naive chain (dd zero, mkfs.vfat, mcopy, read back and compare) / kioskctl write: at least 1.8
//   - CPU seconds per GiB written and verified: at most 0.3; peak RSS: at most 64 MiB
//
// kioskctl write runs first on a library it has not seen (every source file
// checked with SHA-256), then again, as for every further drive (files
// unchanged since that check are checked with the checksum remembered
// from it). The targets are judged on the later runs; the first is printed
// beside them. dd and the later writes are each measured five times, and
// each figure (wall time, CPU time, peak RSS) is the median of its own
// five, as the machine may be shared and one run can be disturbed in one
// way and not another. Wall-clock figures depend on the machine; only the
// ratios mean something.
package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

func main() {
	device := flag.Int64("device", 2<<30, "bytes of the loop device")
	content := flag.Int64("library", 1<<30, "bytes of library content")
	kioskctl := flag.String("kioskctl", "out/kioskctl", "the kioskctl binary to measure")
	work := flag.String("dir", "/var/tmp", "folder on a disk (not tmpfs) for the backing file and library")
	films := flag.Bool("films", true, "measure the library of a few large films")
	files := flag.String("files", "600,100000", "comma-separated `counts` of small files of the libraries measured beside a few films; empty for none")
	if len(os.Args) == 3 && os.Args[1] == readAllCommand {
		if err := readAll(os.Args[2]); err != nil {
			fmt.Fprintln(os.Stderr, "drivebench:", err)
			os.Exit(1)
		}
		return
	}
	flag.Parse()
	counts, err := parseCounts(*files)
	if err == nil && *films {
		err = bench(*kioskctl, *work, *device, *content)
	}
	var results []filesResult
	for _, n := range counts {
		if err != nil {
			break
		}
		var r filesResult
		r, err = benchFiles(*kioskctl, *work, n, results)
		results = append(results, r)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "drivebench:", err)
		os.Exit(1)
	}
}

// measured is one timed command.
type measured struct {
	wall, cpu time.Duration
	maxRSS    int64  // bytes
	out       string // what it printed
}

func bench(kioskctl, work string, deviceBytes, contentBytes int64) error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("needs root for loop devices and dropping caches")
	}
	dir, err := os.MkdirTemp(work, "drivebench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	os.Setenv("XDG_CACHE_HOME", filepath.Join(dir, "cache")) // kioskctl's memory of verified files
	src := filepath.Join(dir, "src")
	if err := makeContent(src, contentBytes); err != nil {
		return err
	}
	lib := filepath.Join(dir, "lib")
	if _, err := run("", kioskctl, "library", "build", "--src", src, "--out", lib, "--date", "2026-11-25"); err != nil {
		return err
	}
	loop, release, err := loopDevice(filepath.Join(dir, "disk.img"), deviceBytes)
	if err != nil {
		return err
	}
	defer release()
	zero := []string{"if=/dev/zero", "of=" + loop, "bs=4M", fmt.Sprintf("count=%d", deviceBytes/(4<<20)), "oflag=direct", "status=none"}

	ddWrite, err := medianOf(5, func() (measured, error) { return run("", "dd", zero...) })
	if err != nil {
		return err
	}
	ddRead, err := medianOf(5, func() (measured, error) {
		return run("", "dd", "if="+loop, "of=/dev/null", "bs=4M", "iflag=direct", "status=none")
	})
	if err != nil {
		return err
	}
	cold, err := run("", kioskctl, "write", "--allow-any-disk", "--library", lib, loop)
	if err != nil {
		return err
	}
	write, err := medianOf(5, func() (measured, error) {
		return run("", kioskctl, "write", "--allow-any-disk", "--library", lib, loop)
	})
	if err != nil {
		return err
	}
	naive, err := naiveChain(loop, lib, dir, zero)
	if err != nil {
		return err
	}
	stick := filepath.Join(dir, "stick.img")
	if err := os.WriteFile(stick, nil, 0o644); err != nil {
		return err
	}
	if err := os.Truncate(stick, deviceBytes); err != nil {
		return err
	}
	if _, err := run("", kioskctl, "write", "--library", lib, stick); err != nil {
		return err
	}
	onDisk, err := diskUsage(stick)
	if err != nil {
		return err
	}

	ref := ddWrite.wall + ddRead.wall
	gib := float64(deviceBytes) / (1 << 30)
	fmt.Printf("device %s (%.1f GiB loop, direct I/O), library content %.2f GiB\n", loop, gib, float64(contentBytes)/(1<<30))
	fmt.Printf("dd write %v + dd read %v = %v\n", ddWrite.wall.Round(time.Millisecond), ddRead.wall.Round(time.Millisecond), ref.Round(time.Millisecond))
	fmt.Printf("kioskctl write (probe, write, verify): first %v, %.2f CPU s/GiB (sources checked with SHA-256); again %v, %.2f CPU s/GiB (remembered checksums: the figures judged below)\n",
		cold.wall.Round(time.Millisecond), cold.cpu.Seconds()/gib, write.wall.Round(time.Millisecond), write.cpu.Seconds()/gib)
	fmt.Printf("dd write + read CPU: %.2f s/GiB\n", (ddWrite.cpu+ddRead.cpu).Seconds()/gib)
	fmt.Printf("naive chain (dd zero, mkfs.vfat, mcopy, read back, compare) %v\n", naive.Round(time.Millisecond))
	report("write+verify / (dd write + dd read)", write.wall.Seconds()/ref.Seconds(), 1.10, true)
	report("naive chain / kioskctl write", naive.Seconds()/write.wall.Seconds(), 1.8, false)
	report("CPU seconds per GiB written and verified", write.cpu.Seconds()/gib, 0.3, true)
	report("peak RSS of kioskctl write, MiB", float64(write.maxRSS)/(1<<20), 64, true)
	fmt.Printf("image file of %.1f GiB written: %.1f MB on the host's disk for %.1f MB of library\n", gib, float64(onDisk)/1e6, float64(contentBytes)/1e6)
	report("image on disk / (library + 16 MiB)", float64(onDisk)/float64(contentBytes+16<<20), 1, true)
	return nil
}

// medianOf runs f n times (n odd) and returns the median of each figure.
func medianOf(n int, f func() (measured, error)) (measured, error) {
	var walls, cpus []time.Duration
	var rss []int64
	for range n {
		m, err := f()
		if err != nil {
			return m, err
		}
		walls, cpus, rss = append(walls, m.wall), append(cpus, m.cpu), append(rss, m.maxRSS)
	}
	slices.Sort(walls)
	slices.Sort(cpus)
	slices.Sort(rss)
	return measured{wall: walls[n/2], cpu: cpus[n/2], maxRSS: rss[n/2]}, nil
}

// naiveChain does the job with standard tools and returns how long it took.
func naiveChain(loop, lib, dir string, zero []string) (time.Duration, error) {
	start := time.Now()
	steps := [][]string{
		append([]string{"dd"}, zero...),
		{"mkfs.vfat", "-F", "32", loop},
	}
	entries, err := os.ReadDir(filepath.Join(lib, "content"))
	if err != nil {
		return 0, err
	}
	mcopy := []string{"mcopy", "-s", "-i", loop}
	for _, e := range entries {
		mcopy = append(mcopy, filepath.Join(lib, "content", e.Name()))
	}
	back := filepath.Join(dir, "back")
	steps = append(steps, append(mcopy, "::/"), []string{"sync"},
		[]string{"sh", "-c", "echo 3 > /proc/sys/vm/drop_caches"},
		[]string{"mkdir", back},
		[]string{"mcopy", "-s", "-i", loop, "::/*", back},
		[]string{"diff", "-r", filepath.Join(lib, "content"), back})
	for _, s := range steps {
		if _, err := run("", s[0], s[1:]...); err != nil {
			return 0, err
		}
	}
	return time.Since(start), nil
}

// run runs a command and measures its wall time, CPU time and peak RSS.
func run(dir, name string, args ...string) (measured, error) {
	return runEnv(nil, dir, name, args...)
}

// runEnv is run with variables added to the environment.
func runEnv(env []string, dir, name string, args ...string) (measured, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "MTOOLS_SKIP_CHECK=1", "LC_ALL=C.UTF-8", "PATH="+os.Getenv("PATH")+":/usr/sbin:/sbin")
	cmd.Env = append(cmd.Env, env...)
	start := time.Now()
	out, err := cmd.CombinedOutput()
	m := measured{wall: time.Since(start), out: string(out)}
	if err != nil {
		return m, fmt.Errorf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	m.cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		m.maxRSS = int64(ru.Maxrss) << 10
	}
	return m, nil
}

// makeContent writes about n bytes of incompressible files: 40 films and
// many small articles, some with Korean names.
func makeContent(dir string, n int64) error {
	rng := rand.New(rand.NewPCG(1, 2))
	buf := make([]byte, 1<<20)
	write := func(p string, size int64) error {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		f, err := os.Create(p)
		if err != nil {
			return err
		}
		defer f.Close()
		for size > 0 {
			for i := range buf {
				buf[i] = byte(rng.Uint32())
			}
			k := min(size, int64(len(buf)))
			if _, err := f.Write(buf[:k]); err != nil {
				return err
			}
			size -= k
		}
		return nil
	}
	small := n / 10
	for i := int64(0); i*16<<10 < small; i++ {
		if err := write(filepath.Join(dir, "위키", fmt.Sprintf("%03d", i/500), fmt.Sprintf("문서 %05d.html", i)), 16<<10); err != nil {
			return err
		}
	}
	films := int64(40)
	for i := range films {
		if err := write(filepath.Join(dir, "films", fmt.Sprintf("film %02d.mp4", i)), (n-small)/films); err != nil {
			return err
		}
	}
	return nil
}
