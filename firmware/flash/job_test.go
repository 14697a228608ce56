package flash

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"flashkiosk/firmware/fat"
	"flashkiosk/firmware/library"
	"flashkiosk/tools/fakedrive"
)

var libDate = time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)

// testLibrary builds a library with Korean names: tier 1 of about 5 MB,
// tier 2 of a 40 MB and a 30 MB film.
func testLibrary(t testing.TB) *library.Library {
	t.Helper()
	src := filepath.Join(t.TempDir(), "src")
	files := map[string]int{
		"index.html":              1200,
		"위키백과/대문.html":            5000,
		"위키백과/문서/서울특별시.html":      300000,
		"위키백과/문서/평양.html":         4 << 20,
		"위키백과/빈 파일.txt":           0,
		"films/다큐멘터리 1.mp4":       40 << 20,
		"films/Documentary 2.mp4": 30 << 20,
	}
	seed := 1
	for p, n := range files {
		full := filepath.Join(src, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, noise(seed, n), 0o644); err != nil {
			t.Fatal(err)
		}
		seed++
	}
	if err := os.Mkdir(filepath.Join(src, "빈 폴더"), 0o755); err != nil {
		t.Fatal(err)
	}
	tiers := "[[tier]]\nname = \"core\"\npaths = [\"index.html\", \"위키백과\"]\n"
	if err := os.WriteFile(filepath.Join(src, "tiers.toml"), []byte(tiers), 0o644); err != nil {
		t.Fatal(err)
	}
	lib, err := library.Build(context.Background(), src, filepath.Join(t.TempDir(), "lib"), library.BuildOptions{Name: "test", Date: libDate})
	if err != nil {
		t.Fatalf("library.Build: %v", err)
	}
	return lib
}

// noise is deterministic incompressible test content.
func noise(seed, n int) []byte {
	b := make([]byte, n)
	x := uint64(seed)*0x9E3779B97F4A7C15 + 1
	for i := range b {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		b[i] = byte(x >> 32)
	}
	return b
}

// prefill writes a marker over the whole of a file or device.
func prefill(t testing.TB, path string, size int64, marker []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := bytes.Repeat(marker, (1<<20)/len(marker)+1)[:1<<20]
	for off := int64(0); off < size; off += 1 << 20 {
		if _, err := f.WriteAt(buf[:min(int64(len(buf)), size-off)], off); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
}

// checkNoMarker fails if any byte of the marker's first 8 survives anywhere.
func checkNoMarker(t testing.TB, path string, marker []byte) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if i := bytes.Index(data, marker[:8]); i >= 0 {
		t.Errorf("%s still holds the donor marker at offset %d", path, i)
	}
}

// checkWithTools has fsck.fat check the volume of the image at path and
// mcopy copy every file out, compared with what the selection holds.
func checkWithTools(t testing.TB, img string, lib *library.Library, sel *library.Selection) {
	t.Helper()
	part := attachLoopAt(t, img, 1<<20)
	out, err := exec.Command(findTool(t, "fsck.fat"), "-n", part).CombinedOutput()
	if err != nil || strings.Count(strings.TrimSpace(string(out)), "\n") > 1 {
		t.Errorf("fsck.fat -n %s: %v\n%s", part, err, out)
	}
	dst := t.TempDir()
	cmd := exec.Command(findTool(t, "mcopy"), "-s", "-n", "-m", "-i", img+"@@1M", "::/", dst)
	cmd.Env = append(os.Environ(), "LC_ALL=C.UTF-8", "MTOOLS_SKIP_CHECK=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("mcopy: %v\n%s", err, out)
	}
	want := map[string]bool{}
	for _, f := range sel.Files() {
		want[f.Path] = true
		got, err := os.ReadFile(filepath.Join(dst, filepath.FromSlash(f.Path)))
		if err != nil {
			t.Errorf("mcopy gave no %q: %v", f.Path, err)
			continue
		}
		orig, err := os.ReadFile(lib.ContentPath(f.Path))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, orig) {
			t.Errorf("%q on the drive differs from the library", f.Path)
		}
	}
	for f := range sel.Folders() {
		if st, err := os.Stat(filepath.Join(dst, filepath.FromSlash(f.Path))); err != nil || !st.IsDir() {
			t.Errorf("mcopy gave no empty folder %q: %v", f.Path, err)
		}
	}
	filepath.Walk(dst, func(p string, info os.FileInfo, err error) error {
		rel, _ := filepath.Rel(dst, p)
		if err == nil && !info.IsDir() && !want[filepath.ToSlash(rel)] {
			t.Errorf("the drive holds %q, which the selection does not", rel)
		}
		return err
	})
}

