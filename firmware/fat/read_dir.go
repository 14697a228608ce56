package fat

import (
	"encoding/binary"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"time"
	"unicode/utf16"
)

// DirEntry is what one directory entry of a FAT32 volume says about a file
// or folder, decoded; fs.FileInfo.Sys returns it. Timestamps are the wall
// clock FAT stores, without a time zone, given as UTC; a zero or invalid
// stamp is the zero time.
type DirEntry struct {
	Name         string    // the name as listed: the long name if it is valid, else ShortName with NTCase applied
	LongName     string    // the long name, "" when there is none or its checksum does not match
	ShortName    string    // the 8.3 name as stored, "NAME.EXT" or "NAME"
	Attr         byte      // attribute bits: 0x01 read-only, 0x02 hidden, 0x04 system, 0x10 folder, 0x20 archive
	NTCase       byte      // byte 12: 0x08 base and 0x10 extension of ShortName shown in lower case
	FirstCluster uint32    // first cluster, 0 for an empty file
	Size         uint32    // bytes in the file, as stored; a folder's should be 0 (fsck.fat fixes it), and is ignored
	Created      time.Time // to 10 ms
	Modified     time.Time // to 2 s
	Accessed     time.Time // date only
	Offset       int64     // byte offset on the device of the short entry; for the root, of the boot sector's root-cluster field
}

func (e *DirEntry) rdIsDir() bool { return e.Attr&attrDir != 0 }

// rdDirList is a parsed directory.
type rdDirList struct {
	entries  []*DirEntry          // in directory order
	byName   map[string]*DirEntry // Fold of names, then of short names no name claims -> entry
	label    string               // the volume label entry's name, in the root
	hasLabel bool
}

// rdDirKey names a parsed directory: its first cluster and its parent's
// (0 for the root), as the ".." check depends on both.
type rdDirKey struct{ cluster, parent uint32 }

// rdLoadDir reads and parses directory e, whose parent folder starts at
// cluster parent (0 when e is the root). A folder other than the root must
// begin with "." and ".." entries naming itself and its parent, so a
// folder reached through a wrong or second link is refused.
func (v *Volume) rdLoadDir(e *DirEntry, parent uint32) (*rdDirList, error) {
	key := rdDirKey{e.FirstCluster, parent}
	if d, ok := v.dirs.get(key); ok {
		return d, nil
	}
	d, err := v.rdReadDir(e, parent)
	if err != nil {
		return nil, err
	}
	v.dirs.put(key, d, len(d.entries)+1)
	return d, nil
}

// rdReadDir reads and parses directory e as rdLoadDir does, past the cache.
func (v *Volume) rdReadDir(e *DirEntry, parent uint32) (*rdDirList, error) {
	exts, n, err := v.rdDirChain(e)
	if err != nil {
		return nil, err
	}
	buf := make([]byte, n*v.clusterSize)
	pos := int64(0)
	for _, x := range exts {
		k := int64(x.Count) * v.clusterSize
		if err := rdReadFull(v.r, buf[pos:pos+k], x.Offset); err != nil {
			return nil, err
		}
		pos += k
	}
	if parent != 0 {
		if err := v.rdCheckDots(e, parent, buf, exts[0].Offset); err != nil {
			return nil, err
		}
	}
	return v.rdParseDir(e, buf, exts)
}

// rdDirChain returns the runs of directory e and its length in clusters;
// a directory may hold at most maxDirEntries entries.
func (v *Volume) rdDirChain(e *DirEntry) ([]Extent, int64, error) {
	return v.rdChain(e.FirstCluster, max(rdMaxDirBytes/v.clusterSize, 1), e.Offset)
}

