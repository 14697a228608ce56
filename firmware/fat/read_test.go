package fat

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"maps"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

// rdWalk visits everything on v with fs.WalkDir, reading each file whole
// through Open, and returns the contents by path (nil for a folder) and
// every error met, going on past each so that termination is tested too.
func rdWalk(v *Volume) (map[string][]byte, []error) {
	got := map[string][]byte{}
	var errs []error
	fs.WalkDir(v, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			errs = append(errs, err)
			return nil
		}
		if d.IsDir() {
			got[p] = nil
			return nil
		}
		data, err := fs.ReadFile(v, p)
		if err != nil {
			errs = append(errs, err)
			return nil
		}
		got[p] = data
		return nil
	})
	return got, errs
}

// rdWant lists what a tree of nodes should read back as, by path.
func rdWant(prefix string, nodes []*rdNode, want map[string][]byte) map[string][]byte {
	if want == nil {
		want = map[string][]byte{".": nil}
	}
	for _, n := range nodes {
		p := strings.TrimPrefix(prefix+"/"+rdNodeName(n), "/")
		if n.dir {
			want[p] = nil
			rdWant(p, n.kids, want)
		} else {
			want[p] = append([]byte{}, n.data...)
		}
	}
	return want
}

func rdOpen(t testing.TB, img []byte) *Volume {
	t.Helper()
	v, err := OpenVolume(bytes.NewReader(img), int64(len(img)))
	if err != nil {
		t.Fatalf("OpenVolume() = %v; want a volume", err)
	}
	return v
}

// rdCompare reports differences between two path -> contents maps.
func rdCompare(t *testing.T, got, want map[string][]byte) {
	t.Helper()
	for _, p := range slices.Sorted(maps.Keys(want)) {
		g, ok := got[p]
		switch {
		case !ok:
			t.Errorf("walk: %q missing", p)
		case (g == nil) != (want[p] == nil):
			t.Errorf("walk: %q is a folder = %v; want %v", p, g == nil, want[p] == nil)
		case !bytes.Equal(g, want[p]):
			t.Errorf("ReadFile(%q) = %d bytes %.20q; want %d bytes %.20q", p, len(g), g, len(want[p]), want[p])
		}
	}
	for _, p := range slices.Sorted(maps.Keys(got)) {
		if _, ok := want[p]; !ok {
			t.Errorf("walk: unexpected %q", p)
		}
	}
}

func TestReadTinyVolume(t *testing.T) {
	for _, spec := range []rdTinySpec{
		{},
		{partStart: 8},
		{bps: 4096, spc: 2, partStart: 8, fats: 1},
		{bps: 1024, spc: 4},
		{spc: 64, clusters: 20, label: "KIOSK"},
	} {
		m := rdTiny(spec, rdTinyTree())
		v := rdOpen(t, m.img)
		got, errs := rdWalk(v)
		for _, err := range errs {
			t.Errorf("%+v: walk: %v", spec, err)
		}
		rdCompare(t, got, rdWant("", rdTinyTree(), nil))
		spec = rdTinyDefaults(spec)
		wantLabel := "NO NAME"
		if spec.label != "" {
			wantLabel = spec.label
		}
		if got := v.Label(); got != wantLabel {
			t.Errorf("%+v: Label() = %q; want %q", spec, got, wantLabel)
		}
		if got, want := v.ClusterSize(), int64(spec.bps*spec.spc); got != want {
			t.Errorf("%+v: ClusterSize() = %d; want %d", spec, got, want)
		}
		if got, want := v.VolumeID(), uint32(0x1234ABCD); got != want {
			t.Errorf("%+v: VolumeID() = %#x; want %#x", spec, got, want)
		}
		if got, want := v.OEMName(), "MSWIN4.1"; got != want {
			t.Errorf("%+v: OEMName() = %q; want %q", spec, got, want)
		}
		free, ok := v.FreeClusters()
		counted, err := v.CountFree()
		if !ok || err != nil || free != counted {
			t.Errorf("%+v: FreeClusters() = %d, %v; CountFree() = %d, %v; want equal", spec, free, ok, counted, err)
		}
	}
}

