package fat

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
	"time"
	"unicode/utf16"
)

// The reader's own tests need volumes with exactly known layouts, and
// small ones for fuzzing; rdTiny builds them. It is deliberately not the
// package's writer: it places everything contiguously, in order, with
// hand-made short names, and it need not follow Windows' geometry.

// rdNode is a file or folder to put on a tiny volume.
type rdNode struct {
	long   string // long name; "" for a short-name-only entry
	short  string // 8.3 name as "NAME.EXT"; "" for a made-up one
	ntCase byte   // NT case flags
	attr   byte   // extra attribute bits
	data   []byte // file contents
	dir    bool   // a folder, holding kids
	kids   []*rdNode
}

// rdTinySpec is the shape of a tiny volume.
type rdTinySpec struct {
	bps, spc  int    // bytes per sector, sectors per cluster
	clusters  int    // data clusters
	fats      int    // number of FATs
	label     string // a root label entry, if not ""
	partStart int    // if not 0, the sector of an MBR partition holding the volume
}

// rdStamp is the time every entry of a tiny volume carries.
var rdStamp = time.Date(2023, 10, 5, 14, 30, 22, 370*int(time.Millisecond), time.UTC)

// rdTinyImage is a built volume and where things went.
type rdTinyImage struct {
	img      []byte
	start    int               // byte offset of the boot sector
	fatStart int               // byte offset of the first FAT
	fatSize  int               // bytes per FAT
	fats     int               // number of FATs
	data     int               // byte offset of cluster 2
	cs       int               // cluster size
	first    map[string]uint32 // path -> first cluster ("" is the root)
	entry    map[string]int    // path -> byte offset of its short entry
	clusters int
}

func (m *rdTinyImage) setFAT(c, val uint32) {
	for i := range m.fats {
		binary.LittleEndian.PutUint32(m.img[m.fatStart+i*m.fatSize+int(c)*4:], val)
	}
}

func (m *rdTinyImage) fatEntry(c uint32) uint32 {
	return binary.LittleEndian.Uint32(m.img[m.fatStart+int(c)*4:])
}

func (m *rdTinyImage) clusterAt(c uint32) int { return m.data + int(c-2)*m.cs }

// rdTinyBuilder lays out a tiny volume front to back.
type rdTinyBuilder struct {
	*rdTinyImage
	next  uint32 // next free cluster
	names int    // short names made up so far
}

// rdTiny builds a FAT32 volume of spec holding root's kids.
func rdTiny(spec rdTinySpec, root []*rdNode) *rdTinyImage {
	spec = rdTinyDefaults(spec)
	reserved := 2 // boot sector and FSInfo
	fatSize := (spec.clusters + 2) * 4
	fatSectors := (fatSize + spec.bps - 1) / spec.bps
	total := reserved + spec.fats*fatSectors + spec.clusters*spec.spc
	start := spec.partStart * 512
	m := &rdTinyImage{
		img:      make([]byte, start+total*spec.bps),
		start:    start,
		fatStart: start + reserved*spec.bps,
		fatSize:  fatSectors * spec.bps,
		fats:     spec.fats,
		data:     start + (reserved+spec.fats*fatSectors)*spec.bps,
		cs:       spec.bps * spec.spc,
		first:    map[string]uint32{},
		entry:    map[string]int{},
		clusters: spec.clusters,
	}
	b := &rdTinyBuilder{rdTinyImage: m, next: 2}
	m.setFAT(0, 0x0FFFFFF8)
	m.setFAT(1, 0x0FFFFFFF)
	var pre [][32]byte
	if spec.label != "" {
		pre = append(pre, rdShortEntry(rdPad(spec.label), 0, 0x08, 0, 0))
	}
	b.dir("", root, 0, true, pre)
	b.bootSector(spec, total, fatSectors)
	if spec.partStart != 0 {
		mbr := m.img[:512]
		e := mbr[446:]
		e[4] = 0x0C
		binary.LittleEndian.PutUint32(e[8:], uint32(spec.partStart))
		binary.LittleEndian.PutUint32(e[12:], uint32(total*spec.bps/512))
		mbr[510], mbr[511] = 0x55, 0xAA
	}
	return m
}

