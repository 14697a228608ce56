package board

import (
	"errors"
	"testing"
)

// FuzzParse checks that any file either parses to a valid profile or
// fails with a *ConfigError whose LCD form fits a 16-character line.
func FuzzParse(f *testing.F) {
	f.Add(DefaultTOML())
	f.Add([]byte("board = \"pi3b\"\n[ports.2]\ngreen = 23\npaths = [\"1-1.3\"]\n[lcd]\nsize = \"20x4\"\n"))
	f.Add([]byte("[pins]\ngo = 27\n"))
	f.Add([]byte("label = \"a.b\"\nmin_size = \"1.5GiB\"\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("kiosk.toml", data)
		if err != nil {
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("Parse(%q) = %v; want a *ConfigError", data, err)
			}
			if s := ce.Short(16); len(s) > 16 {
				t.Fatalf("Parse(%q).Short(16) = %q; want at most 16 characters", data, s)
			}
			return
		}
		if err := c.Profile.Validate(); err != nil {
			t.Fatalf("Parse(%q).Profile.Validate() = %v; want nil", data, err)
		}
	})
}
