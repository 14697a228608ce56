package board

import (
	"fmt"
	"strings"
)

// DefaultLabel is the label Windows stores for a volume without one.
const DefaultLabel = "NO NAME"

// labelChars are the characters besides A-Z, 0-9 and space a FAT volume
// label may hold. This repeats the rule of firmware/fat's encodeLabel
// (unexported there) so that a bad label is named at its line in
// kiosk.toml rather than when the first drive is planned; a test checks
// the two agree through fat.Plan.
const labelChars = "$%'-_@~`!(){}^#&"

// NormalizeLabel returns label as Windows stores it (upper-cased; "" is
// DefaultLabel), or why it cannot be a volume label: at most 11
// characters, not starting with a space, 8.3 characters only.
func NormalizeLabel(label string) (string, error) {
	if label == "" {
		return DefaultLabel, nil
	}
	up := strings.ToUpper(label)
	if len(up) > 11 || strings.HasPrefix(up, " ") {
		return "", fmt.Errorf("%q: at most 11 characters, not starting with a space", label)
	}
	for i := 0; i < len(up); i++ {
		c := up[i]
		if c != ' ' && !(c >= 'A' && c <= 'Z') && !(c >= '0' && c <= '9') && strings.IndexByte(labelChars, c) < 0 {
			return "", fmt.Errorf("%q: character %q is not allowed (A-Z, 0-9, space and %s)", label, c, labelChars)
		}
	}
	return up, nil
}
