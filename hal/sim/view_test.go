package sim

import (
	"slices"
	"testing"
)

// TestView builds the view from panel lines: display, LEDs, and button
// lines that change nothing.
func TestView(t *testing.T) {
	on, off := true, false
	tests := []struct {
		line    Message
		changed bool
		lcd     []string
		leds    map[string]bool
	}{
		{Message{LCD: []string{"P1 READY, GO", "P2 empty"}}, true, []string{"P1 READY, GO", "P2 empty"}, map[string]bool{}},
		{Message{LED: "1.green", On: &on}, true, []string{"P1 READY, GO", "P2 empty"}, map[string]bool{"1.green": true}},
		{Message{Button: "go", Pressed: &on}, false, []string{"P1 READY, GO", "P2 empty"}, map[string]bool{"1.green": true}},
		{Message{LED: "1.green", On: &off}, true, []string{"P1 READY, GO", "P2 empty"}, map[string]bool{"1.green": false}},
		{Message{Press: "info", MS: 100}, false, []string{"P1 READY, GO", "P2 empty"}, map[string]bool{"1.green": false}},
	}
	v := NewView(16, 2)
	if !slices.Equal(v.LCD, []string{"                ", "                "}) {
		t.Fatalf("NewView(16, 2).LCD = %q; want two blank rows of 16", v.LCD)
	}
	for i, tc := range tests {
		if got := v.Apply(tc.line); got != tc.changed {
			t.Errorf("line %d: Apply(%+v) = %v; want %v", i, tc.line, got, tc.changed)
		}
		if !slices.Equal(v.LCD, tc.lcd) || len(v.LEDs) != len(tc.leds) {
			t.Errorf("line %d: view %q %v; want %q %v", i, v.LCD, v.LEDs, tc.lcd, tc.leds)
		}
		for name, want := range tc.leds {
			if v.LEDs[name] != want {
				t.Errorf("line %d: LED %s = %v; want %v", i, name, v.LEDs[name], want)
			}
		}
	}
}
