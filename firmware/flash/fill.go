package flash

import (
	"crypto/rand"
	"encoding/binary"

	"golang.org/x/crypto/chacha20"
)

// randomFill produces a keyed pseudo-random wipe fill: ChaCha20 under a
// key drawn for one job and never stored, so the fill is indistinguishable
// from random and cannot be told apart from one drive to the next.
type randomFill struct {
	key  [chacha20.KeySize]byte
	c    *chacha20.Cipher
	next int64 // offset the cipher's keystream is at
}

// segment is how much keystream one nonce gives: 2^32 blocks of 64 bytes.
const segment = int64(1) << 38

func newRandomFill() *randomFill {
	f := &randomFill{next: -1}
	rand.Read(f.key[:])
	return f
}

// fill writes the fill of the bytes at disk offset off into p.
func (f *randomFill) fill(p []byte, off int64) {
	clear(p)
	for len(p) > 0 {
		if f.c == nil || off != f.next || off%segment == 0 {
			f.seek(off)
		}
		n := int(min(int64(len(p)), segment-off%segment))
		f.c.XORKeyStream(p[:n], p[:n])
		p, off = p[n:], off+int64(n)
		f.next = off
	}
}

// seek positions the keystream at off.
func (f *randomFill) seek(off int64) {
	var nonce [chacha20.NonceSize]byte
	binary.LittleEndian.PutUint64(nonce[:], uint64(off/segment))
	c, err := chacha20.NewUnauthenticatedCipher(f.key[:], nonce[:])
	if err != nil {
		panic("BUG: chacha20 key or nonce size: " + err.Error())
	}
	in := off % segment
	c.SetCounter(uint32(in / 64))
	if skip := in % 64; skip > 0 {
		var discard [64]byte
		c.XORKeyStream(discard[:skip], discard[:skip])
	}
	f.c = c
}
