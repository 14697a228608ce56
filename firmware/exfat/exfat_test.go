package exfat

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
	"testing/fstest"

	"flashkiosk/firmware/fat"
)

// tool finds a command in PATH or the sbin folders.
func tool(t testing.TB, name string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, d := range []string{"/usr/sbin", "/sbin"} {
		if p := filepath.Join(d, name); fileExists(p) {
			return p
		}
	}
	t.Fatalf("%s not found (Debian packages exfatprogs, exfat-fuse, mount; `make deps` installs them)", name)
	return ""
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

func run(t testing.TB, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v: %s", name, strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// image makes a 4 MiB exFAT volume with mkfs.exfat (4 KiB clusters, its
// structures packed at the start) and puts files on it through the FUSE
// exFAT driver on a loop device, as a PC writes a stick: a name ending in
// "/" is a folder, others are files, written in sorted order. The host
// kernel has no exFAT of its own.
func image(t testing.TB, label string, files map[string]string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("the exFAT tests need root for a loop device and FUSE (as CI runs them)")
	}
	img := filepath.Join(t.TempDir(), "exfat.img")
	if err := os.WriteFile(img, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(img, 4<<20); err != nil {
		t.Fatal(err)
	}
	run(t, tool(t, "mkfs.exfat"), "-b", "4K", "-c", "4K", "-L", label, img)
	if len(files) == 0 {
		return img
	}
	loop := run(t, tool(t, "losetup"), "-f", "--show", img)
	defer exec.Command(tool(t, "losetup"), "-d", loop).Run()
	dir := t.TempDir()
	run(t, tool(t, "mount.exfat-fuse"), loop, dir)
	mounted := true
	defer func() {
		if mounted {
			exec.Command(tool(t, "umount"), dir).Run()
		}
	}()
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		p := filepath.Join(dir, filepath.FromSlash(n))
		if strings.HasSuffix(n, "/") {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.WriteFile(p, []byte(files[n]), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	run(t, tool(t, "umount"), dir)
	mounted = false
	return img
}

func open(t testing.TB, img string) (*Volume, []byte) {
	t.Helper()
	data, err := os.ReadFile(img)
	if err != nil {
		t.Fatal(err)
	}
	v, err := Open(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("Open(%s) = %v", filepath.Base(img), err)
	}
	return v, data
}

// TestOpen reads the root folder of a volume made by the real tools.
func TestOpen(t *testing.T) {
	big := strings.Repeat("위키백과, 우리 모두의 백과사전. ", 20000) // about 800 kB: many clusters
	files := map[string]string{
		"manifest.json": `{"name":"wiki"}`,
		"manifest.sig":  "signature",
		"위키백과 대문.html":  "<h1>대문</h1>",
		"content/":      "",
		"content/a.txt": "not in the root",
		"big.bin":       big,
		"empty.txt":     "",
		"Long name with spaces and more than fifteen characters.txt": "long",
	}
	v, _ := open(t, image(t, "MASTER", files))
	if v.Label() != "MASTER" {
		t.Errorf("Label() = %q; want MASTER", v.Label())
	}
	for name, want := range files {
		if strings.Contains(strings.TrimSuffix(name, "/"), "/") || strings.HasSuffix(name, "/") {
			continue
		}
		got, err := fat.ReadFile(v, name, 1<<20)
		if err != nil || string(got) != want {
			t.Errorf("ReadFile(%q) = %d bytes, %v; want %d bytes", name, len(got), err, len(want))
		}
	}
	if got, err := fat.ReadFile(v, "MANIFEST.JSON", 1<<20); err != nil || string(got) != files["manifest.json"] {
		t.Errorf("ReadFile(MANIFEST.JSON) = %q, %v; want the manifest (names match case-insensitively)", got, err)
	}
	if st, err := fs.Stat(v, "content"); err != nil || !st.IsDir() {
		t.Errorf("Stat(content) = %v, %v; want a folder", st, err)
	}
	if _, err := v.Open("content"); err == nil {
		t.Errorf("Open(content) = nil error; want one: only the root is read")
	}
	for _, name := range []string{"missing.txt", "content/a.txt"} {
		if _, err := fs.Stat(v, name); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Stat(%q) = %v; want not exist", name, err)
		}
	}
	var want []string
	for name := range files {
		if n := strings.TrimSuffix(name, "/"); !strings.Contains(n, "/") {
			want = append(want, n)
		}
	}
	if err := fstest.TestFS(v, want...); err != nil && !strings.Contains(err.Error(), "content") {
		t.Errorf("fstest.TestFS: %v", err)
	}
}

// TestFragmented reads a file whose clusters are not contiguous, so that
// its chain is in the FAT: written, another file after it, then grown.
func TestFragmented(t *testing.T) {
	first := strings.Repeat("a", 10000)
	img := image(t, "FRAG", map[string]string{"a.txt": first, "b.txt": strings.Repeat("b", 10000)})
	loop := run(t, tool(t, "losetup"), "-f", "--show", img)
	dir := t.TempDir()
	run(t, tool(t, "mount.exfat-fuse"), loop, dir)
	more := strings.Repeat("c", 20000)
	f, err := os.OpenFile(filepath.Join(dir, "a.txt"), os.O_APPEND|os.O_WRONLY, 0)
	if err == nil {
		_, err = f.WriteString(more)
		f.Close()
	}
	run(t, tool(t, "umount"), dir)
	run(t, tool(t, "losetup"), "-d", loop)
	if err != nil {
		t.Fatal(err)
	}
	v, _ := open(t, img)
	e := v.lookup("a.txt")
	if e == nil || e.contiguous {
		t.Fatalf("a.txt = %+v; want a file with a FAT chain", e)
	}
	if got, err := fat.ReadFile(v, "a.txt", 1<<20); err != nil || string(got) != first+more {
		t.Errorf("ReadFile(a.txt) = %d bytes, %v; want %d", len(got), err, len(first+more))
	}
}

// TestNotExFAT: FAT32 and empty regions are no exFAT volume.
func TestNotExFAT(t *testing.T) {
	img := filepath.Join(t.TempDir(), "fat.img")
	if err := os.WriteFile(img, make([]byte, 40<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	run(t, tool(t, "mkfs.fat"), "-F", "32", img)
	fat32, _ := os.ReadFile(img)
	for name, data := range map[string][]byte{"FAT32": fat32, "zeros": make([]byte, 1<<20)} {
		if _, err := Open(bytes.NewReader(data), int64(len(data))); !errors.Is(err, ErrNotExFAT) {
			t.Errorf("Open(%s) = %v; want ErrNotExFAT", name, err)
		}
	}
}

// TestOpenHostile spoils a real volume: a bad boot sector fails the whole
// volume as corrupt, a bad file's entry only that file, and neither costs
// more than a bounded read of what the volume claims.
func TestOpenHostile(t *testing.T) {
	img := image(t, "HOSTILE", map[string]string{"manifest.json": strings.Repeat("{}", 5000), "manifest.sig": "sig", "other.txt": "x"})
	clean, err := os.ReadFile(img)
	if err != nil {
		t.Fatal(err)
	}
	v, _ := open(t, img)
	le := binary.LittleEndian
	manifest := v.lookup("manifest.json")
	// The stream extension follows the file entry.
	stream := manifest.offset + 32
	fatStart := v.fatStart
	type patch struct {
		off int64
		b   []byte
	}
	u32 := func(off int64, n uint32) patch { return patch{off, le.AppendUint32(nil, n)} }
	u64 := func(off int64, n uint64) patch { return patch{off, le.AppendUint64(nil, n)} }
	// fixSum recomputes the manifest's entry set checksum after a patch,
	// so that only the patched field is wrong.
	fixSum := func(data []byte) {
		n := int64(data[manifest.offset+1])
		set := data[manifest.offset : manifest.offset+32*(n+1)]
		le.PutUint16(set[2:], setChecksum(set))
	}
	for _, tc := range []struct {
		desc    string
		patches []patch
		resum   bool
		volume  string // the error Open must give, or "" for none
		file    string // the error opening manifest.json must give
	}{
		{"volume larger than its region", []patch{u64(72, 1<<40)}, false, "is larger than the", ""},
		{"root folder outside the heap", []patch{u32(96, 1<<30)}, false, "root folder at cluster", ""},
		{"FAT outside the volume", []patch{u32(84, 1<<30)}, false, "outside the volume", ""},
		{"no boot signature", []patch{{510, []byte{0, 0}}}, false, "boot signature", ""},
		{"entry set checksum", []patch{{manifest.offset + 2, []byte{0xde, 0xad}}}, false, "", "entry set checksum"},
		{"valid length past the size", []patch{u64(stream+8, 1<<40)}, true, "", "valid data length"},
		{"contiguous file past the end", []patch{u64(stream+8, 60<<20), u64(stream+24, 60<<20)}, true, "", "past the volume's end"},
		{"FAT chain shorter than the size", []patch{{stream + 1, []byte{0x01}}, u64(stream+8, 60<<20), u64(stream+24, 60<<20),
			u32(fatStart+4*int64(manifest.firstCluster), endOfChain)}, true, "", "its chain ends after"},
		{"FAT chain loops", []patch{{stream + 1, []byte{0x01}}, u64(stream+8, 60<<20), u64(stream+24, 60<<20),
			u32(fatStart+4*int64(manifest.firstCluster), manifest.firstCluster)}, true, "", "loops"},
	} {
		data := bytes.Clone(clean)
		for _, p := range tc.patches {
			copy(data[p.off:], p.b)
		}
		if tc.resum {
			fixSum(data)
		}
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		v, err := Open(bytes.NewReader(data), int64(len(data)))
		var ferr error
		if err == nil {
			_, ferr = fat.ReadFile(v, "manifest.json", 64<<20)
			if other, err := fat.ReadFile(v, "other.txt", 1<<10); err != nil || string(other) != "x" {
				t.Errorf("%s: ReadFile(other.txt) = %q, %v; want x: a bad entry spoils only itself", tc.desc, other, err)
			}
		}
		runtime.ReadMemStats(&after)
		var ce *CorruptError
		switch {
		case tc.volume != "" && (!errors.As(err, &ce) || !strings.Contains(err.Error(), tc.volume)):
			t.Errorf("%s: Open() = %v; want a *CorruptError saying %q", tc.desc, err, tc.volume)
		case tc.volume == "" && err != nil:
			t.Errorf("%s: Open() = %v; want the volume open", tc.desc, err)
		case tc.file != "" && (!errors.As(ferr, &ce) || !strings.Contains(ferr.Error(), tc.file)):
			t.Errorf("%s: ReadFile(manifest.json) = %v; want a *CorruptError saying %q", tc.desc, ferr, tc.file)
		}
		if n := after.TotalAlloc - before.TotalAlloc; n > 4<<20 {
			t.Errorf("%s: allocated %d bytes; want at most 4 MiB", tc.desc, n)
		}
	}
}

// padded is a device of size bytes whose first bytes are data and the
// rest zeros: a fuzzed volume's first sectors on a device of a fixed size.
type padded struct {
	data []byte
	size int64
}

func (p padded) ReadAt(b []byte, off int64) (int, error) {
	if off < 0 || off >= p.size {
		return 0, io.EOF
	}
	n := 0
	if off < int64(len(p.data)) {
		n = copy(b, p.data[off:])
	}
	m := min(int64(len(b)), p.size-off)
	clear(b[n:m])
	if m < int64(len(b)) {
		return int(m), io.EOF
	}
	return int(m), nil
}

// FuzzOpen opens fuzzed volumes (the first sectors of a 4 MiB device) and
// reads every file of their root: no panic, no loop, and no more memory
// than the limits allow.
func FuzzOpen(f *testing.F) {
	img := image(f, "FUZZ", map[string]string{"manifest.json": `{"name":"x"}`, "manifest.sig": "sig", "content/": ""})
	data, err := os.ReadFile(img)
	if err != nil {
		f.Fatal(err)
	}
	end := len(bytes.TrimRight(data, "\x00"))
	f.Add(data[:end])
	f.Fuzz(func(t *testing.T, b []byte) {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		v, err := Open(padded{b, 4 << 20}, 4<<20)
		if err != nil {
			return
		}
		ents, _ := fs.ReadDir(v, ".")
		for _, e := range ents {
			fat.ReadFile(v, e.Name(), 1<<20)
		}
		runtime.ReadMemStats(&after)
		if n := after.TotalAlloc - before.TotalAlloc; n > 16<<20 {
			t.Errorf("Open and reading the root allocated %d bytes; want at most 16 MiB", n)
		}
	})
}