// attachLoopAt attaches a read-only loop device over path from off on.
func attachLoopAt(t testing.TB, path string, off int64) string {
	t.Helper()
	// Output, not CombinedOutput: losetup warns on stderr of a file that
	// ends in a partial sector, and stdout holds only the device's name.
	out, err := exec.Command("losetup", "-f", "--show", "-r", "-o", fmt.Sprint(off), path).Output()
	if err != nil {
		t.Fatalf("losetup -o %d %s: %v", off, path, err)
	}
	dev := strings.TrimSpace(string(out))
	t.Cleanup(func() { exec.Command("losetup", "-d", dev).Run() })
	return dev
}

func findTool(t testing.TB, name string) string {
	t.Helper()
	for _, dir := range []string{"/usr/sbin", "/sbin", "/usr/bin", "/bin"} {
		if p := filepath.Join(dir, name); fileExists(p) {
			return p
		}
	}
	t.Fatalf("%s not found: run `make test`, which installs it", name)
	return ""
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

func openDev(t testing.TB, path string) *Device {
	t.Helper()
	dev, err := Open(path, false)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() { dev.Close() })
	return dev
}

func TestWriteLoopDevice(t *testing.T) {
	lib := testLibrary(t)
	marker := []byte("DONOR-SECRET-0123456789;")
	for _, tc := range []struct {
		name     string
		size     int64
		wipe     Wipe
		complete bool // the whole library fits
	}{
		{"tier 1 only", 64 * mib, WipeZero, false},
		{"everything, zero fill", 128 * mib, WipeZero, true},
		{"everything, random fill", 128 * mib, WipeRandom, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			img := sparseFile(t, tc.size)
			prefill(t, img, tc.size, marker)
			dev := openDev(t, attachLoop(t, img, true))
			var phases []Phase
			res, err := Write(context.Background(), dev, Options{Library: lib, Label: "KOREA", Wipe: tc.wipe,
				Progress: func(p Progress) {
					if len(phases) == 0 || phases[len(phases)-1] != p.Phase {
						phases = append(phases, p.Phase)
					}
				}})
			if err != nil {
				t.Fatalf("Write: %v", err)
			}
			if res.Bytes != tc.size || res.Selection.Complete() != tc.complete || res.Probe.Fake() {
				t.Errorf("Write = %d bytes, complete %v, probe %+v; want %d, %v, genuine", res.Bytes, res.Selection.Complete(), res.Probe, tc.size, tc.complete)
			}
			if fmt.Sprint(phases) != "[probing writing flushing verifying]" {
				t.Errorf("phases %v; want probing, writing, flushing, verifying", phases)
			}
			dev.Close()
			checkNoMarker(t, img, marker)
			checkWithTools(t, img, lib, res.Selection)
			if tc.wipe == WipeRandom {
				tail := make([]byte, 1<<20)
				f, _ := os.Open(img)
				f.ReadAt(tail, tc.size-int64(len(tail)))
				f.Close()
				if bytes.Count(tail, []byte{0}) > len(tail)/64 {
					t.Errorf("random fill: last MiB has %d zero bytes; want about %d", bytes.Count(tail, []byte{0}), len(tail)/256)
				}
			}
		})
	}
}

func TestWriteImageFile(t *testing.T) {
	lib := testLibrary(t)
	img := sparseFile(t, 100*mib)
	res, err := Write(context.Background(), openDev(t, img), Options{Library: lib})
	if err != nil {
		t.Fatalf("Write(image file): %v", err)
	}
	checkWithTools(t, img, lib, res.Selection)
}

