package fat

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// labelBytes is how many bytes of the OEM code page a FAT label holds, in
// the boot sector and in the root's label entry alike.
const labelBytes = 11

// LabelError is a volume label FAT cannot hold. Exactly one of its causes
// is set: a character that cannot be stored (Char, at byte Index of Label),
// a byte that is not UTF-8 (NotUTF8, at Index), a leading space
// (LeadingSpace), or too many bytes (Bytes).
type LabelError struct {
	Label        string // the label as given
	Char         rune   // the first character that cannot be stored
	Index        int    // byte offset of Char, or of the byte that is not UTF-8, in Label
	NotUTF8      bool   // Label[Index] starts no UTF-8 character
	Upper        rune   // Char's upper case where upper-casing would silently turn it into this other, storable character (ı into I)
	LeadingSpace bool   // the label starts with a space, which FAT reads as padding
	Bytes        int    // the label's length in code page 437 bytes when it is over labelBytes
}

func (e *LabelError) Error() string {
	const allowed = "a FAT label holds only A-Z, 0-9, space and " + shortChars + " (a-z are stored upper-case)"
	switch {
	case e.Bytes > 0:
		return fmt.Sprintf("%q is %d bytes in code page 437; a FAT label holds at most %d", e.Label, e.Bytes, labelBytes)
	case e.LeadingSpace:
		return fmt.Sprintf("%q starts with a space, which FAT takes for padding", e.Label)
	case e.NotUTF8:
		return fmt.Sprintf("%q: byte %#02x at %d is not UTF-8", e.Label, e.Label[e.Index], e.Index)
	case e.Upper != 0:
		return fmt.Sprintf("%q: character %q (%U) cannot be written in a FAT label: its upper case %q is another letter (write %q if that is meant)",
			e.Label, e.Char, e.Char, e.Upper, e.Upper)
	}
	return fmt.Sprintf("%q: character %q (%U) cannot be written in a FAT label: %s", e.Label, e.Char, e.Char, allowed)
}

// NormalizeLabel returns label as Windows stores it in the boot sector
// ("" is DefaultLabel), or a *LabelError saying why it cannot be a volume
// label. Only A-Z, 0-9, space and the punctuation of 8.3 names are taken,
// at most 11 of them, not starting with a space; a-z are upper-cased, and
// no other character is, since upper-casing would change it (ı into I) or
// give a character that code page 437, the OEM code page the label is
// stored in, does not hold.
func NormalizeLabel(label string) (string, error) {
	if label == "" {
		return DefaultLabel, nil
	}
	var up strings.Builder
	for i, r := range label {
		switch {
		case r == utf8.RuneError && !strings.HasPrefix(label[i:], "\uFFFD"):
			return "", &LabelError{Label: label, Index: i, NotUTF8: true}
		case r >= 'a' && r <= 'z':
			r += 'A' - 'a'
		case r >= utf8.RuneSelf || r != ' ' && !shortChar(byte(r)):
			e := &LabelError{Label: label, Char: r, Index: i}
			if u := unicode.ToUpper(r); u != r && u < utf8.RuneSelf && shortChar(byte(u)) {
				e.Upper = u
			}
			return "", e
		}
		up.WriteRune(r)
	}
	switch {
	case label[0] == ' ':
		return "", &LabelError{Label: label, LeadingSpace: true}
	case up.Len() > labelBytes:
		return "", &LabelError{Label: label, Bytes: up.Len()}
	}
	return up.String(), nil
}

// encodeLabel turns a label into the 11 bytes stored.
func encodeLabel(label string) ([labelBytes]byte, error) {
	var out [labelBytes]byte
	up, err := NormalizeLabel(label)
	if err != nil {
		return out, fmt.Errorf("volume label %w", err)
	}
	copy(out[:], up+strings.Repeat(" ", labelBytes-len(up)))
	return out, nil
}