func TestReadFSTest(t *testing.T) {
	v := rdOpen(t, rdTiny(rdTinySpec{}, rdTinyTree()).img)
	if err := fstest.TestFS(v, "readme.txt", "한국어 문서.txt", "Docs/manifest.json", "Docs/SUB/DEEP.BIN", "Docs/empty folder"); err != nil {
		t.Errorf("fstest.TestFS() = %v", err)
	}
}

func TestReadDirEntry(t *testing.T) {
	v := rdOpen(t, rdTiny(rdTinySpec{}, rdTinyTree()).img)
	stamp := rdStamp
	date := time.Date(stamp.Year(), stamp.Month(), stamp.Day(), 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		path string
		want DirEntry
	}{
		{"readme.txt", DirEntry{Name: "readme.txt", ShortName: "README.TXT", Attr: 0x20, NTCase: 0x18, FirstCluster: 3, Size: 13}},
		{"한국어 문서.TXT", DirEntry{Name: "한국어 문서.txt", LongName: "한국어 문서.txt", ShortName: "______~1.TXT", Attr: 0x20, FirstCluster: 4, Size: 1200}},
		{"MIXEDC~1.MD", DirEntry{Name: "Mixed Case Name.Md", LongName: "Mixed Case Name.Md", ShortName: "MIXEDC~1.MD", Attr: 0x20, FirstCluster: 7, Size: 8}},
		{"Empty.dat", DirEntry{Name: "empty.DAT", ShortName: "EMPTY.DAT", Attr: 0x20, NTCase: 0x08}},
		{"docs/Empty Folder", DirEntry{Name: "empty folder", LongName: "empty folder", ShortName: "EMPTYF~1", Attr: 0x10, FirstCluster: 16}},
	} {
		info, err := v.Stat(tc.path)
		if err != nil {
			t.Errorf("Stat(%q) = %v; want an entry", tc.path, err)
			continue
		}
		got := *info.Sys().(*DirEntry)
		want := tc.want
		want.Created, want.Modified, want.Accessed = stamp, stamp.Truncate(2*time.Second), date
		want.Offset = got.Offset
		if got != want {
			t.Errorf("Stat(%q).Sys() = %+v; want %+v", tc.path, got, want)
		}
		if info.Name() != want.Name || info.Size() != int64(want.Size) || info.IsDir() != (want.Attr&0x10 != 0) || !info.ModTime().Equal(want.Modified) {
			t.Errorf("Stat(%q) = %v; want it to agree with %+v", tc.path, info, want)
		}
	}
}

// TestReadNames covers how entries become names: long names and what
// makes the reader fall back to the short name, case flags, special bytes.
func TestReadNames(t *testing.T) {
	long := func(s string) []*rdNode { return []*rdNode{{long: s, short: "LONG~1.TXT", data: []byte("x")}} }
	for _, tc := range []struct {
		desc  string
		nodes []*rdNode
		edit  func(m *rdTinyImage)
		want  []string
	}{
		{"8.3 upper", []*rdNode{{short: "UPPER.TXT"}}, nil, []string{"UPPER.TXT"}},
		{"8.3 lower base", []*rdNode{{short: "LOWER.TXT", ntCase: 0x08}}, nil, []string{"lower.TXT"}},
		{"8.3 lower ext", []*rdNode{{short: "LOWER.TXT", ntCase: 0x10}}, nil, []string{"LOWER.txt"}},
		{"no extension", []*rdNode{{short: "NOEXT", ntCase: 0x18}}, nil, []string{"noext"}},
		{"long 255", long(strings.Repeat("L", 251) + ".txt"), nil, []string{strings.Repeat("L", 251) + ".txt"}},
		{"long 13 exactly", long("0123456789abc"), nil, []string{"0123456789abc"}},
		{"surrogate pair", long("music 🎵.txt"), nil, []string{"music 🎵.txt"}},
		{"0x05 means 0xE5", []*rdNode{{short: "\x05ABC.TXT"}}, nil, []string{"σABC.TXT"}},
		{"deleted and label skipped", []*rdNode{{short: "\xe5GONE.TXT"}, {short: "LABEL", attr: 0x08}, {short: "KEEP"}}, nil, []string{"KEEP"}},
		{"end marker stops", []*rdNode{{short: "FIRST"}, {short: "\x00HIDDEN"}, {short: "AFTER"}}, nil, []string{"FIRST"}},
		{"checksum mismatch", long("Long name.txt"), func(m *rdTinyImage) {
			m.img[m.clusterAt(2)+32+6] = 'X' // the short entry follows the one long entry
		}, []string{"LONG~1X.TXT"}},
		{"orphaned long entry", long("Long name in two parts"), func(m *rdTinyImage) {
			m.img[m.clusterAt(2)] = 0xE5 // the first of the two parts is deleted
		}, []string{"LONG~1.TXT"}},
		{"long part out of order", long("Long name that takes three parts.txt"), func(m *rdTinyImage) {
			m.img[m.clusterAt(2)+32] = 3
		}, []string{"LONG~1.TXT"}},
		{"slash in long name", long("a/b"), nil, []string{"LONG~1.TXT"}},
		{"dot long name", long(".."), nil, []string{"LONG~1.TXT"}},
	} {
		m := rdTiny(rdTinySpec{}, tc.nodes)
		if tc.edit != nil {
			tc.edit(m)
		}
		v := rdOpen(t, m.img)
		list, err := v.ReadDir(".")
		var got []string
		for _, e := range list {
			got = append(got, e.Name())
		}
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("%s: ReadDir(\".\") = %q, %v; want %q", tc.desc, got, err, tc.want)
		}
	}
}

