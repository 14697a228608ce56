package flash

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"flashkiosk/firmware/fat"
)

func TestCheck(t *testing.T) {
	lib := testLibrary(t)
	img := sparseFile(t, 64*mib)
	res, err := Write(context.Background(), openDev(t, img), Options{Library: lib})
	if err != nil {
		t.Fatal(err)
	}
	check := func() *CheckReport {
		dev, r := checkReader(t, img)
		rep, err := Check(context.Background(), r, dev.Size(), lib)
		if err != nil {
			t.Fatalf("Check: %v", err)
		}
		return rep
	}
	rep := check()
	if n := res.Selection.Included().Files; !rep.OK() || rep.Good != n || rep.Tiers[0] != res.Selection.Tiers[0].Included.Files {
		t.Fatalf("Check of a fresh drive = %+v; want OK with %d files", rep, n)
	}

	// Flip one byte of a file on the drive.
	victim := "위키백과/문서/서울특별시.html"
	f, err := os.OpenFile(img, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	v, err := fat.OpenVolume(f, 64*mib)
	if err != nil {
		t.Fatal(err)
	}
	exts, err := v.Extents(victim)
	if err != nil || len(exts) != 1 {
		t.Fatalf("Extents(%q) = %v, %v", victim, exts, err)
	}
	b := make([]byte, 1)
	f.ReadAt(b, exts[0].Offset+100)
	b[0] ^= 0x40
	f.WriteAt(b, exts[0].Offset+100)
	f.Close()

	mtools := func(args ...string) {
		cmd := exec.Command(args[0], append([]string{"-i", img + "@@1M"}, args[1:]...)...)
		cmd.Env = append(os.Environ(), "LC_ALL=C.UTF-8", "MTOOLS_SKIP_CHECK=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	extra := filepath.Join(t.TempDir(), "donor notes.txt")
	os.WriteFile(extra, []byte("left behind"), 0o644)
	mtools("mcopy", extra, "::/donor notes.txt")
	mtools("mdel", "::/index.html")

	rep = check()
	got := fmt.Sprintf("missing %q differ %q extra %q stamps %d", rep.Missing, rep.Differ, rep.Extra, len(rep.Stamps))
	want := fmt.Sprintf("missing %q differ %q extra %q stamps 1", []string{"index.html"},
		[]string{victim + ": SHA-256 differs from the library's"}, []string{"donor notes.txt"})
	if got != want || rep.OK() {
		t.Errorf("Check of a tampered drive: %s; want %s", got, want)
	}
}

// memFile is a device's file in memory whose reads fail in [badFrom, badTo).
type memFile struct {
	data           []byte
	badFrom, badTo int64
}

func (m *memFile) ReadAt(p []byte, off int64) (int, error) {
	if off < m.badTo && off+int64(len(p)) > m.badFrom {
		return 0, errors.New("bad sector")
	}
	return copy(p, m.data[off:]), nil
}
func (m *memFile) WriteAt(p []byte, off int64) (int, error) { return copy(m.data[off:], p), nil }
func (m *memFile) Close() error                             { return nil }
func (m *memFile) Sync() error                              { return nil }
func (m *memFile) Fd() uintptr                              { return ^uintptr(0) }

// checkReader opens the image file img read-only and reads it through
// the device's Reader, as kioskctl check reads a drive; both are closed
// when the test ends.
func checkReader(t testing.TB, img string) (*Device, io.ReaderAt) {
	t.Helper()
	dev, err := Open(img, true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dev.Close() })
	r, release, err := dev.Reader()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(release)
	return dev, r
}

// TestReaderWindows reads a device at random through Reader: every piece
// as the device holds it, across windows and at the end, and a bad sector
// fails only the reads that touch it, not those beside it in its window.
func TestReaderWindows(t *testing.T) {
	const size = 3*readWindow + 5*512
	f := &memFile{data: noise(7, size), badFrom: readWindow + 8192, badTo: readWindow + 8192 + 512}
	dev := &Device{f: f, path: "mem", size: size, sector: 512, align: 512}
	r, release, err := dev.Reader()
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	rng := rand.New(rand.NewPCG(3, 4))
	for range 2000 {
		off := rng.Int64N(size)
		p := make([]byte, rng.IntN(3*readWindow/2))
		n, err := r.ReadAt(p, off)
		end := min(off+int64(len(p)), size)
		var ioErr *IOError
		switch {
		case off < f.badTo && end > f.badFrom:
			if !errors.As(err, &ioErr) {
				t.Fatalf("ReadAt(%d bytes at %d) over a bad sector = %d, %v; want an *IOError", len(p), off, n, err)
			}
		case end < off+int64(len(p)):
			if err != io.EOF || int64(n) != end-off || !bytes.Equal(p[:n], f.data[off:end]) {
				t.Fatalf("ReadAt(%d bytes at %d) past the end = %d, %v; want %d bytes and io.EOF", len(p), off, n, err, end-off)
			}
		case err != nil || n != len(p) || !bytes.Equal(p, f.data[off:end]):
			t.Fatalf("ReadAt(%d bytes at %d) = %d, %v, or other bytes than the device's", len(p), off, n, err)
		}
	}
}
