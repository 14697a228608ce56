package gpio

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"unsafe"

	"golang.org/x/sys/unix"
)

// chipInfo is the kernel's struct gpiochip_info (linux/gpio.h).
type chipInfo struct {
	name  [32]byte
	label [32]byte
	lines uint32
}

// chipInfoIoctl is GPIO_GET_CHIPINFO_IOCTL: _IOR(0xB4, 0x01, struct gpiochip_info).
const chipInfoIoctl = 2<<30 | uint(unsafe.Sizeof(chipInfo{}))<<16 | 0xB4<<8 | 0x01

// Chips lists the GPIO chips in dev (the /dev folder), asking each for its
// name and label. A chip that cannot be asked is left out.
func Chips(dev string) ([]Chip, error) {
	paths, err := filepath.Glob(filepath.Join(dev, "gpiochip*"))
	if err != nil {
		return nil, err
	}
	sort.Strings(paths)
	var chips []Chip
	var last error
	for _, p := range paths {
		c, err := readChip(p)
		if err != nil {
			last = err
			continue
		}
		chips = append(chips, c)
	}
	if len(chips) == 0 && last != nil {
		return nil, last
	}
	return chips, nil
}

// readChip asks the chip at path for its name, label and line count.
func readChip(path string) (Chip, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return Chip{}, fmt.Errorf("gpio: %w", err)
	}
	defer f.Close()
	var info chipInfo
	if _, _, errno := unix.Syscall(unix.SYS_IOCTL, f.Fd(), uintptr(chipInfoIoctl), uintptr(unsafe.Pointer(&info))); errno != 0 {
		return Chip{}, fmt.Errorf("gpio: %s: GPIO_GET_CHIPINFO: %w", path, errno)
	}
	cstr := func(b []byte) string {
		if i := bytes.IndexByte(b, 0); i >= 0 {
			b = b[:i]
		}
		return string(b)
	}
	return Chip{Path: path, Name: cstr(info.name[:]), Label: cstr(info.label[:]), Lines: int(info.lines)}, nil
}
