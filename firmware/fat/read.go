package fat

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
)

// The reader opens a FAT32 volume through an io.ReaderAt without mounting
// it, for checking a produced drive and for finding a master drive's
// manifest. Everything on the volume is treated as hostile: a structure
// that does not add up is refused with an error, and no size read from the
// volume makes the reader loop or allocate without a bound.

// ErrNotFAT32 is returned (wrapped) by OpenVolume when the device holds no
// FAT32 volume at all: another file system, a GPT disk, no partition of a
// FAT type.
var ErrNotFAT32 = errors.New("no FAT32 volume")

// CorruptError reports a FAT32 structure that is broken: a boot sector that
// does not add up, a cluster chain that loops or leaves the volume, a
// directory that contains itself.
type CorruptError struct {
	Offset int64  // byte offset on the device of the broken structure
	Reason string // what is wrong with it
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("corrupt FAT32 volume at byte %d: %s", e.Offset, e.Reason)
}

func rdCorrupt(off int64, format string, args ...any) error {
	return &CorruptError{Offset: off, Reason: fmt.Sprintf(format, args...)}
}

// Limits the reader puts on what a volume may claim.
const (
	rdMaxClusterBytes = 256 << 10 // Windows writes up to 64 KiB; Linux reads up to 256 KiB (4 KiB sectors)
	rdMaxDirBytes     = maxDirEntries * 32
	rdMaxDepth        = 64                // most folders a lookup descends through
	rdFATBlock        = 16 << 10          // bytes of FAT read and cached as one piece
	rdFATCacheBytes   = 256 << 10         // bytes of FAT kept in memory at most: a folder and its files lie in a few pieces
	rdDirCacheEntries = 2 * maxDirEntries // entries kept parsed (a full folder and its ancestors; about 30 MiB at worst)
)

// Volume is an open FAT32 volume. It implements fs.FS, fs.ReadDirFS and
// fs.StatFS; names match case-insensitively, as on FAT. It is safe for
// concurrent use.
type Volume struct {
	r           io.ReaderAt
	start       int64  // byte offset of the boot sector on the device
	clusterSize int64  // bytes per cluster
	fatStart    int64  // byte offset on the device of the active FAT
	dataStart   int64  // byte offset on the device of cluster 2
	maxCluster  uint32 // highest cluster number; data clusters are 2..maxCluster
	oem         string
	volumeID    uint32
	label       string
	free        uint32 // FSInfo's free-cluster count
	freeKnown   bool
	root        *DirEntry

	fat    *rdLRU[int64, []byte]        // FAT pieces by index
	dirs   *rdLRU[rdDirKey, *rdDirList] // parsed directories
	claims *rdClaims                    // clusters of the chains followed so far
}

// rdBoot holds the boot sector fields the reader uses, as stored.
type rdBoot struct {
	bps         uint16
	spc         uint8
	reserved    uint16
	fats        uint8
	rootEntries uint16
	totSec16    uint16
	media       uint8
	fatSz16     uint16
	totSec32    uint32
	fatSz32     uint32
	extFlags    uint16
	fsVer       uint16
	rootCluster uint32
	fsInfo      uint16
	bootSig     uint8
	volumeID    uint32
	label       []byte
	oem         []byte
	signature   uint16
}

func rdParseBoot(b []byte) rdBoot {
	le := binary.LittleEndian
	return rdBoot{
		oem:         b[3:11],
		bps:         le.Uint16(b[11:]),
		spc:         b[13],
		reserved:    le.Uint16(b[14:]),
		fats:        b[16],
		rootEntries: le.Uint16(b[17:]),
		totSec16:    le.Uint16(b[19:]),
		media:       b[21],
		fatSz16:     le.Uint16(b[22:]),
		totSec32:    le.Uint32(b[32:]),
		fatSz32:     le.Uint32(b[36:]),
		extFlags:    le.Uint16(b[40:]),
		fsVer:       le.Uint16(b[42:]),
		rootCluster: le.Uint32(b[44:]),
		fsInfo:      le.Uint16(b[48:]),
		bootSig:     b[66],
		volumeID:    le.Uint32(b[67:]),
		label:       b[71:82],
		signature:   le.Uint16(b[510:]),
	}
}

