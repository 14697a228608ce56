package fat

import (
	"encoding/binary"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// rdPatched is a device read through base with some bytes replaced, so
// each case of a test breaks its own copy of one large sparse image.
type rdPatched struct {
	base    io.ReaderAt
	patches map[int64][]byte // device offset -> bytes that replace what is there
}

func (d *rdPatched) ReadAt(p []byte, off int64) (int, error) {
	n, err := d.base.ReadAt(p, off)
	for at, b := range d.patches {
		lo, hi := max(at, off), min(at+int64(len(b)), off+int64(n))
		if lo < hi {
			copy(p[lo-off:hi-off], b[lo-at:hi-at])
		}
	}
	return n, err
}

// rdHostile is one hostile case being built: the clean volume to look
// things up in and the patches that break it.
type rdHostile struct {
	t     *testing.T
	v     *Volume
	patch map[int64][]byte
}

func (h *rdHostile) put32(off int64, val uint32) {
	h.patch[off] = binary.LittleEndian.AppendUint32(nil, val)
}

// entry is the directory entry of the file or folder at name on the clean
// volume.
func (h *rdHostile) entry(name string) *DirEntry {
	h.t.Helper()
	st, err := h.v.Stat(name)
	if err != nil {
		h.t.Fatalf("Stat(%q) = %v", name, err)
	}
	return st.Sys().(*DirEntry)
}

func (h *rdHostile) first(name string) uint32 { return h.entry(name).FirstCluster }

// setFAT sets the FAT entry of cluster c in both FATs.
func (h *rdHostile) setFAT(c, val uint32) {
	fatBytes := h.v.dataStart - h.v.fatStart // two FATs: the first starts at fatStart
	h.put32(h.v.fatStart+int64(c)*4, val)
	h.put32(h.v.fatStart+fatBytes/2+int64(c)*4, val)
}

// link points the entry at name to cluster c.
func (h *rdHostile) link(name string, c uint32) {
	off := h.entry(name).Offset
	h.patch[off+20] = binary.LittleEndian.AppendUint16(nil, uint16(c>>16))
	h.patch[off+26] = binary.LittleEndian.AppendUint16(nil, uint16(c))
}

func (h *rdHostile) setSize(name string, size uint32) { h.put32(h.entry(name).Offset+28, size) }

func (h *rdHostile) makeDir(name string) { h.patch[h.entry(name).Offset+11] = []byte{attrDir} }

// rdHostileImage formats an 8 GiB sparse image, partitioned as Windows
// does, with 4 KiB clusters, and fills it with mtools.
func rdHostileImage(t *testing.T) string {
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	if err := os.Mkdir(src, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, size := range map[string]int{"A.BIN": 10000, "B.BIN": 6000, "SMALL.TXT": 100, "manifest.json": 300} {
		if err := os.WriteFile(filepath.Join(src, name), []byte(strings.Repeat("x", size)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	img, target := rdMkfs(t, dir, rdLayout{mib: 8 << 10, mbr: true, sector: 512, spc: 8}, "-F", "32")
	for _, name := range []string{"A.BIN", "B.BIN", "SMALL.TXT", "manifest.json"} {
		rdRun(t, "", "mcopy", "-i", target, filepath.Join(src, name), "::"+name)
	}
	rdRun(t, "", "mmd", "-i", target, "::DIR", "::DIR/SUB")
	rdRun(t, "", "mcopy", "-i", target, filepath.Join(src, "SMALL.TXT"), "::DIR/SUB/X.TXT")
	return img
}

// rdWholeChain4GiB makes manifest.json a file of 4 GiB - 1 whose chain
// holds all of it.
func rdWholeChain4GiB(h *rdHostile) {
	const c, n = 100000, 1 << 20 // clusters c..c+n-1 are free on the clean volume
	fat := make([]byte, 4*n)
	for i := range uint32(n - 1) {
		binary.LittleEndian.PutUint32(fat[4*i:], c+i+1)
	}
	binary.LittleEndian.PutUint32(fat[4*(n-1):], 0x0FFFFFFF)
	h.patch[h.v.fatStart+int64(c)*4] = fat
	h.link("manifest.json", c)
	h.setSize("manifest.json", 0xFFFFFFFF)
}

// rdWalkLimited walks v whole, reading each file with ReadFile under
// limit, and returns the first error met.
func rdWalkLimited(v *Volume, limit int64) error {
	var first error
	keep := func(err error) {
		if first == nil {
			first = err
		}
	}
	fs.WalkDir(v, ".", func(p string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			keep(err)
		case !d.IsDir():
			if _, err := ReadFile(v, p, limit); err != nil {
				keep(err)
			}
		}
		return nil
	})
	return first
}

// rdWalkEntriesLimited is rdWalkLimited through Walk, reading each file
// through its WalkEntry.
func rdWalkEntriesLimited(v *Volume, limit int64) error {
	var first error
	v.Walk(func(p string, d *WalkEntry, err error) error {
		if err == nil && !d.IsDir() {
			_, err = ReadFile(rdEntryFS{d}, p, limit)
		}
		if first == nil {
			first = err
		}
		return nil
	})
	return first
}

// rdEntryFS is a file met by Walk as an fs.FS of that one file, for ReadFile.
type rdEntryFS struct{ d *WalkEntry }

func (f rdEntryFS) Open(string) (fs.File, error)     { return f.d.Open() }
func (f rdEntryFS) Stat(string) (fs.FileInfo, error) { return f.d.Info() }

// TestReadHostile breaks a real 8 GiB FAT32 volume in the ways a hostile
// or damaged stick can and checks that opening and walking it, reading
// every file under a limit, ends in an error of the right type that names
// what is wrong, soon, and allocating little, whatever sizes the volume
// claims.
func TestReadHostile(t *testing.T) {
	img := rdHostileImage(t)
	f, err := os.Open(img)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	size := st.Size()
	clean, err := OpenVolume(f, size)
	if err != nil {
		t.Fatalf("OpenVolume(clean image) = %v", err)
	}
	if err := rdWalkLimited(clean, 64<<10); err != nil {
		t.Fatalf("walk of the clean image: %v", err)
	}
	boot := clean.start
	// The 4 GiB file's chain is whole: ReadFile refuses it for its size, not
	// for its chain.
	h := &rdHostile{t: t, v: clean, patch: map[int64][]byte{}}
	rdWholeChain4GiB(h)
	if v, err := OpenVolume(&rdPatched{base: f, patches: h.patch}, size); err != nil {
		t.Errorf("OpenVolume(4 GiB file) = %v", err)
	} else if exts, err := v.Extents("manifest.json"); err != nil || len(exts) != 1 || exts[0].Count != 1<<20 {
		t.Errorf("Extents(4 GiB file) = %v, %v; want one run of %d clusters", exts, err, 1<<20)
	}
	const (
		corrupt  = "corrupt"
		tooLarge = "too large"
		maxAlloc = 2 << 20
	)
	for _, tc := range []struct {
		desc  string
		edit  func(h *rdHostile)
		limit int64  // for ReadFile; 64 KiB if 0
		kind  string // corrupt or tooLarge
		want  string // in the message
	}{
		{desc: "root chain loops", edit: func(h *rdHostile) { h.setFAT(2, 2) },
			kind: corrupt, want: "cluster chain from 2 loops back to cluster 2"},
		{desc: "file chain loops", edit: func(h *rdHostile) {
			c := h.first("A.BIN")
			h.setFAT(c+2, c)
		}, kind: corrupt, want: "loops back to cluster"},
		{desc: "file of 4 GiB whose chain loops", limit: 1 << 33, edit: func(h *rdHostile) {
			c := h.first("A.BIN")
			h.setSize("A.BIN", 0xFFFFFFFF)
			h.setFAT(c+2, c)
		}, kind: corrupt, want: "loops back to cluster"},
		{desc: "folder chain loops", edit: func(h *rdHostile) {
			c := h.first("DIR/SUB")
			h.setFAT(c, c)
		}, kind: corrupt, want: "loops back to cluster"},
		{desc: "file starts inside another file's chain", edit: func(h *rdHostile) { h.link("B.BIN", h.first("A.BIN")+1) },
			kind: corrupt, want: "is in another file's or folder's chain (cross-linked)"},
		{desc: "file chain runs into another file's", edit: func(h *rdHostile) {
			h.setFAT(h.first("B.BIN"), h.first("A.BIN")+2)
		}, kind: corrupt, want: "which is in another file's or folder's chain (cross-linked)"},
		{desc: "two files share a chain", edit: func(h *rdHostile) {
			h.link("B.BIN", h.first("A.BIN"))
			h.setSize("B.BIN", 10000)
		}, kind: corrupt, want: "starts the chain of the entry at byte"},
		{desc: "file in a folder's cluster", edit: func(h *rdHostile) { h.link("SMALL.TXT", h.first("DIR")) },
			kind: corrupt, want: "cross-linked"},
		{desc: "file in the root's cluster", edit: func(h *rdHostile) { h.link("SMALL.TXT", 2) },
			kind: corrupt, want: "cross-linked"},
		{desc: "link past the end of the volume", edit: func(h *rdHostile) { h.setFAT(h.first("A.BIN"), h.v.maxCluster+1) },
			kind: corrupt, want: "outside 2.."},
		{desc: "link past the end of the FAT", edit: func(h *rdHostile) { h.setFAT(h.first("A.BIN"), 0x0FFFFFF0) },
			kind: corrupt, want: "links to 268435440, outside 2.."},
		{desc: "file starts past the end", edit: func(h *rdHostile) { h.link("SMALL.TXT", 0x0FFFFFF0) },
			kind: corrupt, want: "chain starts at cluster 268435440, outside 2.."},
		{desc: "folder holds itself", edit: func(h *rdHostile) {
			h.link("DIR/SUB/X.TXT", h.first("DIR/SUB"))
			h.makeDir("DIR/SUB/X.TXT")
		}, kind: corrupt, want: "contains itself"},
		{desc: "folder holds its parent", edit: func(h *rdHostile) { h.link("DIR/SUB", h.first("DIR")) },
			kind: corrupt, want: "contains itself"},
		{desc: "folder holds the root", edit: func(h *rdHostile) { h.link("DIR/SUB", 2) },
			kind: corrupt, want: "contains itself"},
		{desc: "file claims 4 GiB, holds one cluster", edit: func(h *rdHostile) { h.setSize("SMALL.TXT", 0xFFFFFFFF) },
			kind: tooLarge, want: "SMALL.TXT is 4294967295 bytes; at most 65536 are read"},
		{desc: "file claims 4 GiB, holds one cluster, read whole", limit: 1 << 33, edit: func(h *rdHostile) { h.setSize("SMALL.TXT", 0xFFFFFFFF) },
			kind: corrupt, want: "ends after 1 clusters; a file of 4294967295 bytes needs 1048576"},
		{desc: "file of 4 GiB with a whole chain", edit: rdWholeChain4GiB,
			kind: tooLarge, want: "manifest.json is 4294967295 bytes"},
		{desc: "volume larger than its partition", edit: func(h *rdHostile) { h.put32(boot+32, 0xFFFFFFF0) },
			kind: corrupt, want: "is larger than the"},
		{desc: "partition past the device's end", edit: func(h *rdHostile) { h.put32(446+12, 0xFFFFFFF0) },
			kind: corrupt, want: "past the device's end"},
		{desc: "partition starts past the device's end", edit: func(h *rdHostile) { h.put32(446+8, 0xFFFFFF00) },
			kind: corrupt, want: "past the device's end"},
		{desc: "FAT of 0 sectors", edit: func(h *rdHostile) { h.put32(boot+36, 0) },
			kind: corrupt, want: "FAT of 0 sectors"},
		{desc: "FAT of 2^32-1 sectors", edit: func(h *rdHostile) { h.put32(boot+36, 0xFFFFFFFF) },
			kind: corrupt, want: "fill the whole volume"},
		{desc: "0 sectors per cluster", edit: func(h *rdHostile) { h.patch[boot+13] = []byte{0} },
			kind: corrupt, want: "0 sectors per cluster"},
		{desc: "3 sectors per cluster", edit: func(h *rdHostile) { h.patch[boot+13] = []byte{3} },
			kind: corrupt, want: "3 sectors per cluster"},
		{desc: "128 sectors per cluster", edit: func(h *rdHostile) { h.patch[boot+13] = []byte{128} },
			kind: corrupt, want: "is longer than 1 clusters"},
		{desc: "65535 reserved sectors", edit: func(h *rdHostile) { h.patch[boot+14] = []byte{0xFF, 0xFF} },
			kind: corrupt, want: "cluster 2"},
	} {
		h := &rdHostile{t: t, v: clean, patch: map[int64][]byte{}}
		tc.edit(h)
		limit := tc.limit
		if limit == 0 {
			limit = 64 << 10
		}
		dev := &rdPatched{base: f, patches: h.patch}
		for _, w := range []struct {
			how  string
			walk func(v *Volume, limit int64) error
		}{{"fs.WalkDir", rdWalkLimited}, {"Walk", rdWalkEntriesLimited}} {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			start := time.Now()
			v, err := OpenVolume(dev, size)
			if err == nil {
				err = w.walk(v, limit)
			}
			took := time.Since(start)
			runtime.ReadMemStats(&after)
			var ce *CorruptError
			var tl *TooLargeError
			switch {
			case err == nil:
				t.Errorf("%s, %s: OpenVolume and walk met no error; want one saying %q", tc.desc, w.how, tc.want)
				continue
			case tc.kind == corrupt && !errors.As(err, &ce), tc.kind == tooLarge && !errors.As(err, &tl):
				t.Errorf("%s, %s: error = %v; want a %s error", tc.desc, w.how, err, tc.kind)
			case !strings.Contains(err.Error(), tc.want):
				t.Errorf("%s, %s: error = %v; want it to say %q", tc.desc, w.how, err, tc.want)
			}
			if n := after.TotalAlloc - before.TotalAlloc; n > maxAlloc {
				t.Errorf("%s, %s: allocated %d bytes; want at most %d", tc.desc, w.how, n, maxAlloc)
			}
			t.Logf("%s, %s: refused in %v", tc.desc, w.how, took) // no wall-clock limit: the machines are shared
		}
		rdSameWalk(t, tc.desc, func() (*Volume, error) { return OpenVolume(dev, size) })
	}
}
