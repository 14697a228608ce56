package fat

import (
	"fmt"
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
// entries begin at byte pos, with the copy's first free cluster at next,
// grow of the folder's own clusters after its first taken and ord entries
// made; at is where the copy had got to for the times of entries (the
// cluster after the last file with data or folder made, so that it does
// not count clusters the folder took after those). A stream keeps one per
// folder while it emits the folder's clusters in order, so that a folder of
// many clusters is not walked from its start for every one; it holds the
// folder's names and short names, which depend on all of its names.
type dirCursor struct {
	ci    int
	pos   int64
	next  uint32
	at    uint32
	ord   int
	grow  int
	names []string    // the children's names; nil until the folder's rendering starts
	short []entryName // and how its entries name them
	units []uint16    // scratch for a long name
}

// dirBytes fills b, which must be zeroed, with the bytes of folder i from
// byte offset off on (a multiple of 32): the label or "." and "..", then
// for each child its long-name entries and its short entry. It starts from
// cur if cur lies at or before off, and leaves cur at the first child it did
// not reach.
func (l *Layout) dirBytes(i int, b []byte, off int64, cur *dirCursor) {
	d := &l.dirs[i]
	kids := l.children(d)
	pos := int64(0)
	next := func() []byte { // the next entry, or nil when it lies outside b
		p := pos - off
		pos += 32
		if p < 0 || p >= int64(len(b)) {
			return nil
		}
		return b[p : p+32]
	}
	if cur.names != nil && cur.pos <= off {
		pos = cur.pos
	} else {
		l.baseBytes(i, next)
		names := make([]string, len(kids))
		for k, ref := range kids {
			names[k] = l.name(ref)
		}
		short, err := shortNames(d, names)
		if err != nil {
			panic(fmt.Sprintf("BUG: %v in a planned folder", err))
		}
		// where the copy had got to when the first child was made, and how
		// many entries it had made
		*cur = dirCursor{pos: pos, next: d.cluster + 1, at: d.cluster + 1, ord: d.made + 1, names: names, short: short, units: cur.units}
	}
	c := *cur
	end := off + int64(len(b))
	saved := false // cur holds the child the next window starts in
	for ; c.ci < len(kids); c.ci++ {
		if pos >= end {
			break
		}
		ref, name, en := kids[c.ci], c.names[c.ci], c.short[c.ci]
		size := int64(32)
		if en.long {
			c.units = c.units[:0]
			for _, r := range name {
				c.units = utf16.AppendRune(c.units, r)
			}
			size += int64(len(c.units)+12) / 13 * 32
		}
		if pos+size > end {
			c.pos = pos
			*cur, saved = c, true
		}
		made, n := c.at, c.ord
		c.ord++
		for ; c.grow < len(d.grow) && d.grow[c.grow] == uint32(c.ci); c.grow++ {
			c.next++
		}
		cluster, fileSize := uint32(0), int64(0)
		if ref&dirRef != 0 {
			sub := &l.dirs[ref&^dirRef]
			cluster, made, c.at, c.next = sub.cluster, sub.cluster, sub.end, sub.end
			c.ord += sub.below
		} else if fileSize = l.in.Size(int(ref)); fileSize > 0 {
			cluster, made = c.next, c.next
			c.next += uint32(l.g.clustersFor(fileSize))
			c.at = c.next
		}
		if pos+size <= off {
			pos += size
			continue
		}
		if en.long {
			n := (len(c.units) + 12) / 13
			sum := checksum(en.short[:])
			for k := n; k >= 1; k-- {
				if e := next(); e != nil {
					longEntry(e, c.units, k, k == n, sum)
				}
			}
		}
		e := next()
		if e == nil {
			continue
		}
		if ref&dirRef != 0 {
			l.shortEntry(e, en.short, en.lcase, attrDir, cluster, 0, l.createdAt(made, n))
		} else {
			l.shortEntry(e, en.short, en.lcase, attrArchive, cluster, uint32(fileSize), l.createdAt(made, n))
		}
	}
	if !saved {
		c.pos = pos
		*cur = c
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