// rdShape reports whether sector b looks like a FAT boot sector at all,
// and whether its BPB has FAT32's shape (no 16-bit FAT size), which is how
// Linux tells FAT32 from FAT12/16 too; the cluster count is not consulted,
// so tiny volumes work. Sectors per cluster and the 32-bit FAT size are
// left to rdOpenAt, so that a FAT32 boot sector with a zero or absurd one
// is refused as corrupt, saying so, rather than taken for no FAT at all.
func rdShape(b []byte) (isFAT, isFAT32 bool) {
	s := rdParseBoot(b)
	jump := b[0] == 0xE9 || b[0] == 0xEB
	bps := s.bps == 512 || s.bps == 1024 || s.bps == 2048 || s.bps == 4096
	isFAT = jump && bps && s.reserved != 0 && s.fats != 0
	return isFAT, isFAT && s.fatSz16 == 0
}

// OpenVolume opens the FAT32 volume on a device of size bytes: the whole
// device if sector 0 is a FAT32 boot sector ("superfloppy"), else the first
// MBR partition of type 0x0B or 0x0C, or 0x0E or 0x06 whose boot sector has
// FAT32's shape. The boot sector is checked strictly and the root folder is
// read. A device without a FAT32 volume gives an error wrapping
// ErrNotFAT32; a broken one a *CorruptError.
func OpenVolume(r io.ReaderAt, size int64) (*Volume, error) {
	if size < 512 {
		return nil, fmt.Errorf("device of %d bytes: %w", size, ErrNotFAT32)
	}
	sec := make([]byte, 512)
	if err := rdReadFull(r, sec, 0); err != nil {
		return nil, err
	}
	if isFAT, isFAT32 := rdShape(sec); isFAT {
		if !isFAT32 {
			return nil, fmt.Errorf("sector 0 holds a FAT12 or FAT16 volume: %w", ErrNotFAT32)
		}
		return rdOpenAt(r, 0, size, sec)
	}
	switch oem := string(sec[3:11]); {
	case oem == "EXFAT   " || oem == "NTFS    ":
		return nil, fmt.Errorf("sector 0 holds an %s volume: %w", strings.TrimSpace(oem), ErrNotFAT32)
	case binary.LittleEndian.Uint16(sec[510:]) != 0xAA55:
		return nil, fmt.Errorf("sector 0 has no boot signature: %w", ErrNotFAT32)
	}
	return rdOpenMBR(r, size, sec)
}

// rdOpenMBR opens the first FAT32 partition listed in the MBR sec.
func rdOpenMBR(r io.ReaderAt, size int64, sec []byte) (*Volume, error) {
	for i := range 4 {
		if status := sec[446+16*i]; status != 0 && status != 0x80 {
			return nil, fmt.Errorf("sector 0 is neither a FAT32 boot sector nor an MBR: %w", ErrNotFAT32)
		}
	}
	for i := range 4 {
		e := sec[446+16*i : 446+16*(i+1)]
		switch e[4] {
		case 0xEE:
			return nil, fmt.Errorf("GPT disk (only MBR partitions are read): %w", ErrNotFAT32)
		case 0x0B, 0x0C, 0x0E, 0x06:
		default:
			continue
		}
		v, err := rdOpenPartition(r, size, i, e)
		if v != nil || err != nil {
			return v, err
		}
	}
	return nil, fmt.Errorf("no FAT32 partition in the MBR: %w", ErrNotFAT32)
}

