package fat

import (
	"fmt"
	"path"
)

// Budget counts the clusters that files and folders take on one volume,
// with the same arithmetic as Plan, so a caller can choose what fits before
// planning. A Budget is not safe for concurrent use.
type Budget struct {
	g    Geometry
	used int64          // clusters taken
	dirs map[string]int // folder path ("" = root) -> entries it holds
}

// NewBudget starts an empty budget for a volume of geometry g. A label
// other than the default takes an entry in the root folder.
func NewBudget(g Geometry, label string) *Budget {
	b := &Budget{g: g, dirs: map[string]int{"": 0}}
	if labelEntry(label) {
		b.dirs[""] = 1
	}
	b.used = g.dirClusters(b.dirs[""])
	return b
}

// Geometry is the geometry the budget counts against.
func (b *Budget) Geometry() Geometry { return b.g }

// Free is the number of bytes left in whole clusters.
func (b *Budget) Free() int64 { return (int64(b.g.Clusters) - b.used) * b.g.ClusterSize() }

// Used is the number of bytes taken in whole clusters, folders included.
func (b *Budget) Used() int64 { return b.used * b.g.ClusterSize() }

// Add takes room for a file of size bytes at path p (or a folder if dir),
// with any parent folders not yet counted. It reports false, and takes
// nothing, when the volume cannot hold it. Names are not checked here (Plan
// does); a folder added twice, or a folder with more entries than FAT
// allows, is an error.
func (b *Budget) Add(p string, size int64, dir bool) (bool, error) {
	if _, ok := b.dirs[p]; ok || p == "" {
		return false, fmt.Errorf("budget: %q added twice", p)
	}
	grow := map[string]int{} // folder -> entries added to it
	var newDirs []string
	for child := p; child != ""; {
		parent := path.Dir(child)
		if parent == "." {
			parent = ""
		}
		grow[parent] += slots(path.Base(child))
		if _, ok := b.dirs[parent]; ok {
			break
		}
		newDirs = append(newDirs, parent)
		child = parent
	}
	cost := int64(0)
	if dir {
		newDirs = append(newDirs, p)
	} else {
		cost += b.g.clustersFor(size)
	}
	for _, d := range newDirs {
		grow[d] += 2 // "." and ".."
	}
	for d, n := range grow {
		old := b.dirs[d]
		if old+n > maxDirEntries {
			return false, &FolderFullError{Folder: d, Entries: old + n}
		}
		if _, ok := b.dirs[d]; ok {
			cost += b.g.dirClusters(old+n) - b.g.dirClusters(old)
		} else {
			cost += b.g.dirClusters(n)
		}
	}
	if b.used+cost > int64(b.g.Clusters) {
		return false, nil
	}
	b.used += cost
	for d, n := range grow {
		b.dirs[d] += n
	}
	return true, nil
}

// labelEntry reports whether label takes a volume-label entry in the root.
func labelEntry(label string) bool {
	return label != "" && label != DefaultLabel
}

// DefaultLabel is what Windows stores for a volume without a label.
const DefaultLabel = "NO NAME"

// FolderFullError is a folder whose names need more directory entries than
// FAT allows in one folder (65,536; a long name takes one per 13 characters
// plus one).
type FolderFullError struct {
	Folder  string // "" for the root
	Entries int    // entries the names need
}

func (e *FolderFullError) Error() string {
	name := "the root folder"
	if e.Folder != "" {
		name = fmt.Sprintf("folder %q", e.Folder)
	}
	return fmt.Sprintf("%s needs %d directory entries; FAT allows %d (use fewer or shorter names, or more folders)", name, e.Entries, maxDirEntries)
}
