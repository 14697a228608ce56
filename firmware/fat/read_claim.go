package fat

import "sync"

// rdClaimPage is how many clusters one page of the claim bitmap covers
// (a page is 4 KiB).
const rdClaimPage = 4096 * 8

// rdClaims records which clusters the chains read so far hold, one bit a
// cluster, and which directory entry owns each chain, so that a cluster
// claimed by two chains (cross-linked files or folders, or a chain that
// runs into another) is refused. Pages of the bitmap are made as chains
// reach them, so memory follows the clusters read, and never exceeds one
// bit a cluster of the volume, whose size the device bounds.
type rdClaims struct {
	mu    sync.Mutex
	pages map[uint32]*[rdClaimPage / 64]uint64
	owner map[uint32]int64 // first cluster of a claimed chain -> device offset of the entry that names it
}

func newRdClaims() *rdClaims {
	return &rdClaims{pages: map[uint32]*[rdClaimPage / 64]uint64{}, owner: map[uint32]int64{}}
}

func (c *rdClaims) has(n uint32) bool {
	p := c.pages[n/rdClaimPage]
	i := n % rdClaimPage
	return p != nil && p[i/64]&(1<<(i%64)) != 0
}

func (c *rdClaims) set(n uint32, on bool) {
	p := c.pages[n/rdClaimPage]
	if p == nil {
		p = new([rdClaimPage / 64]uint64)
		c.pages[n/rdClaimPage] = p
	}
	i := n % rdClaimPage
	if on {
		p[i/64] |= 1 << (i % 64)
	} else {
		p[i/64] &^= 1 << (i % 64)
	}
}

// release clears the bits of the clusters in exts, the runs of a chain
// that was being claimed when it was found broken.
func (c *rdClaims) release(exts []Extent) {
	for _, x := range exts {
		for n := x.Cluster; n-x.Cluster < x.Count; n++ {
			c.set(n, false)
		}
	}
}
