package lcd

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
	"periph.io/x/conn/v3/i2c"
	"periph.io/x/conn/v3/physic"
)

// From linux/i2c-dev.h and linux/i2c.h.
const (
	ioctlI2CRdwr = 0x0707 // I2C_RDWR
	i2cMsgRead   = 0x0001 // I2C_M_RD
)

// i2cMsg is the kernel's struct i2c_msg; the compiler pads buf to the
// pointer's alignment, as C does.
type i2cMsg struct {
	addr, flags, len uint16
	buf              unsafe.Pointer
}

// i2cRdwr is the kernel's struct i2c_rdwr_ioctl_data.
type i2cRdwr struct {
	msgs  unsafe.Pointer
	nmsgs uint32
}

// devBus is an I²C bus on a kernel adapter's character device,
// /dev/i2c-<n>, through the I2C_RDWR ioctl. It stands in for periph's
// host/v3/sysfs, whose import would also register periph's sysfs GPIO
// driver next to the character-device one and race it for line names such
// as "GPIO17" in driverreg.Init. It is safe for concurrent use.
type devBus struct {
	n  int
	mu sync.Mutex
	f  *os.File
}

var _ i2c.BusCloser = (*devBus)(nil)

func openDevBus(n int) (*devBus, error) {
	f, err := os.OpenFile(fmt.Sprintf("/dev/i2c-%d", n), os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("lcd: open I2C bus %d: %w", n, err)
	}
	return &devBus{n: n, f: f}, nil
}

func (b *devBus) String() string { return fmt.Sprintf("I2C%d", b.n) }

// Tx writes w to addr, then reads r from it, in one I2C_RDWR call (with a
// repeated START between). With both empty it sends a write of no bytes,
// which some adapters refuse.
func (b *devBus) Tx(addr uint16, w, r []byte) error {
	if addr > 0x7f {
		return fmt.Errorf("%s: tx to %#02x: not a 7-bit address", b, addr)
	}
	if len(w) > 0xffff || len(r) > 0xffff {
		return fmt.Errorf("%s: tx to %#02x: %d bytes out, %d in: too long", b, addr, len(w), len(r))
	}
	var pins runtime.Pinner
	defer pins.Unpin()
	var msgs [2]i2cMsg
	n := 0
	if len(w) > 0 || len(r) == 0 {
		msgs[n] = i2cMsg{addr: addr, len: uint16(len(w))}
		if len(w) > 0 {
			pins.Pin(&w[0])
			msgs[n].buf = unsafe.Pointer(&w[0])
		}
		n++
	}
	if len(r) > 0 {
		pins.Pin(&r[0])
		msgs[n] = i2cMsg{addr: addr, flags: i2cMsgRead, len: uint16(len(r)), buf: unsafe.Pointer(&r[0])}
		n++
	}
	pins.Pin(&msgs[0])
	data := i2cRdwr{msgs: unsafe.Pointer(&msgs[0]), nmsgs: uint32(n)}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.f == nil {
		return fmt.Errorf("%s: tx to %#02x: bus closed", b, addr)
	}
	conn, err := b.f.SyscallConn()
	if err != nil {
		return fmt.Errorf("%s: tx to %#02x: %w", b, addr, err)
	}
	var errno unix.Errno
	if err := conn.Control(func(fd uintptr) {
		_, _, errno = unix.Syscall(unix.SYS_IOCTL, fd, ioctlI2CRdwr, uintptr(unsafe.Pointer(&data)))
	}); err != nil {
		return fmt.Errorf("%s: tx to %#02x: %w", b, addr, err)
	}
	if errno != 0 {
		return fmt.Errorf("%s: tx to %#02x: %w", b, addr, errno)
	}
	return nil
}

// SetSpeed fails: the kernel sets the speed (dtparam=i2c_arm_baudrate).
func (b *devBus) SetSpeed(physic.Frequency) error {
	return errors.New("lcd: I2C bus speed is set by the kernel's device tree")
}

func (b *devBus) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.f == nil {
		return nil
	}
	err := b.f.Close()
	b.f = nil
	if err != nil {
		return fmt.Errorf("%s: close: %w", b, err)
	}
	return nil
}
