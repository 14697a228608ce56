package sim

import "strings"

// View is what a simulated panel shows, built from the panel lines it
// sent: for a viewer, a test or the demo, on the other end of the stream.
type View struct {
	LCD    []string            // the display's rows
	Glyphs map[string][]string // the custom glyphs, as Message.Glyphs
	LEDs   map[string]bool     // every LED set so far, by name
}

// NewView returns the view of a blank cols x rows panel.
func NewView(cols, rows int) *View {
	v := &View{Glyphs: map[string][]string{}, LEDs: map[string]bool{}}
	for range rows {
		v.LCD = append(v.LCD, strings.Repeat(" ", cols))
	}
	return v
}

// Apply takes in one line from the panel and reports whether it changed
// what is shown; button lines (another viewer's) change nothing.
func (v *View) Apply(m Message) bool {
	switch {
	case m.LCD != nil:
		v.LCD = m.LCD
		v.Glyphs = m.Glyphs
		return true
	case m.LED != "" && m.On != nil:
		v.LEDs[m.LED] = *m.On
		return true
	}
	return false
}