// TestWriteSparseImageFile writes a library with a zero fill to an image
// file that a donor's data fills: the file reads back byte for byte as a
// loop device written with the same volume and disk IDs does, holds
// nothing of the donor, and takes little more of its disk than the
// library, the free space at its end a hole.
func TestWriteSparseImageFile(t *testing.T) {
	lib := testLibrary(t)
	const size = 256 * mib
	marker := []byte("DONOR-SECRET-0123456789;")
	opts := Options{Library: lib, Label: "KOREA", VolumeID: 0x1234abcd, DiskID: 0x5678ef01}
	img := sparseFile(t, size)
	prefill(t, img, size, marker)
	res, err := Write(context.Background(), openDev(t, img), opts)
	if err != nil {
		t.Fatalf("Write(image file): %v", err)
	}
	backing := sparseFile(t, size)
	prefill(t, backing, size, marker)
	if _, err := Write(context.Background(), openDev(t, attachLoop(t, backing, true)), opts); err != nil {
		t.Fatalf("Write(loop device): %v", err)
	}
	a, err := os.ReadFile(img)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(backing)
	if err != nil {
		t.Fatal(err)
	}
	if i := firstDiff(a, b); i >= 0 {
		t.Errorf("image file and loop device differ first at byte %d", i)
	}
	checkNoMarker(t, img, marker)
	checkWithTools(t, img, lib, res.Selection)

	f, err := os.Open(img)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var st syscall.Stat_t
	if err := syscall.Fstat(int(f.Fd()), &st); err != nil {
		t.Fatal(err)
	}
	used, content := st.Blocks*512, res.Selection.Included().Bytes
	t.Logf("image file of %d MiB takes %.1f MiB of its disk for %.1f MiB of library", size>>20, float64(used)/mib, float64(content)/mib)
	if used > content+4*mib {
		t.Errorf("image file takes %d bytes of its disk; want at most the library's %d and 4 MiB", used, content)
	}
	// The last 64 MiB are free space: no data after them begins.
	if off, err := syscall.Seek(int(f.Fd()), size-64*mib, unix.SEEK_DATA); !errors.Is(err, syscall.ENXIO) {
		t.Errorf("SEEK_DATA from %d = %d, %v; want ENXIO, a hole to the end", size-64*mib, off, err)
	}
}

// firstDiff is the first offset where a and b differ, or -1.
func firstDiff(a, b []byte) int {
	for i := 0; i < min(len(a), len(b)); i += 1 << 20 {
		j := min(i+1<<20, len(a), len(b))
		if !bytes.Equal(a[i:j], b[i:j]) {
			for k := i; k < j; k++ {
				if a[k] != b[k] {
					return k
				}
			}
		}
	}
	if len(a) != len(b) {
		return min(len(a), len(b))
	}
	return -1
}

// TestWriteOddImageFile writes image files whose size is no multiple of
// the direct-I/O block, or not even of a sector: each is written and
// verified to its last whole sector, and the bytes past it are zeroed.
func TestWriteOddImageFile(t *testing.T) {
	lib := testLibrary(t)
	marker := []byte("DONOR-SECRET-0123456789;")
	for _, size := range []int64{
		100*mib + 512,       // whole sectors, not 4 KiB blocks
		200_000_000,         // as truncate -s 200MB makes it
		100*mib + 4096 + 77, // a partial sector at the end
		100*mib + 300,
	} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			img := sparseFile(t, size)
			prefill(t, img, size, marker)
			dev := openDev(t, img)
			res, err := Write(context.Background(), dev, Options{Library: lib})
			if err != nil {
				t.Fatalf("Write(image of %d bytes): %v", size, err)
			}
			if want := size - size%512; res.Bytes != want {
				t.Errorf("Write(image of %d bytes) wrote %d; want %d", size, res.Bytes, want)
			}
			dev.Close()
			checkNoMarker(t, img, marker)
			data, err := os.ReadFile(img)
			if err != nil {
				t.Fatal(err)
			}
			if int64(len(data)) != size {
				t.Errorf("image is %d bytes after the write; want %d", len(data), size)
			}
			for i := size - size%512; i < int64(len(data)); i++ {
				if data[i] != 0 {
					t.Fatalf("byte %d past the last whole sector is %#x; want 0", i, data[i])
				}
			}
			checkWithTools(t, img, lib, res.Selection)
		})
	}
}

