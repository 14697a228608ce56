package library

// A manifest of a million files is held in flat columns rather than as a
// million structs with their strings: each path's bytes once, in shared
// chunks, and sizes and hashes in blocks of fixed-size values, so that a
// library costs a few dozen bytes a file beyond its paths (see
// TestManifestMemory).

// blockLen is the number of values in one block of a column.
const blockLen = 4096

// column is a growable list of values kept in blocks of blockLen: growing
// it never copies what it holds, and leaves at most one block part-empty.
type column[T any] struct {
	blocks [][]T
	n      int
}

func (c *column[T]) add(v T) {
	if c.n%blockLen == 0 {
		c.blocks = append(c.blocks, make([]T, 0, blockLen))
	}
	b := &c.blocks[len(c.blocks)-1]
	*b = append(*b, v)
	c.n++
}

func (c *column[T]) at(i int) T { return c.blocks[i/blockLen][i%blockLen] }

// ptr is the address of value i, for reading a large value in place.
func (c *column[T]) ptr(i int) *T { return &c.blocks[i/blockLen][i%blockLen] }

func (c *column[T]) len() int { return c.n }

// chunkBits sizes the chunks of a pathTable: 64 KiB, far more than the
// longest path FAT allows (255 UTF-16 units, at most 765 bytes).
const chunkBits = 16

// pathTable is a list of slash paths: their bytes in chunks of up to
// 1<<chunkBits (a path never spans two), one after the other, and where
// each starts; a path ends where the next in its chunk starts, or with
// the chunk. Paths are substrings of the chunks, so handing one out
// allocates nothing.
type pathTable struct {
	chunks []string
	starts column[uint32] // chunk<<chunkBits | offset in it
	cur    []byte         // the chunk being filled, not yet in chunks
}

// add appends p, which must be at most 765 bytes long (fat.CheckPath).
func (t *pathTable) add(p string) {
	if len(t.cur)+len(p) > 1<<chunkBits {
		t.flush()
	}
	if t.cur == nil {
		t.cur = make([]byte, 0, 1<<chunkBits)
	}
	t.starts.add(uint32(len(t.chunks))<<chunkBits | uint32(len(t.cur)))
	t.cur = append(t.cur, p...)
}

// flush closes the chunk being filled.
func (t *pathTable) flush() {
	if len(t.cur) > 0 {
		t.chunks = append(t.chunks, string(t.cur))
	}
	t.cur = t.cur[:0]
}

// seal makes the table read-only once all paths are added.
func (t *pathTable) seal() {
	t.flush()
	t.cur = nil
}

// path is the i-th path; the table must be sealed.
func (t *pathTable) path(i int) string {
	s := t.starts.at(i)
	chunk := t.chunks[s>>chunkBits]
	end := len(chunk)
	if i+1 < t.starts.len() {
		if next := t.starts.at(i + 1); next>>chunkBits == s>>chunkBits {
			end = int(next & (1<<chunkBits - 1))
		}
	}
	return chunk[s&(1<<chunkBits-1) : end]
}

func (t *pathTable) len() int { return t.starts.len() }

// bitmap is a set of indexes below a fixed bound.
type bitmap []uint64

func newBitmap(n int) bitmap { return make(bitmap, (n+63)/64) }

func (b bitmap) set(i int)      { b[i/64] |= 1 << (i % 64) }
func (b bitmap) has(i int) bool { return b[i/64]&(1<<(i%64)) != 0 }
