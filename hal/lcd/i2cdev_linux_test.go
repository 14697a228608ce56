package lcd

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// TestI2CStructs checks the layout of the kernel's structures as the
// kernel has them on this architecture: three 16-bit fields and a pointer
// at offset 8; a pointer and a 32-bit count.
func TestI2CStructs(t *testing.T) {
	ptr := unsafe.Sizeof(uintptr(0))
	if off := unsafe.Offsetof(i2cMsg{}.buf); off != 8 {
		t.Errorf("offset of i2c_msg.buf = %d; want 8", off)
	}
	if size := unsafe.Sizeof(i2cMsg{}); size != 8+ptr {
		t.Errorf("size of i2c_msg = %d; want %d", size, 8+ptr)
	}
	if off := unsafe.Offsetof(i2cRdwr{}.nmsgs); off != ptr {
		t.Errorf("offset of i2c_rdwr_ioctl_data.nmsgs = %d; want %d", off, ptr)
	}
}

func TestDevBusErrors(t *testing.T) {
	if _, err := openDevBus(4711); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("openDevBus(4711) = %v; want an error wrapping %v", err, os.ErrNotExist)
	}
	// A plain file takes the ioctl's path through the kernel and refuses it.
	path := filepath.Join(t.TempDir(), "i2c")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	b := &devBus{n: 9, f: f}
	r := make([]byte, 1)
	if err := b.Tx(0x27, []byte{1, 2}, r); !errors.Is(err, unix.ENOTTY) {
		t.Errorf("Tx() on a plain file = %v; want an error wrapping %v", err, unix.ENOTTY)
	}
	if err := b.Tx(0x80, nil, r); err == nil {
		t.Errorf("Tx(0x80) = nil; want an error")
	}
	if err := b.Close(); err != nil {
		t.Errorf("Close() = %v; want nil", err)
	}
	if err := b.Tx(0x27, nil, r); err == nil {
		t.Errorf("Tx() after Close = nil; want an error")
	}
}
