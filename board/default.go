package board

import _ "embed"

//go:embed kiosk.toml
var defaultTOML string

// DefaultTOML returns the commented kiosk.toml a new SD card gets: every
// setting at its default, the default board's wiring commented out.
func DefaultTOML() []byte { return []byte(defaultTOML) }

// Default returns the configuration of DefaultTOML.
func Default() *Config {
	c, err := Parse("kiosk.toml", DefaultTOML())
	if err != nil {
		panic("BUG: the default kiosk.toml is bad: " + err.Error())
	}
	return c
}
