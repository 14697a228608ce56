package fat

import (
	"encoding/binary"
	"fmt"
)

// Fixed values of the structures Windows writes.
const (
	oemName       = "MSDOS5.0" // what Windows Vista and later write; see docs/anonymity.md
	partTypeFAT32 = 0x0C       // FAT32 with LBA addressing
	mediaFixed    = 0xF8
	fsInfoSector  = 1
	backupSector  = 6
	chsSectors    = 63 // sectors per track of the BIOS geometry Windows assumes
	chsHeads      = 255
	eoc           = 0x0FFFFFFF // end-of-chain mark
)

var le = binary.LittleEndian

// mbr returns sector 0 of the disk: no boot code, the disk signature and one
// FAT32 partition from PartStart to the end of the partition.
func (l *Layout) mbr() []byte {
	return mbrSector(l.g.SectorSize, l.diskID, []Partition{{Type: partTypeFAT32, Start: l.g.PartStart, Sectors: l.g.PartSectors}})
}

// mbrSector returns an MBR without boot code holding diskID and parts,
// which must be at most four and end below sector 2^32.
func mbrSector(sectorSize int, diskID uint32, parts []Partition) []byte {
	b := make([]byte, sectorSize)
	le.PutUint32(b[440:], diskID)
	for i, p := range parts {
		e := b[446+16*i : 462+16*i]
		first, last := p.Start, p.Start+p.Sectors-1
		copy(e[1:4], chs(first))
		e[4] = p.Type
		copy(e[5:8], chs(last))
		le.PutUint32(e[8:], uint32(first))
		le.PutUint32(e[12:], uint32(p.Sectors))
	}
	b[510], b[511] = 0x55, 0xAA
	return b
}

// chs encodes a sector number as BIOS cylinder/head/sector bytes, or the
// "beyond CHS" mark that Windows uses past cylinder 1023.
func chs(lba int64) []byte {
	c := lba / (chsHeads * chsSectors)
	if c > 1023 {
		return []byte{0xFE, 0xFF, 0xFF}
	}
	h := (lba / chsSectors) % chsHeads
	s := lba%chsSectors + 1
	return []byte{byte(h), byte(s) | byte(c>>8)<<6, byte(c)}
}

// reserved returns the first 32 sectors of the partition's reserved
// region: boot sector, FSInfo, their backups at sectors 6 and 7, zeros
// elsewhere.
func (l *Layout) reserved() []byte {
	ss := l.g.SectorSize
	b := make([]byte, minReserved*ss)
	l.bootSector(b[:ss])
	l.fsInfo(b[fsInfoSector*ss : (fsInfoSector+1)*ss])
	copy(b[backupSector*ss:], b[:2*ss])
	// fastfat updates only the primary FSInfo sector: the backup keeps
	// what the format wrote, every cluster free but the root's.
	back := b[(backupSector+fsInfoSector)*ss:]
	le.PutUint32(back[488:], l.g.Clusters-1)
	le.PutUint32(back[492:], 3)
	return b
}

func (l *Layout) bootSector(b []byte) {
	copy(b, []byte{0xEB, 0x58, 0x90})
	copy(b[3:11], oemName)
	le.PutUint16(b[11:], uint16(l.g.SectorSize))
	b[13] = byte(l.g.SectorsPerCluster)
	le.PutUint16(b[14:], uint16(l.g.ReservedSectors))
	b[16] = numFATs
	b[21] = mediaFixed
	le.PutUint16(b[24:], chsSectors)
	le.PutUint16(b[26:], chsHeads)
	le.PutUint32(b[28:], uint32(l.g.PartStart))
	le.PutUint32(b[32:], uint32(l.g.PartSectors))
	le.PutUint32(b[36:], uint32(l.g.FATSectors))
	le.PutUint32(b[44:], 2) // root folder cluster
	le.PutUint16(b[48:], fsInfoSector)
	le.PutUint16(b[50:], backupSector)
	b[64] = 0x80 // drive number
	b[66] = 0x29 // extended boot signature: the next three fields are valid
	le.PutUint32(b[67:], l.volumeID)
	copy(b[71:82], l.label[:])
	copy(b[82:90], "FAT32   ")
	// Boot code: halt. The volume is not meant to boot.
	copy(b[90:], []byte{0xFA, 0xF4, 0xEB, 0xFD}) // cli; hlt; jmp $-1
	b[510], b[511] = 0x55, 0xAA
}

func (l *Layout) fsInfo(b []byte) {
	le.PutUint32(b[0:], 0x41615252)
	le.PutUint32(b[484:], 0x61417272)
	free := l.g.Clusters - l.used
	le.PutUint32(b[488:], free)
	// The "next free" hint is the cluster after the last one allocated, as
	// fastfat leaves it after a copy (FatReserveClusters sets ClusterHint
	// to the cluster after the run it took, and the FSInfo sector gets
	// ClusterHint when the volume is marked clean); cluster 2 when none is
	// left, as its search then wraps.
	next := 2 + l.used
	if l.used >= l.g.Clusters {
		next = 2
	}
	le.PutUint32(b[492:], next)
	le.PutUint32(b[508:], 0xAA550000)
}

// fatCursor is where rendering a FAT got to: the copy replayed to the
// allocation that holds the last cluster rendered. Files take consecutive
// clusters, so that replay is how the FAT learns where their chains end.
type fatCursor struct {
	walk copyWalk
	at   step // an allocation of a folder cluster or a file; n is 0 before the first
}

// fatEntry is the value of FAT entry c; j and k are the indexes in l.ends
// and l.links at or after the entries before c.
func (l *Layout) fatEntry(c uint32, j, k *int, cur *fatCursor) uint32 {
	switch {
	case c == 0:
		return 0x0FFFFF00 | mediaFixed
	case c == 1:
		return eoc
	case c >= 2+l.used:
		return 0
	}
	if cur.walk.l == nil || c < cur.at.cluster {
		*cur = fatCursor{walk: newCopyWalk(l)}
	}
	for c-cur.at.cluster >= cur.at.n {
		st, ok := cur.walk.step()
		if !ok {
			panic(fmt.Sprintf("BUG: cluster %d is past the copy", c))
		}
		if st.kind != stepDone {
			cur.at = st
		}
	}
	if cur.at.kind == stepFile {
		if c == cur.at.cluster+cur.at.n-1 {
			return eoc
		}
		return c + 1
	}
	for *j < len(l.ends) && l.ends[*j] < c {
		*j++
	}
	if *j < len(l.ends) && l.ends[*j] == c {
		return eoc
	}
	for *k < len(l.links) && l.links[*k].from < c {
		*k++
	}
	if *k < len(l.links) && l.links[*k].from == c {
		return l.links[*k].to
	}
	return c + 1
}

// putFAT writes the bytes of a FAT starting at byte offset off into p,
// going on from cur if off lies at or after it.
func (l *Layout) putFAT(p []byte, off int64, cur *fatCursor) {
	c := uint32(off / 4)
	j, k := l.endIndex(c), l.linkIndex(c)
	skip := int(off % 4)
	for len(p) > 0 {
		var v [4]byte
		le.PutUint32(v[:], l.fatEntry(c, &j, &k, cur))
		n := copy(p, v[skip:])
		p, skip = p[n:], 0
		c++
	}
}
