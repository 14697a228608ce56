package fat

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testFile is a file or folder of a test tree with its contents.
type testFile struct {
	path string
	data []byte
	dir  bool
}

func entriesOf(files []testFile) []Entry {
	var es []Entry
	for _, f := range files {
		es = append(es, Entry{Path: f.path, Size: int64(len(f.data)), Dir: f.dir})
	}
	return es
}

// sourceOf serves the files of a test tree to a Stream.
func sourceOf(files []testFile) Source {
	var data [][]byte
	for _, f := range files {
		if !f.dir {
			data = append(data, f.data)
		}
	}
	return func(i int, _ string) (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data[i])), nil
	}
}

var testDate = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// writeImage plans files on a disk of diskBytes and streams it into a
// sparse image file (zero blocks are skipped), returning the image path.
func writeImage(t testing.TB, diskBytes int64, files []testFile, opts Options) (string, *Layout) {
	t.Helper()
	if opts.Time.IsZero() {
		opts.Time = testDate
	}
	l, err := Plan(diskBytes, entriesOf(files), opts)
	if err != nil {
		t.Fatalf("Plan: %v", err)
	}
	img := filepath.Join(t.TempDir(), "disk.img")
	f, err := os.Create(img)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := copySparse(f, l.Stream(sourceOf(files), nil)); err != nil {
		t.Fatalf("stream: %v", err)
	}
	if err := f.Truncate(diskBytes); err != nil {
		t.Fatal(err)
	}
	return img, l
}

// copySparse copies r to f, seeking over blocks of zeros.
func copySparse(f *os.File, r io.Reader) error {
	buf := make([]byte, 1<<20)
	for {
		n, err := io.ReadFull(r, buf)
		for off := 0; off < n; off += 64 << 10 {
			blk := buf[off:min(off+64<<10, n)]
			if isZero(blk) {
				if _, err := f.Seek(int64(len(blk)), io.SeekCurrent); err != nil {
					return err
				}
				continue
			}
			if _, err := f.Write(blk); err != nil {
				return err
			}
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func isZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// partitionImage copies the partition of a disk image into its own sparse
// file, for tools that take no offset (fsck.fat).
func partitionImage(t testing.TB, img string, l *Layout) string {
	t.Helper()
	in, err := os.Open(img)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	g := l.Geometry()
	ss := int64(g.SectorSize)
	part := img + ".part"
	out, err := os.Create(part)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	if err := copySparse(out, io.NewSectionReader(in, g.PartStart*ss, g.PartSectors*ss)); err != nil {
		t.Fatal(err)
	}
	if err := out.Truncate(g.PartSectors * ss); err != nil {
		t.Fatal(err)
	}
	return part
}

// need fails the test when an outside tool is missing: `make test`
// installs them, and a check that cannot run must not pass.
func need(t testing.TB, tool string) string {
	t.Helper()
	p, err := exec.LookPath(tool)
	if err != nil {
		for _, dir := range []string{"/usr/sbin", "/sbin"} {
			if _, err := os.Stat(filepath.Join(dir, tool)); err == nil {
				return filepath.Join(dir, tool)
			}
		}
		t.Fatalf("%s not found: run `make test`, which installs it", tool)
	}
	return p
}

// fsck runs `fsck.fat -n` on the partition and fails on any complaint.
func fsck(t testing.TB, img string, l *Layout) {
	t.Helper()
	part := partitionImage(t, img, l)
	defer os.Remove(part)
	out, err := exec.Command(need(t, "fsck.fat"), "-n", "-V", part).CombinedOutput()
	if err != nil {
		t.Fatalf("fsck.fat -n: %v\n%s", err, out)
	}
	// A clean volume gives the banner, the verify pass and the summary
	// line only; anything else is a complaint even with exit status 0.
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if strings.HasPrefix(line, "fsck.fat ") || strings.HasPrefix(line, "Checking we can access") ||
			strings.HasPrefix(line, "Starting check/repair pass.") || strings.HasPrefix(line, "Starting verification pass.") ||
			strings.Contains(line, " files, ") {
			continue
		}
		t.Errorf("fsck.fat -n complains: %q\nfull output:\n%s", line, out)
	}
}

// mtools runs an mtools command on the partition at 1 MiB of the image.
func mtools(t testing.TB, img, tool string, args ...string) string {
	t.Helper()
	cmd := exec.Command(need(t, tool), append([]string{"-i", img + "@@1M"}, args...)...)
	cmd.Env = append(os.Environ(), "LC_ALL=C.UTF-8", "MTOOLS_SKIP_CHECK=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", tool, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// checkCopyBack copies the whole volume out with mcopy and compares every
// name and byte with files.
func checkCopyBack(t testing.TB, img string, files []testFile) {
	t.Helper()
	dst := t.TempDir()
	mtools(t, img, "mcopy", "-s", "-n", "-m", "::/", dst)
	want := map[string]testFile{}
	for _, f := range files {
		want[f.path] = f
		for d := filepath.Dir(f.path); d != "."; d = filepath.Dir(d) {
			if _, ok := want[d]; !ok {
				want[d] = testFile{path: d, dir: true}
			}
		}
	}
	got := map[string]bool{}
	err := filepath.Walk(dst, func(p string, info os.FileInfo, err error) error {
		if err != nil || p == dst {
			return err
		}
		rel, _ := filepath.Rel(dst, p)
		got[rel] = true
		w, ok := want[rel]
		switch {
		case !ok:
			t.Errorf("mcopy gave %q, which was not written", rel)
		case w.dir != info.IsDir():
			t.Errorf("mcopy gave %q dir=%v; want dir=%v", rel, info.IsDir(), w.dir)
		case !w.dir:
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			if !bytes.Equal(data, w.data) {
				t.Errorf("mcopy gave %q with %d bytes differing from the %d written", rel, len(data), len(w.data))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for p := range want {
		if !got[p] {
			t.Errorf("mcopy did not give %q", p)
		}
	}
}

// pattern is deterministic, position-dependent test content.
func pattern(seed, n int) []byte {
	b := make([]byte, n)
	x := uint32(seed)*2654435761 + 1
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return b
}

func deepPath(levels int) string {
	var parts []string
	for i := range levels - 1 {
		parts = append(parts, fmt.Sprintf("d%02d", i))
	}
	return strings.Join(append(parts, "bottom.txt"), "/")
}
