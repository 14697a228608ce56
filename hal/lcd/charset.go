package lcd

import "flashkiosk/hal"

// Placeholder is the character shown for a rune the display cannot show.
const Placeholder = '?'

// Map returns the HD44780 ROM A00 character code that shows r:
//   - hal.GlyphRune(n) is custom glyph n (codes 0 to 7);
//   - printable ASCII (U+0020 to U+007D) is itself, except the backslash,
//     which A00 does not have (its code 0x5C shows a yen sign);
//   - the few other characters of A00 listed in romA00 (yen, arrows, degree,
//     some Greek letters and Latin letters with umlauts, a full block);
//   - anything else (control characters, Korean, most of Unicode) is
//     Placeholder.
func Map(r rune) byte {
	if slot, ok := hal.GlyphSlot(r); ok {
		return byte(slot)
	}
	if r >= 0x20 && r <= 0x7d && r != '\\' {
		return byte(r)
	}
	if b, ok := romA00(r); ok {
		return b
	}
	return Placeholder
}

// romA00 returns the code of the characters of ROM A00 outside ASCII that
// are worth having; the katakana are left out.
func romA00(r rune) (byte, bool) {
	switch r {
	case '¥':
		return 0x5c, true
	case '→':
		return 0x7e, true
	case '←':
		return 0x7f, true
	case '°':
		return 0xdf, true
	case 'α':
		return 0xe0, true
	case 'ä':
		return 0xe1, true
	case 'β':
		return 0xe2, true
	case 'ε':
		return 0xe3, true
	case 'µ':
		return 0xe4, true
	case 'σ':
		return 0xe5, true
	case 'ρ':
		return 0xe6, true
	case '√':
		return 0xe8, true
	case 'ñ':
		return 0xee, true
	case 'ö':
		return 0xef, true
	case 'θ':
		return 0xf2, true
	case '∞':
		return 0xf3, true
	case 'Ω':
		return 0xf4, true
	case 'ü':
		return 0xf5, true
	case 'Σ':
		return 0xf6, true
	case 'π':
		return 0xf7, true
	case '÷':
		return 0xfd, true
	case '█':
		return 0xff, true
	}
	return 0, false
}
