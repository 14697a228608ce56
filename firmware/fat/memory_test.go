package fat

import (
	"io"
	"testing"
)

// TestLayoutMemory plans 50,000 small files in folders of 2,000 and
// measures the heap the layout keeps, and the layout with a stream that
// has emitted half of the data: a few bytes per file, where a node per
// file kept 88 bytes a file and its stream, with a segment per file and
// per slack, 144 more.
func TestLayoutMemory(t *testing.T) {
	const n = 50_000
	const perFile = 16 // bytes: a child of a folder takes 4
	es := wikiEntries(n)
	disk := int64(n)*8<<10 + 256*mib
	var l *Layout
	kept := retained(t, func() any {
		var err error
		if l, err = Plan(disk, es, Options{Time: testDate}); err != nil {
			t.Fatal(err)
		}
		return l
	})
	t.Logf("the layout keeps %d bytes, %.1f a file", kept, float64(kept)/n)
	if kept > perFile*n {
		t.Errorf("a layout of %d files keeps %d bytes of heap; want at most %d a file", n, kept, perFile)
	}
	src := zeroSource(func(i int) int64 { return es[i].Size })
	half := l.DataEnd() / 2
	withStream := retained(t, func() any {
		s := l.Stream(src, nil)
		if _, err := io.CopyN(io.Discard, s, half); err != nil {
			t.Fatal(err)
		}
		return s
	})
	t.Logf("a stream halfway through the data keeps %d bytes more", withStream)
	if withStream > perFile*n {
		t.Errorf("a stream of %d files keeps %d bytes of heap halfway; want at most %d a file", n, withStream, perFile)
	}
}