// TestReadLookup covers path resolution: case, short aliases, what is not
// there, and paths that are not valid.
func TestReadLookup(t *testing.T) {
	v := rdOpen(t, rdTiny(rdTinySpec{}, rdTinyTree()).img)
	for _, tc := range []struct {
		path string
		want error // nil: found
	}{
		{".", nil},
		{"DOCS/MANIFEST.JSON", nil},
		{"docs/manife~1.jso", nil},
		{"Docs/sub/deep.bin", nil},
		{"Docs/nope", fs.ErrNotExist},
		{"README.TXT/x", fs.ErrNotExist},
		{"/README.TXT", fs.ErrInvalid},
		{"Docs/../README.TXT", fs.ErrInvalid},
		{"Docs/", fs.ErrInvalid},
	} {
		if _, err := v.Stat(tc.path); !errors.Is(err, tc.want) {
			t.Errorf("Stat(%q) = %v; want %v", tc.path, err, tc.want)
		}
	}
	deep := strings.Repeat("Docs/", rdMaxDepth) + "x"
	if _, err := v.Stat(deep); err == nil || errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Stat(%.20q...) = %v; want an error for more than %d levels", deep, err, rdMaxDepth)
	}
}

// TestReadFile covers Read, ReadAt and Seek across runs of clusters.
func TestReadFile(t *testing.T) {
	data := make([]byte, 5000)
	for i := range data {
		data[i] = byte(i * 7)
	}
	m := rdTiny(rdTinySpec{}, []*rdNode{{short: "A.BIN", data: data}, {short: "GAP"}, {short: "B.BIN", data: []byte("b")}})
	// Split A.BIN in three runs: move clusters 5..6 to the free end of the volume.
	first := m.first["A.BIN"]
	for i, c := range []uint32{first + 3, first + 4} {
		to := uint32(150 + i)
		copy(m.img[m.clusterAt(to):m.clusterAt(to)+m.cs], m.img[m.clusterAt(c):])
		m.setFAT(c, 0)
		m.setFAT(to, to+1)
	}
	m.setFAT(first+2, 150)
	m.setFAT(151, first+5)
	v := rdOpen(t, m.img)
	exts, err := v.Extents("A.BIN")
	want := []Extent{{first, 3, int64(m.clusterAt(first))}, {150, 2, int64(m.clusterAt(150))}, {first + 5, 5, int64(m.clusterAt(first + 5))}}
	if err != nil || !slices.Equal(exts, want) {
		t.Errorf("Extents(A.BIN) = %v, %v; want %v", exts, err, want)
	}
	if exts, err := v.Extents("."); len(exts) != 1 || exts[0].Cluster != 2 || err != nil {
		t.Errorf("Extents(\".\") = %v, %v; want the root's one cluster 2", exts, err)
	}
	f, err := v.Open("A.BIN")
	if err != nil {
		t.Fatalf("Open(A.BIN) = %v", err)
	}
	defer f.Close()
	r := f.(io.ReadSeeker)
	for _, tc := range []struct{ off, n int }{{0, 5000}, {1000, 1000}, {1535, 2}, {4999, 10}, {5000, 1}, {1, 0}} {
		buf := make([]byte, tc.n)
		n, err := f.(io.ReaderAt).ReadAt(buf, int64(tc.off))
		end := min(tc.off+tc.n, len(data))
		wantErr := error(nil)
		if tc.off+tc.n > len(data) {
			wantErr = io.EOF
		}
		if n != end-tc.off || !bytes.Equal(buf[:n], data[tc.off:end]) || err != wantErr {
			t.Errorf("ReadAt(%d bytes, %d) = %d, %v; want %d, %v", tc.n, tc.off, n, err, end-tc.off, wantErr)
		}
	}
	if pos, err := r.Seek(-10, io.SeekEnd); pos != 4990 || err != nil {
		t.Errorf("Seek(-10, end) = %d, %v; want 4990, nil", pos, err)
	}
	if rest, err := io.ReadAll(r); !bytes.Equal(rest, data[4990:]) || err != nil {
		t.Errorf("ReadAll after Seek = %d bytes, %v; want the last 10", len(rest), err)
	}
	if _, err := r.Seek(-1, io.SeekStart); err == nil {
		t.Errorf("Seek(-1, start) = nil; want an error")
	}
}

