package flash

import (
	"errors"
	"fmt"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// Open opens a block device or image file for a job: for writing unless
// readOnly. A write-protected drive gives a *ReadOnlyError.
func Open(path string, readOnly bool) (*Device, error) {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	d := &Device{path: path}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFBLK:
		d.block = true
	case unix.S_IFREG:
	default:
		return nil, fmt.Errorf("open %s: %s, not a block device or regular file", path, fileKind(st.Mode))
	}
	flags := unix.O_RDWR | unix.O_CLOEXEC
	if readOnly {
		flags = unix.O_RDONLY | unix.O_CLOEXEC
	}
	if d.block {
		flags |= unix.O_EXCL
	}
	f, err := os.OpenFile(path, flags|unix.O_DIRECT, 0)
	if errors.Is(err, unix.EINVAL) { // the file system has no direct I/O
		f, err = os.OpenFile(path, flags, 0)
	} else if err == nil {
		d.direct = true
	}
	switch {
	case errors.Is(err, unix.EROFS) || (!readOnly && errors.Is(err, unix.EACCES)):
		return nil, &ReadOnlyError{Path: path}
	case errors.Is(err, unix.EBUSY):
		return nil, fmt.Errorf("open %s: in use (mounted, or opened by another program)", path)
	case err != nil:
		return nil, err // a *PathError: "open PATH: why"
	}
	d.f = f
	if err := d.inspect(readOnly); err != nil {
		f.Close()
		return nil, err
	}
	// An image file may end off the direct-I/O alignment (2,000,000,000
	// bytes is whole 512-byte sectors but not 4 KiB blocks): its last chunk
	// could not be written directly, so such a file goes through the page
	// cache, which takes any whole sector.
	if d.direct && !d.block && (d.size%int64(d.align) != 0 || d.tail != 0) {
		f.Close()
		if f, err = os.OpenFile(path, flags, 0); err != nil {
			return nil, err
		}
		d.f, d.direct = f, false
		if err := d.inspect(readOnly); err != nil {
			f.Close()
			return nil, err
		}
	}
	return d, nil
}

// inspect reads size, sector size, alignment and write protection.
func (d *Device) inspect(readOnly bool) error {
	fd := int(d.f.Fd())
	d.sector, d.align = 512, 4096
	if d.block {
		if ro, err := unix.IoctlGetInt(fd, unix.BLKROGET); err != nil {
			return fmt.Errorf("%s: BLKROGET: %w", d.path, err)
		} else if ro != 0 && !readOnly {
			return &ReadOnlyError{Path: d.path}
		}
		ss, err := unix.IoctlGetInt(fd, unix.BLKSSZGET)
		if err != nil {
			return fmt.Errorf("%s: BLKSSZGET: %w", d.path, err)
		}
		d.sector, d.align = ss, ss
		// BLKGETSIZE64 fills a u64: an int would be 32 bits on 32-bit ARM.
		var size uint64
		if err := ioctlPtr(fd, unix.BLKGETSIZE64, &size); err != nil {
			return fmt.Errorf("%s: BLKGETSIZE64: %w", d.path, err)
		}
		d.size = int64(size)
	} else {
		if !readOnly {
			if err := unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB); err != nil {
				return fmt.Errorf("open %s: in use by another program", d.path)
			}
		}
		var st unix.Stat_t
		if err := unix.Fstat(fd, &st); err != nil {
			return fmt.Errorf("%s: %w", d.path, err)
		}
		d.size = st.Size
	}
	var sx unix.Statx_t
	if err := unix.Statx(fd, "", unix.AT_EMPTY_PATH, unix.STATX_DIOALIGN, &sx); err == nil && sx.Mask&unix.STATX_DIOALIGN != 0 {
		d.align = max(d.align, int(sx.Dio_mem_align), int(sx.Dio_offset_align))
	}
	if !d.direct {
		d.align = d.sector
	}
	d.tail = d.size % int64(d.sector)
	d.size -= d.tail
	return nil
}

// dropCache asks the kernel to forget cached pages of a device opened
// without direct I/O, so that a read-back reaches the disk.
func (d *Device) dropCache() error {
	if d.direct {
		return nil
	}
	if d.block {
		return unix.IoctlSetInt(int(d.f.Fd()), unix.BLKFLSBUF, 0)
	}
	return unix.Fadvise(int(d.f.Fd()), 0, 0, unix.FADV_DONTNEED)
}

// empty drops every block of an image file, keeping its size: it then
// reads as zeros, nothing of what it held survives, and a job writes only
// what is not zero (writeData), leaving the rest as holes.
func (d *Device) empty() error {
	if d.block {
		return fmt.Errorf("BUG: empty a block device %s", d.path)
	}
	fd := int(d.f.Fd())
	if err := unix.Ftruncate(fd, 0); err != nil {
		return &IOError{Op: "truncate", Offset: 0, Err: err}
	}
	if err := unix.Ftruncate(fd, d.size+d.tail); err != nil {
		return &IOError{Op: "truncate", Offset: d.size + d.tail, Err: err}
	}
	d.holes = true
	return nil
}

// blkGetDiskSeq is BLKGETDISKSEQ, _IOR(0x12, 128, __u64) in the generic
// ioctl encoding of arm, arm64 and amd64 (Linux 5.15 on).
const blkGetDiskSeq = 0x80081280

// DiskSeq is the kernel's sequence number of the medium the opened block
// device holds (0 for an image file, or a kernel too old to tell): it
// changes whenever the device node comes to mean another disk, so a caller
// can prove that what it opened is the disk it checked.
func (d *Device) DiskSeq() (uint64, error) {
	if !d.block {
		return 0, nil
	}
	var seq uint64
	if err := ioctlPtr(int(d.f.Fd()), blkGetDiskSeq, &seq); err != nil {
		if err == unix.ENOTTY || err == unix.EINVAL {
			return 0, nil
		}
		return 0, fmt.Errorf("%s: BLKGETDISKSEQ: %w", d.path, err)
	}
	return seq, nil
}

// fileKind names the type of a file that is neither a block device nor a
// regular file.
func fileKind(mode uint32) string {
	switch mode & unix.S_IFMT {
	case unix.S_IFIFO:
		return "a FIFO"
	case unix.S_IFCHR:
		return "a character device"
	case unix.S_IFDIR:
		return "a directory"
	case unix.S_IFSOCK:
		return "a socket"
	}
	return "another kind of file"
}

// writeRepeated writes unit count times from off with as few pwritev
// calls as the kernel takes. Any failure is returned as it is: the caller
// writes again unit by unit to find the block that fails.
func (d *Device) writeRepeated(unit []byte, count int, off int64) error {
	conn, ok := d.f.(syscall.Conn)
	if !ok {
		return errors.ErrUnsupported
	}
	raw, err := conn.SyscallConn()
	if err != nil {
		return err
	}
	iovs := make([][]byte, min(count, 1024)) // IOV_MAX
	for i := range iovs {
		iovs[i] = unit
	}
	for count > 0 {
		k := min(count, len(iovs))
		var n int
		var werr error
		if err := raw.Control(func(fd uintptr) { n, werr = unix.Pwritev(int(fd), iovs[:k], off) }); err != nil {
			return err
		}
		switch {
		case werr != nil:
			return werr
		case n != k*len(unit):
			return errShortIO
		}
		count -= k
		off += int64(n)
	}
	return nil
}
