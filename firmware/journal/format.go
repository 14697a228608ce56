package journal

import (
	"encoding/binary"
	"hash/crc32"
	"math"
	"time"
)

const (
	sectorSize    = 512
	crcAt         = sectorSize - 4 // the CRC-32C of bytes [0, crcAt)
	formatVersion = 1
	headerSectors = 2
	minSlots      = 4
	maxSlots      = 1 << 14 // 8 MiB of records: years of drives, and Open scans it in seconds
	// Numbers beyond these never occur (a kiosk does not make 2^62 drives
	// or boot 2^31 times); refusing them keeps the next one from wrapping.
	maxSeq  = 1<<62 - 1
	maxBoot = 1<<31 - 1
)

var (
	headerMagic = [4]byte{'F', 'K', 'J', 'H'}
	recordMagic = [4]byte{'F', 'K', 'J', 'R'}
	castagnoli  = crc32.MakeTable(crc32.Castagnoli)
)

// seal sets the magic, format version and CRC of a sector whose body is
// filled in.
func seal(b []byte, magic [4]byte) {
	copy(b, magic[:])
	binary.LittleEndian.PutUint16(b[4:], formatVersion)
	binary.LittleEndian.PutUint32(b[crcAt:], crc32.Checksum(b[:crcAt], castagnoli))
}

// version returns the format version of an intact sector with the given
// magic, or 0 if the sector is torn, blank or something else.
func version(b []byte, magic [4]byte) uint16 {
	if [4]byte(b[:4]) != magic || crc32.Checksum(b[:crcAt], castagnoli) != binary.LittleEndian.Uint32(b[crcAt:]) {
		return 0
	}
	return binary.LittleEndian.Uint16(b[4:])
}

// header is the content of a header sector.
type header struct {
	boot  uint32 // the boot that wrote it
	slots uint32 // ring size in sectors
}

func (h header) encode() []byte {
	b := make([]byte, sectorSize)
	binary.LittleEndian.PutUint32(b[8:], h.boot)
	binary.LittleEndian.PutUint32(b[12:], h.slots)
	seal(b, headerMagic)
	return b
}

// decodeHeader parses an intact version-1 header sector; ok is false if
// its content is impossible.
func decodeHeader(b []byte) (h header, ok bool) {
	h = header{boot: binary.LittleEndian.Uint32(b[8:]), slots: binary.LittleEndian.Uint32(b[12:])}
	return h, h.boot <= maxBoot && h.slots >= minSlots && h.slots <= maxSlots && allZero(b[16:crcAt]) && allZero(b[6:8])
}

// entry is a record as stored: with its number, the ring size and the
// counters after it.
type entry struct {
	seq    uint64
	slots  uint32
	rec    Record
	totals Counters
}

// The fixed part of a record sector; the text fields follow it, each a
// length byte and that many bytes, then zeros up to the CRC.
const textAt = 104

// encode returns e's sector; e's text fields must be clipped to their
// limits.
func (e *entry) encode() []byte {
	b := make([]byte, sectorSize)
	le := binary.LittleEndian
	le.PutUint64(b[8:], e.seq)
	le.PutUint32(b[16:], e.slots)
	le.PutUint32(b[20:], e.rec.Boot)
	for i, v := range []uint64{
		uint64(e.rec.SinceBoot), uint64(e.rec.Reported), uint64(e.rec.Real),
		math.Float64bits(e.rec.WriteMBps), math.Float64bits(e.rec.VerifyMBps),
		uint64(e.totals.Done), uint64(e.totals.Failed), uint64(e.totals.Fake), uint64(e.totals.Rejected), uint64(e.totals.Bytes),
	} {
		le.PutUint64(b[24+8*i:], v)
	}
	at := textAt
	for _, f := range e.texts() {
		b[at] = byte(len(*f.s))
		at += 1 + copy(b[at+1:], *f.s)
	}
	seal(b, recordMagic)
	return b
}

// texts lists the text fields of e's record in their stored order, with
// their limits.
func (e *entry) texts() []struct {
	s   *string
	max int
} {
	r := &e.rec
	return []struct {
		s   *string
		max int
	}{{&r.Port, maxPort}, {&r.Vendor, maxVendor}, {&r.Model, maxModel}, {&r.Library, maxLibrary}, {&r.Outcome, maxOutcome}}
}

// decodeEntry parses an intact version-1 record sector; ok is false if its
// content is impossible. Only the bytes encode writes may be set, so that
// every sector decodeEntry accepts is exactly the encoding of its entry.
func decodeEntry(b []byte) (e entry, ok bool) {
	le := binary.LittleEndian
	e.seq = le.Uint64(b[8:])
	e.slots = le.Uint32(b[16:])
	e.rec.Boot = le.Uint32(b[20:])
	var v [10]uint64
	for i := range v {
		v[i] = le.Uint64(b[24+8*i:])
	}
	e.rec.SinceBoot, e.rec.Reported, e.rec.Real = time.Duration(v[0]), int64(v[1]), int64(v[2])
	e.rec.WriteMBps, e.rec.VerifyMBps = math.Float64frombits(v[3]), math.Float64frombits(v[4])
	e.totals = Counters{Done: int64(v[5]), Failed: int64(v[6]), Fake: int64(v[7]), Rejected: int64(v[8]), Bytes: int64(v[9])}
	at := textAt
	for _, f := range e.texts() {
		n := int(b[at])
		if n > f.max {
			return e, false
		}
		*f.s = string(b[at+1 : at+1+n])
		at += 1 + n
	}
	ok = e.seq <= maxSeq && e.rec.Boot <= maxBoot && e.slots >= minSlots && e.slots <= maxSlots && allZero(b[6:8]) && allZero(b[at:crcAt])
	return e, ok
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
