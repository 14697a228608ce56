package fat

import (
	"container/list"
	"encoding/binary"
	"io/fs"
	"sync"
)

// FAT entry values above the cluster numbers.
const (
	rdBadCluster = 0x0FFFFFF7
	rdEndOfChain = 0x0FFFFFF8 // and anything above
)

// Extent is a run of consecutive clusters holding part of a file or folder.
type Extent struct {
	Cluster uint32 // first cluster of the run
	Count   uint32 // clusters in the run
	Offset  int64  // byte offset of the run on the device
}

// Extents returns the runs of clusters that hold the file or folder at
// name, in order; a file in one piece has one extent, an empty file none.
// Like opening the file, it checks the cluster chain against the size.
func (v *Volume) Extents(name string) ([]Extent, error) {
	e, _, err := v.rdResolve("extents", name)
	if err != nil {
		return nil, err
	}
	var exts []Extent
	if e.rdIsDir() {
		exts, _, err = v.rdDirChain(e)
	} else {
		exts, err = v.rdFileChain(e)
	}
	if err != nil {
		return nil, &fs.PathError{Op: "extents", Path: name, Err: err}
	}
	return exts, nil
}

// CountFree counts the free clusters by reading the whole FAT, to compare
// with FreeClusters.
func (v *Volume) CountFree() (uint32, error) {
	var free uint32
	buf := make([]byte, 64<<10)
	end := (int64(v.maxCluster) + 1) * 4
	for off := int64(8); off < end; off += int64(len(buf)) {
		b := buf[:min(int64(len(buf)), end-off)]
		if err := rdReadFull(v.r, b, v.fatStart+off); err != nil {
			return 0, err
		}
		for i := 0; i < len(b); i += 4 {
			if binary.LittleEndian.Uint32(b[i:])&0x0FFFFFFF == 0 {
				free++
			}
		}
	}
	return free, nil
}

// rdNext reads the FAT entry of cluster c (2..maxCluster) through the cache.
func (v *Volume) rdNext(c uint32) (uint32, error) {
	off := int64(c) * 4
	idx := off / rdFATBlock
	piece, ok := v.fat.get(idx)
	if !ok {
		end := (int64(v.maxCluster) + 1) * 4
		piece = make([]byte, min(rdFATBlock, end-idx*rdFATBlock))
		if err := rdReadFull(v.r, piece, v.fatStart+idx*rdFATBlock); err != nil {
			return 0, err
		}
		v.fat.put(idx, piece, len(piece))
	}
	return binary.LittleEndian.Uint32(piece[off-idx*rdFATBlock:]) & 0x0FFFFFFF, nil
}

// rdChain follows the cluster chain from first, which the entry at byte at
// names, and returns its runs and length in clusters. A chain of more than
// limit clusters is corrupt, and so is every link to a cluster that is
// free, bad, reserved or outside the volume. The first time an entry's
// chain is followed its clusters are claimed for it: a cluster that an
// earlier cluster of the chain, or another entry's chain, already holds is
// refused as a loop or a cross-link, before the chain is followed any
// further.
func (v *Volume) rdChain(first uint32, limit int64, at int64) ([]Extent, int64, error) {
	if first < 2 || first > v.maxCluster {
		return nil, 0, rdCorrupt(at, "chain starts at cluster %d, outside 2..%d", first, v.maxCluster)
	}
	cl := v.claims
	cl.mu.Lock()
	defer cl.mu.Unlock()
	slot := uint64(at-v.start) / 32
	owner, named := cl.owner(first)
	isHead := cl.heads.has(uint64(first))
	known := isHead && cl.owners.has(slot) && (!named || owner == at)
	switch {
	case isHead && !known && named:
		return nil, 0, rdCorrupt(at, "cluster %d starts the chain of the entry at byte %d too (cross-linked)", first, owner)
	case isHead && !known:
		return nil, 0, rdCorrupt(at, "cluster %d starts the chain of another file or folder too (cross-linked)", first)
	}
	exts, n, err := v.rdFollow(first, limit, at, !known)
	if err != nil {
		if !known {
			cl.release(exts)
		}
		return nil, 0, err
	}
	if !known {
		cl.claimed(first, slot, at)
	}
	return exts, n, nil
}