// rdCheckDots checks the "." and ".." entries at the start of buf, the
// contents of folder e whose parent starts at cluster parent.
func (v *Volume) rdCheckDots(e *DirEntry, parent uint32, buf []byte, at int64) error {
	dot, dotdot := buf[0:32], buf[32:64]
	parents := []uint32{parent}
	if parent == v.root.FirstCluster {
		parents = []uint32{0, parent} // ".." names the root as 0; some tools write its cluster
	}
	switch {
	case string(dot[:11]) != ".          " || dot[11]&attrDir == 0:
		return rdCorrupt(at, "folder at cluster %d does not start with a \".\" entry", e.FirstCluster)
	case rdCluster(dot) != e.FirstCluster:
		return rdCorrupt(at, "\".\" of the folder at cluster %d names cluster %d", e.FirstCluster, rdCluster(dot))
	case string(dotdot[:11]) != "..         " || dotdot[11]&attrDir == 0:
		return rdCorrupt(at+32, "folder at cluster %d has no \"..\" entry", e.FirstCluster)
	case !slices.Contains(parents, rdCluster(dotdot)):
		return rdCorrupt(at+32, "\"..\" of the folder at cluster %d names cluster %d, not its parent at %d", e.FirstCluster, rdCluster(dotdot), parent)
	}
	return nil
}

func rdCluster(ent []byte) uint32 {
	return uint32(binary.LittleEndian.Uint16(ent[20:]))<<16 | uint32(binary.LittleEndian.Uint16(ent[26:]))
}

// rdParseDir decodes the entries of directory e from buf, its contents,
// which lie on the device in exts.
func (v *Volume) rdParseDir(e *DirEntry, buf []byte, exts []Extent) (*rdDirList, error) {
	d := &rdDirList{byName: map[string]*DirEntry{}}
	subdirs := map[uint32]bool{}
	shorts := map[string]bool{}
	var long rdLongName
	ext, extPos := 0, int64(0) // the extent holding the current entry, and where it starts in buf
	for pos := int64(0); pos < int64(len(buf)); pos += 32 {
		if span := int64(exts[ext].Count) * v.clusterSize; pos-extPos >= span {
			ext, extPos = ext+1, extPos+span
		}
		at := exts[ext].Offset + pos - extPos
		ent := buf[pos : pos+32]
		switch {
		case ent[0] == 0x00:
			return d.withAliases(), nil
		case ent[0] == 0xE5:
			long.reset()
			continue
		case ent[11]&0x3F == attrLong:
			long.add(ent)
			continue
		case ent[11]&attrLabel != 0:
			long.reset()
			if !d.hasLabel && e == v.root {
				d.label, d.hasLabel = rdDecodeOEM(ent[:11]), true
			}
			continue
		case ent[0] == '.' && (string(ent[:11]) == ".          " || string(ent[:11]) == "..         "):
			long.reset()
			continue
		}
		de, err := v.rdDecodeEntry(ent, at, long.take(ent[:11]))
		if err != nil {
			return nil, err
		}
		if de.rdIsDir() {
			if subdirs[de.FirstCluster] {
				return nil, rdCorrupt(at, "two folders in one folder share cluster %d", de.FirstCluster)
			}
			subdirs[de.FirstCluster] = true
		}
		if d.byName[Fold(de.Name)] != nil || shorts[de.ShortName] {
			return nil, rdCorrupt(at, "two entries named %q (8.3 %q) in one folder", de.Name, de.ShortName)
		}
		d.byName[Fold(de.Name)] = de
		shorts[de.ShortName] = true
		d.entries = append(d.entries, de)
	}
	return d.withAliases(), nil
}

// withAliases lets entries be found by their short names too, as on
// Windows, where no entry's name claims the same.
func (d *rdDirList) withAliases() *rdDirList {
	for _, de := range d.entries {
		if k := Fold(de.ShortName); d.byName[k] == nil {
			d.byName[k] = de
		}
	}
	return d
}

