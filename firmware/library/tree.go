package library

import (
	"cmp"
	"fmt"
	"hash/maphash"
	"slices"
	"unicode"
	"unicode/utf8"

	"flashkiosk/firmware/fat"
)

// MaxDriveBytes is the largest disk whose whole size one MBR FAT32
// partition of 512-byte sectors can use; a library must fit on it.
const MaxDriveBytes = 2 << 40

// itemList is a list of files and empty folders that checkTree reads in
// any order.
type itemList interface {
	count() int
	at(i int) item
}

// checkTree checks that the items of list, each a valid FAT path, can stand
// together on one FAT32 volume: no path twice, no two names in a folder that
// FAT takes for one, no file where a folder must be, empty folders empty, no
// folder with more entries than FAT allows, and all of it within the largest
// volume. Where several things are wrong, it names one of the first.
func checkTree(list itemList) error {
	if err := checkNames(list); err != nil {
		return err
	}
	g, err := fat.NewGeometry(MaxDriveBytes, 512)
	if err != nil {
		return fmt.Errorf("BUG: geometry of the largest drive: %w", err)
	}
	budget := fat.NewBudget(g, "")
	for i := range list.count() {
		it := list.at(i)
		fits, err := budget.Add(it.path, it.size, it.dir)
		if err != nil {
			return err
		}
		if !fits {
			return fmt.Errorf("the library is larger than the largest FAT32 drive (%d bytes) can hold", int64(MaxDriveBytes))
		}
	}
	return nil
}

// A name on the volume: the last component of an item's path, or of a
// folder on the way to it. Names are found equal to FAT by sorting a small
// record of each on a hash of its folder's path and its folded form, then
// comparing the few that share a hash, rather than by a map per folder of
// every name: the records take 16 bytes a name.
type nameRec struct {
	key  uint64 // the hash of the folder's path and the folded name
	ref  uint32 // the item whose path holds the name
	end  uint16 // the name ends at that path's byte end
	kind nameKind
}

type nameKind uint8

const (
	listedFile   nameKind = iota // an item that is a file
	listedFolder                 // an item that is an empty folder
	impliedDir                   // a folder on the way to an item
)

// checkNames checks the names of list's items and of the folders they
// imply.
func checkNames(list itemList) error {
	seed := maphash.MakeSeed()
	var h maphash.Hash
	h.SetSeed(seed)
	n := list.count()
	recs := make([]nameRec, 0, n+n/8)
	var prev string
	for i := range n {
		it := list.at(i)
		p := it.path
		start := 0
		for j := 0; j <= len(p); j++ {
			if j < len(p) && p[j] != '/' {
				continue
			}
			kind := impliedDir
			if j == len(p) {
				kind = listedFolder
				if !it.dir {
					kind = listedFile
				}
			} else if len(prev) > j && prev[:j+1] == p[:j+1] {
				// The item before went through this folder: it is named.
				start = j + 1
				continue
			}
			recs = append(recs, nameRec{key: nameKey(&h, p[:max(start-1, 0)], p[start:j]), ref: uint32(i), end: uint16(j), kind: kind})
			start = j + 1
		}
		prev = p
	}
	slices.SortFunc(recs, func(a, b nameRec) int { return cmp.Compare(a.key, b.key) })
	var found error
	foundAt := uint32(n)
	for i := 0; i < len(recs); {
		j := i + 1
		for j < len(recs) && recs[j].key == recs[i].key {
			j++
		}
		if j-i > 1 {
			if err, at := sameNames(list, recs[i:j]); err != nil && at < foundAt {
				found, foundAt = err, at
			}
		}
		i = j
	}
	return found
}

// nameKey hashes the folder path dir and the name as FAT compares it.
func nameKey(h *maphash.Hash, dir, name string) uint64 {
	h.Reset()
	h.WriteString(dir)
	h.WriteByte('/')
	var b [utf8.UTFMax]byte
	for _, r := range name {
		h.Write(utf8.AppendRune(b[:0], unicode.ToUpper(r)))
	}
	return h.Sum64()
}

// sameNames checks records that share a hash: those of one name in one
// folder must be one folder implied by several items. It returns what is
// wrong and the later of the two items that clash.
func sameNames(list itemList, group []nameRec) (error, uint32) {
	type name struct {
		rec    nameRec
		full   string // the path up to the name
		folded string // its folder's path and its folded form
	}
	names := make([]name, len(group))
	for k, r := range group {
		p := list.at(int(r.ref)).path[:r.end]
		i := len(p)
		for i > 0 && p[i-1] != '/' {
			i--
		}
		names[k] = name{rec: r, full: p, folded: p[:i] + fat.Fold(p[i:])}
	}
	slices.SortFunc(names, func(a, b name) int {
		return cmp.Or(cmp.Compare(a.folded, b.folded), cmp.Compare(a.full, b.full), cmp.Compare(a.rec.kind, b.rec.kind), cmp.Compare(a.rec.ref, b.rec.ref))
	})
	var found error
	foundAt := uint32(list.count())
	report := func(err error, a, b nameRec) {
		if at := max(a.ref, b.ref); at < foundAt {
			found, foundAt = err, at
		}
	}
	for k := 1; k < len(names); k++ {
		a, b := names[k-1], names[k]
		switch {
		case a.folded != b.folded: // another name of the same hash
		case a.full != b.full:
			first, second := a, b
			if b.rec.ref < a.rec.ref {
				first, second = b, a
			}
			report(fmt.Errorf("%q and %q differ only in case, and FAT takes them for one name: rename one", first.full, second.full), a.rec, b.rec)
		case b.rec.kind != impliedDir:
			// Sorted by kind, two listed items come one after the other.
			report(fmt.Errorf("%q is listed twice", a.full), a.rec, b.rec)
		case a.rec.kind == listedFile:
			report(fmt.Errorf("%q is both a file and a folder", a.full), a.rec, b.rec)
		case a.rec.kind == listedFolder:
			report(fmt.Errorf("folder %q is listed as empty but holds %q", a.full, list.at(int(b.rec.ref)).path), a.rec, b.rec)
		}
	}
	return found, foundAt
}
