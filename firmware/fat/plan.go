package fat

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"path"
	"sort"
	"time"
)

// ErrNoSpace is returned when the files do not fit on the volume.
var ErrNoSpace = errors.New("files do not fit on the volume")

// Entry is one file or folder to put on a volume.
type Entry struct {
	Path string // slash-separated, relative to the root
	Size int64  // bytes; 0 for folders
	Dir  bool   // a folder; parents of files are implied, so only empty ones need listing
}

// Options are the choices that shape a volume besides its files.
type Options struct {
	SectorSize int       // logical sector size of the disk; 0 means 512
	Label      string    // volume label; "" means Windows' NO NAME
	Time       time.Time // the files' time of last writing, as their source has it (1980 to 2107)
	Copied     time.Time // when the copy began; zero means every timestamp is Time (docs/anonymity.md)
	VolumeID   uint32    // boot-sector volume ID; 0 means random
	DiskID     uint32    // MBR disk signature; 0 means random
}

// Files is what a volume is to hold, as the caller keeps it: entry i is
// a folder if Dir(i), else a file of Size(i) bytes, at the slash-separated
// path Path(i) relative to the root. Parents of files are implied, so only
// empty folders need listing. A layout keeps no copy of names or sizes: Plan
// reads every entry, and a stream of the layout reads them again as it
// renders each folder and emits each file, so the entries must not change
// while the layout is in use. Path may build its string when asked.
type Files interface {
	Len() int
	Path(i int) string
	Size(i int) int64
	Dir(i int) bool
}

// Layout is a planned disk: MBR, one FAT32 partition and where every
// folder and file lies. It is read-only once planned, so several streams
// may read it at once if its Files may be read at once. It holds 4 bytes
// per file (its place in its folder's order) and the folders; names and
// sizes stay in the Files it was planned from, and short names, clusters
// and times are derived again when a stream renders a folder.
type Layout struct {
	g        Geometry
	opts     Options
	label    [11]byte
	in       Files
	source   func(i int) int // the index a Source is given for entry i
	dirs     []dirNode       // the order the folders were met in; dirs[0] is the root
	kids     []uint32        // every folder's children in copy order (dirNode.kids): an entry, or dirRef|folder
	used     uint32          // clusters allocated, from cluster 2 on
	ends     []uint32        // last cluster of every folder's chain, ascending
	links    []link          // jumps between the runs of fragmented folders, ascending
	date     uint16          // FAT-encoded Options.Time
	clock    uint16
	volumeID uint32
	diskID   uint32
}

// dirRef marks an element of Layout.kids that is a folder: the rest is
// its index in Layout.dirs, where a plain element is an entry of Files.
const dirRef = 1 << 31

type dirNode struct {
	path     string
	parent   int    // index into dirs; -1 for the root
	kids     uint32 // its children are Layout.kids[kids : kids+n]
	n        uint32
	grow     []uint32 // for each cluster after its first, the child before which the copy takes it
	entries  int      // 32-byte entries used
	cluster  uint32   // first cluster
	clusters uint32   // clusters in all its runs
	runs     []run    // its clusters in chain order
	end      uint32   // the first cluster left free after it and everything below it were copied
	made     int      // entries the copy made before this folder's (the root: -1)
	below    int      // entries the copy made in it and below it
}

// children is folder d's children in copy order.
func (l *Layout) children(d *dirNode) []uint32 { return l.kids[d.kids : d.kids+d.n] }

// name is the name of child ref in its folder.
func (l *Layout) name(ref uint32) string {
	if ref&dirRef != 0 {
		return path.Base(l.dirs[ref&^dirRef].path)
	}
	return path.Base(l.in.Path(int(ref)))
}

// Plan lays out a disk of diskBytes holding entries, as Windows would
// format it and Explorer copy the files onto it: one FAT32 partition from
// 1 MiB to the end of the disk, each folder's entries in Explorer's name
// order, folders and files allocated in the order of the copy (copy.go).
// A Source of the layout is given a file's index among the files of
// entries only. The layout keeps entries.
func Plan(diskBytes int64, entries []Entry, opts Options) (*Layout, error) {
	return PlanFiles(diskBytes, newEntryList(entries), opts)
}

