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

// Layout is a planned disk: MBR, one FAT32 partition and where every
// folder and file lies. It is read-only once planned.
type Layout struct {
	g        Geometry
	opts     Options
	label    [11]byte
	dirs     []dirNode  // allocation order; dirs[0] is the root
	files    []fileNode // the order of the entries given to Plan
	used     uint32     // clusters allocated, from cluster 2 on
	ends     []uint32   // last cluster of every chain, ascending
	links    []link     // jumps between the runs of fragmented folders, ascending
	date     uint16     // FAT-encoded Options.Time
	clock    uint16
	volumeID uint32
	diskID   uint32
}

type dirNode struct {
	path     string
	parent   int    // index into dirs; -1 for the root
	cluster  uint32 // first cluster
	clusters uint32 // clusters in all its runs
	runs     []run  // its clusters in chain order
	end      uint32 // the first cluster left free after it and everything below it were copied
	made     int    // entries the copy made before this folder's (the root: -1)
	below    int    // entries the copy made in it and below it
	entries  int    // 32-byte entries used
	children []child
	byFold   map[string]int // Fold(name) -> index into children
}

type child struct {
	name  string
	short [11]byte
	lcase byte
	long  bool // long-name entries precede the short entry
	dir   bool
	index int // into Layout.dirs or Layout.files
}

type fileNode struct {
	path    string
	size    int64
	cluster uint32 // 0 for an empty file
}

// Plan lays out a disk of diskBytes holding entries, as Windows would
// format it and Explorer copy the files onto it: one FAT32 partition from
// 1 MiB to the end of the disk, each folder's entries in Explorer's name
// order, folders and files allocated in the order of the copy (copy.go).
func Plan(diskBytes int64, entries []Entry, opts Options) (*Layout, error) {
	if opts.SectorSize == 0 {
		opts.SectorSize = 512
	}
	g, err := NewGeometry(diskBytes, opts.SectorSize)
	if err != nil {
		return nil, err
	}
	return planOn(g, entries, opts)
}

// planOn lays out entries on the volume of geometry g.
func planOn(g Geometry, entries []Entry, opts Options) (*Layout, error) {
	l := &Layout{g: g, opts: opts}
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
	l.volumeID, l.diskID = opts.VolumeID, opts.DiskID
	if l.volumeID == 0 {
		l.volumeID = randomID()
	}
	if l.diskID == 0 {
		l.diskID = randomID()
	}
	if err := l.buildTree(entries); err != nil {
		return nil, err
	}
	if err := l.nameShort(); err != nil {
		return nil, err
	}
	if err := l.allocate(); err != nil {
		return nil, err
	}
	return l, nil
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

// buildTree creates the folder tree and checks names and duplicates.
func (l *Layout) buildTree(entries []Entry) error {
	l.dirs = []dirNode{{parent: -1, byFold: map[string]int{}}}
	dirIndex := map[string]int{"": 0}
	var ensureDir func(p string) (int, error)
	ensureDir = func(p string) (int, error) {
		if i, ok := dirIndex[p]; ok {
			return i, nil
		}
		parent, err := ensureDir(parentOf(p))
		if err != nil {
			return 0, err
		}
		i := len(l.dirs)
		if err := l.addChild(parent, child{name: path.Base(p), dir: true, index: i}); err != nil {
			return 0, err
		}
		l.dirs = append(l.dirs, dirNode{path: p, parent: parent, byFold: map[string]int{}})
		dirIndex[p] = i
		return i, nil
	}
	for _, e := range entries {
		if err := CheckPath(e.Path); err != nil {
			return fmt.Errorf("plan: %w", err)
		}
		if e.Dir {
			if _, err := ensureDir(e.Path); err != nil {
				return err
			}
			continue
		}
		if e.Size < 0 || e.Size > MaxFileSize {
			return fmt.Errorf("plan: %q: size %d is outside 0 to %d bytes", e.Path, e.Size, int64(MaxFileSize))
		}
		parent, err := ensureDir(parentOf(e.Path))
		if err != nil {
			return err
		}
		if err := l.addChild(parent, child{name: path.Base(e.Path), index: len(l.files)}); err != nil {
			return err
		}
		l.files = append(l.files, fileNode{path: e.Path, size: e.Size})
	}
	return nil
}

func parentOf(p string) string {
	if d := path.Dir(p); d != "." {
		return d
	}
	return ""
}

func (l *Layout) addChild(dir int, c child) error {
	d := &l.dirs[dir]
	f := Fold(c.name)
	if j, ok := d.byFold[f]; ok {
		other := d.children[j]
		p := path.Join(d.path, c.name)
		switch {
		case other.name != c.name:
			return &NameError{Path: p, Reason: fmt.Sprintf("same name to FAT as %q in that folder (they differ only in letter case)", other.name)}
		case other.dir != c.dir:
			return &NameError{Path: p, Reason: "is both a file and a folder"}
		case c.dir:
			return fmt.Errorf("BUG: folder %q created twice", p)
		default:
			return &NameError{Path: p, Reason: "listed twice"}
		}
	}
	d.byFold[f] = len(d.children)
	d.children = append(d.children, c)
	return nil
}

// nameShort gives every name a unique 8.3 form: names that are 8.3
// already keep theirs, the others get the first of Windows' candidates
// that is free, in the order of the folder's entries (the order they are
// created in).
func (l *Layout) nameShort() error {
	for di := range l.dirs {
		d := &l.dirs[di]
		sortForCopy(d.children)
		taken := make(map[[11]byte]bool, len(d.children))
		forms := make([]shortName, len(d.children))
		for i, c := range d.children {
			forms[i] = newShortName(c.name)
			if forms[i].exact {
				taken[forms[i].name] = true
			}
		}
		// The ~1 to ~4 of a basis are tried in turn by every name that
		// has it, so a folder of many such names is not quadratic.
		plain := map[string]int{}
		for i := range d.children {
			c, s := &d.children[i], forms[i]
			c.long, c.lcase, c.short = !s.nolong, s.lcase, s.name
			if s.exact {
				continue
			}
			key := s.basis + "." + s.ext
			k := 1
			if len(s.basis) > 2 {
				k = plain[key] + 1
			}
			for ; ; k++ {
				name, ok := s.candidate(k)
				if !ok {
					return fmt.Errorf("plan: folder %q: no free short name for %q", d.path, c.name)
				}
				if !taken[name] {
					taken[name], c.short = true, name
					if k <= 4 && len(s.basis) > 2 {
						plain[key] = k
					} else if len(s.basis) > 2 {
						plain[key] = 4
					}
					break
				}
			}
		}
		d.byFold = nil
		d.entries = l.baseEntries(di)
		for i := range d.children {
			d.entries += d.children[i].slots()
		}
		if d.entries > maxDirEntries {
			return &FolderFullError{Folder: d.path, Entries: d.entries}
		}
	}
	return nil
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
