package fat

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"sort"
	"strings"
	"testing"
	"testing/iotest"
)

// TestScale writes 100,000 files, 10,000 of them in one folder, and has
// fsck.fat check the volume and mtools list every name.
func TestScale(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a 1 GiB sparse image; not in -short")
	}
	var files []testFile
	for i := range 10000 {
		files = append(files, testFile{path: fmt.Sprintf("한 폴더/문서 %05d.html", i), data: []byte{byte(i), 1}})
	}
	for i := range 90000 {
		var data []byte
		if i%3 != 0 {
			data = []byte(fmt.Sprint(i))
		}
		files = append(files, testFile{path: fmt.Sprintf("wiki/%02d/Article_%05d.txt", i/1000, i), data: data})
	}
	img, l := writeImage(t, 1<<30, files, Options{})
	fsck(t, img, l)
	out := mtools(t, img, "mdir", "-/", "-b", "::/")
	var got []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if p := strings.TrimPrefix(line, "::/"); !strings.HasSuffix(p, "/") && strings.Count(p, "/") > 0 {
			got = append(got, p)
		}
	}
	var want []string
	for _, f := range files {
		want = append(want, f.path)
	}
	sort.Strings(got)
	sort.Strings(want)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("mdir lists %d files; want the %d written (first got %q)", len(got), len(want), got[:min(3, len(got))])
	}
	// Byte check of one full folder of the big ones.
	dst := t.TempDir()
	mtools(t, img, "mcopy", "-s", "-n", "::/wiki/42", dst)
	for _, f := range files {
		if strings.HasPrefix(f.path, "wiki/42/") {
			checkFileIn(t, dst+"/42/"+strings.TrimPrefix(f.path, "wiki/42/"), f.data)
		}
	}
}

// TestStreamTwoTiB streams the metadata of a 2 TiB volume (two FATs of
// 256 MiB) and checks that memory does not grow with it.
func TestStreamTwoTiB(t *testing.T) {
	files := []testFile{{path: "a.bin", data: pattern(1, 100000)}, {path: "d/b.txt", data: []byte("b")}}
	l, err := Plan(2<<40, entriesOf(files), Options{Time: testDate})
	if err != nil {
		t.Fatal(err)
	}
	g := l.Geometry()
	if g.ClusterSize() != 32<<10 || g.FATSectors*512 < 255<<20 {
		t.Fatalf("2 TiB geometry %+v; want 32 KiB clusters and 256 MiB FATs", g)
	}
	s := l.Stream(sourceOf(files), func(p []byte, off int64) {
		for i := range p {
			p[i] = 0xA5
		}
	})
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	fatStart := (g.PartStart + g.ReservedSectors) * 512
	if _, err := io.CopyN(io.Discard, s, fatStart); err != nil {
		t.Fatal(err)
	}
	head := make([]byte, 24)
	if _, err := io.ReadFull(s, head); err != nil {
		t.Fatal(err)
	}
	// Entries 0 and 1, root (cluster 2), d (3) and b.txt (4), copied first
	// as folders come first, then a.bin (5..8).
	want := []uint32{0x0FFFFFF8, eoc, eoc, eoc, eoc, 6}
	for i, w := range want {
		if got := le.Uint32(head[4*i:]); got != w {
			t.Errorf("FAT entry %d = %#x; want %#x", i, got, w)
		}
	}
	if _, err := io.CopyN(io.Discard, s, l.DataEnd()-s.Offset()); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if grew := int64(after.HeapAlloc) - int64(before.HeapAlloc); grew > 8<<20 {
		t.Errorf("heap grew by %d bytes streaming 512 MiB of FATs; want it independent of volume size", grew)
	}
	tail := make([]byte, 4096)
	if _, err := io.ReadFull(s, tail); err != nil || !bytes.Equal(tail, bytes.Repeat([]byte{0xA5}, 4096)) {
		t.Errorf("free space after the data = %x…, %v; want the fill", tail[:8], err)
	}
	if s.Size() != 2<<40 {
		t.Errorf("Stream.Size() = %d; want 2 TiB", s.Size())
	}
}

func TestStreamSourceErrors(t *testing.T) {
	files := []testFile{{path: "a.txt", data: []byte("hello")}, {path: "b.txt", data: []byte("world")}}
	errBroken := errors.New("disk on fire")
	for _, tc := range []struct {
		name string
		src  Source
		want string
	}{
		{"short", func(i int, _ string) (io.ReadCloser, error) {
			return io.NopCloser(strings.NewReader("hel")), nil
		}, "read a.txt: ended after 3 of 5 bytes"},
		{"long", func(i int, _ string) (io.ReadCloser, error) {
			return io.NopCloser(strings.NewReader("hello!")), nil
		}, "read a.txt: longer than its planned 5 bytes"},
		{"open fails", func(i int, _ string) (io.ReadCloser, error) {
			if i == 1 {
				return nil, errBroken
			}
			return io.NopCloser(strings.NewReader("hello")), nil
		}, "open b.txt: disk on fire"},
		{"end reports bad hash", func(i int, _ string) (io.ReadCloser, error) {
			return io.NopCloser(io.MultiReader(strings.NewReader("hello"), iotest.ErrReader(errBroken))), nil
		}, "read a.txt: disk on fire"},
		{"close reports bad hash", func(i int, _ string) (io.ReadCloser, error) {
			return closeErr{strings.NewReader("hello"), errBroken}, nil
		}, "read a.txt: disk on fire"},
	} {
		l, err := Plan(64*mib, entriesOf(files), Options{Time: testDate})
		if err != nil {
			t.Fatal(err)
		}
		_, err = io.Copy(io.Discard, l.Stream(tc.src, nil))
		if err == nil || err.Error() != tc.want {
			t.Errorf("stream with %s source: error %v; want %q", tc.name, err, tc.want)
		}
	}
}

type closeErr struct {
	io.Reader
	err error
}

func (c closeErr) Close() error { return c.err }

func checkFileIn(t *testing.T, path string, want []byte) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Errorf("read %s: %v", path, err)
		return
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s holds %q; want %q", path, got, want)
	}
}
