package fat

import (
	"bytes"
	"fmt"
	"io"
	"testing"
	"time"
)

// BenchmarkStream emits a 1 GiB disk holding 16 files of 56 MiB from memory
// and reports its time against copying the same number of bytes from
// memory with the same 4 MiB buffer, measured in the same run.
func BenchmarkStream(b *testing.B) {
	const disk = 1 << 30
	data := pattern(1, 56*mib)
	var es []Entry
	for i := range 16 {
		es = append(es, Entry{Path: fmt.Sprintf("film %02d.mp4", i), Size: int64(len(data))})
	}
	l, err := Plan(disk, es, Options{Time: testDate})
	if err != nil {
		b.Fatal(err)
	}
	src := func(int, string) (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
	buf := make([]byte, 4<<20)
	drain := func(r io.Reader) time.Duration {
		start := time.Now()
		for {
			if _, err := io.ReadFull(r, buf); err != nil {
				if err == io.EOF || err == io.ErrUnexpectedEOF {
					return time.Since(start)
				}
				b.Fatal(err)
			}
		}
	}
	var stream, ref time.Duration
	b.SetBytes(disk)
	for b.Loop() {
		stream += drain(l.Stream(src, nil))
		ref += drain(io.LimitReader(repeat{data}, disk))
	}
	b.ReportMetric(float64(stream)/float64(ref), "x-memcopy")
}

// repeat reads data over and over.
type repeat struct{ data []byte }

func (r repeat) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		n += copy(p[n:], r.data)
	}
	return n, nil
}
