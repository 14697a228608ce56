package fat

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
)

// PartTypeFAT32 is the MBR partition type of a FAT32 volume addressed by
// LBA, the one Windows writes.
const PartTypeFAT32 byte = partTypeFAT32

// Partition is one primary partition of an MBR partition table.
type Partition struct {
	Type    byte  // partition type, e.g. PartTypeFAT32
	Start   int64 // first sector
	Sectors int64 // sectors in the partition
}

// MBR returns sector 0 of a disk with sectors of sectorSize bytes: no boot
// code, the disk signature diskID and up to four primary partitions, which
// must not overlap the MBR or each other and must end below sector 2^32.
func MBR(sectorSize int, diskID uint32, parts []Partition) ([]byte, error) {
	if sectorSize != 512 && sectorSize != 4096 {
		return nil, fmt.Errorf("mbr: sector size %d: only 512 and 4096 are supported", sectorSize)
	}
	if len(parts) > 4 {
		return nil, fmt.Errorf("mbr: %d partitions; an MBR holds 4", len(parts))
	}
	for i, p := range parts {
		if p.Start < 1 || p.Sectors < 1 || p.Start+p.Sectors > maxMBRSectors {
			return nil, fmt.Errorf("mbr: partition %d (sectors %d+%d) is outside sectors 1 to 2^32", i+1, p.Start, p.Sectors)
		}
		for j, q := range parts[:i] {
			if p.Start < q.Start+q.Sectors && q.Start < p.Start+p.Sectors {
				return nil, fmt.Errorf("mbr: partitions %d and %d overlap", j+1, i+1)
			}
		}
	}
	return mbrSector(sectorSize, diskID, parts), nil
}

// PlanPartition lays out a FAT32 volume filling one partition of a larger
// disk: sectors sectors from sector start, in sectors of opts.SectorSize
// bytes. It chooses the cluster size Windows would for a volume of that
// size and places folders and files as Plan does. The layout's own MBR,
// which lists only this partition, is not meant to be used: write the
// volume with WriteVolume and the disk's MBR with MBR.
func PlanPartition(start, sectors int64, entries []Entry, opts Options) (*Layout, error) {
	if opts.SectorSize == 0 {
		opts.SectorSize = 512
	}
	if opts.SectorSize != 512 && opts.SectorSize != 4096 {
		return nil, fmt.Errorf("sector size %d: only 512 and 4096 are supported", opts.SectorSize)
	}
	if start < 1 || sectors < 1 || start+sectors > maxMBRSectors {
		return nil, fmt.Errorf("partition at sectors %d+%d is outside sectors 1 to 2^32", start, sectors)
	}
	ss := int64(opts.SectorSize)
	if start*ss%alignBytes != 0 {
		return nil, fmt.Errorf("partition at sector %d does not start on a 1 MiB boundary", start)
	}
	g := Geometry{SectorSize: opts.SectorSize, DiskSectors: start + sectors, PartStart: start, PartSectors: sectors}
	g, err := g.fit(sectors * ss)
	if err != nil {
		return nil, err
	}
	return planOn(g, newEntryList(entries), opts)
}

// sparseBlock is the granularity at which WriteVolume leaves zeros
// unwritten: the block size of common file systems.
const sparseBlock = 4096

// WriteVolume writes the partition of l (boot sectors, FATs, folders and
// files, but not the MBR or anything before the partition) into w at its
// disk offsets. It writes no block of zeros, so a fresh file that w
// writes keeps holes there: the caller must make sure those bytes read as
// zeros (a new file truncated to size does).
func (l *Layout) WriteVolume(ctx context.Context, w io.WriterAt, src Source) error {
	s := l.Stream(src, nil)
	defer s.Close()
	start := l.g.PartStart * int64(l.g.SectorSize)
	buf := make([]byte, 1<<20)
	if _, err := io.ReadFull(s, buf[:l.g.SectorSize]); err != nil {
		return fmt.Errorf("write volume: %w", err)
	}
	zero := make([]byte, sparseBlock)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		if z := s.ZeroRun(); z > 0 {
			s.SkipZeros(z)
			continue
		}
		off := s.Offset()
		if off < start {
			return fmt.Errorf("BUG: stream emits data at %d, before the partition at %d", off, start)
		}
		n, err := io.ReadFull(s, buf)
		if n > 0 {
			if werr := writeNonZero(w, buf[:n], off, zero); werr != nil {
				return werr
			}
		}
		switch err {
		case nil:
		case io.EOF, io.ErrUnexpectedEOF:
			return nil
		default:
			return fmt.Errorf("write volume: %w", err)
		}
	}
}

// writeNonZero writes p at off, leaving out aligned blocks of zeros and
// writing each run of other blocks at once.
func writeNonZero(w io.WriterAt, p []byte, off int64, zero []byte) error {
	for i := 0; i < len(p); {
		k := min(len(p)-i, sparseBlock-int((off+int64(i))%sparseBlock))
		if !bytes.Equal(p[i:i+k], zero[:k]) {
			i += k // p[:i] is the run of blocks to write
			continue
		}
		if err := writeRun(w, p[:i], off); err != nil {
			return err
		}
		i += k
		p, off, i = p[i:], off+int64(i), 0
	}
	return writeRun(w, p, off)
}

func writeRun(w io.WriterAt, p []byte, off int64) error {
	if len(p) == 0 {
		return nil
	}
	if _, err := w.WriteAt(p, off); err != nil {
		return fmt.Errorf("write volume at %d: %w", off, err)
	}
	return nil
}

// ReadMBR reads the MBR of a disk with 512-byte sectors: its disk
// signature and its four primary entries in table order, an unused one
// with Type 0. A sector 0 without the boot signature, or holding a FAT
// boot sector rather than a partition table, is not an MBR.
func ReadMBR(r io.ReaderAt) (diskID uint32, parts [4]Partition, err error) {
	sec := make([]byte, 512)
	if err := rdReadFull(r, sec, 0); err != nil {
		return 0, parts, err
	}
	if isFAT, _ := rdShape(sec); isFAT || le.Uint16(sec[510:]) != 0xAA55 {
		return 0, parts, errors.New("sector 0 holds no MBR")
	}
	for i := range parts {
		e := sec[446+16*i : 462+16*i]
		if e[0] != 0 && e[0] != 0x80 {
			return 0, parts, errors.New("sector 0 holds no MBR")
		}
		parts[i] = Partition{Type: e[4], Start: int64(le.Uint32(e[8:])), Sectors: int64(le.Uint32(e[12:]))}
	}
	return le.Uint32(sec[440:]), parts, nil
}
