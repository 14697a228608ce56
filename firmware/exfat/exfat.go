// Package exfat reads the root folder of an exFAT volume, and the files in
// it, through an io.ReaderAt without mounting it: enough for the kiosk to
// tell a master drive formatted exFAT (its manifest and signature at the
// root) from a donated stick, which many larger sticks are formatted as.
//
// It does not read subfolders, write, or check the allocation bitmap and
// up-case table; names match by Unicode simple case folding, which is
// exFAT's up-case table for every name the kiosk looks up. Everything on
// the volume is treated as hostile: a structure that does not add up is a
// *CorruptError, and nothing the volume claims makes the reader loop or
// allocate without a bound.
package exfat

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"time"
	"unicode/utf16"
)

// ErrNotExFAT is returned (wrapped) by Open for a region that does not
// start with an exFAT boot sector.
var ErrNotExFAT = errors.New("not an exFAT volume")

// CorruptError is an exFAT structure that is broken: a boot sector whose
// regions do not fit, a cluster chain that loops or leaves the volume, a
// directory entry set whose checksum or shape is wrong.
type CorruptError struct {
	Offset int64 // byte offset on the device of what is wrong
	Msg    string
}

func (e *CorruptError) Error() string { return fmt.Sprintf("exFAT at byte %d: %s", e.Offset, e.Msg) }

func corrupt(off int64, format string, args ...any) error {
	return &CorruptError{Offset: off, Msg: fmt.Sprintf(format, args...)}
}

// Limits on what a volume may claim.
const (
	maxRootBytes = 2 << 20  // a root folder of 65536 entries; a stick's has a handful
	fatBlock     = 16 << 10 // bytes of FAT read and kept as one piece
)

// Entry types (exFAT specification, section 6 and 7), with the in-use bit.
const (
	typeEnd    = 0x00
	typeLabel  = 0x83
	typeFile   = 0x85
	typeStream = 0xC0
	typeName   = 0xC1
	inUse      = 0x80
	attrDir    = 0x10
	noFatChain = 0x02 // stream extension: the clusters are contiguous, the FAT is not used
	endOfChain = 0xFFFFFFFF
)

// Volume is an open exFAT volume. It implements fs.FS for its root
// folder: "." and the names in it. It is not safe for concurrent use.
type Volume struct {
	r            io.ReaderAt
	clusterShift uint  // log2 of bytes per cluster
	fatStart     int64 // byte offset on the device of the active FAT
	heapStart    int64 // byte offset on the device of cluster 2
	clusterCount uint32
	label        string
	root         []*entry

	fatCache    []byte // one fatBlock of the FAT
	fatCacheOff int64  // its offset in the FAT; -1 when empty
}

// entry is a file or folder of the root folder.
type entry struct {
	name         string
	dir          bool
	firstCluster uint32
	size         int64 // DataLength
	valid        int64 // ValidDataLength: bytes past it read as zeros
	contiguous   bool  // NoFatChain
	modified     time.Time
	offset       int64 // byte offset on the device of its File entry
	err          error // what is wrong with its entry set, if anything
}