// PlanFiles is Plan for entries the caller keeps in a form of its own. A
// Source of the layout is given a file's index in files.
func PlanFiles(diskBytes int64, files Files, opts Options) (*Layout, error) {
	if opts.SectorSize == 0 {
		opts.SectorSize = 512
	}
	g, err := NewGeometry(diskBytes, opts.SectorSize)
	if err != nil {
		return nil, err
	}
	return planOn(g, files, opts)
}

// planOn lays out files on the volume of geometry g.
func planOn(g Geometry, files Files, opts Options) (*Layout, error) {
	l := &Layout{g: g, opts: opts, in: files, source: func(i int) int { return i }}
	if e, ok := files.(*entryList); ok {
		l.source = e.fileIndex
	}
	var err error
	if l.label, err = encodeLabel(opts.Label); err != nil {
		return nil, err
	}
	if l.date, l.clock, err = encodeTime(opts.Time); err != nil {
		return nil, err
	}
	if !opts.Copied.IsZero() {
		// The copy takes well under a year: a start a year inside FAT's
		// range keeps every time of it there.
		if _, _, err := encodeTime(opts.Copied.AddDate(1, 0, 0)); err != nil {
			return nil, err
		}
		if _, _, err := encodeTime(opts.Copied.Add(-formatLead)); err != nil {
			return nil, err
		}
	}
	l.setIDs(opts.VolumeID, opts.DiskID)
	if err := l.buildTree(); err != nil {
		return nil, err
	}
	if err := l.allocate(); err != nil {
		return nil, err
	}
	return l, nil
}

// WithIDs is l with volume ID volumeID and disk signature diskID (0 for
// random ones), sharing everything else with l: drives of one size written
// from one selection differ only there, so their jobs can share one plan.
func (l *Layout) WithIDs(volumeID, diskID uint32) *Layout {
	c := *l
	c.setIDs(volumeID, diskID)
	return &c
}

// setIDs sets the volume ID and disk signature, drawing a random one for 0.
func (l *Layout) setIDs(volumeID, diskID uint32) {
	if volumeID == 0 {
		volumeID = randomID()
	}
	if diskID == 0 {
		diskID = randomID()
	}
	l.volumeID, l.diskID = volumeID, diskID
}

func randomID() uint32 {
	var b [4]byte
	for {
		rand.Read(b[:])
		if id := binary.LittleEndian.Uint32(b[:]); id != 0 {
			return id
		}
	}
}

// entryList is a []Entry as Files.
type entryList struct {
	es   []Entry
	dirs []int // the indexes of the folders listed, ascending
}

func newEntryList(es []Entry) *entryList {
	e := &entryList{es: es}
	for i := range es {
		if es[i].Dir {
			e.dirs = append(e.dirs, i)
		}
	}
	return e
}

func (e *entryList) Len() int            { return len(e.es) }
func (e *entryList) Path(i int) string   { return e.es[i].Path }
func (e *entryList) Size(i int) int64    { return e.es[i].Size }
func (e *entryList) Dir(i int) bool      { return e.es[i].Dir }
func (e *entryList) fileIndex(i int) int { return i - sort.SearchInts(e.dirs, i) }

// buildTree creates the folder tree, checks names, sizes and duplicates,
// puts every folder's children in copy order and counts its entries. It
// reports the error that the first entry in the order given that cannot be
// stored meets (a bad path, a bad size, or a name its folder holds
// already), else the first folder that cannot hold its names.
func (l *Layout) buildTree() error {
	if n := l.in.Len(); n >= dirRef {
		return fmt.Errorf("plan: %d entries; at most %d fit", n, dirRef-1)
	}
	parents, born, bad := l.readEntries()
	l.linkChildren(parents)
	dup, full := l.orderFolders(born, len(parents))
	switch {
	case dup != nil:
		return dup
	case bad != nil:
		return bad
	}
	return full
}

