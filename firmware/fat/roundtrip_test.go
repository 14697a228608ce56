package fat

import (
	"bytes"
	"io"
	"io/fs"
	"os"
	"path"
	"testing"
	"testing/fstest"
)

// TestRoundTrip reads written volumes back with the package's reader and
// checks every promise of the layout: names as typed, sizes, bytes,
// timestamps, contiguous files, IDs, label and free counts.
func TestRoundTrip(t *testing.T) {
	var files []testFile
	files = append(files,
		testFile{path: "위키백과/문서/서울특별시.html", data: pattern(1, 9000)},
		testFile{path: "ReadMe.Html", data: []byte("mixed")},
		testFile{path: "readme.md", data: []byte("lower 8.3")},
		testFile{path: "README.TXT", data: []byte("upper 8.3")},
		testFile{path: "empty.bin"},
		testFile{path: "Empty Folder", dir: true},
		testFile{path: deepPath(20), data: []byte("deep")},
		testFile{path: "big.bin", data: pattern(2, 3*mib+5)},
	)
	for _, label := range []string{"", "KIOSK 2026"} {
		img, l := writeImage(t, 100*mib, files, Options{Label: label})
		f, err := os.Open(img)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		v, err := OpenVolume(f, 100*mib)
		if err != nil {
			t.Fatalf("OpenVolume: %v", err)
		}
		checkVolume(t, v, l, files, label)
	}
}

// checkVolume compares a volume read back with what was planned.
func checkVolume(t testing.TB, v *Volume, l *Layout, files []testFile, label string) {
	t.Helper()
	if label == "" {
		label = DefaultLabel
	}
	if v.Label() != label || v.VolumeID() != l.VolumeID() || v.OEMName() != oemName || v.ClusterSize() != l.Geometry().ClusterSize() {
		t.Errorf("volume %q %08x %q %d; want %q %08x %q %d", v.Label(), v.VolumeID(), v.OEMName(), v.ClusterSize(),
			label, l.VolumeID(), oemName, l.Geometry().ClusterSize())
	}
	wantFree := l.Geometry().Clusters - l.used
	free, ok := v.FreeClusters()
	counted, err := v.CountFree()
	if !ok || free != wantFree || err != nil || counted != wantFree {
		t.Errorf("free clusters: FSInfo %d (%v), counted %d (%v); want %d", free, ok, counted, err, wantFree)
	}
	var paths []string
	for _, f := range files {
		paths = append(paths, f.path)
		info, err := fs.Stat(v, f.path)
		if err != nil {
			t.Errorf("Stat(%q): %v", f.path, err)
			continue
		}
		e := info.Sys().(*DirEntry)
		if e.Name != path.Base(f.path) || info.IsDir() != f.dir {
			t.Errorf("Stat(%q) = %q dir %v; want %q dir %v", f.path, e.Name, info.IsDir(), path.Base(f.path), f.dir)
		}
		if !e.Created.Equal(testDate) || !e.Modified.Equal(testDate) || !e.Accessed.Equal(testDate) {
			t.Errorf("Stat(%q) times %v %v %v; want all %v", f.path, e.Created, e.Modified, e.Accessed, testDate)
		}
		if f.dir {
			continue
		}
		if e.Attr != attrArchive {
			t.Errorf("Stat(%q).Attr = %#x; want archive only", f.path, e.Attr)
		}
		data, err := fs.ReadFile(v, f.path)
		if err != nil || !bytes.Equal(data, f.data) {
			t.Errorf("ReadFile(%q) = %d bytes, %v; want the %d written", f.path, len(data), err, len(f.data))
		}
		exts, err := v.Extents(f.path)
		if err != nil || len(exts) > 1 {
			t.Errorf("Extents(%q) = %v, %v; want one piece", f.path, exts, err)
		}
	}
	if err := fstest.TestFS(v, paths...); err != nil {
		t.Errorf("fstest.TestFS: %v", err)
	}
}

// memDisk is a disk image held in memory up to len(data), zeros after.
type memDisk struct{ data []byte }

func (m memDisk) ReadAt(p []byte, off int64) (int, error) {
	clear(p)
	if off < int64(len(m.data)) {
		copy(p, m.data[off:])
	}
	return len(p), nil
}

var _ io.ReaderAt = memDisk{}
