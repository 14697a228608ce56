//go:build !linux

package watchdog

import (
	"errors"
	"time"
)

// Watchdog is an armed hardware watchdog; only Linux has one here.
type Watchdog struct{}

// Open fails: hardware watchdogs are reached through Linux's ioctls.
func Open(path string, timeout time.Duration) (*Watchdog, error) {
	return nil, errors.New("watchdog: only on Linux")
}

// Timeout is zero.
func (w *Watchdog) Timeout() time.Duration { return 0 }

// Feed fails.
func (w *Watchdog) Feed() error { return errors.New("watchdog: only on Linux") }

// Close does nothing.
func (w *Watchdog) Close() error { return nil }
