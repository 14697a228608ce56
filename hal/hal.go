// Package hal holds the small interfaces through which the kiosk core reaches
// its hardware: LEDs, buttons and a character display. It holds no
// implementations: hal/gpio drives real buttons and LEDs, hal/lcd a real
// HD44780 display, hal/sim a simulated panel.
package hal

import "time"

// LED is one light on the panel.
type LED interface {
	// Set switches the LED on or off.
	Set(on bool) error
}

// ButtonEvent is one debounced change of a button.
type ButtonEvent struct {
	// Pressed is true when the button went down and false when it came up.
	Pressed bool
	// Time is when the change began, read from the button's clock; the
	// debounce delay is not included, so a hold lasts Release.Time -
	// Press.Time.
	Time time.Time
}

// Button is a push button whose presses and releases arrive as debounced
// events. Gestures (short press, long press, two buttons held) are the
// caller's business: it sees the timestamps and keeps its own clock.
type Button interface {
	// Events delivers presses and releases in order, alternating, starting
	// with a press. The channel is closed when the button stops.
	Events() <-chan ButtonEvent
}

// Glyph is a custom 5x8 character: one byte per pixel row, top first, the
// low five bits are the pixels (bit 4 is the leftmost column).
type Glyph [8]byte

// GlyphCount is how many custom glyphs a Display holds at once.
const GlyphCount = 8

// GlyphRune returns the rune that stands for custom glyph slot (0 to
// GlyphCount-1) in text given to Display.Show. The runes are U+E000 to
// U+E007 in Unicode's private use area, so they never clash with real text.
func GlyphRune(slot int) rune {
	return glyphBase + rune(slot)
}

// GlyphSlot reports which custom glyph slot r stands for, if any.
func GlyphSlot(r rune) (slot int, ok bool) {
	if r >= glyphBase && r < glyphBase+GlyphCount {
		return int(r - glyphBase), true
	}
	return 0, false
}

const glyphBase rune = 0xE000

// Display is a character display such as a 16x2 or 20x4 LCD.
type Display interface {
	// Size reports the display's columns and rows.
	Size() (cols, rows int)
	// Show puts lines on the display, one string per row: missing rows are
	// blank, longer lines are cut, shorter ones padded with spaces.
	// Characters the display cannot show are replaced by a placeholder;
	// GlyphRune(n) shows custom glyph n.
	Show(lines []string) error
	// DefineGlyph stores g in custom glyph slot (0 to GlyphCount-1).
	DefineGlyph(slot int, g Glyph) error
}
