//go:build !linux

package drive

import (
	"context"
	"errors"
)

// Watch needs Linux's uevents; elsewhere it fails at once.
func (h *Host) Watch(ctx context.Context, out chan<- Event) error {
	return errors.New("watching drives needs Linux")
}
