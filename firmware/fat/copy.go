package fat

import (
	"cmp"
	"fmt"
	"path"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The volume is laid out as Windows' FAT driver leaves it after Explorer
// copied the files onto a freshly formatted stick (docs/anonymity.md):
// the copy walks the folders depth first, creating each entry in its
// folder and allocating at once what the entry needs, always at the first
// free cluster, which on a fresh volume is the cluster after the last one
// taken. A new folder gets one cluster; a folder grows by one cluster
// whenever its next entries no longer fit, so folders that grow while
// files are copied into them are fragmented.

// stepKind is what one allocation of the copy is for.
type stepKind uint8

const (
	stepDir  stepKind = iota // a cluster of a folder
	stepFile                 // the clusters of a file
	stepDone                 // a folder and everything below it are copied
)

// step is one allocation of the copy, in the order it is made.
type step struct {
	kind    stepKind
	index   int    // into Layout.dirs, or the entry of a file
	cluster uint32 // first cluster taken; for stepDone the next free one
	n       uint32 // clusters taken
	off     int64  // stepDir: byte offset of the cluster in its folder
	made    int    // entries the copy made before this one (a folder's first cluster, stepDone: after it)
}

// copyWalk replays the copy one allocation at a time, in the order it is
// made (ascending clusters). It depends only on the planned tree, so every
// replay is the same, and it holds only the folders it is in, so a stream
// can keep one for its data and one for its FAT. Clusters past 2^32 wrap in
// the steps; next does not.
type copyWalk struct {
	l     *Layout
	next  int64 // the first free cluster
	made  int
	stack []walkFrame // the folders being copied, innermost last; nil before the first step
}

// walkFrame is the copy of one folder: the next child to make and the
// next of the folder's own clusters to take.
type walkFrame struct {
	dir  int
	kid  uint32 // into the folder's children
	grow int    // into dirNode.grow
}

func newCopyWalk(l *Layout) copyWalk { return copyWalk{l: l, next: 2} }

// step returns the next allocation, or false after the last.
func (w *copyWalk) step() (step, bool) {
	l := w.l
	take := func(kind stepKind, index int, n int64, off int64) step {
		st := step{kind: kind, index: index, cluster: uint32(w.next), n: uint32(n), off: off, made: w.made}
		w.next += n
		return st
	}
	if w.stack == nil {
		w.stack = append(make([]walkFrame, 0, MaxDepth+1), walkFrame{})
		return take(stepDir, 0, 1, 0), true // the root's first cluster, made by the format
	}
	for len(w.stack) > 0 {
		f := &w.stack[len(w.stack)-1]
		d := &l.dirs[f.dir]
		if f.grow < len(d.grow) && d.grow[f.grow] == f.kid {
			f.grow++
			return take(stepDir, f.dir, 1, int64(f.grow)*l.g.ClusterSize()), true
		}
		if f.kid == d.n {
			w.stack = w.stack[:len(w.stack)-1]
			return step{kind: stepDone, index: f.dir, cluster: uint32(w.next), made: w.made}, true
		}
		ref := l.kids[d.kids+f.kid]
		f.kid++
		if ref&dirRef != 0 {
			sub := int(ref &^ dirRef)
			st := take(stepDir, sub, 1, 0)
			w.made++
			w.stack = append(w.stack, walkFrame{dir: sub})
			return st, true
		}
		if n := l.g.clustersFor(l.in.Size(int(ref))); n > 0 {
			st := take(stepFile, int(ref), n, 0)
			w.made++
			return st, true
		}
		w.made++
	}
	return step{}, false
}

// baseEntries is how many entries folder di holds before its children:
// "." and "..", or in the root the label entry if there is one.
func (l *Layout) baseEntries(di int) int {
	switch {
	case di != 0:
		return 2
	case labelEntry(l.opts.Label):
		return 1
	}
	return 0
}

// folderOrder puts the children of one folder after another in the order
// Explorer shows them by name and copies them: folders first, then files,
// each in the order of Windows' logical name sort (letters compared without
// case, runs of digits as numbers: "Part 2" before "Part 10"). Names FAT
// takes for the same (they differ only in case) sort next to each other,
// which is how duplicates are found. Its buffers serve every folder.
type folderOrder struct {
	names []string // the children's names, in copy order once sorted
	made  []int    // the entry that made each child
	perm  []int32
	refs  []uint32
	tmp   []string
}

// sort puts kids, the children of folder dir, in copy order, and names in
// the same order. made gives the entry that made a child. If two children
// have one name to FAT, it returns the entry that met the first such
// name and the error it met.
func (o *folderOrder) sort(l *Layout, dir string, kids []uint32, made func(uint32) int) (int, error) {
	o.names, o.made, o.perm = o.names[:0], o.made[:0], o.perm[:0]
	for k, ref := range kids {
		o.names = append(o.names, l.name(ref))
		o.made = append(o.made, made(ref))
		o.perm = append(o.perm, int32(k))
	}
	slices.SortFunc(o.perm, func(a, b int32) int {
		if c := logicalCompare(o.names[a], o.names[b]); c != 0 {
			return c
		}
		return o.made[a] - o.made[b]
	})
	at, first, second := -1, int32(0), int32(0)
	for k := 1; k < len(o.perm); k++ {
		a, b := o.perm[k-1], o.perm[k]
		if logicalCompare(o.names[a], o.names[b]) == 0 && (at < 0 || o.made[b] < at) {
			at, first, second = o.made[b], a, b
		}
	}
	var err error
	if at >= 0 {
		err = l.sameName(dir, o.names[first], kids[first]&dirRef != 0, o.names[second], kids[second]&dirRef != 0)
	}
	o.refs = append(o.refs[:0], kids...)
	o.tmp = append(o.tmp[:0], o.names...)
	k := 0
	for _, dirs := range []bool{true, false} {
		for _, p := range o.perm {
			if (o.refs[p]&dirRef != 0) == dirs {
				kids[k], o.names[k] = o.refs[p], o.tmp[p]
				k++
			}
		}
	}
	return at, err
}

// sameName is the error of a folder dir that was to get a child name, a
// folder if isDir, where it holds other already.
func (l *Layout) sameName(dir, other string, otherDir bool, name string, isDir bool) error {
	p := path.Join(dir, name)
	switch {
	case other != name:
		return &NameError{Path: p, Reason: fmt.Sprintf("same name to FAT as %q in that folder (they differ only in letter case)", other)}
	case otherDir != isDir:
		return &NameError{Path: p, Reason: "is both a file and a folder"}
	case isDir:
		return fmt.Errorf("BUG: folder %q created twice", p)
	}
	return &NameError{Path: p, Reason: "listed twice"}
}

// logicalCompare orders names as Windows' StrCmpLogicalW does for the
// names a library holds: runs of ASCII digits compare by value (a shorter
// run of equal value first), everything else character by character,
// upper-cased. It returns 0 only for names that FAT takes for the same.
func logicalCompare(a, b string) int {
	for a != "" && b != "" {
		if isDigit(a[0]) && isDigit(b[0]) {
			da, db := digitRun(a), digitRun(b)
			na, nb := strings.TrimLeft(a[:da], "0"), strings.TrimLeft(b[:db], "0")
			switch {
			case len(na) != len(nb):
				return cmp.Compare(len(na), len(nb))
			case na != nb:
				return strings.Compare(na, nb)
			case da != db:
				return cmp.Compare(da, db)
			}
			a, b = a[da:], b[db:]
			continue
		}
		ra, sa := utf8.DecodeRuneInString(a)
		rb, sb := utf8.DecodeRuneInString(b)
		if ua, ub := unicode.ToUpper(ra), unicode.ToUpper(rb); ua != ub {
			return cmp.Compare(ua, ub)
		}
		a, b = a[sa:], b[sb:]
	}
	return cmp.Compare(len(a), len(b))
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func digitRun(s string) int {
	n := 0
	for n < len(s) && isDigit(s[n]) {
		n++
	}
	return n
}

// link is a FAT entry that points elsewhere than the next cluster: the
// last cluster of one run of a fragmented folder, and the run after it.
type link struct{ from, to uint32 }

// allocate places folders and files as the copy does and records the
// chains of the folders: their runs, the end of each chain and the links
// between the runs of fragmented folders. Files take consecutive clusters,
// which a stream finds again by replaying the copy.
func (l *Layout) allocate() error {
	w := newCopyWalk(l)
	for s, ok := w.step(); ok; s, ok = w.step() {
		switch s.kind {
		case stepDir:
			d := &l.dirs[s.index]
			if s.off == 0 {
				d.made = s.made
				if s.index == 0 {
					d.made = -1 // the root is no entry
				}
			}
			if k := len(d.runs) - 1; k >= 0 && d.runs[k].start+d.runs[k].n == s.cluster {
				d.runs[k].n++
			} else {
				d.runs = append(d.runs, run{s.cluster, 1})
			}
			d.clusters++
		case stepDone:
			d := &l.dirs[s.index]
			d.end, d.below = s.cluster, s.made-d.made-1
		}
	}
	total := w.next - 2
	for i := range l.dirs {
		d := &l.dirs[i]
		d.cluster = d.runs[0].start
		for k := 1; k < len(d.runs); k++ {
			l.links = append(l.links, link{d.runs[k-1].start + d.runs[k-1].n - 1, d.runs[k].start})
		}
		last := d.runs[len(d.runs)-1]
		l.ends = append(l.ends, last.start+last.n-1)
	}
	slices.Sort(l.ends)
	slices.SortFunc(l.links, func(a, b link) int { return cmp.Compare(a.from, b.from) })
	if total > int64(l.g.Clusters) {
		cs := l.g.ClusterSize()
		return fmt.Errorf("plan: need %d bytes, volume holds %d: %w", total*cs, int64(l.g.Clusters)*cs, ErrNoSpace)
	}
	l.used = uint32(total)
	return nil
}

// run is consecutive clusters of one chain.
type run struct{ start, n uint32 }
