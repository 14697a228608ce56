package fat

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

// These tests read volumes that mkfs.fat formatted and mtools filled, so
// the reader is held to tools no one here wrote.

// rdRun runs an outside tool with a UTF-8 locale (for mtools' long names)
// and UTC (so FAT's zoneless times read back as given).
func rdRun(t *testing.T, stdin string, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(need(t, name), args...)
	cmd.Env = append(os.Environ(), "MTOOLS_SKIP_CHECK=1", "LC_ALL=C.UTF-8", "TZ=UTC")
	cmd.Stdin = strings.NewReader(stdin)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

// rdLayout is how a test image is formatted.
type rdLayout struct {
	desc   string
	mib    int64 // image size
	mbr    bool  // partitioned by sfdisk, the volume at 1 MiB
	sector int   // logical sector size for mkfs.fat
	spc    int   // sectors per cluster
}

// rdMkfs formats a sparse image in dir and returns its path and the
// target mtools needs for the volume.
func rdMkfs(t *testing.T, dir string, l rdLayout, args ...string) (img, target string) {
	img = filepath.Join(dir, "disk.img")
	f, err := os.Create(img)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(l.mib << 20); err != nil {
		t.Fatal(err)
	}
	f.Close()
	args = append(args, "-S", fmt.Sprint(l.sector), "-s", fmt.Sprint(l.spc))
	target = img
	if l.mbr {
		rdRun(t, "label: dos\nstart=2048, type=c\n", "sfdisk", "-q", img)
		args = append(args, "--offset", "2048")
		target = img + "@@1M"
	}
	rdRun(t, "", "mkfs.fat", append(args, img)...)
	return img, target
}

// rdMtime is the modification time the source files carry into the volume.
var rdMtime = time.Date(2024, 5, 17, 13, 45, 30, 0, time.UTC)

// rdSourceTree writes the files the mtools tests copy onto volumes.
func rdSourceTree(t *testing.T, dir string) {
	rng := rand.New(rand.NewPCG(1, 2))
	random := make([]byte, 300<<10)
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	files := map[string][]byte{
		"readme.txt":          []byte("exact 8.3, lower case\n"),
		"abc.TXT":             []byte("lower base, upper extension\n"),
		"UPPER.TXT":           []byte("upper\n"),
		"noext":               []byte("no extension\n"),
		"Mixed.Txt":           []byte("mixed case needs a long name\n"),
		"Mixed Case Name.TXT": []byte("spaces\n"),
		"한국어 파일.txt":          []byte("한국어\n"),
		"문서/보고서 2024.txt":     []byte("보고서\n"),
		"문서/empty":            nil,
		"empty.dat":           nil,
		// Each long name in its own folder: mtools 4.0.32 fails with "No
		// directory slots" when one name's entries need the folder to grow
		// by more than one cluster, as a 255-unit name can with 512-byte clusters.
		"long/" + strings.Repeat("l", 251) + ".txt":    []byte("255 units\n"),
		"long 한국어/" + strings.Repeat("가", 80) + ".txt": []byte("84 units\n"),
		"random.bin":                           random,
		"deep/" + rdDeepPath(18) + "/leaf.txt": []byte("20 levels\n"),
	}
	for i := range 1100 {
		files[fmt.Sprintf("many/N%04d long name.txt", i)] = []byte(fmt.Sprint(i))
	}
	for _, d := range []string{"emptydir", "a b c/empty sub"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, rdMtime, rdMtime); err != nil {
			t.Fatal(err)
		}
	}
}

// rdDeepPath is "d01/d02/.../dNN".
func rdDeepPath(n int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = fmt.Sprintf("d%02d", i+1)
	}
	return strings.Join(parts, "/")
}

