package main

// For libraries of many small files beside a few films (an offline
// encyclopedia as HTML), the reference is what any tool must do at least:
// read every source file once from a cold page cache, write the whole
// device with dd and read it back with dd. kioskctl write is measured
// cold (page cache dropped, no checksums remembered: every file checked
// with SHA-256) and warm (as for every further drive), against:
//
//   - cold write+verify / reference: at most 1.15; its CPU time / the
//     reference's: at most 1.3;
//   - peak RSS of one job: at most 64 MiB up to 100,000 files, 160 MiB up
//     to 1,000,000, and at most ~100 bytes more per file;
//   - an image file written: on the host's disk, little more than the
//     library (free space and gaps are holes).
//
// The other commands (library build, sign, inspect with and without
// reading every file, check --wipe zero) are timed with their peak RSS, per
// file, to show they stay linear.

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"flashkiosk/tools/libgen"
)

const (
	readAllCommand = "readall" // drivebench readall DIR: read every file below DIR once
	filmCount      = 3
	filmBytes      = 100 << 20
	benchSeed      = 14
)

// filesResult is what benchFiles measured, for the comparison across counts.
type filesResult struct {
	files  int
	maxRSS int64 // of the warm job
}

// parseCounts reads -files.
func parseCounts(s string) ([]int, error) {
	var counts []int
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("-files: %q is not a count of files", f)
		}
		counts = append(counts, n)
	}
	return counts, nil
}

// deviceFor is the loop device for a library of n small files: 2 GiB as
// long as they fit there in 4 KiB clusters, else enough whole GiB below
// 8 GiB, where Windows' clusters grow to 8 KiB.
func deviceFor(n int) int64 {
	need := int64(n)*4096*5/4 + filmCount*filmBytes + 256<<20
	if need <= 2<<30 {
		return 2 << 30
	}
	return min((need+1<<30-1)>>30<<30, 7<<30)
}