// rdDecodeEntry decodes the short entry ent at byte at, with the long name
// (maybe "") that preceded it.
func (v *Volume) rdDecodeEntry(ent []byte, at int64, long string) (*DirEntry, error) {
	le := binary.LittleEndian
	de := &DirEntry{
		LongName:     long,
		Attr:         ent[11],
		NTCase:       ent[12],
		FirstCluster: rdCluster(ent),
		Size:         le.Uint32(ent[28:]),
		Created:      rdTime(le.Uint16(ent[16:]), le.Uint16(ent[14:]), ent[13]),
		Accessed:     rdTime(le.Uint16(ent[18:]), 0, 0),
		Modified:     rdTime(le.Uint16(ent[24:]), le.Uint16(ent[22:]), 0),
		Offset:       at,
	}
	name := [11]byte(ent[:11])
	if name[0] == 0x05 {
		name[0] = 0xE5 // 0xE5 is the deleted mark, so a name starting with it stores 0x05
	}
	for i, c := range name {
		if c < 0x20 || strings.IndexByte(`"*/:<>?\|.`, c) >= 0 || i == 0 && c == ' ' {
			return nil, rdCorrupt(at, "short name %q holds byte %#02x", ent[:11], c)
		}
	}
	base, ext := rdDecodeOEM(name[:8]), rdDecodeOEM(name[8:])
	de.ShortName, de.Name = base, rdLowerIf(base, de.NTCase&0x08 != 0)
	if ext != "" {
		de.ShortName += "." + ext
		de.Name += "." + rdLowerIf(ext, de.NTCase&0x10 != 0)
	}
	if long != "" {
		de.Name = long
	}
	if de.rdIsDir() {
		if de.FirstCluster < 2 || de.FirstCluster > v.maxCluster {
			return nil, rdCorrupt(at, "folder %q starts at cluster %d, outside 2..%d", de.Name, de.FirstCluster, v.maxCluster)
		}
	}
	return de, nil
}

// rdLowerIf lowers the ASCII letters of s if lower is set, as Windows does
// for the NT case flags.
func rdLowerIf(s string, lower bool) string {
	if !lower {
		return s
	}
	return strings.Map(func(r rune) rune {
		if r >= 'A' && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, s)
}

// rdTime decodes a FAT date, time and count of 10 ms.
func rdTime(date, tm uint16, centis byte) time.Time {
	y, mo, d := 1980+int(date>>9), time.Month(date>>5&15), int(date&31)
	h, mi, s := int(tm>>11), int(tm>>5&63), int(tm&31)*2
	if date == 0 || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59 || centis > 199 {
		return time.Time{}
	}
	t := time.Date(y, mo, d, h, mi, s, int(centis)*int(10*time.Millisecond), time.UTC)
	if t.Day() != d {
		return time.Time{} // 31 February
	}
	return t
}

// rdLongName gathers the parts of a long name that precede a short entry,
// last part first, each with its ordinal and the short name's checksum.
type rdLongName struct {
	units [20 * 13]uint16
	parts int  // parts in the name being gathered; 0 when none
	next  int  // ordinal of the part expected next; 0 when all are in
	sum   byte // checksum of the short name they belong to
}

func (l *rdLongName) reset() { l.parts = 0 }

// add takes long-name entry ent; one out of sequence drops what was gathered.
func (l *rdLongName) add(ent []byte) {
	ord := int(ent[0])
	switch {
	case ent[12] != 0:
		l.reset()
		return
	case ord&0x40 != 0:
		n := ord & 0x1F
		if n == 0 || n > 20 || ord&0xA0 != 0 {
			l.reset()
			return
		}
		l.parts, l.next, l.sum = n, n, ent[13]
	case l.parts == 0 || ord != l.next || ent[13] != l.sum:
		l.reset()
		return
	}
	k := (l.next - 1) * 13
	for _, o := range longOffsets {
		l.units[k] = binary.LittleEndian.Uint16(ent[o:])
		k++
	}
	l.next--
}

// take returns the gathered name if it is complete, belongs to short name
// short, and is a usable file name; "" otherwise. It starts over.
func (l *rdLongName) take(short []byte) string {
	defer l.reset()
	if l.parts == 0 || l.next != 0 || checksum(short) != l.sum {
		return ""
	}
	u := l.units[:l.parts*13]
	if i := slices.Index(u, 0); i >= 0 {
		u = u[:i]
	}
	if len(u) == 0 || len(u) > MaxNameLen {
		return ""
	}
	name := string(utf16.Decode(u))
	if name == "." || name == ".." || strings.ContainsFunc(name, func(r rune) bool { return r < 0x20 || r == '/' }) {
		return ""
	}
	return name
}

// rdErrTooDeep refuses a path through more folders than any lookup takes.
var rdErrTooDeep = fmt.Errorf("more than %d levels deep", rdMaxDepth)

// rdResolve finds the entry at name and the first clusters of the folders
// that lead to it, the root first. It refuses a folder that is one of its
// own ancestors, and paths deeper than rdMaxDepth.
func (v *Volume) rdResolve(op, name string) (*DirEntry, []uint32, error) {
	if !fs.ValidPath(name) {
		return nil, nil, &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	e := v.root
	if name == "." {
		return e, nil, nil
	}
	parts := strings.Split(name, "/")
	if len(parts) > rdMaxDepth {
		return nil, nil, &fs.PathError{Op: op, Path: name, Err: rdErrTooDeep}
	}
	var anc []uint32
	for _, p := range parts {
		if !e.rdIsDir() {
			return nil, nil, &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist}
		}
		d, err := v.rdLoadDir(e, rdParentOf(anc))
		if err != nil {
			return nil, nil, &fs.PathError{Op: op, Path: name, Err: err}
		}
		anc = append(anc, e.FirstCluster)
		child := d.byName[Fold(p)]
		if child == nil {
			return nil, nil, &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist}
		}
		if child.rdIsDir() && slices.Contains(anc, child.FirstCluster) {
			err := rdCorrupt(child.Offset, "folder %q at cluster %d contains itself", child.Name, child.FirstCluster)
			return nil, nil, &fs.PathError{Op: op, Path: name, Err: err}
		}
		e = child
	}
	return e, anc, nil
}

