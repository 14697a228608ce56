package fat

import (
	"bytes"
	"io"
	"testing"
)

// BenchmarkReadFile reads a 32 MiB file in 32 KiB clusters, in one run and
// in 1,024 runs, against the same bytes read straight from memory: with
// reads coalesced per run, the contiguous case should come close.
func BenchmarkReadFile(b *testing.B) {
	const size = 32 << 20
	m := rdTiny(rdTinySpec{spc: 64, clusters: size>>15 + 8}, []*rdNode{{short: "BIG.BIN", data: make([]byte, size)}})
	plain := bytes.NewReader(m.img)
	buf := make([]byte, 1<<20)
	b.Run("reference", func(b *testing.B) {
		b.SetBytes(size)
		for b.Loop() {
			for off := int64(0); off < size; off += int64(len(buf)) {
				plain.ReadAt(buf, int64(m.data)+off)
			}
		}
	})
	read := func(b *testing.B, img []byte) {
		v := rdOpen(b, img)
		b.SetBytes(size)
		for b.Loop() {
			f, err := v.Open("BIG.BIN")
			if err != nil {
				b.Fatal(err)
			}
			total := 0
			for {
				n, err := f.Read(buf)
				total += n
				if err == io.EOF {
					break
				}
				if err != nil {
					b.Fatal(err)
				}
			}
			if total != size {
				b.Fatalf("read %d bytes; want %d", total, size)
			}
			f.Close()
		}
	}
	b.Run("contiguous", func(b *testing.B) { read(b, m.img) })
	// Swap each pair of clusters in the chain: 1,024 runs of one cluster.
	first := m.first["BIG.BIN"]
	n := uint32(size >> 15)
	order := make([]uint32, 0, n)
	for c := first; c < first+n; c += 2 {
		order = append(order, c+1, c)
	}
	for i, c := range order[:len(order)-1] {
		m.setFAT(c, order[i+1])
	}
	m.setFAT(order[len(order)-1], 0x0FFFFFFF)
	m.put16(m.entry["BIG.BIN"]+26, uint16(order[0]))
	b.Run("fragmented", func(b *testing.B) { read(b, m.img) })
}
