package fat

import (
	"crypto/sha256"
	"encoding/binary"
	"flag"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/layouts.golden from the planner's output")

// identityCase is a tree planned by TestLayoutsUnchanged.
type identityCase struct {
	name    string
	disk    int64
	entries []Entry
	opts    Options
}

// identityCases are varied trees: Explorer's order, every kind of short
// name and its collisions, folders that grow and fragment, empty files and
// folders, deep paths, labels, copy times, 512-byte and 4 KiB sectors and
// clusters, and every refusal, in seeded random mixes.
func identityCases() []identityCase {
	copied := time.Date(2026, 11, 3, 14, 7, 31, 250e6, time.UTC)
	fixed := func(o Options) Options {
		o.VolumeID, o.DiskID = 0x1234ABCD, 0x0BADCAFE
		if o.Time.IsZero() {
			o.Time = testDate
		}
		return o
	}
	var cs []identityCase
	add := func(name string, disk int64, es []Entry, o Options) {
		cs = append(cs, identityCase{name, disk, es, fixed(o)})
	}
	var crowd, tails, grow []Entry
	for i := range 1200 {
		crowd = append(crowd, Entry{Path: fmt.Sprintf("longfilename%s%c%04d.txt", strings.Repeat("x", i%3), 'a'+i%26, i), Size: int64(i % 700)})
	}
	crowd = append(crowd, Entry{Path: "LONGFI~1.TXT", Size: 3})
	for i := range 120 {
		tails = append(tails, Entry{Path: fmt.Sprintf("collide/longfilename%03d.txt", i), Size: 1},
			Entry{Path: fmt.Sprintf("collide/위키%03d.txt", i), Size: 2},
			Entry{Path: fmt.Sprintf("collide/Documentary Part %d.mp4", i), Size: int64(i * 37)})
	}
	for i := range 300 {
		size := int64(0)
		if i%3 != 0 {
			size = int64(i * 91)
		}
		grow = append(grow, Entry{Path: fmt.Sprintf("d/%s %d.txt", strings.Repeat("long name ", i%4+1), i), Size: size})
		if i%50 == 0 {
			grow = append(grow, Entry{Path: fmt.Sprintf("d/sub %d/x.bin", i), Size: 5000}, Entry{Path: fmt.Sprintf("d/e%d", i), Dir: true})
		}
	}
	odd := []Entry{
		{Path: "README.TXT", Size: 9}, {Path: "readme.md", Size: 9}, {Path: "ReadMe.Html", Size: 5},
		{Path: "Makefile", Size: 5}, {Path: "archive.tar.gz", Size: 5000}, {Path: ".hidden", Size: 3},
		{Path: "a b c.txt", Size: 6}, {Path: "x+y=z;[1].txt", Size: 5}, {Path: "empty.bin"},
		{Path: "Empty Folder", Dir: true}, {Path: "nested/empty", Dir: true}, {Path: "nested/EMPTY.DAT"},
		{Path: deepPath(20), Size: 18}, {Path: strings.Repeat("긴", 84) + "/" + strings.Repeat("n", 170), Size: 4},
		{Path: strings.Repeat("a", 255), Size: 9}, {Path: "été.txt", Size: 1}, {Path: "a.b.c", Size: 1},
		{Path: "위키백과/문서/서울특별시.html", Size: 9000}, {Path: "위키백과/대문.html", Size: 11},
		{Path: "films/Documentary Part 10.mp4", Size: 300000}, {Path: "films/Documentary Part 2.mp4", Size: 4096},
		{Path: "films", Dir: true}, {Path: "Part 02", Dir: true}, {Path: "Part 2x", Size: 1}, {Path: "part 010"},
	}
	add("crowded folder", 64*mib, crowd, Options{})
	add("crowded folder copied", 300*mib, crowd, Options{Copied: copied, Label: "LIB"})
	add("numeric tails", 64*mib, tails, Options{Copied: copied})
	add("growing folder 512 B clusters", 64*mib, grow, Options{Copied: copied, Label: "KOREA 2026"})
	add("growing folder 4 KiB clusters", 300*mib, grow, Options{Copied: copied})
	add("odd names", 100*mib, odd, Options{Label: "Donated"})
	add("odd names 4 KiB sectors", 600*mib, odd, Options{SectorSize: 4096, Copied: copied})
	add("empty volume", 64*mib, nil, Options{})
	add("empty volume labelled", 64*mib, nil, Options{Label: "EMPTY", Copied: copied})
	for i := range 60 {
		r := rand.New(rand.NewPCG(uint64(i), 14))
		o := Options{}
		if i%2 == 0 {
			o.Copied = copied.Add(time.Duration(i) * time.Hour)
		}
		if i%3 == 0 {
			o.Label = "WIKI"
		}
		disk := []int64{64 * mib, 100 * mib, 200 * mib, 300 * mib}[i%4]
		if i%7 == 6 {
			o.SectorSize = 4096
			disk = 600 * mib
		}
		add(fmt.Sprintf("random %02d", i), disk, randomTree(r, i%5 == 4), o)
	}
	// Refusals, reported in the order the planner meets them.
	full := make([]Entry, 0, 65536)
	for i := range 65536 {
		full = append(full, Entry{Path: fmt.Sprintf("F%05d", i)})
	}
	add("root full", 200*mib, full, Options{Label: "ONE MORE"})
	add("root just not full", 200*mib, full, Options{})
	add("folder full", 200*mib, append([]Entry{{Path: "w/a long name to take room.txt"}}, prefixed("w/", full[:65532])...), Options{})
	add("no space", 64*mib, []Entry{{Path: "a", Size: 70 * mib}}, Options{})
	add("too big", 64*mib, []Entry{{Path: "ok", Size: 1}, {Path: "a", Size: MaxFileSize + 1}}, Options{})
	add("case duplicate", 64*mib, []Entry{{Path: "Read.txt"}, {Path: "READ.TXT"}}, Options{})
	add("listed twice", 64*mib, []Entry{{Path: "위키/a"}, {Path: "b"}, {Path: "위키/a"}}, Options{})
	add("file then folder", 64*mib, []Entry{{Path: "x"}, {Path: "X/y"}}, Options{})
	add("file then same folder", 64*mib, []Entry{{Path: "x"}, {Path: "x/y"}}, Options{})
	add("folder then file", 64*mib, []Entry{{Path: "x", Dir: true}, {Path: "x"}}, Options{})
	add("folder listed twice", 64*mib, []Entry{{Path: "x", Dir: true}, {Path: "x/y"}, {Path: "x", Dir: true}}, Options{})
	add("bad name after duplicate", 64*mib, []Entry{{Path: "a"}, {Path: "A"}, {Path: "b?"}}, Options{})
	add("duplicate after bad name", 64*mib, []Entry{{Path: "a"}, {Path: "b?"}, {Path: "A"}}, Options{})
	add("three alike", 64*mib, []Entry{{Path: "d/ab"}, {Path: "D/x"}, {Path: "d/AB"}, {Path: "d/aB"}}, Options{})
	add("deep duplicate first", 64*mib, []Entry{{Path: "a/b/c"}, {Path: "z"}, {Path: "a/B/d"}, {Path: "Z"}}, Options{})
	add("too deep", 64*mib, []Entry{{Path: deepPath(33)}}, Options{})
	add("label", 64*mib, nil, Options{Label: "A.B"})
	return cs
}

func prefixed(prefix string, es []Entry) []Entry {
	out := make([]Entry, len(es))
	for i, e := range es {
		out[i] = Entry{Path: prefix + e.Path, Size: e.Size, Dir: e.Dir}
	}
	return out
}

// randomTree draws up to a few hundred entries from name pieces that make
// Explorer's order, case, Korean, numbers, dots and spaces, 8.3 edges and
// short-name collisions matter; with clash, some names repeat or are bad.
func randomTree(r *rand.Rand, clash bool) []Entry {
	pieces := []string{"a", "B", "readme", "README", "가", "위키백과", ".", "txt", " ", "~1", "LONGFILENAME",
		"x+y", "Ab", "1234567", "html", "$", "Part ", "2", "10", "007", "é", "ǅ", "Documentary", "mp4"}
	sizes := []int64{0, 0, 1, 511, 512, 513, 2047, 2048, 4095, 4096, 4097, 65536, 1 << 20, 3<<20 + 17}
	name := func() string {
		var b strings.Builder
		for range 1 + r.IntN(4) {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		s := strings.Trim(b.String(), ". ")
		if s == "" {
			s = "x"
		}
		return s
	}
	var dirs []string
	for range 1 + r.IntN(8) {
		d := name()
		if len(dirs) > 0 && r.IntN(2) == 0 {
			d = dirs[r.IntN(len(dirs))] + "/" + d
		}
		dirs = append(dirs, d)
	}
	var es []Entry
	for i := range 20 + r.IntN(300) {
		dir := ""
		if r.IntN(5) != 0 {
			dir = dirs[r.IntN(len(dirs))] + "/"
		}
		n := name()
		switch {
		case clash && r.IntN(2) == 0:
			n = pieces[r.IntN(6)] // few names, which often meet
		case clash && r.IntN(300) == 0:
			n += "?"
		default:
			n = fmt.Sprintf("%s-%d", n, i)
		}
		e := Entry{Path: dir + n, Size: sizes[r.IntN(len(sizes))]}
		if r.IntN(15) == 0 {
			e = Entry{Path: dir + n, Dir: true}
		}
		es = append(es, e)
	}
	return es
}

// identitySource serves content that depends on the index and path the
// stream asks for, so that a file served under another index or path
// changes the disk.
func identitySource(sizeOf func(i int) int64) Source {
	return func(i int, p string) (io.ReadCloser, error) {
		h := fnv.New32a()
		io.WriteString(h, p)
		return io.NopCloser(io.LimitReader(&xorshift{x: h.Sum32() ^ uint32(i)*2654435761 | 1}, sizeOf(i))), nil
	}
}

type xorshift struct{ x uint32 }

func (s *xorshift) Read(p []byte) (int, error) {
	for i := range p {
		s.x ^= s.x << 13
		s.x ^= s.x >> 17
		s.x ^= s.x << 5
		p[i] = byte(s.x)
	}
	return len(p), nil
}

// diskDigest is the SHA-256 of a layout's disk up to the end of its data,
// read in varying pieces, some of its runs of zeros skipped as a writer
// skips them.
func diskDigest(t *testing.T, l *Layout, src Source) string {
	t.Helper()
	s := l.Stream(src, nil)
	defer s.Close()
	h := sha256.New()
	buf := make([]byte, 1<<20)
	zero := make([]byte, 1<<20)
	for step := 0; s.Offset() < l.DataEnd(); step++ {
		left := l.DataEnd() - s.Offset()
		if z := min(s.ZeroRun(), left); z > 0 && step%2 == 0 {
			s.SkipZeros(z)
			for z > 0 {
				k := min(z, int64(len(zero)))
				h.Write(zero[:k])
				z -= k
			}
			continue
		}
		n, err := s.Read(buf[:min(left, int64(1+step%7*4099))])
		if err != nil {
			t.Fatalf("stream at %d: %v", s.Offset(), err)
		}
		h.Write(buf[:n])
	}
	var size [8]byte
	binary.LittleEndian.PutUint64(size[:], uint64(l.DataEnd()))
	h.Write(size[:])
	return fmt.Sprintf("%x", h.Sum(nil))
}

// TestLayoutsUnchanged plans and streams every identity case and compares
// a digest of its disk (or its refusal) with testdata/layouts.golden,
// recorded from the planner that kept a node per file: the same input and
// Options must give the same bytes.
func TestLayoutsUnchanged(t *testing.T) {
	var got strings.Builder
	for _, tc := range identityCases() {
		l, err := Plan(tc.disk, tc.entries, tc.opts)
		if err != nil {
			fmt.Fprintf(&got, "%s\terror %s\n", tc.name, err)
			continue
		}
		var files []Entry
		for _, e := range tc.entries {
			if !e.Dir {
				files = append(files, e)
			}
		}
		fmt.Fprintf(&got, "%s\t%s\n", tc.name, diskDigest(t, l, identitySource(func(i int) int64 { return files[i].Size })))
	}
	path := filepath.Join("testdata", "layouts.golden")
	if *update {
		if err := os.WriteFile(path, []byte(got.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run with -update to make it): %v", err)
	}
	gotLines, wantLines := strings.Split(got.String(), "\n"), strings.Split(string(want), "\n")
	if len(gotLines) != len(wantLines) {
		t.Fatalf("%d cases; %s has %d", len(gotLines)-1, path, len(wantLines)-1)
	}
	for i := range gotLines {
		if gotLines[i] != wantLines[i] {
			t.Errorf("layout changed:\n got %s\nwant %s", gotLines[i], wantLines[i])
		}
	}
}
