//go:build !linux

package gpio

import "errors"

// Chips lists the GPIO chips in dev; only Linux has them.
func Chips(dev string) ([]Chip, error) {
	return nil, errors.New("gpio: GPIO chips are a Linux character device")
}
