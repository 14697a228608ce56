package fat

import (
	"errors"
	"testing"
)

// TestNormalizeLabelErrors checks that a refused label is refused for the
// right character, counted in the bytes FAT stores, and with a
// *LabelError that names what is wrong.
func TestNormalizeLabelErrors(t *testing.T) {
	const allowed = "a FAT label holds only A-Z, 0-9, space and $%'-_@~`!(){}^#& (a-z are stored upper-case)"
	for _, tc := range []struct {
		label string
		want  LabelError // Label is filled in
		msg   string
	}{
		{"한국", LabelError{Char: '한'},
			`"한국": character '한' (U+D55C) cannot be written in a FAT label: ` + allowed},
		{"한국어위키", LabelError{Char: '한'},
			`"한국어위키": character '한' (U+D55C) cannot be written in a FAT label: ` + allowed},
		{"ıi", LabelError{Char: 'ı', Upper: 'I'},
			`"ıi": character 'ı' (U+0131) cannot be written in a FAT label: its upper case 'I' is another letter (write 'I' if that is meant)`},
		{"Maße", LabelError{Char: 'ß', Index: 2},
			`"Maße": character 'ß' (U+00DF) cannot be written in a FAT label: ` + allowed},
		{"Library 2026", LabelError{Bytes: 12},
			`"Library 2026" is 12 bytes in code page 437; a FAT label holds at most 11`},
		{" X", LabelError{LeadingSpace: true},
			`" X" starts with a space, which FAT takes for padding`},
		{"a.b", LabelError{Char: '.', Index: 1},
			`"a.b": character '.' (U+002E) cannot be written in a FAT label: ` + allowed},
		{"AB\xffC", LabelError{Index: 2, NotUTF8: true},
			`"AB\xffC": byte 0xff at 2 is not UTF-8`},
		{"A\uFFFD", LabelError{Char: '\uFFFD', Index: 1},
			`"A�": character '�' (U+FFFD) cannot be written in a FAT label: ` + allowed},
	} {
		got, err := NormalizeLabel(tc.label)
		var le *LabelError
		if !errors.As(err, &le) {
			t.Errorf("NormalizeLabel(%q) = %q, %v; want a *LabelError", tc.label, got, err)
			continue
		}
		want := tc.want
		want.Label = tc.label
		if *le != want {
			t.Errorf("NormalizeLabel(%q) error = %+v; want %+v", tc.label, *le, want)
		}
		if err.Error() != tc.msg {
			t.Errorf("NormalizeLabel(%q) error = %s; want %s", tc.label, err, tc.msg)
		}
	}
}
