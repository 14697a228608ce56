package fat

import "unicode/utf16"

// Directory entry attributes.
const (
	attrLabel   = 0x08
	attrDir     = 0x10
	attrArchive = 0x20
	attrLong    = 0x0F // read-only, hidden, system and volume: a long-name part
)

// dirBytes fills b (the folder's clusters, zeroed) with the entries of
// folder i: the label or "." and "..", then for each child its long-name
// entries and its short entry.
func (l *Layout) dirBytes(i int, b []byte) {
	d := &l.dirs[i]
	pos := 0
	next := func() []byte {
		e := b[pos : pos+32]
		pos += 32
		return e
	}
	if i == 0 {
		if labelEntry(l.opts.Label) {
			e := next()
			copy(e[:11], l.label[:])
			e[11] = attrLabel
			le.PutUint16(e[22:], l.clock)
			le.PutUint16(e[24:], l.date)
		}
	} else {
		parent := uint32(0) // ".." of a folder in the root points to cluster 0
		if d.parent != 0 {
			parent = l.dirs[d.parent].cluster
		}
		l.shortEntry(next(), [11]byte{'.', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' '}, 0, attrDir, d.cluster, 0)
		l.shortEntry(next(), [11]byte{'.', '.', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' '}, 0, attrDir, parent, 0)
	}
	for _, c := range d.children {
		if c.long {
			units := utf16.Encode([]rune(c.name))
			n := (len(units) + 12) / 13
			sum := checksum(c.short[:])
			for k := n; k >= 1; k-- {
				longEntry(next(), units, k, k == n, sum)
			}
		}
		if c.dir {
			l.shortEntry(next(), c.short, c.lcase, attrDir, l.dirs[c.index].cluster, 0)
		} else {
			f := l.files[c.index]
			l.shortEntry(next(), c.short, c.lcase, attrArchive, f.cluster, uint32(f.size))
		}
	}
}

func (l *Layout) shortEntry(e []byte, name [11]byte, lcase, attr byte, cluster, size uint32) {
	copy(e[:11], name[:])
	e[11] = attr
	e[12] = lcase
	le.PutUint16(e[14:], l.clock) // created
	le.PutUint16(e[16:], l.date)
	le.PutUint16(e[18:], l.date) // last access
	le.PutUint16(e[20:], uint16(cluster>>16))
	le.PutUint16(e[22:], l.clock) // written
	le.PutUint16(e[24:], l.date)
	le.PutUint16(e[26:], uint16(cluster))
	le.PutUint32(e[28:], size)
}

// longEntry fills the k-th (1-based) long-name entry of name: 13 UTF-16
// units, the one after the name 0x0000, the rest 0xFFFF.
func longEntry(e []byte, units []uint16, k int, last bool, sum byte) {
	e[0] = byte(k)
	if last {
		e[0] |= 0x40
	}
	e[11] = attrLong
	e[13] = sum
	for j, off := range longOffsets {
		u := uint16(0xFFFF)
		switch n := (k-1)*13 + j; {
		case n < len(units):
			u = units[n]
		case n == len(units):
			u = 0
		}
		le.PutUint16(e[off:], u)
	}
}

// longOffsets are where the 13 UTF-16 units of a long-name entry lie.
var longOffsets = [13]int{1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30}

// checksum is the short-name checksum that ties long entries to their
// 11-byte short entry name.
func checksum(name []byte) byte {
	var sum byte
	for _, c := range name[:11] {
		sum = (sum>>1 | sum<<7) + c
	}
	return sum
}