// Open opens the exFAT volume whose boot sector is at byte 0 of r, in a
// region of size bytes: a partition (through an io.SectionReader) or a
// whole drive. The boot sector is checked strictly and the root folder is
// read.
func Open(r io.ReaderAt, size int64) (*Volume, error) {
	boot := make([]byte, 512)
	if err := readFull(r, boot, 0); err != nil {
		return nil, err
	}
	if string(boot[3:11]) != "EXFAT   " {
		return nil, fmt.Errorf("sector 0 is no exFAT boot sector: %w", ErrNotExFAT)
	}
	le := binary.LittleEndian
	for _, b := range boot[11:64] {
		if b != 0 {
			return nil, corrupt(11, "the boot sector's must-be-zero field is not zero")
		}
	}
	bpsShift, spcShift := uint(boot[108]), uint(boot[109])
	volSectors := le.Uint64(boot[72:])
	fatOff, fatLen := int64(le.Uint32(boot[80:])), int64(le.Uint32(boot[84:]))
	heapOff, count := int64(le.Uint32(boot[88:])), le.Uint32(boot[92:])
	rootCluster := le.Uint32(boot[96:])
	flags, fats := le.Uint16(boot[106:]), boot[110]
	switch {
	case le.Uint16(boot[510:]) != 0xAA55:
		return nil, corrupt(510, "boot signature %#04x, want 0xaa55", le.Uint16(boot[510:]))
	case bpsShift < 9 || bpsShift > 12:
		return nil, corrupt(108, "bytes per sector 2^%d; exFAT has 2^9 to 2^12", bpsShift)
	case bpsShift+spcShift > 25:
		return nil, corrupt(109, "clusters of 2^%d bytes; exFAT's are at most 32 MiB", bpsShift+spcShift)
	case fats != 1 && fats != 2:
		return nil, corrupt(110, "%d FATs; exFAT has 1 or 2", fats)
	case volSectors > uint64(size)>>bpsShift:
		return nil, corrupt(72, "the volume of %d sectors of %d bytes is larger than the %d bytes it lies in", volSectors, 1<<bpsShift, size)
	case fatOff < 24 || uint64(fatOff+int64(fats)*fatLen) > volSectors:
		return nil, corrupt(80, "FAT at sector %d, %d sectors (x%d), outside the volume of %d sectors", fatOff, fatLen, fats, volSectors)
	case heapOff < fatOff+int64(fats)*fatLen:
		return nil, corrupt(88, "cluster heap at sector %d overlaps the FAT", heapOff)
	case count == 0 || count > 0xFFFFFFF5 || uint64(heapOff)+uint64(count)<<spcShift > volSectors:
		return nil, corrupt(92, "%d clusters from sector %d do not fit the volume of %d sectors", count, heapOff, volSectors)
	case fatLen<<bpsShift < (int64(count)+2)*4:
		return nil, corrupt(84, "a FAT of %d sectors cannot hold %d clusters", fatLen, count)
	case rootCluster < 2 || rootCluster > count+1:
		return nil, corrupt(96, "root folder at cluster %d, outside clusters 2 to %d", rootCluster, count+1)
	}
	if fats == 2 && flags&1 != 0 {
		fatOff += fatLen // the second FAT is the active one
	}
	v := &Volume{
		r: r, clusterShift: bpsShift + spcShift,
		fatStart: fatOff << bpsShift, heapStart: heapOff << bpsShift,
		clusterCount: count, fatCacheOff: -1,
	}
	if err := v.readRoot(rootCluster); err != nil {
		return nil, err
	}
	return v, nil
}

// Label is the volume label from the root folder, "" if it has none.
func (v *Volume) Label() string { return v.label }

// clusterOffset is the byte offset on the device of cluster c.
func (v *Volume) clusterOffset(c uint32) int64 {
	return v.heapStart + int64(c-2)<<v.clusterShift
}

// next is the cluster after c in its chain, from the FAT.
func (v *Volume) next(c uint32) (uint32, error) {
	off := int64(c) * 4
	block := off &^ (fatBlock - 1)
	if v.fatCacheOff != block {
		if v.fatCache == nil {
			v.fatCache = make([]byte, fatBlock)
		}
		// The FAT is at least (count+2)*4 bytes and lies inside the
		// volume, but its last block may be shorter than fatBlock.
		n := min(int64(fatBlock), (int64(v.clusterCount)+2)*4-block)
		if err := readFull(v.r, v.fatCache[:n], v.fatStart+block); err != nil {
			return 0, err
		}
		v.fatCacheOff = block
	}
	return binary.LittleEndian.Uint32(v.fatCache[off-block:]), nil
}

