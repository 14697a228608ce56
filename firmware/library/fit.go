package library

import (
	"errors"
	"fmt"
	"iter"

	"flashkiosk/firmware/fat"
)

// Space is room on one drive being filled: Add takes room for a file of
// size bytes (or an empty folder if dir) at a slash path, with its parent
// folders, and reports false, taking nothing, when it does not fit.
// *fat.Budget is one.
type Space interface {
	Add(path string, size int64, dir bool) (bool, error)
}

// Selection is what Fit chose for one drive: a set of the manifest's files
// and empty folders, one bit each.
type Selection struct {
	Tiers   []TierSelection // one for each tier, in order
	m       *Manifest
	files   bitmap
	folders bitmap
}

// Files yields the files chosen, in manifest order, with their index in
// the manifest.
func (s *Selection) Files() iter.Seq2[int, File] {
	return func(yield func(int, File) bool) {
		for i := range s.m.NumFiles() {
			if s.files.has(i) && !yield(i, s.m.File(i)) {
				return
			}
		}
	}
}

// Folders yields the empty folders chosen, in manifest order.
func (s *Selection) Folders() iter.Seq[Folder] {
	return func(yield func(Folder) bool) {
		for i := range s.m.folders.len() {
			if s.folders.has(i) && !yield(s.m.folder(i)) {
				return
			}
		}
	}
}

// Included is what the drive gets of the whole library.
func (s *Selection) Included() Count {
	var c Count
	for _, t := range s.Tiers {
		c.Files += t.Included.Files
		c.Folders += t.Included.Folders
		c.Bytes += t.Included.Bytes
	}
	return c
}

// TierSelection is how much of one tier a selection holds.
type TierSelection struct {
	Tier     int
	Included Count // what the drive gets
	Total    Count // what the tier holds
}

// Complete reports whether the drive gets all of the tier.
func (t TierSelection) Complete() bool { return t.Included == t.Total }

// Complete reports whether the drive gets the whole library.
func (s *Selection) Complete() bool {
	for _, t := range s.Tiers {
		if !t.Complete() {
			return false
		}
	}
	return true
}

// Fit chooses what of the library goes onto a drive: all of tier 1, or a
// *TooSmallError; then, in manifest order, every later file or empty
// folder that still fits, passing over those that do not so that smaller
// ones after them still get their chance. The TooSmallError's Have comes
// from space's Free method, if it has one. m must be a checked manifest,
// as Open, Build and ParseManifest return.
func Fit(m *Manifest, space Space) (*Selection, error) {
	have := int64(-1)
	if f, ok := space.(interface{ Free() int64 }); ok {
		have = f.Free()
	}
	counts := m.counts
	sel := &Selection{Tiers: make([]TierSelection, len(counts)), m: m, files: newBitmap(m.NumFiles()), folders: newBitmap(m.folders.len())}
	for i, c := range counts {
		sel.Tiers[i] = TierSelection{Tier: i + 1, Total: c}
	}
	for it := range m.items() {
		fits, err := space.Add(it.path, it.size, it.dir)
		if err != nil {
			return nil, fmt.Errorf("fit %q: %w", it.path, err)
		}
		if !fits {
			if it.tier == 1 {
				return nil, &TooSmallError{Need: counts[0].Bytes, Have: have}
			}
			continue
		}
		sel.Tiers[it.tier-1].Included.add(it)
		if it.dir {
			sel.folders.set(it.n)
		} else {
			sel.files.set(it.n)
		}
	}
	return sel, nil
}

// FitDrive is Fit for a whole disk of diskBytes with the given logical
// sector size, formatted as Windows would with the given volume label.
func FitDrive(m *Manifest, diskBytes int64, sectorSize int, label string) (*Selection, error) {
	g, err := fat.NewGeometry(diskBytes, sectorSize)
	if errors.Is(err, fat.ErrTooSmall) {
		return nil, &TooSmallError{Need: m.counts[0].Bytes, Have: 0}
	}
	if err != nil {
		return nil, err
	}
	return Fit(m, fat.NewBudget(g, label))
}

// driveStep is the granularity of SmallestDrive's answers.
const driveStep = 1 << 20

// SmallestDrive returns the smallest disk size, in whole MiB, from which
// on every larger disk up to MaxDriveBytes FitDrive's selection holds all
// of tiers 1 to tiers (all of it if tiers is the number of tiers or more);
// ok is false when not even the largest does. A
// larger disk does not always hold more: from some sizes on Windows formats
// with larger clusters, which waste more room per file. So the search goes
// through runs of disk sizes with one cluster size, from the largest run
// down, and stops in the first run that is not good all through.
//
// Within a run, a disk gets those tiers when their files and folders,
// which come first in manifest order, take no more clusters than it has:
// what they take is counted once per run, not by a Fit for every size
// tried, which for a library of a million files took a minute.
func SmallestDrive(m *Manifest, sectorSize int, label string, tiers int) (size int64, ok bool, err error) {
	runs := clusterRuns(sectorSize)
	best := int64(0)
	for i := len(runs) - 1; i >= 0; i-- {
		r := runs[i]
		g, err := fat.NewGeometry(r.last*driveStep, sectorSize)
		if err != nil {
			return 0, false, err
		}
		need, fits, err := clustersOf(m, g, label, tiers)
		if err != nil {
			return 0, false, err
		}
		if !fits {
			break
		}
		// Within a run a larger disk has at least as many clusters.
		lo, hi := r.first, r.last
		for lo < hi {
			mid := lo + (hi-lo)/2
			if g, err := fat.NewGeometry(mid*driveStep, sectorSize); err == nil && int64(g.Clusters) >= need {
				hi = mid
			} else {
				lo = mid + 1
			}
		}
		best = lo
		if lo > r.first {
			break
		}
	}
	return best * driveStep, best > 0, nil
}

// clustersOf counts the clusters that the files and folders of tiers 1 to
// tiers take on a volume of geometry g (and of its cluster size), and
// whether they fit on it.
func clustersOf(m *Manifest, g fat.Geometry, label string, tiers int) (int64, bool, error) {
	b := fat.NewBudget(g, label)
	for it := range m.items() {
		if it.tier > tiers {
			break
		}
		fits, err := b.Add(it.path, it.size, it.dir)
		if err != nil || !fits {
			return 0, false, err
		}
	}
	return b.Used() / g.ClusterSize(), true, nil
}

// sizeRun is a run of disk sizes, in MiB, that get one cluster size.
type sizeRun struct{ first, last int64 }

// clusterRuns splits the disk sizes from 1 MiB to MaxDriveBytes into runs
// of one cluster size, in ascending order, leaving out those too small for
// FAT32. It relies on the cluster size never shrinking as disks grow, as
// in Windows' table.
func clusterRuns(sectorSize int) []sizeRun {
	cluster := func(mib int64) int64 {
		g, err := fat.NewGeometry(mib*driveStep, sectorSize)
		if err != nil {
			return 0
		}
		return g.ClusterSize()
	}
	end := int64(MaxDriveBytes / driveStep)
	var runs []sizeRun
	for first := int64(1); first <= end; {
		c := cluster(first)
		lo, hi := first, end
		for lo < hi {
			mid := lo + (hi-lo+1)/2
			if cluster(mid) == c {
				lo = mid
			} else {
				hi = mid - 1
			}
		}
		if c > 0 {
			runs = append(runs, sizeRun{first, lo})
		}
		first = lo + 1
	}
	return runs
}
