package library

import (
	"errors"
	"strings"
	"testing"
)

// TestParseManifestStrict feeds manifests that encoding/json alone would
// accept, taking the last of two keys, a key of another case, or invalid
// UTF-8 replaced: each must be refused with an error naming the key or
// the offset.
func TestParseManifestStrict(t *testing.T) {
	valid := validManifest().marshal(t)
	edit := func(old, new string) string {
		if !strings.Contains(string(valid), old) {
			t.Fatalf("the valid manifest holds no %q", old)
		}
		return strings.Replace(string(valid), old, new, 1)
	}
	tests := []struct {
		name string
		raw  string
		want string
	}{
		{"duplicate top-level key", edit(`"name": "test",`, `"name": "evil", "name": "test",`), `key "name" at offset 35 is in its object twice (first at offset 19)`},
		{"duplicate key in a file", edit(`"size": 1,`, `"size": 999, "size": 1,`), `key "size" at offset `},
		{"duplicate list", edit(`"folders": [`, `"folders": [], "folders": [`), `key "folders" at offset`},
		{"duplicate through an escape", edit(`"name": "test",`, `"n\u0061me": "evil", "name": "test",`), `key "name" at offset 40 is in its object twice (first at offset 19)`},
		{"key of another case", edit(`"files"`, `"Files"`), `key "Files" at offset`},
		{"nested key of another case", edit(`"sha256"`, `"SHA256"`), `key "SHA256" at offset`},
		{"key folding to ASCII", edit(`"size"`, `"ſize"`), `key "ſize" at offset`},
		{"escaped key of another case", edit(`"files"`, `"\u0046iles"`), `key "Files" at offset`},
		{"invalid UTF-8 in the name", edit(`"test"`, "\"te\xffst\""), "invalid UTF-8 at offset 30"},
		{"invalid UTF-8 in a path", edit(`"wiki/a.html"`, "\"wiki/a\xc3.html\""), "invalid UTF-8 at offset"},
		{"invalid UTF-8 between values", edit(`"test",`, "\"test\",\xe2\x82"), "invalid UTF-8 at offset"},
		{"lone surrogate", edit(`"test"`, `"te\ud800st"`), `\ud800 at offset`},
		{"lone low surrogate", edit(`"test"`, `"te\uDC01st"`), `\udc01 at offset`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseManifest([]byte(tt.raw))
			var ce *CorruptManifestError
			if !errors.As(err, &ce) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ParseManifest(%s) = %v; want a *CorruptManifestError containing %q", tt.name, err, tt.want)
			}
		})
	}
	// What the format allows stays allowed: escapes that make valid
	// characters, a surrogate pair, keys repeated in other objects.
	for _, ok := range []string{
		edit(`"test"`, `"t\u00e9st \ud83d\ude00 \"q\""`),
		edit(`"path": "wiki/a.html"`, `"p\u0061th": "wiki/a.html"`),
	} {
		if _, err := ParseManifest([]byte(ok)); err != nil {
			t.Errorf("ParseManifest(%q) = %v; want no error", ok, err)
		}
	}
}
