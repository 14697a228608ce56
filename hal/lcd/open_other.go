//go:build !linux

package lcd

import (
	"fmt"
	"runtime"
)

// Open opens an HD44780 on an I2C bus; it works only on Linux.
func Open(bus int, addr uint8, cols, rows int) (*LCD, error) {
	return nil, fmt.Errorf("lcd: open I2C bus %d address %#02x: not supported on %s", bus, addr, runtime.GOOS)
}