// chain walks the chain from first, calling visit with each cluster, until
// its end or until visit returns false. A chain that leaves the heap or
// is longer than the heap has clusters (a loop) is corrupt.
func (v *Volume) chain(first uint32, what string, visit func(c uint32) bool) error {
	c := first
	for n := uint32(0); ; n++ {
		if c < 2 || c > v.clusterCount+1 {
			return corrupt(v.fatStart, "%s: cluster %d is outside clusters 2 to %d", what, c, v.clusterCount+1)
		}
		if n > v.clusterCount {
			return corrupt(v.fatStart, "%s: its chain from cluster %d loops", what, first)
		}
		if !visit(c) {
			return nil
		}
		next, err := v.next(c)
		if err != nil {
			return err
		}
		if next == endOfChain {
			return nil
		}
		c = next
	}
}

// readRoot reads and parses the root folder, or its first maxRootBytes.
func (v *Volume) readRoot(first uint32) error {
	csize := int64(1) << v.clusterShift
	var buf []byte
	var offs []int64 // device offset of each piece read, for errors
	var err error
	cut := false
	walk := v.chain(first, "the root folder", func(c uint32) bool {
		if int64(len(buf)) >= maxRootBytes {
			cut = true
			return false
		}
		n := min(csize, maxRootBytes-int64(len(buf)))
		offs = append(offs, v.clusterOffset(c))
		buf = append(buf, make([]byte, n)...)
		err = readFull(v.r, buf[int64(len(buf))-n:], v.clusterOffset(c))
		return err == nil
	})
	if walk != nil {
		return walk
	}
	if err != nil {
		return err
	}
	piece := min(csize, maxRootBytes)
	at := func(i int) int64 { return offs[int64(i*32)/piece] + int64(i*32)%piece }
	if !v.parseRoot(buf, at) && (cut || csize > maxRootBytes) {
		return corrupt(v.clusterOffset(first), "the root folder has no end within %d bytes", maxRootBytes)
	}
	return nil
}

// parseRoot parses the root folder's entries; at gives the device offset
// of entry i. It reports whether it found the end-of-folder entry. An
// entry set that names nothing is passed over; one that names a file but
// is broken otherwise keeps its error for whoever opens that name, so a
// bad entry spoils only itself.
func (v *Volume) parseRoot(buf []byte, at func(i int) int64) bool {
	le := binary.LittleEndian
	n := len(buf) / 32
	ent := func(i int) []byte { return buf[i*32 : i*32+32] }
	for i := 0; i < n; i++ {
		e := ent(i)
		switch e[0] {
		case typeEnd:
			return true
		case typeLabel:
			if l := int(e[1]); l <= 11 {
				v.label = decodeName(e[2 : 2+2*l])
			}
			continue
		case typeFile:
		default:
			continue // unused entries, the bitmap, the up-case table, GUIDs, vendor entries
		}
		secondaries := int(e[1])
		if secondaries < 2 || secondaries > 18 || i+secondaries >= n {
			continue
		}
		s := ent(i + 1)
		nameLen := int(s[3])
		if s[0] != typeStream || nameLen == 0 || (nameLen+14)/15 > secondaries-1 {
			continue
		}
		var bad error
		units := make([]byte, 0, 30*(secondaries-1))
		for j := 2; j <= secondaries; j++ {
			switch ne := ent(i + j); {
			case ne[0] == typeName:
				units = append(units, ne[2:32]...)
			case ne[0]&inUse == 0 || ne[0]&0x40 == 0:
				bad = corrupt(at(i+j), "entry type %#02x inside a file's entry set", ne[0])
			}
		}
		if len(units) < 2*nameLen {
			continue
		}
		f := &entry{
			name:         decodeName(units[:2*nameLen]),
			dir:          le.Uint16(e[4:])&attrDir != 0,
			firstCluster: le.Uint32(s[20:]),
			valid:        int64(le.Uint64(s[8:])),
			size:         int64(le.Uint64(s[24:])),
			contiguous:   s[1]&noFatChain != 0,
			modified:     timestamp(le.Uint32(e[12:])),
			offset:       at(i),
		}
		set := buf[i*32 : (i+1+secondaries)*32]
		switch sum := setChecksum(set); {
		case bad != nil:
			f.err = bad
		case sum != le.Uint16(e[2:]):
			f.err = corrupt(at(i), "%q: entry set checksum %#04x, the entry says %#04x", f.name, sum, le.Uint16(e[2:]))
		case f.size < 0 || f.valid < 0 || f.valid > f.size:
			f.err = corrupt(at(i+1), "%q: valid data length %d, data length %d", f.name, f.valid, f.size)
		case f.size > 0 && (f.firstCluster < 2 || f.firstCluster > v.clusterCount+1):
			f.err = corrupt(at(i+1), "%q starts at cluster %d, outside clusters 2 to %d", f.name, f.firstCluster, v.clusterCount+1)
		case f.contiguous && f.size > 0 && uint64(f.firstCluster-2)+uint64(v.clusters(f.size)) > uint64(v.clusterCount):
			f.err = corrupt(at(i+1), "%q is %d bytes, %d contiguous clusters from cluster %d, past the volume's end", f.name, f.size, v.clusters(f.size), f.firstCluster)
		}
		v.root = append(v.root, f)
		i += secondaries
	}
	return false
}