func rdTinyDefaults(s rdTinySpec) rdTinySpec {
	if s.bps == 0 {
		s.bps = 512
	}
	if s.spc == 0 {
		s.spc = 1
	}
	if s.clusters == 0 {
		s.clusters = 200
	}
	if s.fats == 0 {
		s.fats = 2
	}
	return s
}

func (b *rdTinyBuilder) bootSector(spec rdTinySpec, total, fatSectors int) {
	le := binary.LittleEndian
	s := b.img[b.start : b.start+spec.bps]
	copy(s, []byte{0xEB, 0x58, 0x90})
	copy(s[3:], "MSWIN4.1")
	le.PutUint16(s[11:], uint16(spec.bps))
	s[13] = byte(spec.spc)
	le.PutUint16(s[14:], 2)
	s[16] = byte(spec.fats)
	s[21] = 0xF8
	le.PutUint16(s[24:], 63)
	le.PutUint16(s[26:], 255)
	le.PutUint32(s[28:], uint32(spec.partStart))
	le.PutUint32(s[32:], uint32(total))
	le.PutUint32(s[36:], uint32(fatSectors))
	le.PutUint32(s[44:], 2)
	le.PutUint16(s[48:], 1)
	s[64], s[66] = 0x80, 0x29
	le.PutUint32(s[67:], 0x1234ABCD)
	label := rdPad("NO NAME")
	if spec.label != "" {
		label = rdPad(spec.label) // fsck.fat wants the boot sector's label to match the root's
	}
	copy(s[71:], label[:])
	copy(s[82:], "FAT32   ")
	s[510], s[511] = 0x55, 0xAA
	fsi := b.img[b.start+spec.bps:]
	le.PutUint32(fsi, 0x41615252)
	le.PutUint32(fsi[484:], 0x61417272)
	le.PutUint32(fsi[488:], uint32(spec.clusters+2)-b.next)
	le.PutUint32(fsi[492:], b.next)
	le.PutUint32(fsi[508:], 0xAA550000)
}

// alloc takes n contiguous clusters and chains them.
func (b *rdTinyBuilder) alloc(n int) uint32 {
	first := b.next
	if int(first)+n-2 > b.clusters {
		panic(fmt.Sprintf("tiny volume of %d clusters is full", b.clusters))
	}
	for i := range n {
		c := first + uint32(i)
		if i == n-1 {
			b.setFAT(c, 0x0FFFFFFF)
		} else {
			b.setFAT(c, c+1)
		}
	}
	b.next += uint32(n)
	return first
}

// dir lays out the folder at path p with entries kids; pre are entries
// that go first (a label).
func (b *rdTinyBuilder) dir(p string, kids []*rdNode, parent uint32, root bool, pre [][32]byte) uint32 {
	var ents [][32]byte
	if !root {
		ents = append(ents, [32]byte{}, [32]byte{})
	}
	ents = append(ents, pre...)
	type pending struct {
		node  *rdNode
		index int // of its short entry
	}
	var later []pending
	for _, k := range kids {
		short := k.short
		if short == "" {
			b.names++
			short = fmt.Sprintf("N%06d.BIN", b.names)
		}
		raw := rdRawShort(short)
		if k.long != "" {
			ents = append(ents, rdLongEntries(k.long, checksum(raw[:]))...)
		}
		ents = append(ents, [32]byte{})
		later = append(later, pending{k, len(ents) - 1})
		copy(ents[len(ents)-1][:11], raw[:])
	}
	size := max(len(ents)*32, 1)
	self := b.alloc((size + b.cs - 1) / b.cs)
	b.first[p] = self
	if !root {
		dotParent := parent
		ents[0] = rdShortEntry(rdPad("."), 0, 0x10, self, 0)
		ents[1] = rdShortEntry(rdPad(".."), 0, 0x10, dotParent, 0)
	}
	for _, l := range later {
		k := l.node
		kp := strings.TrimPrefix(p+"/"+rdNodeName(k), "/")
		var first uint32
		attr := k.attr | 0x20
		switch {
		case k.dir:
			attr = k.attr | 0x10
			up := self
			if root {
				up = 0
			}
			first = b.dir(kp, k.kids, up, false, nil)
		case len(k.data) > 0:
			first = b.alloc((len(k.data) + b.cs - 1) / b.cs)
			copy(b.img[b.clusterAt(first):], k.data)
		}
		b.first[kp] = first
		raw := [11]byte(ents[l.index][:11])
		ents[l.index] = rdShortEntry(raw, k.ntCase, attr, first, uint32(len(k.data)))
		b.entry[kp] = b.clusterAt(self) + 32*l.index
	}
	at := b.clusterAt(self)
	for i, e := range ents {
		copy(b.img[at+32*i:], e[:])
	}
	return self
}

