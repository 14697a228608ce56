package panel

import (
	"fmt"
	"testing"

	"flashkiosk/hal"
)

func TestGlyphsFiveBits(t *testing.T) {
	for slot, g := range Glyphs() {
		for row, b := range g {
			if b&^0x1F != 0 {
				t.Errorf("Glyphs()[%d][%d] = %#02x; want only the low 5 bits", slot, row, b)
			}
		}
	}
}

func TestGlyphsDistinct(t *testing.T) {
	seen := map[hal.Glyph]int{}
	for slot, g := range Glyphs() {
		if other, ok := seen[g]; ok {
			t.Errorf("Glyphs()[%d] = Glyphs()[%d]; want distinct glyphs", slot, other)
		}
		seen[g] = slot
	}
}

func TestGlyphsBarFill(t *testing.T) {
	g := Glyphs()
	for k := 0; k <= barLevels; k++ {
		want := byte(0x1F<<(barLevels-k)) & 0x1F
		if got := g[k][3]; got != want {
			t.Errorf("Glyphs()[%d][3] = %05b; want %05b (%d columns from the left)", k, got, want, k)
		}
	}
}

func TestBar(t *testing.T) {
	tests := []struct {
		percent, n int
		want       []int
	}{
		{0, 4, []int{0, 0, 0, 0}},
		{50, 4, []int{5, 5, 0, 0}},
		{45, 4, []int{5, 4, 0, 0}},
		{100, 4, []int{5, 5, 5, 5}},
		{150, 2, []int{5, 5}},
		{-5, 2, []int{0, 0}},
		{99, 1, []int{4}},
		{20, 1, []int{1}},
		{50, 0, nil},
	}
	for _, tt := range tests {
		var got []int
		for _, r := range bar(tt.percent, tt.n) {
			slot, ok := hal.GlyphSlot(r)
			if !ok {
				t.Fatalf("bar(%d, %d) holds %U; want only glyph runes", tt.percent, tt.n, r)
			}
			got = append(got, slot)
		}
		if fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("bar(%d, %d) = %v; want %v", tt.percent, tt.n, got, tt.want)
		}
	}
}