// readEntries reads the entries in order up to the first that cannot be
// stored, creating every folder they name. It returns the folder of each
// entry read (-1 for a folder), the entry that made each folder, and the
// error of the entry it stopped at.
func (l *Layout) readEntries() (parents []int32, born []int, bad error) {
	l.dirs = []dirNode{{parent: -1}}
	born = []int{-1}
	dirIndex := map[string]int{"": 0} // folder path -> index into dirs
	var ensureDir func(p string, i int) int
	ensureDir = func(p string, i int) int {
		if di, ok := dirIndex[p]; ok {
			return di
		}
		parent := ensureDir(parentOf(p), i)
		di := len(l.dirs)
		l.dirs = append(l.dirs, dirNode{path: p, parent: parent})
		born = append(born, i)
		dirIndex[p] = di
		return di
	}
	parents = make([]int32, l.in.Len())
	for i := range parents {
		p := l.in.Path(i)
		if err := CheckPath(p); err != nil {
			return parents[:i], born, fmt.Errorf("plan: %w", err)
		}
		if l.in.Dir(i) {
			ensureDir(p, i)
			parents[i] = -1
			continue
		}
		if size := l.in.Size(i); size < 0 || size > MaxFileSize {
			return parents[:i], born, fmt.Errorf("plan: %q: size %d is outside 0 to %d bytes", p, size, int64(MaxFileSize))
		}
		parents[i] = int32(ensureDir(parentOf(p), i))
	}
	return parents, born, nil
}

// linkChildren fills Layout.kids with every folder's children: its files in
// the order given, then its folders in the order met.
func (l *Layout) linkChildren(parents []int32) {
	for _, di := range parents {
		if di >= 0 {
			l.dirs[di].n++
		}
	}
	for di := 1; di < len(l.dirs); di++ {
		l.dirs[l.dirs[di].parent].n++
	}
	at := uint32(0)
	for di := range l.dirs {
		l.dirs[di].kids, at = at, at+l.dirs[di].n
		l.dirs[di].n = 0
	}
	l.kids = make([]uint32, at)
	put := func(di int, ref uint32) {
		d := &l.dirs[di]
		l.kids[d.kids+d.n] = ref
		d.n++
	}
	for i, di := range parents {
		if di >= 0 {
			put(int(di), uint32(i))
		}
	}
	for di := 1; di < len(l.dirs); di++ {
		put(l.dirs[di].parent, dirRef|uint32(di))
	}
}

// orderFolders puts each folder's children in copy order and counts the
// entries and clusters the folder needs. It returns the duplicate that the
// first of the read entries met, and the first folder that cannot hold its
// names; it counts no folder after a duplicate or a full one.
func (l *Layout) orderFolders(born []int, read int) (dup, full error) {
	made := func(ref uint32) int {
		if ref&dirRef != 0 {
			return born[ref&^dirRef]
		}
		return int(ref)
	}
	var o folderOrder
	dupAt := read // the entry that met dup
	for di := range l.dirs {
		d := &l.dirs[di]
		if at, err := o.sort(l, d.path, l.children(d), made); err != nil && at < dupAt {
			dup, dupAt = err, at
		}
		if dup != nil || full != nil {
			continue
		}
		d.entries = l.baseEntries(di)
		for k, name := range o.names {
			d.entries += slots(name)
			for have := int64(len(d.grow)) + 1; have < l.g.dirClusters(d.entries); have++ {
				d.grow = append(d.grow, uint32(k))
			}
		}
		if d.entries > maxDirEntries {
			full = &FolderFullError{Folder: d.path, Entries: d.entries}
			if _, err := shortNames(d, o.names); err != nil {
				full = err
			}
		}
	}
	return dup, full
}

func parentOf(p string) string {
	if d := path.Dir(p); d != "." {
		return d
	}
	return ""
}

// Geometry is the disk geometry of the layout.
func (l *Layout) Geometry() Geometry { return l.g }

// VolumeID is the volume serial number in the boot sector.
func (l *Layout) VolumeID() uint32 { return l.volumeID }

// DataEnd is the disk offset just past the last allocated cluster: every
// byte after it is free space.
func (l *Layout) DataEnd() int64 { return l.g.ClusterOffset(2 + l.used) }

// endIndex is the index in l.ends of the first chain end at or after c.
func (l *Layout) endIndex(c uint32) int {
	return sort.Search(len(l.ends), func(i int) bool { return l.ends[i] >= c })
}

// linkIndex is the index in l.links of the first link from c or after.
func (l *Layout) linkIndex(c uint32) int {
	return sort.Search(len(l.links), func(i int) bool { return l.links[i].from >= c })
}

// encodeTime returns t as FAT date and time words.
func encodeTime(t time.Time) (date, clock uint16, err error) {
	if t.Year() < 1980 || t.Year() > 2107 {
		return 0, 0, fmt.Errorf("date %s: FAT holds dates from 1980 to 2107", t.Format("2006-01-02"))
	}
	date, clock, _ = fatStamp(t)
	return date, clock, nil
}
