package fat

import (
	"errors"
	"testing"
)

func TestNewGeometry(t *testing.T) {
	const gib, tib = 1 << 30, 1 << 40
	for _, tc := range []struct {
		disk        int64
		sector      int
		wantCluster int64
		wantErr     error
	}{
		{33 * mib, 512, 0, ErrTooSmall},
		{64 * mib, 512, 512, nil},
		{65*mib + mib/2, 512, 512, nil}, // 1 KiB clusters would be too few: Windows falls back
		{100 * mib, 512, 1 << 10, nil},
		{128 * mib, 512, 1 << 10, nil},
		{200 * mib, 512, 2 << 10, nil},
		{300 * mib, 512, 4 << 10, nil},
		{8e9, 512, 4 << 10, nil},
		{16e9, 512, 8 << 10, nil},
		{32e9, 512, 16 << 10, nil},
		{64e9, 512, 32 << 10, nil},
		{2 * tib, 512, 32 << 10, nil},
		{4 * tib, 512, 32 << 10, nil}, // partition ends where MBR can address
		{64 * gib, 4096, 32 << 10, nil},
		{300 * mib, 4096, 4 << 10, nil},
		{64 * mib, 4096, 0, ErrTooSmall}, // one-sector clusters of 4 KiB are too few
		{64 * mib, 1024, 0, nil},
	} {
		g, err := NewGeometry(tc.disk, tc.sector)
		if tc.sector == 1024 {
			if err == nil {
				t.Errorf("NewGeometry(%d, 1024) = nil error; want unsupported sector size", tc.disk)
			}
			continue
		}
		if !errors.Is(err, tc.wantErr) {
			t.Errorf("NewGeometry(%d, %d) error = %v; want %v", tc.disk, tc.sector, err, tc.wantErr)
			continue
		}
		if err != nil {
			continue
		}
		if got := g.ClusterSize(); got != tc.wantCluster {
			t.Errorf("NewGeometry(%d, %d).ClusterSize() = %d; want %d", tc.disk, tc.sector, got, tc.wantCluster)
		}
		checkGeometry(t, g)
	}
}

// checkGeometry checks the invariants every geometry must keep.
func checkGeometry(t *testing.T, g Geometry) {
	t.Helper()
	ss, spc := int64(g.SectorSize), int64(g.SectorsPerCluster)
	align := int64(dataAlignBytes) / ss
	data := g.DataStart()
	first := (((g.PartSectors-minReserved)/spc+2)*4 + ss - 1) / ss
	switch {
	case g.PartStart*ss != partStartBytes:
		t.Errorf("%+v: partition starts at sector %d; want 1 MiB", g, g.PartStart)
	case g.PartStart+g.PartSectors > min(g.DiskSectors, maxMBRSectors):
		t.Errorf("%+v: partition ends past the disk or sector 2^32", g)
	case data%align != 0:
		t.Errorf("%+v: data region at sector %d is not 4 MiB aligned", g, data)
	case g.ReservedSectors < minReserved || g.ReservedSectors > 0xFFFF:
		t.Errorf("%+v: %d reserved sectors; want 32 to 65535", g, g.ReservedSectors)
	case int64(g.Clusters+2)*4 > g.FATSectors*ss:
		t.Errorf("%+v: FAT of %d sectors cannot hold %d clusters", g, g.FATSectors, g.Clusters)
	case int64(g.Clusters+2)*4 <= (g.FATSectors-1)*ss && g.Clusters <= maxClusters:
		t.Errorf("%+v: FAT of %d sectors is larger than %d clusters need", g, g.FATSectors, g.Clusters)
	case data != (minReserved+numFATs*first+align-1)/align*align:
		t.Errorf("%+v: data region at sector %d; Windows puts it at the first 4 MiB boundary after 32 sectors and two FATs of %d", g, data, first)
	case data+int64(g.Clusters)*spc > g.PartSectors:
		t.Errorf("%+v: clusters run past the partition", g)
	case data+int64(g.Clusters+1)*spc <= g.PartSectors:
		t.Errorf("%+v: room for another cluster left unused", g)
	case g.Clusters < minClusters || g.Clusters > maxClusters:
		t.Errorf("%+v: %d clusters is not a FAT32 volume", g, g.Clusters)
	}
}

// TestWindowsReservedArea checks the reserved area and FAT size against
// the boot sectors of volumes Windows formatted (docs/anonymity.md names
// the dumps): the reserved area is padded so that the data region starts
// on a 4 MiB boundary of the volume, and the FATs are no larger than the
// clusters need.
func TestWindowsReservedArea(t *testing.T) {
	for _, tc := range []struct {
		what          string
		sectors       int64 // of the volume
		spc           int
		reserved, fat int64
	}{
		{"8 GB stick, Windows 8 or later", 16771072, 8, 8282, 16339},
		{"100 MiB EFI partition, Windows 7", 204800, 2, 6654, 769},
		{"3.7 GB stick, 32 KiB clusters chosen", 7821312, 64, 6284, 954},
	} {
		g := Geometry{SectorSize: 512, DiskSectors: 2048 + tc.sectors, PartStart: 2048, PartSectors: tc.sectors, SectorsPerCluster: tc.spc}
		if !g.fitFATs() {
			t.Fatalf("%s: no clusters", tc.what)
		}
		if g.ReservedSectors != tc.reserved || g.FATSectors != tc.fat {
			t.Errorf("%s: %d reserved sectors, FAT of %d; Windows wrote %d and %d", tc.what, g.ReservedSectors, g.FATSectors, tc.reserved, tc.fat)
		}
	}
	g, err := NewGeometry((2048+16771072)*512, 512)
	if err != nil {
		t.Fatal(err)
	}
	if g.SectorsPerCluster != 8 || g.ReservedSectors != 8282 || g.FATSectors != 16339 {
		t.Errorf("NewGeometry for the 8 GB stick = %d sectors per cluster, %d reserved, FAT %d; Windows wrote 8, 8282, 16339", g.SectorsPerCluster, g.ReservedSectors, g.FATSectors)
	}
}
