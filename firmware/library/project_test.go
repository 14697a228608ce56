package library

import "testing"

func TestNamesProject(t *testing.T) {
	for _, tc := range []struct {
		s    string
		want bool
	}{
		{"flashkiosk", true},
		{"FLASHKIOSK", true},
		{"Flash Kiosk", true},
		{"flash-kiosk_manual.pdf", true},
		{"my.flash.kiosk", true},
		{"kiosk.html", false},
		{"Flash memory.html", false},
		{"flash kiosks", true},
		{"NO NAME", false},
		{"", false},
	} {
		if got := NamesProject(tc.s); got != tc.want {
			t.Errorf("NamesProject(%q) = %v; want %v", tc.s, got, tc.want)
		}
	}
}
