package fat

import (
	"errors"
	"fmt"
)

// Fixed layout choices, as Windows makes them for a USB stick; see
// docs/anonymity.md for their sources.
const (
	partStartBytes = 1 << 20 // the partition starts at 1 MiB
	alignBytes     = 1 << 20 // a partition given to PlanPartition starts on a 1 MiB boundary
	dataAlignBytes = 4 << 20 // the data region starts a multiple of 4 MiB into the volume
	minReserved    = 32      // reserved sectors before Windows pads them to align the data
	numFATs        = 2
	minClusters    = 65525      // fewer makes the volume FAT16 by definition
	maxClusters    = 0x0FFFFFF5 // more cannot be addressed by 28-bit entries
	maxMBRSectors  = 1 << 32    // an MBR partition ends below sector 2^32
)

// ErrTooSmall is returned for a disk too small to hold a FAT32 volume.
var ErrTooSmall = errors.New("disk too small for FAT32")

// Geometry is where everything of a FAT32 volume lies on its disk.
// Sector numbers are absolute on the disk unless named otherwise.
type Geometry struct {
	SectorSize        int    // bytes per logical sector: 512 or 4096
	DiskSectors       int64  // sectors of the whole disk
	PartStart         int64  // first sector of the partition
	PartSectors       int64  // sectors in the partition (= the volume)
	SectorsPerCluster int    // sectors in one cluster
	ReservedSectors   int64  // sectors before the first FAT: boot sectors and padding
	FATSectors        int64  // sectors in one FAT
	Clusters          uint32 // data clusters, numbered 2 .. Clusters+1
}

// NewGeometry computes the layout Windows would choose for one FAT32
// partition filling a disk of diskBytes with the given logical sector size.
func NewGeometry(diskBytes int64, sectorSize int) (Geometry, error) {
	if sectorSize != 512 && sectorSize != 4096 {
		return Geometry{}, fmt.Errorf("sector size %d: only 512 and 4096 are supported", sectorSize)
	}
	ss := int64(sectorSize)
	g := Geometry{SectorSize: sectorSize, DiskSectors: diskBytes / ss, PartStart: partStartBytes / ss}
	end := min(g.DiskSectors, maxMBRSectors)
	g.PartSectors = end - g.PartStart
	return g.fit(diskBytes)
}

// fit chooses the cluster size and FAT size for the partition g holds,
// as Windows would; n is the size in bytes that errors name.
func (g Geometry) fit(n int64) (Geometry, error) {
	ss := int64(g.SectorSize)
	if g.PartSectors <= minReserved {
		return Geometry{}, fmt.Errorf("%d bytes: %w", n, ErrTooSmall)
	}
	for cluster := windowsClusterSize(g.PartSectors * ss); ; cluster /= 2 {
		spc := max(cluster/ss, 1)
		g.SectorsPerCluster = int(spc)
		if g.fitFATs() && g.Clusters >= minClusters {
			if g.Clusters > maxClusters {
				return Geometry{}, fmt.Errorf("BUG: %d clusters exceed FAT32's limit", g.Clusters)
			}
			return g, nil
		}
		if spc == 1 {
			return Geometry{}, fmt.Errorf("%d bytes: %w (needs at least %d clusters)", n, ErrTooSmall, minClusters)
		}
	}
}

// windowsClusterSize is Windows' default FAT32 cluster size for a volume.
func windowsClusterSize(volumeBytes int64) int64 {
	const mib, gib = 1 << 20, 1 << 30
	switch {
	case volumeBytes <= 64*mib:
		return 512
	case volumeBytes <= 128*mib:
		return 1 << 10
	case volumeBytes <= 256*mib:
		return 2 << 10
	case volumeBytes <= 8*gib:
		return 4 << 10
	case volumeBytes <= 16*gib:
		return 8 << 10
	case volumeBytes <= 32*gib:
		return 16 << 10
	default:
		return 32 << 10
	}
}

// fitFATs sizes the reserved area and the FATs for the current cluster
// size as Windows' format does: a first FAT size counts a cluster for every
// sector after the 32 reserved ones, the data region starts at the next
// multiple of 4 MiB after the reserved area and two such FATs, the FATs
// then shrink to what the clusters that are left need, and the reserved
// area takes up the difference. It reports false when no cluster is left.
func (g *Geometry) fitFATs() bool {
	ss, spc := int64(g.SectorSize), int64(g.SectorsPerCluster)
	align := int64(dataAlignBytes / g.SectorSize)
	fatFor := func(clusters int64) int64 { return ((clusters+2)*4 + ss - 1) / ss }
	first := fatFor((g.PartSectors - minReserved) / spc)
	data := (minReserved + numFATs*first + align - 1) / align * align
	if data >= g.PartSectors {
		return false
	}
	clusters := (g.PartSectors - data) / spc
	g.FATSectors = fatFor(clusters)
	g.ReservedSectors = data - numFATs*g.FATSectors
	g.Clusters = uint32(min(clusters, maxClusters+1))
	return clusters > 0
}

// ClusterSize is the size of one cluster in bytes.
func (g Geometry) ClusterSize() int64 { return int64(g.SectorsPerCluster) * int64(g.SectorSize) }

// DataStart is the first sector of cluster 2, relative to the partition.
func (g Geometry) DataStart() int64 { return g.ReservedSectors + numFATs*g.FATSectors }

// ClusterOffset is the byte offset on the disk of cluster c.
func (g Geometry) ClusterOffset(c uint32) int64 {
	return (g.PartStart+g.DataStart())*int64(g.SectorSize) + int64(c-2)*g.ClusterSize()
}

// DiskBytes is the size of the disk the geometry was computed for.
func (g Geometry) DiskBytes() int64 { return g.DiskSectors * int64(g.SectorSize) }

// clustersFor is how many clusters n bytes take.
func (g Geometry) clustersFor(n int64) int64 {
	cs := g.ClusterSize()
	return (n + cs - 1) / cs
}

// dirClusters is how many clusters a directory of the given number of
// 32-byte entries takes: at least one, as FAT has no empty directories.
func (g Geometry) dirClusters(entries int) int64 {
	return max(g.clustersFor(int64(entries)*32), 1)
}
