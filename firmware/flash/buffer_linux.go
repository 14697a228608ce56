package flash

import (
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"
)

// hugePage is the size of a transparent huge page on amd64 and on arm64
// with 4 KiB pages.
const hugePage = 2 << 20

// alignedBuffer returns n bytes of page-aligned memory outside the Go heap,
// as direct I/O needs, and a function that frees it. Buffers of a huge page
// or more are aligned to one and asked to be backed by huge pages: direct
// I/O pins the pages of its buffer for every transfer, and a few huge
// pages pin (and fault in) much faster than thousands of small ones. Where
// the kernel has no transparent huge pages, small pages serve the same.
func alignedBuffer(n int) ([]byte, func(), error) {
	if n < hugePage {
		b, err := mapAnon(n)
		if err != nil {
			return nil, nil, err
		}
		touch(b)
		return b, func() { unix.Munmap(b) }, nil
	}
	whole, err := mapAnon(n + hugePage)
	if err != nil {
		return nil, nil, err
	}
	start := 0
	if rem := int(uintptr(unsafe.Pointer(&whole[0])) % hugePage); rem != 0 {
		start = hugePage - rem
	}
	b := whole[start : start+n : start+n]
	unix.Madvise(b, unix.MADV_HUGEPAGE) // a hint: small pages still work
	touch(b)
	return b, func() { unix.Munmap(whole) }, nil
}

func mapAnon(n int) ([]byte, error) {
	b, err := unix.Mmap(-1, 0, n, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_PRIVATE)
	if err != nil {
		return nil, fmt.Errorf("allocate %d bytes: %w", n, err)
	}
	return b, nil
}

// touch writes every page once: an untouched page is the kernel's shared
// zero page, which direct I/O must fault in and pin the slow way each time.
func touch(b []byte) {
	for i := 0; i < len(b); i += 4096 {
		b[i] = 0
	}
}