// rdReadTree reads a host folder as path -> contents (nil for folders).
func rdReadTree(t *testing.T, dir string) map[string][]byte {
	want := map[string][]byte{}
	err := fs.WalkDir(os.DirFS(dir), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			want[p] = nil
			return err
		}
		data, err := os.ReadFile(filepath.Join(dir, p))
		want[p] = append([]byte{}, data...)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return want
}

// rdOpenFile opens the volume in an image file.
func rdOpenFile(t *testing.T, img string) *Volume {
	t.Helper()
	f, err := os.Open(img)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	v, err := OpenVolume(f, st.Size())
	if err != nil {
		t.Fatalf("OpenVolume(%s) = %v; want a volume", img, err)
	}
	return v
}

func TestReadMtoolsVolume(t *testing.T) {
	src := t.TempDir()
	rdSourceTree(t, src)
	want := rdReadTree(t, src)
	tops, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	// mtools tells FAT32 by the cluster count, so every image has 65525 or more.
	for _, l := range []rdLayout{
		{desc: "superfloppy", mib: 40, sector: 512, spc: 1},
		{desc: "MBR partition", mib: 40, mbr: true, sector: 512, spc: 1},
		{desc: "32 KiB clusters", mib: 2100, mbr: true, sector: 512, spc: 64},
		{desc: "4 KiB sectors", mib: 300, sector: 4096, spc: 1},
	} {
		t.Run(l.desc, func(t *testing.T) {
			img, target := rdMkfs(t, t.TempDir(), l, "-F", "32", "-n", "FLASHTEST", "-i", "4B1D5EED")
			args := []string{"-s", "-m", "-Q", "-i", target}
			for _, e := range tops {
				args = append(args, filepath.Join(src, e.Name()))
			}
			rdRun(t, "", "mcopy", append(args, "::/")...)
			v := rdOpenFile(t, img)
			rdSameWalk(t, l.desc, func() (*Volume, error) { return rdOpenFile(t, img), nil })

			got, errs := rdWalk(v)
			for _, err := range errs {
				t.Errorf("walk: %v", err)
			}
			rdCompare(t, got, want)
			rdCheckVolume(t, v, int64(l.sector*l.spc))
			rdCheckMtoolsEntries(t, v)
			if err := fstest.TestFS(v, "readme.txt", "한국어 파일.txt", "many/N1099 long name.txt", "deep/"+rdDeepPath(18)+"/leaf.txt"); err != nil {
				t.Errorf("fstest.TestFS() = %v", err)
			}
		})
	}
}

func rdCheckVolume(t *testing.T, v *Volume, clusterSize int64) {
	t.Helper()
	for _, c := range []struct{ what, got, want string }{
		{"Label()", v.Label(), "FLASHTEST"},
		{"VolumeID()", fmt.Sprintf("%#x", v.VolumeID()), "0x4b1d5eed"},
		{"OEMName()", v.OEMName(), "mkfs.fat"},
		{"ClusterSize()", fmt.Sprint(v.ClusterSize()), fmt.Sprint(clusterSize)},
	} {
		if c.got != c.want {
			t.Errorf("%s = %s; want %s", c.what, c.got, c.want)
		}
	}
	free, ok := v.FreeClusters()
	counted, err := v.CountFree()
	if !ok || err != nil || free != counted {
		t.Errorf("FreeClusters() = %d, %v; CountFree() = %d, %v; want equal", free, ok, counted, err)
	}
	if exts, err := v.Extents("random.bin"); len(exts) != 1 || err != nil {
		t.Errorf("Extents(random.bin) = %v, %v; want one run on a fresh volume", exts, err)
	}
}

