package board

import (
	"fmt"
	"strings"
)

// Auto is the board setting that picks the profile from the device tree's
// model, the default of a new card.
const Auto = "auto"

// FallbackProfile is the profile "auto" is checked against when the model
// is not known (kiosk.toml checked on a PC rather than on a kiosk).
const FallbackProfile = "pi4b"

// models maps the start of a device tree's model to a profile. The boot
// firmware writes its own name with the revision (e.g. "Raspberry Pi 3
// Model B Plus Rev 1.3"); the kernel's DTBs say "Raspberry Pi 3 Model B+".
// The longer prefix of a pair comes first. Boards not listed (Pi 400, Pi
// 500, Compute Modules, Pi 3 A+) have other USB sockets: no profile fits.
var models = []struct{ prefix, profile string }{
	{"Raspberry Pi 3 Model B Plus", "pi3bplus"},
	{"Raspberry Pi 3 Model B+", "pi3bplus"},
	{"Raspberry Pi 3 Model B", "pi3b"},
	{"Raspberry Pi 4 Model B", "pi4b"},
	{"Raspberry Pi 5", "pi5"},
	{"Raspberry Pi Zero 2 W", "pizero2w"},
}

// ForModel returns the profile for a device tree model string (as read from
// /proc/device-tree/model, a trailing NUL allowed), and whether one fits.
func ForModel(model string) (string, bool) {
	model = CleanModel(model)
	for _, m := range models {
		rest, ok := strings.CutPrefix(model, m.prefix)
		// "Raspberry Pi 5" must not take the "Raspberry Pi 500".
		if ok && (rest == "" || rest[0] == ' ') {
			return m.profile, true
		}
	}
	return "", false
}

// CleanModel trims the NUL terminator and spaces of a device tree model.
func CleanModel(model string) string {
	return strings.TrimSpace(strings.TrimRight(model, "\x00"))
}

// Choice says how the profile of a Config was chosen.
type Choice struct {
	Setting  string // the board setting: Auto or a profile name
	Model    string // the device tree's model; "" when not known
	Detected string // the profile Model names; "" when none does
}

// Mismatch reports whether an explicit board disagrees with the model.
func (c Choice) Mismatch() bool {
	return c.Setting != Auto && c.Detected != "" && c.Detected != c.Setting
}

// Describe says in one line how profile was chosen, for the console.
func (c Choice) Describe(profile string) string {
	switch {
	case c.Setting == Auto && c.Model == "":
		return fmt.Sprintf("board %s (auto, no device-tree model to go by)", profile)
	case c.Setting == Auto:
		return fmt.Sprintf("board %s (auto: this is a %s)", profile, c.Model)
	case c.Mismatch():
		return fmt.Sprintf("board %s as kiosk.toml says, but this is a %s, board %s: check the board setting", profile, c.Model, c.Detected)
	case c.Model != "":
		return fmt.Sprintf("board %s (kiosk.toml; this is a %s)", profile, c.Model)
	}
	return fmt.Sprintf("board %s (kiosk.toml)", profile)
}
