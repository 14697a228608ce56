package fat

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
)

const mib = 1 << 20

func TestWriteCheckedByOutsideTools(t *testing.T) {
	korean := []testFile{
		{path: "위키백과/대문.html", data: []byte("<h1>대문</h1>")},
		{path: "위키백과/문서/서울특별시.html", data: pattern(1, 9000)},
		{path: "위키백과/문서/평양.html", data: pattern(2, 4096)},
		{path: "영화/다큐멘터리 1.mp4", data: pattern(3, 300000)},
		{path: "읽어보세요.txt", data: []byte("안녕하세요\n")},
	}
	mixed := []testFile{
		{path: "README.TXT", data: []byte("upper 8.3")},
		{path: "readme.md", data: []byte("lower 8.3")},
		{path: "ReadMe.Html", data: []byte("mixed")},
		{path: "Makefile", data: []byte("all:\n")},
		{path: "archive.tar.gz", data: pattern(4, 5000)},
		{path: ".hidden", data: []byte("dot")},
		{path: "a b c.txt", data: []byte("spaces")},
		{path: "x+y=z;[1].txt", data: []byte("lossy")},
		{path: "empty.bin"},
		{path: "Empty Folder", dir: true},
		{path: "nested/empty", dir: true},
		{path: "nested/EMPTY.DAT"},
		{path: deepPath(20), data: []byte("twenty levels down")},
		{path: strings.Repeat("긴", 84) + "/" + strings.Repeat("n", 170), data: []byte("long")},
		{path: strings.Repeat("a", 255), data: []byte("255 units")},
	}
	var tails []testFile
	for i := range 120 {
		tails = append(tails, testFile{path: fmt.Sprintf("collide/longfilename%03d.txt", i), data: []byte{byte(i)}})
		tails = append(tails, testFile{path: fmt.Sprintf("collide/위키%03d.txt", i), data: []byte{byte(i), 1}})
	}
	big := []testFile{
		{path: "big/one.bin", data: pattern(5, 3*mib+17)},
		{path: "big/two.bin", data: pattern(6, 1*mib)},
	}
	for _, tc := range []struct {
		name  string
		disk  int64
		files []testFile
		opts  Options
	}{
		{"korean", 64 * mib, korean, Options{}},
		{"mixed case and odd names", 100 * mib, mixed, Options{Label: "Donated"}},
		{"numeric tails", 64 * mib, tails, Options{}},
		{"big files 1 KiB clusters", 128 * mib, big, Options{}},
		{"big files 2 KiB clusters", 200 * mib, big, Options{Label: "KOREA 2026"}},
		{"4 KiB clusters", 300 * mib, append(append([]testFile{}, korean...), big...), Options{}},
		{"empty volume", 64 * mib, nil, Options{}},
		{"4 KiB sectors", 600 * mib, append(append([]testFile{}, mixed...), big...), Options{SectorSize: 4096}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			img, l := writeImage(t, tc.disk, tc.files, tc.opts)
			fsck(t, img, l)
			checkCopyBack(t, img, tc.files)
			info := mtools(t, img, "minfo")
			label := tc.opts.Label
			if label == "" {
				label = "NO NAME"
			}
			wantLines := []string{
				fmt.Sprintf("disk label=\"%-11s\"", strings.ToUpper(label)),
				`banner:"MSDOS5.0"`,
				fmt.Sprintf("serial number: %08X", l.VolumeID()),
				fmt.Sprintf("reserved (boot) sectors: %d", l.Geometry().ReservedSectors),
				fmt.Sprintf("Big fatlen=%d", l.Geometry().FATSectors),
				fmt.Sprintf("sector size: %d bytes", l.Geometry().SectorSize),
				"fats: 2",
				fmt.Sprintf("free clusters=%d", l.Geometry().Clusters-l.used),
			}
			for _, w := range wantLines {
				if !strings.Contains(info, w) {
					t.Errorf("minfo lacks %q:\n%s", w, info)
				}
			}
		})
	}
}

