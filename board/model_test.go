package board

import (
	"errors"
	"strings"
	"testing"
)

func TestForModel(t *testing.T) {
	for _, tc := range []struct {
		model, want string
	}{
		// As the boot firmware writes them (with the revision).
		{"Raspberry Pi 3 Model B Rev 1.2\x00", "pi3b"},
		{"Raspberry Pi 3 Model B Plus Rev 1.3\x00", "pi3bplus"},
		{"Raspberry Pi 4 Model B Rev 1.4\x00", "pi4b"},
		{"Raspberry Pi 5 Model B Rev 1.0\x00", "pi5"},
		{"Raspberry Pi Zero 2 W Rev 1.0\x00", "pizero2w"},
		// As the kernel's own DTBs say (kernel.rpi's bcm27*.dtb).
		{"Raspberry Pi 3 Model B", "pi3b"},
		{"Raspberry Pi 3 Model B+", "pi3bplus"},
		{"Raspberry Pi 4 Model B", "pi4b"},
		{"Raspberry Pi 5", "pi5"},
		{"Raspberry Pi Zero 2 W", "pizero2w"},
		// No profile fits these.
		{"Raspberry Pi 500", ""},
		{"Raspberry Pi 400", ""},
		{"Raspberry Pi 3 Model A+", ""},
		{"Raspberry Pi Compute Module 5", ""},
		{"Raspberry Pi 2 Model B rev 1.2", ""},
		{"linux,dummy-virt", ""},
		{"", ""},
	} {
		got, ok := ForModel(tc.model)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("ForModel(%q) = %q, %v; want %q", tc.model, got, ok, tc.want)
		}
	}
}

func TestParseFor(t *testing.T) {
	const pi3 = "Raspberry Pi 3 Model B Rev 1.2\x00"
	for _, tc := range []struct {
		name, toml, model string
		profile           string // "" when an error is wanted
		err               string
		mismatch          bool
		describe          string
	}{
		{"auto by default", "", pi3, "pi3b", "", false, "board pi3b (auto: this is a Raspberry Pi 3 Model B Rev 1.2)"},
		{"auto said", `board = "auto"`, "Raspberry Pi 5 Model B Rev 1.0", "pi5", "", false, "board pi5 (auto: this is a Raspberry Pi 5 Model B Rev 1.0)"},
		{"auto with overrides", "[pins]\ngo = 26\n", pi3, "pi3b", "", false, ""},
		{"auto off a kiosk", "", "", FallbackProfile, "", false, "board pi4b (auto, no device-tree model to go by)"},
		{"auto on an unknown board", "", "Raspberry Pi 500 Rev 1.0", "",
			`kiosk.toml: board: auto: this board is a "Raspberry Pi 500 Rev 1.0", which no profile fits; set board to one of pi3b, pi3bplus, pi4b, pi5, pizero2w, vm`, false, ""},
		{"explicit agrees", `board = "pi3b"`, pi3, "pi3b", "", false, "board pi3b (kiosk.toml; this is a Raspberry Pi 3 Model B Rev 1.2)"},
		{"explicit disagrees", `board = "pi4b"`, pi3, "pi4b", "", true,
			"board pi4b as kiosk.toml says, but this is a Raspberry Pi 3 Model B Rev 1.2, board pi3b: check the board setting"},
		{"explicit on an unknown model", `board = "vm"`, "linux,dummy-virt", "vm", "", false, "board vm (kiosk.toml; this is a linux,dummy-virt)"},
		{"explicit off a kiosk", `board = "pi5"`, "", "pi5", "", false, "board pi5 (kiosk.toml)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ParseFor("kiosk.toml", []byte(tc.toml), tc.model)
			if tc.err != "" {
				var ce *ConfigError
				if !errors.As(err, &ce) || err.Error() != tc.err {
					t.Fatalf("ParseFor = %v; want ConfigError %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseFor = %v", err)
			}
			if c.Profile.Name != tc.profile {
				t.Errorf("profile %s; want %s", c.Profile.Name, tc.profile)
			}
			if c.Board.Mismatch() != tc.mismatch {
				t.Errorf("Mismatch() = %v; want %v", c.Board.Mismatch(), tc.mismatch)
			}
			if got := c.Board.Describe(c.Profile.Name); tc.describe != "" && got != tc.describe {
				t.Errorf("Describe = %q; want %q", got, tc.describe)
			}
			if strings.Contains(tc.toml, "go = 26") && c.Profile.GO != 26 {
				t.Errorf("the override of pins.go was lost with board auto: GO = %d", c.Profile.GO)
			}
		})
	}
}