// rdOpenPartition opens MBR entry e (number i) if it holds a FAT32 volume.
// It returns nil and no error for a FAT12/16 partition of type 0x0E or 0x06,
// which the caller passes over. Partition sectors are 512 bytes unless
// the boot sector is found only where 4096-byte sectors put it, as on a
// 4Kn disk.
func rdOpenPartition(r io.ReaderAt, size int64, i int, e []byte) (*Volume, error) {
	at := int64(446 + 16*i)
	typ := e[4]
	fat32Type := typ == 0x0B || typ == 0x0C
	lba := int64(binary.LittleEndian.Uint32(e[8:]))
	n := int64(binary.LittleEndian.Uint32(e[12:]))
	if lba == 0 || n == 0 {
		return nil, rdCorrupt(at, "partition %d (type %#02x) starts at sector %d with %d sectors", i+1, typ, lba, n)
	}
	sec := make([]byte, 512)
	for _, unit := range []int64{512, 4096} {
		start, end := lba*unit, (lba+n)*unit
		if end > size {
			if unit == 512 {
				return nil, rdCorrupt(at, "partition %d ends at byte %d, past the device's end at %d", i+1, end, size)
			}
			break
		}
		if err := rdReadFull(r, sec, start); err != nil {
			return nil, err
		}
		isFAT, isFAT32 := rdShape(sec)
		if !isFAT || unit != 512 && int64(rdParseBoot(sec).bps) != unit {
			continue
		}
		switch {
		case isFAT32:
			return rdOpenAt(r, start, end, sec)
		case fat32Type:
			return nil, rdCorrupt(start, "partition %d has FAT32's type %#02x but a FAT12/16 boot sector", i+1, typ)
		}
		return nil, nil
	}
	if fat32Type {
		return nil, rdCorrupt(lba*512, "partition %d (type %#02x) does not start with a FAT boot sector", i+1, typ)
	}
	return nil, nil
}

// rdOpenAt checks the FAT32 boot sector sec at byte start of a region
// ending at byte end, and opens the volume it describes.
func rdOpenAt(r io.ReaderAt, start, end int64, sec []byte) (*Volume, error) {
	b := rdParseBoot(sec)
	bad := func(field int64, format string, args ...any) (*Volume, error) {
		return nil, rdCorrupt(start+field, format, args...)
	}
	bps, spc := int64(b.bps), int64(b.spc)
	switch {
	case b.signature != 0xAA55:
		return bad(510, "boot sector signature %#04x, want 0xaa55", b.signature)
	case spc == 0 || spc&(spc-1) != 0:
		return bad(13, "%d sectors per cluster; FAT has a power of two from 1 to 128", spc)
	case b.fatSz32 == 0:
		return bad(36, "FAT of 0 sectors")
	case spc*bps > rdMaxClusterBytes:
		return bad(13, "clusters of %d bytes; at most %d are supported", spc*bps, rdMaxClusterBytes)
	case b.fats > 2:
		return bad(16, "%d FATs; FAT32 has 1 or 2", b.fats)
	case b.rootEntries != 0:
		return bad(17, "%d fixed root entries; FAT32 has none", b.rootEntries)
	case b.media != 0xF0 && b.media < 0xF8:
		return bad(21, "media byte %#02x", b.media)
	case b.fsVer != 0:
		return bad(42, "FAT32 version %#04x; only 0 exists", b.fsVer)
	case b.totSec16 != 0 && b.totSec32 != 0 && uint32(b.totSec16) != b.totSec32:
		return bad(19, "two total sector counts, %d and %d", b.totSec16, b.totSec32)
	}
	total := int64(b.totSec32)
	if b.totSec16 != 0 {
		total = int64(b.totSec16)
	}
	if total*bps > end-start {
		return bad(32, "volume of %d bytes is larger than the %d bytes it lies in", total*bps, end-start)
	}
	active := int64(0)
	if b.extFlags&0x80 != 0 {
		active = int64(b.extFlags & 0x0F)
		if active >= int64(b.fats) {
			return bad(40, "active FAT %d of %d", active, b.fats)
		}
	}
	fatSz := int64(b.fatSz32)
	meta := int64(b.reserved) + int64(b.fats)*fatSz
	if meta >= total {
		return bad(36, "reserved sectors and FATs (%d sectors) fill the whole volume (%d sectors)", meta, total)
	}
	clusters := (total - meta) / spc
	switch {
	case clusters == 0:
		return bad(32, "no room for a data cluster")
	case clusters > maxClusters:
		return bad(32, "%d clusters; FAT32 addresses at most %d", clusters, maxClusters)
	case fatSz*bps/4 < clusters+2:
		return bad(36, "FAT of %d sectors holds %d entries; the volume has %d clusters", fatSz, fatSz*bps/4, clusters)
	case b.rootCluster < 2 || int64(b.rootCluster) > clusters+1:
		return bad(44, "root folder at cluster %d, outside 2..%d", b.rootCluster, clusters+1)
	}
	v := &Volume{
		r:           r,
		start:       start,
		clusterSize: spc * bps,
		fatStart:    start + (int64(b.reserved)+active*fatSz)*bps,
		dataStart:   start + meta*bps,
		maxCluster:  uint32(clusters + 1),
		oem:         rdDecodeOEM(b.oem),
		fat:         newRdLRU[int64, []byte](rdFATCacheBytes),
		dirs:        newRdLRU[rdDirKey, *rdDirList](rdDirCacheEntries),
		claims:      newRdClaims(),
		root:        &DirEntry{Name: ".", Attr: attrDir, FirstCluster: b.rootCluster, Offset: start + 44},
	}
	if b.bootSig == 0x28 || b.bootSig == 0x29 {
		v.volumeID = b.volumeID
	}
	if b.bootSig == 0x29 {
		v.label = rdDecodeOEM(b.label)
	}
	if b.fsInfo != 0 && b.fsInfo < b.reserved {
		if err := v.rdReadFSInfo(start + int64(b.fsInfo)*bps); err != nil {
			return nil, err
		}
	}
	root, err := v.rdLoadDir(v.root, 0)
	if err != nil {
		return nil, err
	}
	if root.hasLabel {
		v.label = root.label
	}
	return v, nil
}