// clusters is how many clusters hold size bytes.
func (v *Volume) clusters(size int64) int64 {
	return (size + 1<<v.clusterShift - 1) >> v.clusterShift
}

// setChecksum is the EntrySetChecksum of an entry set: every byte but the
// checksum field of the first entry.
func setChecksum(set []byte) uint16 {
	var sum uint16
	for i, b := range set {
		if i == 2 || i == 3 {
			continue
		}
		sum = (sum<<15 | sum>>1) + uint16(b)
	}
	return sum
}

// decodeName decodes UTF-16LE code units.
func decodeName(b []byte) string {
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return string(utf16.Decode(u))
}

// timestamp decodes an exFAT timestamp (local time, as FAT's).
func timestamp(t uint32) time.Time {
	return time.Date(1980+int(t>>25), time.Month(t>>21&15), int(t>>16&31), int(t>>11&31), int(t>>5&63), int(t&31)*2, 0, time.UTC)
}

// lookup finds the root entry named name, case-insensitively.
func (v *Volume) lookup(name string) *entry {
	for _, e := range v.root {
		if strings.EqualFold(e.name, name) {
			return e
		}
	}
	return nil
}

// Open opens "." (the root folder) or a name in the root folder.
func (v *Volume) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	if name == "." {
		return &rootDir{v: v}, nil
	}
	e := v.lookup(name)
	if e == nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	if e.err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: e.err}
	}
	if e.dir {
		return nil, &fs.PathError{Op: "open", Path: name, Err: errors.New("a subfolder: only the root folder is read")}
	}
	if err := v.checkChain(e); err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	return &file{v: v, e: e, cluster: e.firstCluster}, nil
}

// Stat describes "." or a name in the root folder.
func (v *Volume) Stat(name string) (fs.FileInfo, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: fs.ErrInvalid}
	}
	if name == "." {
		return info{&entry{name: ".", dir: true}}, nil
	}
	e := v.lookup(name)
	if e == nil {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: fs.ErrNotExist}
	}
	if e.err != nil {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: e.err}
	}
	return info{e}, nil
}

// checkChain checks that a file's cluster chain holds its size: a file
// claiming far more than its chain holds is refused when opened, before a
// reader makes room for what it claims. The walk is bounded by the
// volume's cluster count.
func (v *Volume) checkChain(e *entry) error {
	if e.contiguous || e.size == 0 {
		return nil // checked when the folder was read
	}
	need := v.clusters(e.size)
	var got int64
	err := v.chain(e.firstCluster, fmt.Sprintf("%q", e.name), func(uint32) bool {
		got++
		return got < need
	})
	if err != nil {
		return err
	}
	if got < need {
		return corrupt(e.offset, "%q is %d bytes, but its chain ends after %d of its %d clusters", e.name, e.size, got, need)
	}
	return nil
}