func TestWriteOutcomes(t *testing.T) {
	lib := testLibrary(t)
	const failAt = 100*mib + 512<<10 + 8192 // off the probe's grid
	for _, tc := range []struct {
		name  string
		drive fakedrive.Options
		opts  Options
		check func(t *testing.T, res Result, err error)
	}{
		{"wrap-around fake used at real size", fakedrive.Options{Reported: 1 << 30, Real: 128 * mib, Mode: fakedrive.Wrap}, Options{},
			func(t *testing.T, res Result, err error) {
				if err != nil || res.Probe.Kind != WrapAround || res.Bytes > 128*mib || res.Bytes < 127*mib {
					t.Errorf("Write = %+v, %v; want wrap-around written at 127-128 MiB", res.Probe, err)
				}
			}},
		{"limbo fake rejected", fakedrive.Options{Reported: 1 << 30, Real: 200 * mib, Mode: fakedrive.Limbo}, Options{Fake: Reject},
			func(t *testing.T, res Result, err error) {
				var fe *FakeError
				if !errors.As(err, &fe) || fe.Kind != Limbo || fe.Real > 200*mib || fe.Real < 199*mib {
					t.Errorf("Write = %v; want a limbo *FakeError of real size 199-200 MiB", err)
				}
			}},
		{"I/O error at an offset", fakedrive.Options{Reported: 256 * mib, Real: 256 * mib, FailFrom: failAt, FailTo: failAt + 4096}, Options{},
			func(t *testing.T, res Result, err error) {
				var ie *IOError
				if !errors.As(err, &ie) || ie.Op != "write" || ie.Offset != failAt {
					t.Errorf("Write = %v; want a write *IOError at offset %d", err, failAt)
				}
			}},
		{"read error at an offset", fakedrive.Options{Reported: 256 * mib, Real: 256 * mib, FailFrom: failAt, FailTo: failAt + 4096, FailReadsOnly: true}, Options{},
			func(t *testing.T, res Result, err error) {
				var ie *IOError
				if !errors.As(err, &ie) || ie.Op != "read" || ie.Offset != failAt {
					t.Errorf("Write = %v; want a read *IOError at offset %d", err, failAt)
				}
			}},
		{"decayed byte", fakedrive.Options{Reported: 256 * mib, Real: 256 * mib, Flip: true, FlipAt: failAt}, Options{},
			func(t *testing.T, res Result, err error) {
				var me *MismatchError
				if !errors.As(err, &me) || me.Offset != failAt/hashUnit*hashUnit {
					t.Errorf("Write = %v; want *MismatchError at offset %d", err, failAt/hashUnit*hashUnit)
				}
			}},
		{"too small for tier 1", fakedrive.Options{Reported: 1 << 30, Real: 20 * mib, Mode: fakedrive.Wrap}, Options{},
			func(t *testing.T, res Result, err error) {
				var ts *library.TooSmallError
				if !errors.As(err, &ts) {
					t.Errorf("Write = %v; want *library.TooSmallError", err)
				}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dev := openDev(t, fakeDisk(t, tc.drive))
			tc.opts.Library = lib
			res, err := Write(context.Background(), dev, tc.opts)
			tc.check(t, res, err)
		})
	}
}

func TestWriteReadOnly(t *testing.T) {
	needRoot(t)
	img := sparseFile(t, 64*mib)
	out, err := exec.Command("losetup", "-f", "--show", "-r", img).CombinedOutput()
	if err != nil {
		t.Fatalf("losetup -r: %v\n%s", err, out)
	}
	dev := strings.TrimSpace(string(out))
	defer exec.Command("losetup", "-d", dev).Run()
	_, err = Open(dev, false)
	var ro *ReadOnlyError
	if !errors.As(err, &ro) {
		t.Errorf("Open(read-only loop device) = %v; want *ReadOnlyError", err)
	}
}

