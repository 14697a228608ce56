package library

import (
	"encoding/binary"

	"github.com/zeebo/xxh3"
)

// blockSize is the size of the blocks a blockSum hashes one by one.
const blockSize = 64 << 10

// blockSumName names the blockSum in a library's memory of verified files,
// which holds only for the checksum it was written with.
const blockSumName = "xxh3-64 of the xxh3-64 of each 64 KiB block"

// blockSum computes the checksum a library remembers of a file that passed
// its SHA-256: XXH3-64 over the XXH3-64 sums of the file's blocks of
// blockSize bytes (the last one shorter), in order. Each block is hashed
// by one call to XXH3's one-shot code on bytes the reader has just read,
// in cache: twice as fast as feeding the file to a streaming XXH3-128,
// whose cost was a fifth of writing a drive's worth of library. The sum
// does not depend on how the file is cut into writes.
type blockSum struct {
	size  int64  // the file's expected size: a write that ends there holds the last block
	n     int64  // bytes written
	carry []byte // the start of a block cut by the end of a write
	sums  []byte // the block sums, 8 bytes each, little-endian
}

func newBlockSum(size int64) *blockSum { return &blockSum{size: size} }

// Write adds the next bytes of the file; it never fails.
func (b *blockSum) Write(p []byte) (int, error) {
	n := len(p)
	if len(b.carry) > 0 {
		k := min(len(p), blockSize-len(b.carry))
		b.carry = append(b.carry, p[:k]...)
		p = p[k:]
		if len(b.carry) == blockSize {
			b.block(b.carry)
			b.carry = b.carry[:0]
		}
	}
	for len(p) >= blockSize {
		b.block(p[:blockSize])
		p = p[blockSize:]
	}
	if len(p) > 0 {
		if b.n+int64(n) == b.size {
			b.block(p) // the file's last block, whole in this write
		} else {
			if b.carry == nil {
				b.carry = make([]byte, 0, blockSize)
			}
			b.carry = append(b.carry, p...)
		}
	}
	b.n += int64(n)
	return n, nil
}

func (b *blockSum) block(p []byte) {
	b.sums = binary.LittleEndian.AppendUint64(b.sums, xxh3.Hash(p))
}

// Sum64 is the checksum of what was written. 64 bits are plenty for
// what it guards against, a file changed or damaged on its disk behind an
// unchanged identity (an attacker who can write the library can change
// its identity anyway), and keep the memory of a file at 16 bytes.
func (b *blockSum) Sum64() uint64 {
	if len(b.carry) > 0 {
		b.block(b.carry)
		b.carry = b.carry[:0]
	}
	return xxh3.Hash(b.sums)
}
