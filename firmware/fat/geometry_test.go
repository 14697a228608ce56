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
	align := int64(alignBytes) / ss
	data := g.DataStart()
	switch {
	case g.PartStart*ss != partStartBytes:
		t.Errorf("%+v: partition starts at sector %d; want 1 MiB", g, g.PartStart)
	case g.PartStart+g.PartSectors > min(g.DiskSectors, maxMBRSectors):
		t.Errorf("%+v: partition ends past the disk or sector 2^32", g)
	case data%align != 0:
		t.Errorf("%+v: data region at sector %d is not 1 MiB aligned", g, data)
	case int64(g.Clusters+2)*4 > g.FATSectors*ss:
		t.Errorf("%+v: FAT of %d sectors cannot hold %d clusters", g, g.FATSectors, g.Clusters)
	case data > align && reservedSectors+numFATs*((((g.PartSectors-(data-align))/spc)+2)*4+ss-1)/ss <= data-align:
		t.Errorf("%+v: data region could start 1 MiB earlier", g)
	case data+int64(g.Clusters)*spc > g.PartSectors:
		t.Errorf("%+v: clusters run past the partition", g)
	case data+int64(g.Clusters+1)*spc <= g.PartSectors:
		t.Errorf("%+v: room for another cluster left unused", g)
	case g.Clusters < minClusters || g.Clusters > maxClusters:
		t.Errorf("%+v: %d clusters is not a FAT32 volume", g, g.Clusters)
	}
}