// rdCheckMtoolsEntries checks what mtools stores for names and times.
func rdCheckMtoolsEntries(t *testing.T, v *Volume) {
	t.Helper()
	for _, tc := range []struct {
		path      string
		long      string
		short     string
		ntCase    byte
		firstZero bool
	}{
		{"README.TXT", "", "README.TXT", 0x18, false},
		{"abc.txt", "", "ABC.TXT", 0x08, false},
		{"upper.txt", "", "UPPER.TXT", 0, false},
		{"NOEXT", "", "NOEXT", 0x08, false},
		{"mixed.txt", "Mixed.Txt", "MIXED.TXT", 0, false},
		{"mixed case name.txt", "Mixed Case Name.TXT", "MIXEDC~1.TXT", 0, false},
		{"한국어 파일.TXT", "한국어 파일.txt", "_____~1.TXT", 0, false},
		{"EMPTY.DAT", "", "EMPTY.DAT", 0x18, true},
	} {
		info, err := v.Stat(tc.path)
		if err != nil {
			t.Errorf("Stat(%q) = %v; want an entry", tc.path, err)
			continue
		}
		e := info.Sys().(*DirEntry)
		if e.LongName != tc.long || e.ShortName != tc.short || e.NTCase != tc.ntCase || (e.FirstCluster == 0) != tc.firstZero {
			t.Errorf("Stat(%q).Sys() = long %q short %q case %#x cluster %d; want %q %q %#x, cluster 0 = %v",
				tc.path, e.LongName, e.ShortName, e.NTCase, e.FirstCluster, tc.long, tc.short, tc.ntCase, tc.firstZero)
		}
		if !e.Modified.Equal(rdMtime) || !info.ModTime().Equal(rdMtime) {
			t.Errorf("Stat(%q).ModTime() = %v; want %v (mcopy -m)", tc.path, e.Modified, rdMtime)
		}
	}
}

// rdCountingReader counts the ReadAt calls made of it.
type rdCountingReader struct {
	f     *os.File
	calls int
}

func (r *rdCountingReader) ReadAt(p []byte, off int64) (int, error) {
	r.calls++
	return r.f.ReadAt(p, off)
}

// TestReadFragmented reads a file mtools had to put in pieces, and checks
// that each run of clusters is read with one ReadAt.
func TestReadFragmented(t *testing.T) {
	dir := t.TempDir()
	img, target := rdMkfs(t, dir, rdLayout{mib: 40, sector: 512, spc: 1}, "-F", "32")
	var small []string
	for i := range 20 {
		p := filepath.Join(dir, fmt.Sprintf("f%02d", i))
		if err := os.WriteFile(p, bytes.Repeat([]byte{byte(i)}, 2000), 0o644); err != nil {
			t.Fatal(err)
		}
		small = append(small, p)
	}
	rdRun(t, "", "mcopy", append(append([]string{"-i", target}, small...), "::/")...)
	for i := 0; i < 20; i += 2 {
		rdRun(t, "", "mdel", "-i", target, fmt.Sprintf("::/f%02d", i))
	}
	// mtools allocates after FSInfo's next-free hint; with the hint
	// unknown it starts at cluster 2 and fills the holes.
	rdPatch(t, img, 512+492, []byte{0xFF, 0xFF, 0xFF, 0xFF})
	big := make([]byte, 100<<10)
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range big {
		big[i] = byte(rng.Uint32())
	}
	bigPath := filepath.Join(dir, "big.bin")
	if err := os.WriteFile(bigPath, big, 0o644); err != nil {
		t.Fatal(err)
	}
	rdRun(t, "", "mcopy", "-i", target, bigPath, "::/")

	f, err := os.Open(img)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	cr := &rdCountingReader{f: f}
	v, err := OpenVolume(cr, st.Size())
	if err != nil {
		t.Fatalf("OpenVolume() = %v", err)
	}
	exts, err := v.Extents("big.bin")
	if err != nil || len(exts) < 5 {
		t.Fatalf("Extents(big.bin) = %v, %v; want at least 5 runs", exts, err)
	}
	file, err := v.Open("big.bin")
	if err != nil {
		t.Fatalf("Open(big.bin) = %v", err)
	}
	defer file.Close()
	buf := make([]byte, len(big)+1)
	cr.calls = 0
	n, _ := file.Read(buf)
	if n != len(big) || !bytes.Equal(buf[:n], big) {
		t.Errorf("Read(big.bin) = %d bytes; want the %d bytes copied", n, len(big))
	}
	if cr.calls != len(exts) {
		t.Errorf("Read(big.bin) made %d ReadAt calls; want %d, one a run", cr.calls, len(exts))
	}
	for i := 1; i < 20; i += 2 {
		name := fmt.Sprintf("f%02d", i)
		data, err := fs.ReadFile(v, name)
		if err != nil || !bytes.Equal(data, bytes.Repeat([]byte{byte(i)}, 2000)) {
			t.Errorf("ReadFile(%s) = %d bytes, %v; want 2000 bytes of %d", name, len(data), err, i)
		}
	}
}

