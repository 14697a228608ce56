package flash

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// alignedBuffer returns n bytes of page-aligned memory outside the Go heap,
// as direct I/O needs, and a function that frees it.
func alignedBuffer(n int) ([]byte, func(), error) {
	b, err := unix.Mmap(-1, 0, n, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_PRIVATE)
	if err != nil {
		return nil, nil, fmt.Errorf("allocate %d bytes: %w", n, err)
	}
	// Write every page once: an untouched page is the kernel's shared zero
	// page, which direct I/O must fault in and pin the slow way each time.
	for i := 0; i < n; i += 4096 {
		b[i] = 0
	}
	return b, func() { unix.Munmap(b) }, nil
}
