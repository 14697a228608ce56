package fat

import (
	"fmt"
	"io"
	"runtime"
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

// BenchmarkPlanStream plans libraries of 100,000 and 1,000,000 small files
// and streams their disk to the end of the data, skipping the runs of
// zeros as a writer does, and reports per library file the time, the bytes
// and objects allocated, and the heap the layout and its stream keep.
func BenchmarkPlanStream(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		b.Run(fmt.Sprintf("files=%d", n), func(b *testing.B) {
			es := wikiEntries(n)
			disk := int64(n)*8<<10 + 256*mib
			src := zeroSource(func(i int) int64 { return es[i].Size })
			kept := retained(b, func() any {
				l, err := Plan(disk, es, Options{Time: testDate})
				if err != nil {
					b.Fatal(err)
				}
				return l.Stream(src, nil)
			})
			buf := make([]byte, 1<<20)
			var ms0, ms1 runtime.MemStats
			runtime.ReadMemStats(&ms0)
			for b.Loop() {
				l, err := Plan(disk, es, Options{Time: testDate})
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
		})
	}
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
