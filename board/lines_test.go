package board

import (
	"reflect"
	"testing"
)

func TestKeyLines(t *testing.T) {
	src := `# a comment: fake = 1
board = "pi4b" # trailing
label = """
x = 1
"""
[pins]
  go = 17
[ports."2"]
green=13
lcd.size = "20x4"
[[extra]]
'Quoted' = 1
`
	want := map[string]int{
		"board": 2, "label": 3, "pins": 6, "pins.go": 7, "ports.2": 8, "ports.2.green": 9,
		"ports.2.lcd.size": 10, "extra": 11, "extra.quoted": 12,
	}
	if got := keyLines(src); !reflect.DeepEqual(got, want) {
		t.Errorf("keyLines(...) = %v; want %v", got, want)
	}
	for _, tc := range []struct {
		field string
		want  int
	}{{"pins.go", 7}, {"pins.info", 6}, {"ports.2.red", 8}, {"lcd.bus", 0}, {"PINS.GO", 7}} {
		if got := lineOf(want, tc.field); got != tc.want {
			t.Errorf("lineOf(%q) = %d; want %d", tc.field, got, tc.want)
		}
	}
}
