package panel

import "flashkiosk/hal"

// The custom glyph slots Render uses.
const (
	glyphCheck = 6
	glyphCross = 7
	barLevels  = 5 // columns in a cell; glyph slots 0 to 5 are 0 to 5 filled
)

// Glyphs returns the custom characters Render's text refers to with
// hal.GlyphRune: slots 0 to 5 are a progress bar cell with 0 to 5 columns
// filled, slot 6 a check mark, slot 7 a cross.
func Glyphs() [hal.GlyphCount]hal.Glyph {
	var g [hal.GlyphCount]hal.Glyph
	for k := 0; k <= barLevels; k++ {
		fill := byte(0x1F<<(barLevels-k)) & 0x1F
		g[k] = hal.Glyph{0x1F, fill, fill, fill, fill, fill, fill, 0x1F}
	}
	g[glyphCheck] = hal.Glyph{0x00, 0x01, 0x03, 0x16, 0x1C, 0x08, 0x00, 0x00}
	g[glyphCross] = hal.Glyph{0x00, 0x11, 0x0A, 0x04, 0x0A, 0x11, 0x00, 0x00}
	return g
}

// bar draws percent (0 to 100) as n bar cells.
func bar(percent, n int) string {
	if n <= 0 {
		return ""
	}
	percent = clamp(percent, 0, 100)
	filled := percent * n * barLevels / 100
	r := make([]rune, n)
	for i := range r {
		r[i] = hal.GlyphRune(clamp(filled-i*barLevels, 0, barLevels))
	}
	return string(r)
}

func clamp(v, lo, hi int) int {
	return max(lo, min(v, hi))
}
