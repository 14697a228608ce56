package library

import (
	"cmp"
	"encoding/binary"
	"slices"
	"strings"
)

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

// pathGroup is how many paths of a pathTable share one recorded start.
const pathGroup = 16

// pathTable is a list of slash paths: each its length (a uvarint, one
// byte below 128) and its bytes, one after the other in chunks of up to
// 1<<chunkBits bytes (a path never spans two), and where every
// pathGroup-th path starts. The i-th path is found from its group's start
// over at most pathGroup-1 others, going on into the next chunk where one
// ends, so a path costs its bytes and little more than one. Paths are
// substrings of the chunks, so handing one out allocates nothing.
type pathTable struct {
	chunks []string
	starts column[uint32] // of paths 0, pathGroup, 2*pathGroup...: chunk<<chunkBits | offset in it
	n      int
	cur    []byte // the chunk being filled, not yet in chunks
}

// add appends p, which must be at most 765 bytes long (fat.CheckPath).
func (t *pathTable) add(p string) {
	var head [binary.MaxVarintLen64]byte
	length := binary.PutUvarint(head[:], uint64(len(p)))
	if len(t.cur)+length+len(p) > 1<<chunkBits {
		t.flush()
	}
	if t.cur == nil {
		t.cur = make([]byte, 0, 1<<chunkBits)
	}
	if t.n%pathGroup == 0 {
		t.starts.add(uint32(len(t.chunks))<<chunkBits | uint32(len(t.cur)))
	}
	t.cur = append(append(t.cur, head[:length]...), p...)
	t.n++
}

// flush closes the chunk being filled, if a path was added to it.
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
	s := t.starts.at(i / pathGroup)
	c, off := int(s>>chunkBits), int(s&(1<<chunkBits-1))
	chunk := t.chunks[c]
	for k := i % pathGroup; ; k-- {
		if off == len(chunk) {
			c, off = c+1, 0
			chunk = t.chunks[c]
		}
		n, at := pathLen(chunk, off)
		if k == 0 {
			return chunk[at : at+n]
		}
		off = at + n
	}
}

// pathLen reads the length that starts at off in chunk, and where its
// path starts.
func pathLen(chunk string, off int) (n, at int) {
	for shift := 0; ; shift += 7 {
		b := chunk[off]
		off++
		n |= int(b&0x7f) << shift
		if b < 0x80 {
			return n, off
		}
	}
}

func (t *pathTable) len() int { return t.n }

// fileTable is the list of a manifest's file paths, kept as each folder's
// path once and each file's name: in an encyclopedia of a million files in
// a few thousand folders, the folder's part of a path is a third of its
// bytes. A run of files in one folder costs one record.
type fileTable struct {
	dirs  pathTable // the folders that hold files; "" for the root
	names pathTable // each file's name, by index
	runs  []dirRun  // by first file

	// While adding: each folder's number, and the last one added to.
	dirIndex map[string]uint32
	lastDir  string
}

// dirRun says that the files from start on are in folder dir, up to the
// next run's start.
type dirRun struct{ start, dir uint32 }

// add appends the file at slash path p.
func (t *fileTable) add(p string) {
	dir, name := "", p
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		dir, name = p[:i], p[i+1:]
	}
	if len(t.runs) == 0 || dir != t.lastDir {
		di, ok := t.dirIndex[dir]
		if !ok {
			if t.dirIndex == nil {
				t.dirIndex = map[string]uint32{}
			}
			di = uint32(t.dirs.len())
			dir = strings.Clone(dir) // p may be a caller's buffer
			t.dirs.add(dir)
			t.dirIndex[dir] = di
		}
		t.runs = append(t.runs, dirRun{start: uint32(t.names.len()), dir: di})
		t.lastDir = dir
	}
	t.names.add(name)
}

// seal makes the table read-only once all paths are added.
func (t *fileTable) seal() {
	t.dirs.seal()
	t.names.seal()
	t.runs = slices.Clip(t.runs)
	t.dirIndex, t.lastDir = nil, ""
}

func (t *fileTable) len() int { return t.names.len() }

// parts is the i-th path's folder ("" for the root) and name, parts of the
// table's own storage.
func (t *fileTable) parts(i int) (dir, name string) {
	k, found := slices.BinarySearchFunc(t.runs, uint32(i), func(r dirRun, i uint32) int { return cmp.Compare(r.start, i) })
	if !found {
		k--
	}
	return t.dirs.path(int(t.runs[k].dir)), t.names.path(i)
}

// path is the i-th path, built anew at each call.
func (t *fileTable) path(i int) string {
	dir, name := t.parts(i)
	if dir == "" {
		return name
	}
	return dir + "/" + name
}

// appendPath appends the i-th path to b.
func (t *fileTable) appendPath(b []byte, i int) []byte {
	dir, name := t.parts(i)
	if dir != "" {
		b = append(append(b, dir...), '/')
	}
	return append(b, name...)
}

// bitmap is a set of indexes below a fixed bound.
type bitmap []uint64

func newBitmap(n int) bitmap { return make(bitmap, (n+63)/64) }

func (b bitmap) set(i int)      { b[i/64] |= 1 << (i % 64) }
func (b bitmap) has(i int) bool { return b[i/64]&(1<<(i%64)) != 0 }
