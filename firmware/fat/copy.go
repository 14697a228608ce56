package fat

import (
	"fmt"
	"sort"
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
	index   int    // into Layout.dirs or Layout.files
	cluster uint32 // first cluster taken; for stepDone the next free one
	n       uint32 // clusters taken
	off     int64  // stepDir: byte offset of the cluster in its folder
	made    int    // entries the copy made before this one (a folder's first cluster, stepDone: after it)
}

// copyOrder replays the copy, calling visit for every allocation in the
// order it is made (ascending clusters), and returns the first cluster
// left free. It depends only on the planned tree, so every replay is the
// same. Clusters past 2^32 wrap in the steps; the total does not.
func (l *Layout) copyOrder(visit func(step)) int64 {
	next, made := int64(2), 0
	take := func(kind stepKind, index int, n int64, off int64) {
		visit(step{kind: kind, index: index, cluster: uint32(next), n: uint32(n), off: off, made: made})
		next += n
	}
	cs := l.g.ClusterSize()
	var walk func(di int)
	walk = func(di int) {
		d := &l.dirs[di]
		used := l.baseEntries(di)
		have := int64(1) // the folder's first cluster, taken when it was made
		for _, c := range d.children {
			used += c.slots()
			for need := l.g.dirClusters(used); have < need; have++ {
				take(stepDir, di, 1, have*cs)
			}
			if c.dir {
				take(stepDir, c.index, 1, 0)
				made++
				walk(c.index)
				continue
			}
			if n := l.g.clustersFor(l.files[c.index].size); n > 0 {
				take(stepFile, c.index, n, 0)
			}
			made++
		}
		visit(step{kind: stepDone, index: di, cluster: uint32(next), made: made})
	}
	take(stepDir, 0, 1, 0) // the root's first cluster, made by the format
	walk(0)
	return next
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

// slots is how many 32-byte entries the child takes.
func (c *child) slots() int {
	if !c.long {
		return 1
	}
	return 1 + (utf16Len(c.name)+12)/13
}

// sortForCopy puts a folder's children in the order Explorer shows them
// by name and copies them: folders first, then files, each in the order of
// Windows' logical name sort (letters compared without case, runs of
// digits as numbers: "Part 2" before "Part 10").
func sortForCopy(children []child) {
	sort.SliceStable(children, func(i, j int) bool {
		a, b := children[i], children[j]
		if a.dir != b.dir {
			return a.dir
		}
		return logicalLess(a.name, b.name)
	})
}

// logicalLess orders names as Windows' StrCmpLogicalW does for the names a
// library holds: runs of ASCII digits compare by value (a shorter run of
// equal value first), everything else character by character, upper-cased.
func logicalLess(a, b string) bool {
	for a != "" && b != "" {
		if isDigit(a[0]) && isDigit(b[0]) {
			da, db := digitRun(a), digitRun(b)
			na, nb := strings.TrimLeft(a[:da], "0"), strings.TrimLeft(b[:db], "0")
			switch {
			case len(na) != len(nb):
				return len(na) < len(nb)
			case na != nb:
				return na < nb
			case da != db:
				return da < db
			}
			a, b = a[da:], b[db:]
			continue
		}
		ra, sa := utf8.DecodeRuneInString(a)
		rb, sb := utf8.DecodeRuneInString(b)
		if ua, ub := unicode.ToUpper(ra), unicode.ToUpper(rb); ua != ub {
			return ua < ub
		}
		a, b = a[sa:], b[sb:]
	}
	return len(a) < len(b)
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
// chains: the runs of every folder, the end of every chain and the links
// between the runs of fragmented folders.
func (l *Layout) allocate() error {
	total := l.copyOrder(func(s step) {
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
		case stepFile:
			l.files[s.index].cluster = s.cluster
			l.ends = append(l.ends, s.cluster+s.n-1)
		case stepDone:
			d := &l.dirs[s.index]
			d.end, d.below = s.cluster, s.made-d.made-1
		}
	}) - 2
	for i := range l.dirs {
		d := &l.dirs[i]
		d.cluster = d.runs[0].start
		for k := 1; k < len(d.runs); k++ {
			l.links = append(l.links, link{d.runs[k-1].start + d.runs[k-1].n - 1, d.runs[k].start})
		}
		last := d.runs[len(d.runs)-1]
		l.ends = append(l.ends, last.start+last.n-1)
	}
	sort.Slice(l.ends, func(i, j int) bool { return l.ends[i] < l.ends[j] })
	sort.Slice(l.links, func(i, j int) bool { return l.links[i].from < l.links[j].from })
	if total > int64(l.g.Clusters) {
		cs := l.g.ClusterSize()
		return fmt.Errorf("plan: need %d bytes, volume holds %d: %w", total*cs, int64(l.g.Clusters)*cs, ErrNoSpace)
	}
	l.used = uint32(total)
	return nil
}

// run is consecutive clusters of one chain.
type run struct{ start, n uint32 }
