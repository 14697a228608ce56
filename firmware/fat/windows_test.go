package fat

import (
	"bytes"
	"encoding/binary"
	"testing"
)

// TestWindowsFields checks, field by field, the boot sector and FSInfo of
// planned volumes against the values Windows writes that do not vary with
// the volume (docs/anonymity.md gives each one's source), and the FSInfo
// hints against the files written.
func TestWindowsFields(t *testing.T) {
	for _, tc := range []struct {
		disk  int64
		files []Entry
	}{
		{64 * mib, []Entry{{Path: "a.bin", Size: 3000}}},
		{1 << 30, []Entry{{Path: "films/Documentary Part 1.mp4", Size: 10 << 20}, {Path: "readme.txt", Size: 10}}},
		{64 * mib, nil},
	} {
		l, err := Plan(tc.disk, tc.files, Options{Time: testDate})
		if err != nil {
			t.Fatal(err)
		}
		ss := l.g.SectorSize
		res := l.reserved()
		boot, fsi := res[:ss], res[ss:2*ss]
		u16 := func(b []byte, off int) uint16 { return binary.LittleEndian.Uint16(b[off:]) }
		u32 := func(b []byte, off int) uint32 { return binary.LittleEndian.Uint32(b[off:]) }
		for _, f := range []struct {
			what      string
			got, want any
		}{
			{"jump", string(boot[:3]), "\xEB\x58\x90"},
			{"OEM name", string(boot[3:11]), "MSDOS5.0"},
			{"bytes per sector", u16(boot, 11), uint16(512)},
			{"FATs", boot[16], byte(2)},
			{"root entries", u16(boot, 17), uint16(0)},
			{"total sectors 16", u16(boot, 19), uint16(0)},
			{"media", boot[21], byte(0xF8)},
			{"FAT size 16", u16(boot, 22), uint16(0)},
			{"sectors per track", u16(boot, 24), uint16(63)},
			{"heads", u16(boot, 26), uint16(255)},
			{"hidden sectors", u32(boot, 28), uint32(2048)},
			{"ext flags", u16(boot, 40), uint16(0)},
			{"version", u16(boot, 42), uint16(0)},
			{"root cluster", u32(boot, 44), uint32(2)},
			{"FSInfo sector", u16(boot, 48), uint16(1)},
			{"backup boot sector", u16(boot, 50), uint16(6)},
			{"drive number", boot[64], byte(0x80)},
			{"reserved1 (fastfat's dirty flags)", boot[65], byte(0)},
			{"extended signature", boot[66], byte(0x29)},
			{"label", string(boot[71:82]), "NO NAME    "},
			{"file system type", string(boot[82:90]), "FAT32   "},
			{"signature", u16(boot, 510), uint16(0xAA55)},
			{"FSInfo lead signature", u32(fsi, 0), uint32(0x41615252)},
			{"FSInfo struct signature", u32(fsi, 484), uint32(0x61417272)},
			{"FSInfo free clusters", u32(fsi, 488), l.g.Clusters - l.used},
			{"FSInfo next free: the cluster after the last allocated", u32(fsi, 492), 2 + l.used},
			{"FSInfo trail signature", u32(fsi, 508), uint32(0xAA550000)},
		} {
			if f.got != f.want {
				t.Errorf("%d-byte disk: %s = %#v; want %#v", tc.disk, f.what, f.got, f.want)
			}
		}
		if !bytes.Equal(boot[12:64], res[6*ss+12:6*ss+64]) || !bytes.Equal(boot, res[6*ss:7*ss]) {
			t.Errorf("%d-byte disk: the backup boot sector differs from sector 0", tc.disk)
		}
		// fastfat writes only the primary FSInfo: the backup keeps the
		// format's counts.
		back := res[7*ss : 8*ss]
		if !bytes.Equal(back[:488], fsi[:488]) || !bytes.Equal(back[496:], fsi[496:]) ||
			u32(back, 488) != l.g.Clusters-1 || u32(back, 492) != 3 {
			t.Errorf("%d-byte disk: backup FSInfo free %d, next %d; want the format's %d and 3", tc.disk, u32(back, 488), u32(back, 492), l.g.Clusters-1)
		}
		if u16(boot, 14) != uint16(l.g.ReservedSectors) || (l.g.ReservedSectors+2*l.g.FATSectors)*int64(ss)%(4<<20) != 0 {
			t.Errorf("%d-byte disk: %d reserved sectors, FATs of %d; want the data region 4 MiB aligned", tc.disk, u16(boot, 14), l.g.FATSectors)
		}
	}
}