// rdPatch overwrites bytes of a file.
func rdPatch(t *testing.T, path string, off int64, b []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}

// TestReadNotFAT32 checks what is refused as no FAT32 volume at all.
func TestReadNotFAT32(t *testing.T) {
	for _, tc := range []struct {
		desc string
		make func(t *testing.T, dir string) string
	}{
		{"FAT16", func(t *testing.T, dir string) string {
			img, _ := rdMkfs(t, dir, rdLayout{mib: 40, sector: 512, spc: 4}, "-F", "16")
			return img
		}},
		{"FAT12", func(t *testing.T, dir string) string {
			img, _ := rdMkfs(t, dir, rdLayout{mib: 2, sector: 512, spc: 4}, "-F", "12")
			return img
		}},
		{"FAT16 partition of type 0x0E", func(t *testing.T, dir string) string {
			img, _ := rdMkfs(t, dir, rdLayout{mib: 40, mbr: true, sector: 512, spc: 4}, "-F", "16")
			rdPatch(t, img, 446+4, []byte{0x0E})
			return img
		}},
		{"blank disk", func(t *testing.T, dir string) string {
			img := filepath.Join(dir, "blank.img")
			if err := os.WriteFile(img, make([]byte, 1<<20), 0o644); err != nil {
				t.Fatal(err)
			}
			return img
		}},
		{"GPT", func(t *testing.T, dir string) string {
			img, _ := rdMkfs(t, dir, rdLayout{mib: 40, sector: 512, spc: 1}, "-F", "32")
			rdRun(t, "label: gpt\nstart=2048, type=EBD0A0A2-B9E5-4433-87C0-68B6B72699C7\n", "sfdisk", "-q", "--wipe", "always", img)
			return img
		}},
		{"Linux partition only", func(t *testing.T, dir string) string {
			img, _ := rdMkfs(t, dir, rdLayout{mib: 40, mbr: true, sector: 512, spc: 1}, "-F", "32")
			rdPatch(t, img, 446+4, []byte{0x83})
			return img
		}},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			img := tc.make(t, t.TempDir())
			data, err := os.ReadFile(img)
			if err != nil {
				t.Fatal(err)
			}
			_, err = OpenVolume(bytes.NewReader(data), int64(len(data)))
			if !errors.Is(err, ErrNotFAT32) {
				t.Errorf("OpenVolume(%s) = %v; want ErrNotFAT32", tc.desc, err)
			}
		})
	}
}

// TestReadTinyPassesFsck holds the test builder to fsck.fat, so the tiny
// volumes the other tests read are ones an outside tool accepts.
func TestReadTinyPassesFsck(t *testing.T) {
	for _, spec := range []rdTinySpec{{}, {label: "KIOSK"}, {bps: 4096, spc: 2, fats: 1}, {partStart: 8}} {
		m := rdTiny(spec, rdTinyTree())
		img := filepath.Join(t.TempDir(), "tiny.img")
		if err := os.WriteFile(img, m.img[m.start:], 0o644); err != nil {
			t.Fatal(err)
		}
		rdRun(t, "", "fsck.fat", "-n", img)
	}
}
