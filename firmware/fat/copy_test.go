package fat

import (
	"bytes"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestExplorerCopyLayout writes a volume and reads it back as Windows
// would find it after Explorer copied the files: entries in Explorer's
// name order (folders first, numbers by value), folders and files in the
// clusters of a depth-first copy, a folder that outgrew its first cluster
// continued after the files copied into it, creation times that advance
// through the copy in 10 ms, files modified at the source's time, access
// dates the day of the copy; fsck.fat and mtools accept it.
func TestExplorerCopyLayout(t *testing.T) {
	var files []testFile
	for _, n := range []int{1, 10, 11, 12, 2, 3} {
		files = append(files, testFile{path: fmt.Sprintf("films/Documentary Part %d.mp4", n), data: pattern(n, 3000+n)})
	}
	// Enough long names in one folder to fill more than one 512-byte
	// cluster, so the folder grows while its files are copied.
	for i := range 12 {
		files = append(files, testFile{path: fmt.Sprintf("wiki/article number %02d.html", i), data: pattern(i, 700)})
	}
	files = append(files, testFile{path: "readme.txt", data: []byte("hello")}, testFile{path: "empty.txt"})
	copied := time.Date(2026, 11, 3, 14, 7, 31, 250e6, time.UTC)
	img, l := writeImage(t, 64*mib, files, Options{Time: testDate, Copied: copied})
	fsck(t, img, l)
	checkCopyBack(t, img, files)

	listing := mtools(t, img, "mdir", "-b", "::/films")
	var got []string
	for _, line := range strings.Split(strings.TrimSpace(listing), "\n") {
		got = append(got, strings.TrimPrefix(line, "::/films/"))
	}
	want := []string{"Documentary Part 1.mp4", "Documentary Part 2.mp4", "Documentary Part 3.mp4",
		"Documentary Part 10.mp4", "Documentary Part 11.mp4", "Documentary Part 12.mp4"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("mdir lists films as\n%s\nwant Explorer's order\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	root := mtools(t, img, "mdir", "-b", "::/")
	if !regexp.MustCompile(`(?s)films/.*wiki/.*empty\.txt.*readme\.txt`).MatchString(root) {
		t.Errorf("mdir lists the root as\n%s\nwant folders first, then files, by name", root)
	}

	raw, err := os.ReadFile(img)
	if err != nil {
		t.Fatal(err)
	}
	v, err := OpenVolume(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		t.Fatal(err)
	}
	first := func(name string) uint32 {
		t.Helper()
		exts, err := v.Extents(name)
		if err != nil || len(exts) == 0 {
			t.Fatalf("Extents(%s) = %v, %v", name, exts, err)
		}
		return exts[0].Cluster
	}
	// Root 2, films 3, its six films, then wiki and its files.
	if c := first("films"); c != 3 {
		t.Errorf("films begins at cluster %d; want 3, the first made", c)
	}
	if a, b := first("films/Documentary Part 1.mp4"), first("films/Documentary Part 2.mp4"); a != 4 || b <= a {
		t.Errorf("Part 1 at cluster %d, Part 2 at %d; want 4 and after", a, b)
	}
	wiki, err := v.Extents("wiki")
	if err != nil {
		t.Fatal(err)
	}
	if len(wiki) < 2 || wiki[1].Cluster <= first("wiki/article number 00.html") {
		t.Errorf("wiki's clusters %+v; want its first cluster, then more after the files first copied into it", wiki)
	}
	if last := first("readme.txt"); last <= first("wiki/article number 11.html") {
		t.Errorf("readme.txt at cluster %d; want after the folders, which come first", last)
	}

	// Times, in the order the copy made the entries.
	order := []string{"films", "films/Documentary Part 1.mp4", "films/Documentary Part 12.mp4", "wiki",
		"wiki/article number 00.html", "wiki/article number 11.html", "empty.txt", "readme.txt"}
	var prev time.Time
	tenths := map[int]bool{}
	for _, name := range order {
		info, err := v.Stat(name)
		if err != nil {
			t.Fatal(err)
		}
		e := info.Sys().(*DirEntry)
		if !e.Created.After(prev) {
			t.Errorf("%s created %v, not after the entry made before it (%v)", name, e.Created, prev)
		}
		if e.Created.Before(copied) || e.Created.After(copied.Add(time.Hour)) {
			t.Errorf("%s created %v; want within the copy from %v", name, e.Created, copied)
		}
		if y, m, d := e.Accessed.Date(); y != 2026 || m != 11 || d != 3 {
			t.Errorf("%s last accessed %v; want the day of the copy", name, e.Accessed)
		}
		switch {
		case info.IsDir() && (e.Modified.Before(e.Created) || e.Modified.Sub(e.Created) >= 2*time.Second):
			t.Errorf("folder %s modified %v; want its creation %v rounded up to 2 s", name, e.Modified, e.Created)
		case !info.IsDir() && !e.Modified.Equal(testDate):
			t.Errorf("%s modified %v; want the source's %v", name, e.Modified, testDate)
		}
		prev = e.Created
		tenths[e.Created.Nanosecond()/1e7] = true
	}
	if len(tenths) < 3 {
		t.Errorf("creation times fall on %d different hundredths of a second; want them spread as a real copy's", len(tenths))
	}
	// "." carries the folder's own times.
	dot := bytes.Index(raw, []byte(".          \x10"))
	films, _ := v.Stat("films")
	fe := films.Sys().(*DirEntry)
	if dot < 0 || !bytes.Equal(raw[dot+13:dot+26], raw[fe.Offset+13:fe.Offset+26]) {
		t.Errorf("the first \".\" entry's times differ from its folder's entry")
	}
}

func TestLogicalCompare(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"Part 2", "Part 10", -1},
		{"part 2", "Part 3", -1},
		{"a", "B", -1},
		{"file", "file1", -1},
		{"Zebra", "가", -1},
		{"Part 02", "Part 2", 1}, // equal value: the shorter run first
		{"Read.txt", "READ.TXT", 0},
		{"ǅ7", "Ǆ7", 0},
	} {
		if got, rev := logicalCompare(tc.a, tc.b), logicalCompare(tc.b, tc.a); got != tc.want || rev != -tc.want {
			t.Errorf("logicalCompare(%q, %q) = %d, reverse %d; want %d, %d", tc.a, tc.b, got, rev, tc.want, -tc.want)
		}
	}
}

// TestDirBytesResume: rendering a folder cluster by cluster, resuming
// from where the last cluster stopped as a stream does, gives the bytes
// of rendering it whole, also where long names cross clusters.
func TestDirBytesResume(t *testing.T) {
	var es []Entry
	for i := range 40 {
		es = append(es, Entry{Path: fmt.Sprintf("d/%s %d.txt", strings.Repeat("long name ", i%4+1), i), Size: int64(i * 100)})
	}
	es = append(es, Entry{Path: "d/sub/x.bin", Size: 5000}, Entry{Path: "d/e", Dir: true})
	l, err := Plan(64*mib, es, Options{Time: testDate, Copied: testDate.Add(30 * time.Hour), Label: "LIB"})
	if err != nil {
		t.Fatal(err)
	}
	cs := l.g.ClusterSize()
	for i, d := range l.dirs {
		whole := make([]byte, int64(d.clusters)*cs)
		l.dirBytes(i, whole, 0, &dirCursor{})
		var cur dirCursor
		for c := int64(0); c < int64(d.clusters); c++ {
			part := make([]byte, cs)
			l.dirBytes(i, part, c*cs, &cur)
			if !bytes.Equal(part, whole[c*cs:(c+1)*cs]) {
				t.Fatalf("folder %q, cluster %d: resumed rendering differs from the whole folder's", d.path, c)
			}
		}
	}
	if l.dirs[1].clusters < 4 || len(l.dirs[1].runs) < 2 {
		t.Errorf("folder d has %d clusters in %d runs; want a fragmented folder of several clusters", l.dirs[1].clusters, len(l.dirs[1].runs))
	}
}
