package flash

import (
	"testing"
	"unsafe"
)

func TestAlignedBuffer(t *testing.T) {
	for _, n := range []int{4096, 1 << 20, hugePage, 3*hugePage + 4096} {
		b, release, err := alignedBuffer(n)
		if err != nil {
			t.Fatalf("alignedBuffer(%d) = %v", n, err)
		}
		align := uintptr(4096)
		if n >= hugePage {
			align = hugePage
		}
		if len(b) != n || cap(b) != n || uintptr(unsafe.Pointer(&b[0]))%align != 0 {
			t.Errorf("alignedBuffer(%d) = %d bytes (cap %d) at %p; want %d bytes aligned to %d", n, len(b), cap(b), &b[0], n, align)
		}
		for i := range b {
			if b[i] != 0 {
				t.Fatalf("alignedBuffer(%d)[%d] = %d; want 0", n, i, b[i])
			}
			b[i] = byte(i)
		}
		release()
	}
}
