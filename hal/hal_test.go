package hal

import "testing"

func TestGlyphRune(t *testing.T) {
	for slot := 0; slot < GlyphCount; slot++ {
		r := GlyphRune(slot)
		if r < 0xE000 || r > 0xF8FF {
			t.Errorf("GlyphRune(%d) = %U; want a rune in the private use area", slot, r)
		}
		if got, ok := GlyphSlot(r); !ok || got != slot {
			t.Errorf("GlyphSlot(GlyphRune(%d)) = %d, %v; want %d, true", slot, got, ok, slot)
		}
	}
	for _, r := range []rune{'A', 0, 0xDFFF, GlyphRune(0) - 1, GlyphRune(GlyphCount-1) + 1, '한'} {
		if slot, ok := GlyphSlot(r); ok {
			t.Errorf("GlyphSlot(%U) = %d, true; want false", r, slot)
		}
	}
}