// rdNodeName is the name the reader lists for k.
func rdNodeName(k *rdNode) string {
	if k.long != "" {
		return k.long
	}
	base, ext, _ := strings.Cut(k.short, ".")
	if k.ntCase&0x08 != 0 {
		base = strings.ToLower(base)
	}
	if k.ntCase&0x10 != 0 {
		ext = strings.ToLower(ext)
	}
	if ext == "" {
		return base
	}
	return base + "." + ext
}

// rdPad pads s with spaces to the 11 bytes of a short name or label.
func rdPad(s string) [11]byte {
	var out [11]byte
	copy(out[:], s+strings.Repeat(" ", 11-len(s)))
	return out
}

// rdRawShort is "NAME.EXT" as the 11 bytes a directory entry holds.
func rdRawShort(s string) [11]byte {
	base, ext, _ := strings.Cut(s, ".")
	return rdPad(base + strings.Repeat(" ", 8-len(base)) + ext)
}

// rdShortEntry is a short directory entry stamped with rdStamp.
func rdShortEntry(name [11]byte, ncase, attr byte, cluster, size uint32) [32]byte {
	var e [32]byte
	le := binary.LittleEndian
	copy(e[:], name[:])
	e[11], e[12] = attr, ncase
	t := rdStamp
	date := uint16(t.Year()-1980)<<9 | uint16(t.Month())<<5 | uint16(t.Day())
	tm := uint16(t.Hour())<<11 | uint16(t.Minute())<<5 | uint16(t.Second()/2)
	e[13] = byte(t.Second()%2*100 + t.Nanosecond()/int(10*time.Millisecond))
	le.PutUint16(e[14:], tm)
	le.PutUint16(e[16:], date)
	le.PutUint16(e[18:], date)
	le.PutUint16(e[20:], uint16(cluster>>16))
	le.PutUint16(e[22:], tm)
	le.PutUint16(e[24:], date)
	le.PutUint16(e[26:], uint16(cluster))
	le.PutUint32(e[28:], size)
	return e
}

// rdLongEntries are the long-name entries for long, last part first.
func rdLongEntries(long string, sum byte) [][32]byte {
	u := utf16.Encode([]rune(long))
	n := (len(u) + 12) / 13
	if len(u)%13 != 0 {
		u = append(u, 0)
	}
	for len(u)%13 != 0 {
		u = append(u, 0xFFFF)
	}
	var out [][32]byte
	for ord := n; ord >= 1; ord-- {
		var e [32]byte
		e[0] = byte(ord)
		if ord == n {
			e[0] |= 0x40
		}
		e[11], e[13] = 0x0F, sum
		part := u[(ord-1)*13 : ord*13]
		for i, o := range [13]int{1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30} {
			binary.LittleEndian.PutUint16(e[o:], part[i])
		}
		out = append(out, e)
	}
	return out
}

// rdTinyTree is a small tree with one of everything, for tests and seeds.
func rdTinyTree() []*rdNode {
	return []*rdNode{
		{short: "README.TXT", ntCase: 0x18, data: []byte("hello, kiosk\n")},
		{long: "한국어 문서.txt", short: "______~1.TXT", data: bytes.Repeat([]byte("가"), 400)},
		{long: "Mixed Case Name.Md", short: "MIXEDC~1.MD", data: []byte("# mixed\n")},
		{short: "EMPTY.DAT", ntCase: 0x08},
		{long: "Docs", short: "DOCS", dir: true, kids: []*rdNode{
			{long: "manifest.json", short: "MANIFE~1.JSO", data: []byte(`{"tier":1}` + "\n")},
			{short: "SUB", dir: true, kids: []*rdNode{
				{short: "DEEP.BIN", data: bytes.Repeat([]byte{1, 2, 3}, 700)},
			}},
			{long: "empty folder", short: "EMPTYF~1", dir: true},
		}},
	}
}