// rdFollow walks the chain from first for rdChain, claiming its clusters
// if claim is set; on an error, exts holds the runs claimed so far.
func (v *Volume) rdFollow(first uint32, limit, at int64, claim bool) (exts []Extent, n int64, err error) {
	prev := int64(-1) // byte offset of the FAT entry that links to c; -1 for the first
	for c := first; ; {
		if claim && v.claims.held.has(uint64(c)) {
			if prev < 0 {
				return exts, 0, rdCorrupt(at, "cluster %d, where the chain starts, is in another file's or folder's chain (cross-linked)", c)
			}
			if rdFindCluster(exts, c) >= 0 {
				return exts, 0, rdCorrupt(prev, "cluster chain from %d loops back to cluster %d", first, c)
			}
			return exts, 0, rdCorrupt(prev, "cluster chain from %d runs into cluster %d, which is in another file's or folder's chain (cross-linked)", first, c)
		}
		if n++; n > limit {
			if rdFindCluster(exts, c) >= 0 {
				return exts, 0, rdCorrupt(prev, "cluster chain from %d loops back to cluster %d", first, c)
			}
			return exts, 0, rdCorrupt(at, "cluster chain from %d is longer than %d clusters", first, limit)
		}
		if claim {
			v.claims.held.set(uint64(c), true)
		}
		if k := len(exts) - 1; k >= 0 && exts[k].Cluster+exts[k].Count == c {
			exts[k].Count++
		} else {
			exts = append(exts, Extent{Cluster: c, Count: 1, Offset: v.rdClusterOffset(c)})
		}
		next, err := v.rdNext(c)
		if err != nil {
			return exts, 0, err
		}
		entry := v.fatStart + int64(c)*4
		switch {
		case next >= rdEndOfChain:
			return exts, n, nil
		case next == 0:
			return exts, 0, rdCorrupt(entry, "cluster %d in the chain from %d is marked free", c, first)
		case next == rdBadCluster:
			return exts, 0, rdCorrupt(entry, "cluster %d in the chain from %d is marked bad", c, first)
		case next < 2 || next > v.maxCluster:
			return exts, 0, rdCorrupt(entry, "cluster %d links to %d, outside 2..%d", c, next, v.maxCluster)
		}
		prev, c = entry, next
	}
}

// rdFindCluster returns the index of the extent holding cluster c, or -1.
func rdFindCluster(exts []Extent, c uint32) int {
	for i, e := range exts {
		if c >= e.Cluster && c-e.Cluster < e.Count {
			return i
		}
	}
	return -1
}

func (v *Volume) rdClusterOffset(c uint32) int64 {
	return v.dataStart + int64(c-2)*v.clusterSize
}

// rdFileChain returns the runs of file e, whose chain must hold exactly
// the clusters its size needs.
func (v *Volume) rdFileChain(e *DirEntry) ([]Extent, error) {
	if e.Size == 0 {
		if e.FirstCluster != 0 {
			return nil, rdCorrupt(e.Offset, "empty file has cluster %d", e.FirstCluster)
		}
		return nil, nil
	}
	need := (int64(e.Size) + v.clusterSize - 1) / v.clusterSize
	if need > int64(v.maxCluster)-1 {
		return nil, rdCorrupt(e.Offset, "file of %d bytes is larger than the volume", e.Size)
	}
	exts, n, err := v.rdChain(e.FirstCluster, need, e.Offset)
	if err != nil {
		return nil, err
	}
	if n < need {
		return nil, rdCorrupt(e.Offset, "cluster chain from %d ends after %d clusters; a file of %d bytes needs %d", e.FirstCluster, n, e.Size, need)
	}
	return exts, nil
}

// rdLRU is a cache that drops what was used least recently once the
// costs of what it holds exceed its limit; it always keeps the newest item.
type rdLRU[K comparable, V any] struct {
	mu    sync.Mutex
	limit int
	cost  int
	order list.List // of *rdLRUItem[K, V], most recent first
	items map[K]*list.Element
}

type rdLRUItem[K comparable, V any] struct {
	key  K
	val  V
	cost int
}

func newRdLRU[K comparable, V any](limit int) *rdLRU[K, V] {
	return &rdLRU[K, V]{limit: limit, items: map[K]*list.Element{}}
}

func (c *rdLRU[K, V]) get(k K) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[k]
	if !ok {
		var zero V
		return zero, false
	}
	c.order.MoveToFront(el)
	return el.Value.(*rdLRUItem[K, V]).val, true
}

func (c *rdLRU[K, V]) put(k K, v V, cost int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[k]; ok {
		c.cost -= el.Value.(*rdLRUItem[K, V]).cost
		c.order.Remove(el)
	}
	c.items[k] = c.order.PushFront(&rdLRUItem[K, V]{key: k, val: v, cost: cost})
	c.cost += cost
	for c.cost > c.limit && c.order.Len() > 1 {
		old := c.order.Remove(c.order.Back()).(*rdLRUItem[K, V])
		delete(c.items, old.key)
		c.cost -= old.cost
	}
}