func TestReadLRU(t *testing.T) {
	c := newRdLRU[int, string](10)
	c.put(1, "a", 4)
	c.put(2, "b", 4)
	c.get(1)
	c.put(3, "c", 4) // 12 > 10: drops 2, used least recently
	c.put(1, "A", 4) // replaces 1, still 8
	for _, tc := range []struct {
		key  int
		want string
		ok   bool
	}{{1, "A", true}, {2, "", false}, {3, "c", true}} {
		if got, ok := c.get(tc.key); got != tc.want || ok != tc.ok {
			t.Errorf("get(%d) = %q, %v; want %q, %v", tc.key, got, ok, tc.want, tc.ok)
		}
	}
	c.put(4, "big", 50) // over the limit alone: kept, everything else dropped
	if got, ok := c.get(4); !ok || c.order.Len() != 1 || c.cost != 50 {
		t.Errorf("after put(4, cost 50): get(4) = %q, %v with %d items costing %d; want it alone", got, ok, c.order.Len(), c.cost)
	}
}

func TestReadTime(t *testing.T) {
	date := func(y, m, d int) uint16 { return uint16(y-1980)<<9 | uint16(m)<<5 | uint16(d) }
	tm := func(h, m, s int) uint16 { return uint16(h)<<11 | uint16(m)<<5 | uint16(s/2) }
	for _, tc := range []struct {
		date, tm uint16
		centis   byte
		want     time.Time
	}{
		{date(2024, 5, 17), tm(13, 45, 30), 0, time.Date(2024, 5, 17, 13, 45, 30, 0, time.UTC)},
		{date(2024, 5, 17), tm(13, 45, 30), 199, time.Date(2024, 5, 17, 13, 45, 31, 990e6, time.UTC)},
		{date(1980, 1, 1), 0, 0, time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)},
		{date(2107, 12, 31), tm(23, 59, 58), 0, time.Date(2107, 12, 31, 23, 59, 58, 0, time.UTC)},
		{0, tm(12, 0, 0), 0, time.Time{}},
		{date(2024, 13, 1), 0, 0, time.Time{}},
		{date(2024, 0, 1), 0, 0, time.Time{}},
		{date(2024, 2, 31), 0, 0, time.Time{}},
		{date(2024, 1, 1), tm(24, 0, 0), 0, time.Time{}},
		{date(2024, 1, 1), tm(0, 60, 0), 0, time.Time{}},
		{date(2024, 1, 1), 0, 200, time.Time{}},
	} {
		if got := rdTime(tc.date, tc.tm, tc.centis); !got.Equal(tc.want) {
			t.Errorf("rdTime(%#04x, %#04x, %d) = %v; want %v", tc.date, tc.tm, tc.centis, got, tc.want)
		}
	}
}
