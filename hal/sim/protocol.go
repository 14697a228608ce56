package sim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"flashkiosk/hal"
)

// Prefix starts every panel line; lines without it are not the panel's.
const Prefix = "@panel "

// Message is one panel line, in either direction. Only the fields of one
// kind of line are set: LCD (with Glyphs), LED and On, Button and Pressed,
// or Press and MS.
type Message struct {
	// LCD is the whole display, one string per row.
	LCD []string `json:"lcd,omitempty"`
	// Glyphs holds the defined custom glyphs by slot, as GlyphRows encodes
	// them.
	Glyphs map[string][]string `json:"glyphs,omitempty"`
	// LED names the LED that changed to On.
	LED string `json:"led,omitempty"`
	// On is the LED's new state.
	On *bool `json:"on,omitempty"`
	// Button names a button that went down (Pressed true) or up.
	Button string `json:"button,omitempty"`
	// Pressed is the button's new state.
	Pressed *bool `json:"pressed,omitempty"`
	// Press names a button to press, hold for MS milliseconds and release.
	Press string `json:"press,omitempty"`
	// MS is how long a Press holds the button.
	MS int `json:"ms,omitempty"`
	// Sync asks the panel to send the display and every LED set so far,
	// for a viewer that joins late.
	Sync bool `json:"sync,omitempty"`
}

// Encode returns m as a panel line: Prefix, the JSON object and a newline.
func Encode(m Message) []byte {
	b, err := json.Marshal(m)
	if err != nil {
		panic("BUG: sim.Message does not marshal: " + err.Error())
	}
	out := make([]byte, 0, len(Prefix)+len(b)+1)
	out = append(out, Prefix...)
	out = append(out, b...)
	return append(out, '\n')
}

// Decode parses one line, with or without its line ending. ok is false for
// a line that is not a panel line or holds an empty object (nothing to do);
// err is set for a panel line that does not parse or mixes kinds of line.
func Decode(line []byte) (m Message, ok bool, err error) {
	line = bytes.TrimRight(line, "\r\n")
	rest, found := bytes.CutPrefix(line, []byte(Prefix))
	if !found {
		return Message{}, false, nil
	}
	rest = bytes.TrimSpace(rest)
	if len(rest) == 0 {
		return Message{}, false, nil
	}
	dec := json.NewDecoder(bytes.NewReader(rest))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return Message{}, false, fmt.Errorf("panel line %s: %w", quoteLine(line), err)
	}
	if dec.More() {
		return Message{}, false, fmt.Errorf("panel line %s: text after the object", quoteLine(line))
	}
	switch kinds := m.kinds(); len(kinds) {
	case 0:
		return Message{}, false, nil
	case 1:
		return m, true, nil
	default:
		return Message{}, false, fmt.Errorf("panel line %s: mixes %s", quoteLine(line), strings.Join(kinds, " and "))
	}
}

// quoteLine quotes a line for an error, cut to its first 100 bytes.
func quoteLine(line []byte) string {
	if len(line) <= 100 {
		return strconv.Quote(string(line))
	}
	return fmt.Sprintf("%q… (%d bytes)", line[:100], len(line))
}

// Kind names the kind of line m is: "lcd", "led", "button", "press" or
// "sync"; it is "" for an empty message or one that mixes kinds.
func (m Message) Kind() string {
	if k := m.kinds(); len(k) == 1 {
		return k[0]
	}
	return ""
}

// kinds lists the kinds of line whose fields m sets.
func (m Message) kinds() []string {
	var k []string
	if m.LCD != nil || m.Glyphs != nil {
		k = append(k, "lcd")
	}
	if m.LED != "" || m.On != nil {
		k = append(k, "led")
	}
	if m.Button != "" || m.Pressed != nil {
		k = append(k, "button")
	}
	if m.Press != "" || m.MS != 0 {
		k = append(k, "press")
	}
	if m.Sync {
		k = append(k, "sync")
	}
	return k
}

// GlyphRows encodes g as eight rows, top first, of five characters each:
// '#' for a lit pixel and '.' for a dark one, leftmost column first.
func GlyphRows(g hal.Glyph) []string {
	rows := make([]string, len(g))
	for i, b := range g {
		var s strings.Builder
		for bit := 4; bit >= 0; bit-- {
			if b&(1<<bit) != 0 {
				s.WriteByte('#')
			} else {
				s.WriteByte('.')
			}
		}
		rows[i] = s.String()
	}
	return rows
}

// ParseGlyph decodes rows as GlyphRows writes them.
func ParseGlyph(rows []string) (hal.Glyph, error) {
	var g hal.Glyph
	if len(rows) != len(g) {
		return g, fmt.Errorf("glyph has %d rows; want %d", len(rows), len(g))
	}
	for i, r := range rows {
		if len(r) != 5 {
			return g, fmt.Errorf("glyph row %d is %q; want 5 of '#' and '.'", i, r)
		}
		for j := 0; j < 5; j++ {
			switch r[j] {
			case '#':
				g[i] |= 1 << (4 - j)
			case '.':
			default:
				return g, fmt.Errorf("glyph row %d is %q; want 5 of '#' and '.'", i, r)
			}
		}
	}
	return g, nil
}

// glyphKey is the key of slot in Message.Glyphs.
func glyphKey(slot int) string { return strconv.Itoa(slot) }