// benchFiles measures the library of n small files and a few films.
func benchFiles(kioskctl, work string, n int, earlier []filesResult) (filesResult, error) {
	res := filesResult{files: n}
	if os.Geteuid() != 0 {
		return res, fmt.Errorf("needs root for loop devices and dropping caches")
	}
	dir, err := os.MkdirTemp(work, "drivebench-files-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)
	src := filepath.Join(dir, "src")
	start := time.Now()
	sum, err := libgen.Generate(src, libgen.Spec{Files: n - filmCount, Films: filmCount, FilmBytes: filmBytes, Seed: benchSeed})
	if err != nil {
		return res, err
	}
	fmt.Printf("\nlibrary of %s files (%s small ones of 300-3,800 bytes in %d folders, %d films of %d MiB): %.1f MB, paths %.1f bytes a file on average; generated in %v\n",
		digits(sum.Files), digits(sum.Files-filmCount), sum.Folders-1, filmCount, filmBytes>>20, float64(sum.Bytes)/1e6, float64(sum.Paths)/float64(sum.Files), time.Since(start).Round(time.Millisecond))

	lib := filepath.Join(dir, "lib")
	key := filepath.Join(dir, "signing.key")
	cache := func(name string) []string { return []string{"XDG_CACHE_HOME=" + filepath.Join(dir, name)} }
	cmds := []struct {
		what string
		args []string
		env  []string
		cold bool // run on a cold page cache
	}{
		{"library build", []string{"library", "build", "--src", src, "--out", lib, "--date", "2026-11-25"}, nil, true},
		{"library keygen", []string{"library", "keygen", "--out", key}, nil, false},
		{"library sign", []string{"library", "sign", "--key", key, lib}, cache("sign"), true},
		{"library inspect --quick", []string{"library", "inspect", "--quick", "--pub", key + ".pub", lib}, cache("quick"), true},
		{"library inspect", []string{"library", "inspect", "--pub", key + ".pub", lib}, cache("inspect"), true},
	}
	var others []string
	for _, c := range cmds {
		if c.cold {
			if err := dropCaches(); err != nil {
				return res, err
			}
		}
		m, err := runEnv(c.env, "", kioskctl, c.args...)
		if err != nil {
			return res, err
		}
		if c.what != "library keygen" {
			others = append(others, perFile(c.what, m, sum.Files))
		}
	}
	manifest, err := os.Stat(filepath.Join(lib, "manifest.json"))
	if err != nil {
		return res, err
	}

	deviceBytes := deviceFor(n)
	loop, release, err := loopDevice(filepath.Join(dir, "disk.img"), deviceBytes)
	if err != nil {
		return res, err
	}
	defer release()
	zero := []string{"if=/dev/zero", "of=" + loop, "bs=4M", fmt.Sprintf("count=%d", deviceBytes/(4<<20)), "oflag=direct", "status=none"}
	ddWrite, err := medianOf(3, func() (measured, error) { return run("", "dd", zero...) })
	if err != nil {
		return res, err
	}
	ddRead, err := medianOf(3, func() (measured, error) {
		return run("", "dd", "if="+loop, "of=/dev/null", "bs=4M", "iflag=direct", "status=none")
	})
	if err != nil {
		return res, err
	}
	self, err := os.Executable()
	if err != nil {
		return res, err
	}
	if err := dropCaches(); err != nil {
		return res, err
	}
	read, err := run("", self, readAllCommand, filepath.Join(lib, "content"))
	if err != nil {
		return res, err
	}
	ref := measured{wall: read.wall + ddWrite.wall + ddRead.wall, cpu: read.cpu + ddWrite.cpu + ddRead.cpu}

	write := []string{"write", "--allow-any-disk", "--pub", key + ".pub", "--library", lib, loop}
	if err := dropCaches(); err != nil {
		return res, err
	}
	cold, err := runEnv(cache("write"), "", kioskctl, write...)
	if err != nil {
		return res, err
	}
	warm, err := medianOf(3, func() (measured, error) { return runEnv(cache("write"), "", kioskctl, write...) })
	if err != nil {
		return res, err
	}
	res.maxRSS = warm.maxRSS
	if err := dropCaches(); err != nil {
		return res, err
	}
	check, err := run("", kioskctl, "check", "--library", lib, "--wipe", "zero", loop)
	if err != nil {
		return res, err
	}
	others = append(others, perFile("check --wipe zero", check, sum.Files))

	img := filepath.Join(dir, "stick.img")
	if err := os.WriteFile(img, nil, 0o644); err != nil {
		return res, err
	}
	if err := os.Truncate(img, deviceBytes); err != nil {
		return res, err
	}
	if _, err := runEnv(cache("write"), "", kioskctl, "write", "--library", lib, img); err != nil {
		return res, err
	}
	onDisk, err := diskUsage(img)
	if err != nil {
		return res, err
	}

	gib := float64(deviceBytes) / (1 << 30)
	fmt.Printf("manifest %.1f MB (%.0f bytes a file); device %s (%.1f GiB loop, direct I/O)\n", float64(manifest.Size())/1e6, float64(manifest.Size())/float64(sum.Files), loop, gib)
	fmt.Printf("reference: read every library file once (cold) %v (CPU %v) + dd write %v + dd read %v = %v (CPU %v)\n",
		read.wall.Round(time.Millisecond), read.cpu.Round(time.Millisecond), ddWrite.wall.Round(time.Millisecond), ddRead.wall.Round(time.Millisecond),
		ref.wall.Round(time.Millisecond), ref.cpu.Round(time.Millisecond))
	for _, r := range []struct {
		what string
		m    measured
	}{{"cold (page cache dropped, every file checked with SHA-256)", cold}, {"warm (remembered checksums; median of 3)", warm}} {
		fmt.Printf("kioskctl write %s: %v, CPU %v, peak RSS %.1f MiB\n", r.what, r.m.wall.Round(time.Millisecond), r.m.cpu.Round(time.Millisecond), float64(r.m.maxRSS)/(1<<20))
	}
	for _, o := range others {
		fmt.Println(o)
	}
	rssTarget := 64.0
	if n > 100000 {
		rssTarget = 160
	}
	report("cold write+verify / reference", cold.wall.Seconds()/ref.wall.Seconds(), 1.15, true)
	report("cold CPU / reference CPU", cold.cpu.Seconds()/ref.cpu.Seconds(), 1.3, true)
	report("warm write+verify / reference", warm.wall.Seconds()/ref.wall.Seconds(), 1.15, true)
	report("warm CPU / reference CPU", warm.cpu.Seconds()/ref.cpu.Seconds(), 1.3, true)
	report("peak RSS of one job (cold), MiB", float64(cold.maxRSS)/(1<<20), rssTarget, true)
	report("peak RSS of one job (warm), MiB", float64(warm.maxRSS)/(1<<20), rssTarget, true)
	for _, e := range earlier {
		if e.files < n {
			report(fmt.Sprintf("peak RSS growth from %s files, bytes/file", digits(e.files)), float64(warm.maxRSS-e.maxRSS)/float64(n-e.files), 100, true)
		}
	}
	fmt.Printf("image file of %.1f GiB written: %.1f MB on the host's disk for %.1f MB of library\n", gib, float64(onDisk)/1e6, float64(sum.Bytes)/1e6)
	// The volume takes whole 4 KiB clusters, the host whole 4 KiB blocks:
	// each small file fills one, and the FATs and folders a few MB.
	report("image on disk / (library in whole 4 KiB blocks + 16 MiB)", float64(onDisk)/float64(sum.Bytes+int64(sum.Files)*4096+16<<20), 1, true)
	return res, nil
}

// perFile says how long a command took and its peak RSS, also per file.
func perFile(what string, m measured, files int) string {
	return fmt.Sprintf("kioskctl %s: %v (%.1f µs a file), CPU %v, peak RSS %.1f MiB (%.0f bytes a file)",
		what, m.wall.Round(time.Millisecond), float64(m.wall.Microseconds())/float64(files), m.cpu.Round(time.Millisecond),
		float64(m.maxRSS)/(1<<20), float64(m.maxRSS)/float64(files))
}

// report prints one judged figure.
func report(name string, got, target float64, atMost bool) {
	ok := got <= target
	op := "<="
	if !atMost {
		ok, op = got >= target, ">="
	}
	verdict := "meets"
	if !ok {
		verdict = "MISSES"
	}
	fmt.Printf("%-58s %9.3f   target %s %.2f: %s\n", name, got, op, target, verdict)
}

// loopDevice makes a file of size bytes at img, attaches it as a direct-I/O
// loop device, and fills it once with zeros, so that no measured run pays
// for allocating its blocks.
func loopDevice(img string, size int64) (string, func(), error) {
	if err := os.WriteFile(img, nil, 0o644); err != nil {
		return "", nil, err
	}
	if err := os.Truncate(img, size); err != nil {
		return "", nil, err
	}
	m, err := run("", "losetup", "-f", "--show", "--direct-io=on", img)
	if err != nil {
		return "", nil, err
	}
	loop := strings.TrimSpace(m.out)
	release := func() { run("", "losetup", "-d", loop) }
	if _, err := run("", "dd", "if=/dev/zero", "of="+loop, "bs=4M", fmt.Sprintf("count=%d", size/(4<<20)), "oflag=direct", "status=none"); err != nil {
		release()
		return "", nil, err
	}
	return loop, release, nil
}

// dropCaches empties the page cache, so that the next command reads from
// the disk.
func dropCaches() error {
	syscall.Sync()
	return os.WriteFile("/proc/sys/vm/drop_caches", []byte("3\n"), 0o200)
}

// diskUsage is the bytes a file takes on its file system.
func diskUsage(name string) (int64, error) {
	var st syscall.Stat_t
	if err := syscall.Stat(name, &st); err != nil {
		return 0, err
	}
	return int64(st.Blocks) * 512, nil
}

// readAll reads every regular file below dir once, in sorted order, as a
// copy would: the least any tool writing them to a drive must do.
func readAll(dir string) error {
	buf := make([]byte, 1<<20)
	return filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		_, err = io.CopyBuffer(io.Discard, onlyReader{f}, buf)
		f.Close()
		return err
	})
}

// onlyReader hides a file's WriteTo, so that copying reads it through the
// buffer as a program that writes its bytes elsewhere must.
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

// digits writes n with thousands separators.
func digits(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
