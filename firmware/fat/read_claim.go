package fat

import "sync"

// rdClaims records the chains followed so far, so that a cluster claimed
// by two chains (cross-linked files or folders, or a chain that runs into
// another) is refused, while following one entry's chain again claims
// nothing. It grows with the clusters read and the directory entries whose
// chains were followed, one bit each, never with a structure per file: a
// walk of a million small files on 4 KiB clusters keeps about 1.4 MiB here.
type rdClaims struct {
	mu     sync.Mutex
	held   rdBits       // clusters in a claimed chain
	heads  rdBits       // clusters that start a claimed chain
	owners rdSparseBits // entries whose chain is claimed, by slot: (device offset - volume start) / 32
	// recent names the entry that claimed a chain, by its first cluster
	// modulo rdRecentOwners, the newest claim winning, only so that an
	// error can name the other entry of a cross-link: one found here is
	// exact, one no longer here is not named.
	recent [rdRecentOwners]rdOwner
}

// rdRecentOwners is how many claimers rdClaims remembers to name in an
// error: enough for the entries of the folders around the one being read.
const rdRecentOwners = 4096

// rdOwner is the entry, by its device offset, that claimed the chain
// starting at cluster first.
type rdOwner struct {
	first uint32
	at    int64
}

func newRdClaims() *rdClaims {
	return &rdClaims{held: newRdBits(512), heads: newRdBits(64), owners: rdSparseBits{}}
}

// owner is the entry that claimed the chain starting at first, if it is
// still remembered.
func (c *rdClaims) owner(first uint32) (at int64, ok bool) {
	o := c.recent[first%rdRecentOwners]
	return o.at, o.first == first
}

// claimed records that the entry at slot claimed the chain from first,
// whose clusters are held already.
func (c *rdClaims) claimed(first uint32, slot uint64, at int64) {
	c.heads.set(uint64(first), true)
	c.owners.add(slot)
	c.recent[first%rdRecentOwners] = rdOwner{first: first, at: at}
}

// release clears the bits of the clusters in exts, the runs of a chain
// that was being claimed when it was found broken.
func (c *rdClaims) release(exts []Extent) {
	for _, x := range exts {
		for n := x.Cluster; n-x.Cluster < x.Count; n++ {
			c.held.set(uint64(n), false)
		}
	}
}

// rdBits is a set of numbers, one bit each, in pages made as numbers in
// their range are added: its memory follows the numbers added, not the
// largest.
type rdBits struct {
	words int // uint64s a page
	pages map[uint64][]uint64
}

func newRdBits(words int) rdBits {
	return rdBits{words: words, pages: map[uint64][]uint64{}}
}

func (b rdBits) has(n uint64) bool {
	per := uint64(b.words) * 64
	p := b.pages[n/per]
	i := n % per
	return p != nil && p[i/64]&(1<<(i%64)) != 0
}

func (b rdBits) set(n uint64, on bool) {
	per := uint64(b.words) * 64
	p := b.pages[n/per]
	if p == nil {
		if !on {
			return
		}
		p = make([]uint64, b.words)
		b.pages[n/per] = p
	}
	i := n % per
	if on {
		p[i/64] |= 1 << (i % 64)
	} else {
		p[i/64] &^= 1 << (i % 64)
	}
}

// rdSparseBits is a set of numbers, one bit each, kept by the 64-bit word
// that holds them: for numbers that come a few together, far apart, as
// the entries of a folder do, whose clusters lie among its files'.
type rdSparseBits map[uint64]uint64

func (b rdSparseBits) has(n uint64) bool { return b[n/64]&(1<<(n%64)) != 0 }

func (b rdSparseBits) add(n uint64) { b[n/64] |= 1 << (n % 64) }
