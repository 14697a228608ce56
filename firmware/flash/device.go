package flash

import (
	"bytes"
	"fmt"
	"io"
)

// Device is a drive or an image file opened for one job. A block device is
// opened exclusively (O_EXCL: the kernel refuses while anything holds it or
// a partition of it is mounted); direct I/O is used where the target
// supports it.
type Device struct {
	f      file
	path   string
	size   int64 // bytes, whole sectors
	tail   int64 // bytes of an image file past its last whole sector
	sector int   // logical sector size
	align  int   // alignment of memory, offsets and lengths for direct I/O
	direct bool  // opened with O_DIRECT
	block  bool  // a block device
	// holes: an image file emptied for a zero fill, which reads as zeros
	// wherever nothing is written, so that zeros are left as holes.
	holes bool
}

// file is the part of *os.File a Device uses.
type file interface {
	io.ReaderAt
	io.WriterAt
	io.Closer
	Sync() error
	Fd() uintptr
}

// Path is the path the device was opened by.
func (d *Device) Path() string { return d.path }

// Size is the size the device reports, in bytes.
func (d *Device) Size() int64 { return d.size }

// SectorSize is the logical sector size.
func (d *Device) SectorSize() int { return d.sector }

// Align is the alignment buffers, offsets and lengths must keep.
func (d *Device) Align() int { return d.align }

// Direct reports whether reads and writes bypass the page cache.
func (d *Device) Direct() bool { return d.direct }

// Block reports whether the device is a block device (not an image file).
func (d *Device) Block() bool { return d.block }

// WriteAt writes all of p at off; a failure is an *IOError.
func (d *Device) WriteAt(p []byte, off int64) (int, error) {
	n, err := d.f.WriteAt(p, off)
	if err == nil && n < len(p) {
		err = errShortIO
	}
	if err != nil {
		return n, &IOError{Op: "write", Offset: off + int64(n), Err: err}
	}
	return n, nil
}

// ReadAt reads all of p from off; a failure is an *IOError.
func (d *Device) ReadAt(p []byte, off int64) (int, error) {
	n, err := d.f.ReadAt(p, off)
	if err == io.EOF && n == len(p) {
		err = nil
	}
	if err == nil && n < len(p) {
		err = errShortIO
	}
	if err != nil {
		return n, &IOError{Op: "read", Offset: off + int64(n), Err: err}
	}
	return n, nil
}

// Sync makes everything written durable on the device.
func (d *Device) Sync() error {
	if err := d.f.Sync(); err != nil {
		return &IOError{Op: "flush", Offset: d.size, Err: err}
	}
	return nil
}

// clearTail zeros the bytes of an image file past its last whole sector,
// which no volume uses, so that nothing of what the file held survives
// there either.
func (d *Device) clearTail() error {
	if d.tail == 0 || d.holes {
		return nil
	}
	if _, err := d.f.WriteAt(make([]byte, d.tail), d.size); err != nil {
		return &IOError{Op: "write", Offset: d.size, Err: err}
	}
	return nil
}

// checkTail checks that the bytes clearTail zeroed read back as zeros.
func (d *Device) checkTail() error {
	if d.tail == 0 {
		return nil
	}
	b := make([]byte, d.tail)
	if _, err := d.f.ReadAt(b, d.size); err != nil && err != io.EOF {
		return &IOError{Op: "read", Offset: d.size, Err: err}
	}
	for i, c := range b {
		if c != 0 {
			return &MismatchError{Offset: d.size + int64(i)}
		}
	}
	return nil
}

// holeBlock is the unit in which an emptied image file is left with
// holes: the block of the file systems that hold image files.
const holeBlock = 4096

// writeData writes the blocks of p, at off, that are not all zeros: an
// emptied image file already reads as zeros everywhere else, and its
// zeros stay holes. zeros is at least as long as p and holds only zeros.
func (d *Device) writeData(p []byte, off int64, zeros []byte) (int, error) {
	blk := max(holeBlock, d.align)
	if len(p)%blk != 0 || off%int64(blk) != 0 {
		return d.WriteAt(p, off) // a piece of a block, on a retry
	}
	for i := 0; i < len(p); {
		if bytes.Equal(p[i:i+blk], zeros[:blk]) {
			i += blk
			continue
		}
		j := i + blk
		for j < len(p) && !bytes.Equal(p[j:j+blk], zeros[:blk]) {
			j += blk
		}
		if n, err := d.WriteAt(p[i:j], off+int64(i)); err != nil {
			return i + n, err
		}
		i = j
	}
	return len(p), nil
}

// Close closes the device.
func (d *Device) Close() error { return d.f.Close() }

func (d *Device) String() string {
	return fmt.Sprintf("%s (%s, %d-byte sectors)", d.path, Bytes(d.size), d.sector)
}

// writeZeros writes n zeros at off from unit, a buffer of zeros whose
// length divides n: in one call where the system takes the unit repeated
// (so that a job needs no chunk of zeros as large as its writes), else
// unit by unit. A failure is an *IOError at the first block that failed.
func (d *Device) writeZeros(unit []byte, n int, off int64) error {
	if d.writeRepeated(unit, n/len(unit), off) == nil {
		return nil
	}
	for i := 0; i < n; i += len(unit) {
		if err := transfer(d.WriteAt, unit, off+int64(i), d.align); err != nil {
			return err
		}
	}
	return nil
}
