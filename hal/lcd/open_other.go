//go:build !linux

package lcd

import (
	"fmt"
	"runtime"
)

// Open opens the display cfg describes; it works only on Linux.
func Open(cfg Config) (*LCD, uint16, error) {
	return nil, 0, fmt.Errorf("lcd: open display on %s: not supported on %s", cfg.busName(), runtime.GOOS)
}
