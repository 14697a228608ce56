package fat

import (
	"time"
	"unicode/utf16"
)

// Directory entry attributes.
const (
	attrLabel   = 0x08
	attrDir     = 0x10
	attrArchive = 0x20
	attrLong    = 0x0F // read-only, hidden, system and volume: a long-name part
)

// dirCursor is where rendering a folder stopped: at child ci, whose
// entries begin at byte pos, with the copy at cluster at and ord entries
// made. A stream keeps one per folder, as it emits each folder's clusters
// in order, so that a folder of many clusters is not walked from its start
// for every one.
type dirCursor struct {
	ci  int
	pos int64
	at  uint32
	ord int
}

// dirBytes fills b, which must be zeroed, with the bytes of folder i from
// byte offset off on (a multiple of 32): the label or "." and "..", then
// for each child its long-name entries and its short entry. It starts from
// cur if cur lies at or before off, and leaves cur at the first child it did
// not reach.
func (l *Layout) dirBytes(i int, b []byte, off int64, cur *dirCursor) {
	d := &l.dirs[i]
	pos := int64(0)
	next := func() []byte { // the next entry, or nil when it lies outside b
		p := pos - off
		pos += 32
		if p < 0 || p >= int64(len(b)) {
			return nil
		}
		return b[p : p+32]
	}
	if cur.pos > 0 && cur.pos <= off {
		pos = cur.pos
	} else {
		l.baseBytes(i, next)
		// where the copy had got to when the first child was made, and how
		// many entries it had made
		*cur = dirCursor{pos: pos, at: d.cluster + 1, ord: d.made + 1}
	}
	at, ord := cur.at, cur.ord
	end := off + int64(len(b))
	saved := false // cur holds the child the next window starts in
	for ci := cur.ci; ci < len(d.children); ci++ {
		c := &d.children[ci]
		if pos >= end {
			if !saved {
				*cur = dirCursor{ci, pos, at, ord}
			}
			return
		}
		if pos+int64(c.slots())*32 > end {
			*cur, saved = dirCursor{ci, pos, at, ord}, true
		}
		made, n := at, ord
		ord++
		if c.dir {
			made, at = l.dirs[c.index].cluster, l.dirs[c.index].end
			ord += l.dirs[c.index].below
		} else if f := l.files[c.index]; f.cluster != 0 {
			made, at = f.cluster, f.cluster+uint32(l.g.clustersFor(f.size))
		}
		if pos+int64(c.slots())*32 <= off {
			pos += int64(c.slots()) * 32
			continue
		}
		if c.long {
			units := utf16.Encode([]rune(c.name))
			n := (len(units) + 12) / 13
			sum := checksum(c.short[:])
			for k := n; k >= 1; k-- {
				if e := next(); e != nil {
					longEntry(e, units, k, k == n, sum)
				}
			}
		}
		e := next()
		if e == nil {
			continue
		}
		if c.dir {
			l.shortEntry(e, c.short, c.lcase, attrDir, made, 0, l.createdAt(made, n))
		} else {
			f := l.files[c.index]
			l.shortEntry(e, c.short, c.lcase, attrArchive, f.cluster, uint32(f.size), l.createdAt(made, n))
		}
	}
	if !saved {
		*cur = dirCursor{len(d.children), pos, at, ord}
	}
}

// baseBytes puts the entries before folder i's children: the root's
// label entry, or "." and "..".
func (l *Layout) baseBytes(i int, next func() []byte) {
	d := &l.dirs[i]
	if i == 0 {
		if labelEntry(l.opts.Label) {
			if e := next(); e != nil {
				copy(e[:11], l.label[:])
				e[11] = attrLabel
				date, clock, _ := fatStamp(l.formatted())
				le.PutUint16(e[22:], clock)
				le.PutUint16(e[24:], date)
			}
		}
		return
	}
	parent := uint32(0) // ".." of a folder in the root points to cluster 0
	if d.parent != 0 {
		parent = l.dirs[d.parent].cluster
	}
	// "." and ".." carry the folder's own times, as fastfat makes them.
	made := l.createdAt(d.cluster, d.made)
	if e := next(); e != nil {
		l.shortEntry(e, [11]byte{'.', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' '}, 0, attrDir, d.cluster, 0, made)
	}
	if e := next(); e != nil {
		l.shortEntry(e, [11]byte{'.', '.', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' '}, 0, attrDir, parent, 0, made)
	}
}

// shortEntry fills a short entry made at time made: created then (to
// 10 ms) and last accessed that day. A file keeps the library's time as
// its time of last writing, as a copy keeps the source's; a folder was last
// written when it was made, rounded up to FAT's 2 seconds as fastfat does.
func (l *Layout) shortEntry(e []byte, name [11]byte, lcase, attr byte, cluster, size uint32, made time.Time) {
	copy(e[:11], name[:])
	e[11] = attr
	e[12] = lcase
	date, clock, tenths := fatStamp(made)
	e[13] = tenths
	le.PutUint16(e[14:], clock) // created
	le.PutUint16(e[16:], date)
	le.PutUint16(e[18:], date) // last access
	le.PutUint16(e[20:], uint16(cluster>>16))
	wdate, wclock := l.date, l.clock
	if attr&attrDir != 0 {
		wdate, wclock, _ = fatStamp(made.Add(2*time.Second - 1).Truncate(2 * time.Second))
	}
	le.PutUint16(e[22:], wclock) // written
	le.PutUint16(e[24:], wdate)
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