// info is an entry as fs.FileInfo and fs.DirEntry; read-only modes.
type info struct{ e *entry }

func (i info) Name() string { return i.e.name }
func (i info) IsDir() bool  { return i.e.dir }
func (i info) Size() int64 {
	if i.e.dir {
		return 0
	}
	return i.e.size
}
func (i info) ModTime() time.Time { return i.e.modified }
func (i info) Mode() fs.FileMode {
	if i.e.dir {
		return fs.ModeDir | 0o555
	}
	return 0o444
}
func (i info) Sys() any                   { return nil }
func (i info) Type() fs.FileMode          { return i.Mode().Type() }
func (i info) Info() (fs.FileInfo, error) { return i, nil }

// file reads a file of the root folder, following its cluster chain as it
// goes, so that a file claiming far more than it holds costs nothing
// until it is read.
type file struct {
	v       *Volume
	e       *entry
	pos     int64
	cluster uint32 // the cluster holding pos, or the last one read
	index   int64  // its index in the file
}

func (f *file) Stat() (fs.FileInfo, error) { return info{f.e}, nil }
func (f *file) Close() error               { return nil }

func (f *file) Read(p []byte) (int, error) {
	if f.pos >= f.e.size {
		return 0, io.EOF
	}
	csize := int64(1) << f.v.clusterShift
	want := f.pos >> f.v.clusterShift
	for f.index < want {
		if err := f.advance(); err != nil {
			return 0, err
		}
	}
	in := f.pos & (csize - 1)
	n := min(int64(len(p)), csize-in, f.e.size-f.pos)
	// Past ValidDataLength a file reads as zeros.
	stored := min(n, max(f.e.valid-f.pos, 0))
	if stored > 0 {
		if err := readFull(f.v.r, p[:stored], f.v.clusterOffset(f.cluster)+in); err != nil {
			return 0, err
		}
	}
	clear(p[stored:n])
	f.pos += n
	return int(n), nil
}

// advance moves to the next cluster of the file.
func (f *file) advance() error {
	f.index++
	if f.e.contiguous {
		f.cluster++
		return nil
	}
	if f.index > int64(f.v.clusterCount) {
		return corrupt(f.e.offset, "%q: its chain from cluster %d loops", f.e.name, f.e.firstCluster)
	}
	next, err := f.v.next(f.cluster)
	if err != nil {
		return err
	}
	if next < 2 || next > f.v.clusterCount+1 {
		return corrupt(f.e.offset, "%q is %d bytes, but its chain ends (or leaves the volume: %#x) after %d clusters", f.e.name, f.e.size, next, f.index)
	}
	f.cluster = next
	return nil
}

// rootDir is the root folder opened as "." .
type rootDir struct {
	v    *Volume
	read int
}

func (d *rootDir) Stat() (fs.FileInfo, error) { return info{&entry{name: ".", dir: true}}, nil }
func (d *rootDir) Close() error               { return nil }
func (d *rootDir) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: ".", Err: errors.New("is a folder")}
}

// ReadDir lists the root folder.
func (d *rootDir) ReadDir(n int) ([]fs.DirEntry, error) {
	rest := d.v.root[d.read:]
	if n > 0 && len(rest) == 0 {
		return nil, io.EOF
	}
	if n > 0 && n < len(rest) {
		rest = rest[:n]
	}
	out := make([]fs.DirEntry, len(rest))
	for i, e := range rest {
		out[i] = info{e}
	}
	d.read += len(rest)
	return out, nil
}

// readFull fills p from r at off, or says why it could not.
func readFull(r io.ReaderAt, p []byte, off int64) error {
	n, err := r.ReadAt(p, off)
	if n == len(p) {
		return nil
	}
	if err == nil || err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("read %d bytes at %d: %w", len(p), off, err)
}