// rdReadFSInfo reads the free-cluster count from the FSInfo sector at off,
// if the sector has its signatures and the count is plausible.
func (v *Volume) rdReadFSInfo(off int64) error {
	sec := make([]byte, 512)
	if err := rdReadFull(v.r, sec, off); err != nil {
		return err
	}
	le := binary.LittleEndian
	if le.Uint32(sec) != 0x41615252 || le.Uint32(sec[484:]) != 0x61417272 || le.Uint32(sec[508:]) != 0xAA550000 {
		return nil
	}
	free := le.Uint32(sec[488:])
	v.free, v.freeKnown = free, free <= v.maxCluster-1
	return nil
}

// rdReadFull fills p from r at off, or says why it could not.
func rdReadFull(r io.ReaderAt, p []byte, off int64) error {
	n, err := r.ReadAt(p, off)
	if n == len(p) {
		return nil
	}
	if err == nil || err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("read %d bytes at %d: %w", len(p), off, err)
}

// rdDecodeOEM decodes a space-padded name in code page 437.
func rdDecodeOEM(b []byte) string {
	var s strings.Builder
	for _, c := range b {
		s.WriteRune(rdCP437(c))
	}
	return strings.TrimRight(s.String(), " ")
}

// rdCP437High is code page 437 from 0x80 up: the OEM code page Windows (US)
// and Linux (by default) use for short names and labels.
const rdCP437High = "ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u00a0"

var rdCP437Runes = []rune(rdCP437High)

func rdCP437(c byte) rune {
	if c < 0x80 {
		return rune(c)
	}
	return rdCP437Runes[c-0x80]
}

// Label is the volume label: the root folder's label entry if there is
// one (as Windows shows it), else the boot sector's, without padding.
func (v *Volume) Label() string { return v.label }

// VolumeID is the volume serial number from the boot sector (0 if the
// boot sector has none).
func (v *Volume) VolumeID() uint32 { return v.volumeID }

// OEMName is the boot sector's OEM name, e.g. "MSWIN4.1" or "mkfs.fat".
func (v *Volume) OEMName() string { return v.oem }

// ClusterSize is the size of one cluster in bytes.
func (v *Volume) ClusterSize() int64 { return v.clusterSize }

// FreeClusters is the free-cluster count the FSInfo sector records, which
// Windows trusts without counting; ok is false when there is no FSInfo
// sector or it says the count is unknown or holds an impossible one.
func (v *Volume) FreeClusters() (n uint32, ok bool) { return v.free, v.freeKnown }
