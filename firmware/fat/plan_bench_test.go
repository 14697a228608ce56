package fat

import (
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
)

// wikiEntries is a library of n small files as an encyclopedia has them:
// Korean article names in folders of 2,000, 1 to 1,500 bytes each.
func wikiEntries(n int) []Entry {
	es := make([]Entry, n)
	for i := range es {
		es[i] = Entry{Path: fmt.Sprintf("위키백과/%03d/문서 %07d.html", i/2000, i), Size: int64(1 + i*7919%1500)}
	}
	return es
}

// compactFiles keeps paths in one string and sizes in a flat array, as a
// library's compact index does.
type compactFiles struct {
	paths string
	ends  []uint32 // path i ends at ends[i] in paths
	sizes []uint32
}

func newCompactFiles(es []Entry) *compactFiles {
	var b strings.Builder
	c := &compactFiles{ends: make([]uint32, len(es)), sizes: make([]uint32, len(es))}
	for i, e := range es {
		b.WriteString(e.Path)
		c.ends[i], c.sizes[i] = uint32(b.Len()), uint32(e.Size)
	}
	c.paths = b.String()
	return c
}

func (c *compactFiles) Len() int         { return len(c.ends) }
func (c *compactFiles) Size(i int) int64 { return int64(c.sizes[i]) }
func (c *compactFiles) Dir(int) bool     { return false }
func (c *compactFiles) Path(i int) string {
	start := uint32(0)
	if i > 0 {
		start = c.ends[i-1]
	}
	return c.paths[start:c.ends[i]]
}

// BenchmarkPlanStream plans libraries of 100,000 and 1,000,000 small files,
// given as []Entry and in a compact form of the caller's, and streams their
// disk to the end of the data, skipping the runs of zeros as a writer
// does, and reports per library file the time, the bytes and objects
// allocated, and the heap the layout and its stream keep.
func BenchmarkPlanStream(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		es := wikiEntries(n)
		cf := newCompactFiles(es)
		disk := int64(n)*8<<10 + 256*mib
		for _, in := range []struct {
			name string
			plan func() (*Layout, error)
		}{
			{"entries", func() (*Layout, error) { return Plan(disk, es, Options{Time: testDate}) }},
			{"compact", func() (*Layout, error) { return PlanFiles(disk, cf, Options{Time: testDate}) }},
		} {
			b.Run(fmt.Sprintf("files=%d/input=%s", n, in.name), func(b *testing.B) { benchPlanStream(b, n, in.plan) })
		}
	}
}

func benchPlanStream(b *testing.B, n int, plan func() (*Layout, error)) {
	l, err := plan()
	if err != nil {
		b.Fatal(err)
	}
	src := zeroSource(l.in.Size)
	kept := retained(b, func() any {
		l, err := plan()
		if err != nil {
			b.Fatal(err)
		}
		return l.Stream(src, nil)
	})
	buf := make([]byte, 1<<20)
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	for b.Loop() {
		l, err := plan()
		if err != nil {
			b.Fatal(err)
		}
		s := l.Stream(src, nil)
		for s.Offset() < l.DataEnd() {
			if z := min(s.ZeroRun(), l.DataEnd()-s.Offset()); z > 0 {
				s.SkipZeros(z)
				continue
			}
			if _, err := s.Read(buf[:min(int64(len(buf)), l.DataEnd()-s.Offset())]); err != nil {
				b.Fatal(err)
			}
		}
	}
	runtime.ReadMemStats(&ms1)
	per := float64(b.N) * float64(n)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/per, "ns/file")
	b.ReportMetric(float64(ms1.TotalAlloc-ms0.TotalAlloc)/per, "B/file")
	b.ReportMetric(float64(ms1.Mallocs-ms0.Mallocs)/per, "allocs/file")
	b.ReportMetric(float64(kept)/float64(n), "retained-B/file")
}

// retained is how many bytes of heap the value that make returns keeps
// alive, measured after collections before and after.
func retained(tb testing.TB, make func() any) int64 {
	tb.Helper()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	v := make()
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(v)
	return int64(after.HeapAlloc) - int64(before.HeapAlloc)
}

// zeroSource serves files of zeros of the sizes sizeOf gives, reusing one
// reader so that the source itself allocates nothing.
func zeroSource(sizeOf func(i int) int64) Source {
	r := &zeroFile{}
	return func(i int, _ string) (io.ReadCloser, error) {
		r.left = sizeOf(i)
		return r, nil
	}
}

type zeroFile struct{ left int64 }

func (z *zeroFile) Read(p []byte) (int, error) {
	if z.left == 0 {
		return 0, io.EOF
	}
	n := int(min(int64(len(p)), z.left))
	clear(p[:n])
	z.left -= int64(n)
	return n, nil
}

func (z *zeroFile) Close() error { return nil }