// rdParentOf is the first cluster of the folder holding the last of the
// folders anc, or 0 for the root (no folders).
func rdParentOf(anc []uint32) uint32 {
	if len(anc) == 0 {
		return 0
	}
	return anc[len(anc)-1]
}

// Open opens the file or folder at name, a slash-separated path ("." is the
// root). Names match case-insensitively, long or short. A file's cluster
// chain is checked against its size here, so a file that opens reads
// whole; a folder's entries are read here.
func (v *Volume) Open(name string) (fs.File, error) {
	e, anc, err := v.rdResolve("open", name)
	if err != nil {
		return nil, err
	}
	info := &rdInfo{e}
	if e.rdIsDir() {
		d, err := v.rdLoadDir(e, rdParentOf(anc))
		if err != nil {
			return nil, &fs.PathError{Op: "open", Path: name, Err: err}
		}
		return &rdDirFile{name: name, info: info, list: d}, nil
	}
	exts, err := v.rdFileChain(e)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	return newRdFile(v, name, info, exts), nil
}

// Stat describes the file or folder at name; its Sys is a *DirEntry.
func (v *Volume) Stat(name string) (fs.FileInfo, error) {
	e, _, err := v.rdResolve("stat", name)
	if err != nil {
		return nil, err
	}
	return &rdInfo{e}, nil
}

// ReadDir lists the folder at name, sorted by name, without "." and "..",
// deleted entries and the volume label.
func (v *Volume) ReadDir(name string) ([]fs.DirEntry, error) {
	e, anc, err := v.rdResolve("readdir", name)
	if err != nil {
		return nil, err
	}
	if !e.rdIsDir() {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: fmt.Errorf("not a folder")}
	}
	d, err := v.rdLoadDir(e, rdParentOf(anc))
	if err != nil {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: err}
	}
	list := d.list(0, len(d.entries))
	slices.SortFunc(list, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return list, nil
}

func (d *rdDirList) list(from, to int) []fs.DirEntry {
	out := make([]fs.DirEntry, 0, to-from)
	for _, e := range d.entries[from:to] {
		out = append(out, &rdInfo{e})
	}
	return out
}