// TestOpenErrors checks that Open's errors name the path once and say
// why, for targets a user can mistype.
func TestOpenErrors(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	immutable := filepath.Join(dir, "immutable.img")
	if err := os.WriteFile(immutable, make([]byte, 1<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("chattr", "+i", immutable).CombinedOutput(); err != nil {
		t.Fatalf("chattr +i (needs root on ext4, as the test folder is here): %v\n%s", err, out)
	}
	t.Cleanup(func() { exec.Command("chattr", "-i", immutable).Run() })
	for _, tc := range []struct{ path, want string }{
		{filepath.Join(dir, "missing.img"), "open " + filepath.Join(dir, "missing.img") + ": no such file or directory"},
		{fifo, "open " + fifo + ": a FIFO, not a block device or regular file"},
		{dir, "open " + dir + ": a directory, not a block device or regular file"},
		{immutable, "open " + immutable + ": operation not permitted"},
	} {
		if _, err := Open(tc.path, false); err == nil || err.Error() != tc.want {
			t.Errorf("Open(%s) = %v; want %q", tc.path, err, tc.want)
		}
	}
}

// TestWriteEmptyTarget writes to image files too small even for the
// probe: the outcome is too-small, as for any drive too small for the
// library, and nothing is written.
func TestWriteEmptyTarget(t *testing.T) {
	lib := testLibrary(t)
	for _, size := range []int{0, 512, 8191} {
		p := filepath.Join(t.TempDir(), "tiny.img")
		if err := os.WriteFile(p, bytes.Repeat([]byte{0xAA}, size), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Write(context.Background(), openDev(t, p), Options{Library: lib})
		var ts *library.TooSmallError
		if !errors.As(err, &ts) || Classify(err) != TooSmall {
			t.Errorf("Write(%d-byte image) = %v; want *library.TooSmallError, outcome too-small", size, err)
		}
		if got, _ := os.ReadFile(p); !bytes.Equal(got, bytes.Repeat([]byte{0xAA}, size)) {
			t.Errorf("Write(%d-byte image) changed it", size)
		}
	}
}

// TestWriteCancel stops jobs part-way, over a drive that held a donor's
// FAT32 volume: what is left must hold no volume at all, neither the
// donor's nor a half-written one that would look like a finished stick.
func TestWriteCancel(t *testing.T) {
	lib := testLibrary(t)
	for _, tc := range []struct {
		name  string
		wipe  Wipe
		after int64 // bytes written before the cancel
	}{
		{"at the first chunk", WipeZero, 1},
		{"mid-way, zero fill", WipeZero, 40 * mib},
		{"mid-way, random fill", WipeRandom, 40 * mib},
	} {
		t.Run(tc.name, func(t *testing.T) {
			img := sparseFile(t, 128*mib)
			donor := attachLoop(t, img, false)
			if out, err := exec.Command(findTool(t, "mkfs.fat"), "-F", "32", donor).CombinedOutput(); err != nil {
				t.Fatalf("mkfs.fat: %v\n%s", err, out)
			}
			dev := openDev(t, attachLoop(t, img, true))
			ctx, cancel := context.WithCancel(context.Background())
			var cancelled time.Time
			_, err := Write(ctx, dev, Options{Library: lib, Wipe: tc.wipe, Progress: func(p Progress) {
				if p.Phase == Writing && p.Done >= tc.after && cancelled.IsZero() {
					cancelled = time.Now()
					cancel()
				}
			}})
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("Write after cancel = %v; want context.Canceled", err)
			}
			t.Logf("stopped %v after the cancel", time.Since(cancelled))
			dev.Close()
			f, err := os.Open(img)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if v, err := fat.OpenVolume(f, 128*mib); err == nil {
				t.Errorf("an interrupted drive holds a FAT32 volume (label %q); want none", v.Label())
			}
			head := make([]byte, 2*mib)
			f.ReadAt(head, 0)
			for _, off := range []int{0, 1 * mib, 1*mib + 6*512} {
				if !isZeros(head[off : off+512]) {
					t.Errorf("sector at %d holds data after an interrupted write; want zeros", off)
				}
			}
		})
	}
}

func TestWriteContentCorrupt(t *testing.T) {
	lib := testLibrary(t)
	p := lib.ContentPath("위키백과/문서/서울특별시.html")
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	data[1000] ^= 1
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Write(context.Background(), openDev(t, loopDisk(t, 64*mib)), Options{Library: lib})
	var ce *library.ContentError
	if !errors.As(err, &ce) || ce.Path != "위키백과/문서/서울특별시.html" {
		t.Errorf("Write with a changed library file = %v; want *library.ContentError naming it", err)
	}
}

// A file the library remembers as verified is checked against its
// remembered checksum instead of SHA-256: bytes that no longer match it
// (as if they decayed on the library's disk) still stop the job.
func TestWriteContentCorruptRemembered(t *testing.T) {
	lib := testLibrary(t)
	if err := lib.Verify(t.Context()); err != nil {
		t.Fatal(err)
	}
	mem := filepath.Join(t.TempDir(), "verified.json")
	if err := lib.SaveVerified(mem); err != nil {
		t.Fatal(err)
	}
	// The memory is the library's own business: change the remembered
	// checksum of one file in whatever form it is kept.
	data, err := os.ReadFile(mem)
	if err != nil {
		t.Fatal(err)
	}
	// It ends in one record of 16 bytes for each file, in manifest order:
	// a hash of the file's identity, then the checksum.
	const bad = "위키백과/문서/평양.html"
	i, ok := lib.Manifest.Lookup(bad)
	records := len(data) - 16*lib.Manifest.NumFiles()
	if !ok || records < 0 {
		t.Fatalf("memory of verified files of %d bytes for %d files, or no %q", len(data), lib.Manifest.NumFiles(), bad)
	}
	data[records+16*i+8] ^= 1
	if err := os.WriteFile(mem, data, 0o600); err != nil {
		t.Fatal(err)
	}
	again, err := library.Open(lib.Dir)
	if err != nil {
		t.Fatal(err)
	}
	again.LoadVerified(mem)
	_, err = Write(t.Context(), openDev(t, loopDisk(t, 64*mib)), Options{Library: again})
	var ce *library.ContentError
	if !errors.As(err, &ce) || ce.Path != bad || Classify(err) != ContentCorrupt {
		t.Errorf("Write with a file that no longer matches its remembered checksum = %v; want *library.ContentError naming %q", err, bad)
	}
}
