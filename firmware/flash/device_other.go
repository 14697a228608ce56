//go:build !linux

package flash

import (
	"errors"
	"fmt"
	"os"
	"unsafe"
)

// Open opens an image file for a job; block devices need Linux.
func Open(path string, readOnly bool) (*Device, error) {
	flag := os.O_RDWR
	if readOnly {
		flag = os.O_RDONLY
	}
	f, err := os.OpenFile(path, flag, 0)
	if errors.Is(err, os.ErrPermission) && !readOnly {
		return nil, &ReadOnlyError{Path: path}
	}
	if err != nil {
		return nil, err // a *PathError: "open PATH: why"
	}
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("open %s: not a regular file (block devices need Linux)", path)
	}
	tail := st.Size() % 512
	return &Device{f: f, path: path, size: st.Size() - tail, tail: tail, sector: 512, align: 512}, nil
}

func (d *Device) dropCache() error { return nil }

// empty drops every byte of the image file, keeping its size.
func (d *Device) empty() error {
	f, ok := d.f.(*os.File)
	if !ok {
		return fmt.Errorf("BUG: empty %s: not a file", d.path)
	}
	if err := f.Truncate(0); err != nil {
		return &IOError{Op: "truncate", Offset: 0, Err: err}
	}
	if err := f.Truncate(d.size + d.tail); err != nil {
		return &IOError{Op: "truncate", Offset: d.size + d.tail, Err: err}
	}
	d.holes = true
	return nil
}

func alignedBuffer(n int) ([]byte, func(), error) {
	b := make([]byte, n+4096)
	off := (4096 - int(uintptr(unsafe.Pointer(&b[0]))%4096)) % 4096
	return b[off : off+n], func() {}, nil
}

// DiskSeq is 0 here: no kernel disk sequence numbers.
func (d *Device) DiskSeq() (uint64, error) { return 0, nil }

// writeRepeated has no single call here: the caller writes unit by unit.
func (d *Device) writeRepeated(unit []byte, count int, off int64) error {
	return errors.ErrUnsupported
}
