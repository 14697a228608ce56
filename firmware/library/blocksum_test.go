package library

import (
	"encoding/binary"
	"math/rand/v2"
	"testing"

	"github.com/zeebo/xxh3"
)

func TestBlockSumIgnoresHowTheFileIsCut(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, size := range []int{0, 1, blockSize - 1, blockSize, blockSize + 1, 3*blockSize + 17, 1<<20 + 4096} {
		data := make([]byte, size)
		for i := range data {
			data[i] = byte(rng.Uint32())
		}
		var sums []byte
		for i := 0; i < size; i += blockSize {
			sums = binary.LittleEndian.AppendUint64(sums, xxh3.Hash(data[i:min(i+blockSize, size)]))
		}
		want := xxh3.Hash(sums)
		cuts := map[string]func() int{
			"whole":          func() int { return size },
			"1 byte":         func() int { return 1 },
			"block - 1":      func() int { return blockSize - 1 },
			"block + 1":      func() int { return blockSize + 1 },
			"random <= 200k": func() int { return 1 + rng.IntN(200000) },
		}
		for name, cut := range cuts {
			b := newBlockSum(int64(size))
			for p := data; len(p) > 0; {
				k := min(len(p), cut())
				b.Write(p[:k])
				p = p[k:]
			}
			if got := b.Sum64(); got != want {
				t.Errorf("blockSum of %d bytes cut by %s = %x; want %x", size, name, got, want)
			}
		}
	}
}

func TestBlockSumOfAnUnexpectedSize(t *testing.T) {
	data := make([]byte, blockSize+100)
	whole := newBlockSum(int64(len(data)))
	whole.Write(data)
	for _, size := range []int64{blockSize + 50, blockSize + 200} {
		b := newBlockSum(size)
		b.Write(data[:blockSize+30])
		b.Write(data[blockSize+30:])
		if b.Sum64() != whole.Sum64() {
			t.Errorf("blockSum expecting %d bytes, given %d = another sum than expecting them; want the same", size, len(data))
		}
	}
}
