package library

import (
	"fmt"
	"strings"
	"testing"
)

// TestPathTable adds paths that fill chunks to their last byte, leave a
// chunk short of the next path, make groups that go on into the next
// chunk, and need one or two bytes of length, and reads each back from
// its group's start; no chunk outgrows its room.
func TestPathTable(t *testing.T) {
	for _, tc := range []struct {
		name  string
		paths []string
	}{
		{"one", []string{"a.txt"}},
		{"a chunk filled exactly", append(repeatPath(63, 1<<chunkBits/64), "next/b.html")},
		{"a chunk left short", append(repeatPath(700, 93), strings.Repeat("z", 765), "c")},
		{"longest paths only", repeatPath(765, 300)},
		{"lengths around one byte's", append(repeatPath(127, 1000), repeatPath(128, 1000)...)},
		{"a group across chunks", append(repeatPath(100, 1<<chunkBits/101-3), repeatPath(765, 40)...)},
		{"many chunks", repeatPath(37, 20000)},
		{"one-byte paths", repeatPath(1, 70000)},
		{"only empty", []string{""}},
		{"empty ones between", []string{"", "a", "", "", "bc", ""}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var tab pathTable
			for _, p := range tc.paths {
				tab.add(p)
			}
			tab.seal()
			if tab.len() != len(tc.paths) {
				t.Fatalf("%d paths in the table; want %d", tab.len(), len(tc.paths))
			}
			for k, c := range tab.chunks {
				if len(c) > 1<<chunkBits {
					t.Errorf("chunk %d holds %d bytes; its room is %d", k, len(c), 1<<chunkBits)
				}
			}
			for i, want := range tc.paths {
				if got := tab.path(i); got != want {
					t.Fatalf("path %d of %d = %q (%d bytes); want %q (%d bytes)", i, len(tc.paths), got, len(got), want, len(want))
				}
			}
		})
	}
}

// repeatPath returns n distinct paths of size bytes each.
func repeatPath(size, n int) []string {
	paths := make([]string, n)
	for i := range paths {
		id := fmt.Sprint(i % 10)
		if size > 12 {
			id = fmt.Sprintf("d/%09d", i)
		}
		paths[i] = id + strings.Repeat("x", size-len(id))
	}
	return paths
}

// TestFileTable adds paths in the root and in folders, a folder met again
// after others (as a later tier does), and enough files to fill chunks,
// and reads each back whole and in parts.
func TestFileTable(t *testing.T) {
	paths := []string{"index.html", "wiki/가/a.html", "wiki/가/b.html", "wiki/나/c.html", "top.txt", "wiki/가/z.html", "films/f.mkv"}
	for i := range 5000 {
		paths = append(paths, fmt.Sprintf("wiki/%03d/%s %05d.html", i/200, strings.Repeat("문서", i%7), i))
	}
	paths = append(paths, "wiki/가/later.html", "last")
	var tab fileTable
	for _, p := range paths {
		tab.add(p)
	}
	tab.seal()
	if tab.len() != len(paths) {
		t.Fatalf("%d paths in the table; want %d", tab.len(), len(paths))
	}
	if tab.dirs.len() != 3+25+1 {
		t.Errorf("%d folders kept; want %d, each once", tab.dirs.len(), 3+25+1)
	}
	var buf []byte
	for i, want := range paths {
		if got := tab.path(i); got != want {
			t.Fatalf("path %d = %q; want %q", i, got, want)
		}
		if buf = tab.appendPath(buf[:0], i); string(buf) != want {
			t.Fatalf("appendPath %d = %q; want %q", i, buf, want)
		}
		dir, name := tab.parts(i)
		if want != name && want != dir+"/"+name {
			t.Fatalf("parts %d = %q, %q; want the parts of %q", i, dir, name, want)
		}
	}
}
