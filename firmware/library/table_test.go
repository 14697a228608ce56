package library

import (
	"fmt"
	"strings"
	"testing"
)

// TestPathTable adds paths that fill chunks to their last byte, leave a
// chunk short of the next path, and stand alone in a chunk, and reads each
// back: a path's end is where the next one in its chunk starts.
func TestPathTable(t *testing.T) {
	for _, tc := range []struct {
		name  string
		paths []string
	}{
		{"one", []string{"a.txt"}},
		{"a chunk filled exactly", append(repeatPath(64, 1<<chunkBits/64), "next/b.html")},
		{"a chunk left short", append(repeatPath(700, 93), strings.Repeat("z", 765), "c")},
		{"many chunks", repeatPath(37, 20000)},
		{"one-byte paths", repeatPath(1, 70000)},
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