// TestTwoDrivesDifferOnlyInIDs streams the same files twice with fresh
// random IDs: the disks may differ only in the MBR disk signature and the
// volume ID of the boot sector and its backup.
func TestTwoDrivesDifferOnlyInIDs(t *testing.T) {
	files := []testFile{{path: "위키/대문.html", data: pattern(1, 70000)}, {path: "a.txt", data: []byte("a")}}
	var disks [2][]byte
	var ids [2]uint32
	for i := range disks {
		l, err := Plan(64*mib, entriesOf(files), Options{Time: testDate, Label: "KIOSK"})
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = l.VolumeID()
		if disks[i], err = io.ReadAll(l.Stream(sourceOf(files), nil)); err != nil {
			t.Fatal(err)
		}
	}
	if ids[0] == ids[1] {
		t.Fatalf("two plans got volume ID %08x both; want random IDs", ids[0])
	}
	allowed := map[int]bool{}
	for _, base := range []int{440, mib + 67, mib + backupSector*512 + 67} {
		for k := range 4 {
			allowed[base+k] = true
		}
	}
	for off := range disks[0] {
		if disks[0][off] != disks[1][off] && !allowed[off] {
			t.Fatalf("disks differ at offset %d; want differences only in the disk and volume IDs", off)
		}
	}
}

// TestStreamZeroRuns reads a disk once plainly and once skipping every run
// of zeros the stream announces: the bytes must be the same.
func TestStreamZeroRuns(t *testing.T) {
	files := []testFile{{path: "a.bin", data: pattern(1, 70000)}, {path: "b/c.txt", data: []byte("c")}, {path: "empty"}}
	l, err := Plan(64*mib, entriesOf(files), Options{Time: testDate})
	if err != nil {
		t.Fatal(err)
	}
	want, err := io.ReadAll(l.Stream(sourceOf(files), nil))
	if err != nil {
		t.Fatal(err)
	}
	s := l.Stream(sourceOf(files), nil)
	var got []byte
	skipped := int64(0)
	for step := 0; len(got) < len(want); step++ {
		if z := s.ZeroRun(); z > 0 {
			n := min(z, int64(1+step%3)*4096)
			s.SkipZeros(n)
			got = append(got, make([]byte, n)...)
			skipped += n
			continue
		}
		buf := make([]byte, 4096)
		n, err := s.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, buf[:n]...)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("stream read with zero runs skipped differs from a plain read")
	}
	if skipped < 60*mib {
		t.Errorf("skipped %d bytes of zeros; want nearly all of the 64 MiB disk", skipped)
	}
}

// TestStreamsShareLayout reads two streams of one layout in alternation,
// in pieces of different sizes: each gives the disk that a stream read
// alone gives, so streams keep no state in the layout.
func TestStreamsShareLayout(t *testing.T) {
	var files []testFile
	for i := range 300 {
		files = append(files, testFile{path: fmt.Sprintf("d%d/%s %d.txt", i%3, strings.Repeat("long name ", i%4+1), i), data: pattern(i, i*37%3000)})
	}
	l, err := Plan(64*mib, entriesOf(files), Options{Time: testDate, Copied: testDate.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	want, err := io.ReadAll(io.LimitReader(l.Stream(sourceOf(files), nil), l.DataEnd()))
	if err != nil {
		t.Fatal(err)
	}
	streams := []*Stream{l.Stream(sourceOf(files), nil), l.Stream(sourceOf(files), nil)}
	got := make([][]byte, len(streams))
	for step := 0; len(got[0]) < len(want) || len(got[1]) < len(want); step++ {
		k := step % 2
		buf := make([]byte, min(int64(512*(1+k*7)+step%3*32), l.DataEnd()-streams[k].Offset()))
		n, err := streams[k].Read(buf)
		if err != nil && err != io.EOF {
			t.Fatal(err)
		}
		got[k] = append(got[k], buf[:n]...)
	}
	for k := range got {
		if !bytes.Equal(got[k], want) {
			t.Errorf("stream %d, read in turn with another of the same layout, differs from a stream read alone", k)
		}
	}
}
