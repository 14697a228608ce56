package fat

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// Limits on names and paths that the volume and the systems reading it can hold.
const (
	// MaxNameLen is the longest long file name, in UTF-16 code units.
	MaxNameLen = 255
	// MaxPathLen is the longest path below the volume root, in UTF-16 code
	// units; longer paths exceed Windows' MAX_PATH and cannot be opened there.
	MaxPathLen = 255
	// MaxDepth is the most path components a file may have (folders plus
	// the file itself).
	MaxDepth = 32
	// MaxFileSize is the largest file FAT32 can hold (4 GiB - 1).
	MaxFileSize = 1<<32 - 1
	// maxDirEntries is the most 32-byte entries one directory may hold.
	maxDirEntries = 65536
)

// NameError says why a name or path cannot be stored on a FAT32 volume.
type NameError struct {
	Path   string // the path as given
	Reason string // why it cannot be stored
}

func (e *NameError) Error() string {
	return fmt.Sprintf("%q: %s", e.Path, e.Reason)
}

// reservedDevices are names Windows maps to devices, with or without an
// extension; a file so named cannot be opened on Windows.
var reservedDevices = map[string]bool{
	"CON": true, "PRN": true, "AUX": true, "NUL": true,
	"COM1": true, "COM2": true, "COM3": true, "COM4": true, "COM5": true,
	"COM6": true, "COM7": true, "COM8": true, "COM9": true,
	"LPT1": true, "LPT2": true, "LPT3": true, "LPT4": true, "LPT5": true,
	"LPT6": true, "LPT7": true, "LPT8": true, "LPT9": true,
}

// CheckName reports whether name is a valid long file name for one path
// component. The returned error is a *NameError.
func CheckName(name string) error {
	bad := func(reason string, args ...any) error {
		return &NameError{Path: name, Reason: fmt.Sprintf(reason, args...)}
	}
	switch {
	case name == "":
		return bad("empty name")
	case name == "." || name == "..":
		return bad("%q is not a file name", name)
	case !utf8.ValidString(name):
		return bad("not valid UTF-8")
	}
	for _, r := range name {
		if r < 0x20 {
			return bad("control character %U is not allowed", r)
		}
		if strings.ContainsRune(`"*/:<>?\|`, r) {
			return bad("character %q is not allowed on FAT (none of \" * / : < > ? \\ |)", r)
		}
	}
	if strings.HasSuffix(name, ".") || strings.HasSuffix(name, " ") {
		return bad("ends with a dot or space, which FAT drops")
	}
	if n := utf16Len(name); n > MaxNameLen {
		return bad("name is %d UTF-16 units long; FAT allows %d", n, MaxNameLen)
	}
	base, _, _ := strings.Cut(name, ".")
	if reservedDevices[strings.ToUpper(strings.TrimRight(base, " "))] {
		return bad("%q is a reserved device name on Windows", base)
	}
	return nil
}

// CheckPath reports whether p, a slash-separated path relative to the volume
// root, can be stored: every component valid, depth and length in limits.
// The returned error is a *NameError.
func CheckPath(p string) error {
	if p == "" || strings.HasPrefix(p, "/") || strings.HasSuffix(p, "/") {
		return &NameError{Path: p, Reason: "not a relative slash-separated path"}
	}
	if depth := strings.Count(p, "/") + 1; depth > MaxDepth {
		return &NameError{Path: p, Reason: fmt.Sprintf("%d levels deep; at most %d are allowed", depth, MaxDepth)}
	}
	if n := utf16Len(p); n > MaxPathLen {
		return &NameError{Path: p, Reason: fmt.Sprintf("path is %d UTF-16 units long; at most %d fit Windows' MAX_PATH", n, MaxPathLen)}
	}
	for rest := p; ; {
		part, tail, more := strings.Cut(rest, "/")
		if err := CheckName(part); err != nil {
			return &NameError{Path: p, Reason: fmt.Sprintf("component %q: %s", part, err.(*NameError).Reason)}
		}
		if !more {
			return nil
		}
		rest = tail
	}
}

// Fold returns the form under which FAT compares names: two names in one
// folder with the same Fold are the same file to Windows.
func Fold(name string) string {
	return strings.Map(unicode.ToUpper, name)
}

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// shortChars are the characters besides A-Z and 0-9 allowed in an 8.3 name.
const shortChars = "$%'-_@~`!(){}^#&"

// shortName is the 8.3 form chosen for a long name.
type shortName struct {
	name   [11]byte // space-padded base and extension, as stored
	lcase  byte     // NT case flags: 0x08 base lower, 0x10 extension lower
	exact  bool     // the long name is this short name (modulo case flags)
	basis  string   // the long name's base as 8.3 characters, when not exact
	ext    string   // extension of the generated names, when not exact
	sum    uint16   // Windows' checksum of the long name, when not exact
	nolong bool     // no long-name entries are needed
}

// newShortName derives the 8.3 form of a valid long name as Windows'
// fastfat does (FatSelectNames, RtlGenerate8dot3Name): a name that is 8.3
// already keeps that form, and needs no long entries if each part is in
// one case; any other name (one with a space too) gets generated names,
// which candidate gives in Windows' order. See docs/anonymity.md.
func newShortName(long string) shortName {
	var s shortName
	if base, ext, ok := fitsShort(long); ok {
		s.exact = true
		copy(s.name[:], blank)
		upperInto(s.name[:8], base)
		upperInto(s.name[8:], ext)
		if s.nolong = oneCase(base, ext); s.nolong {
			if _, bl := letterCases(base); bl {
				s.lcase |= 0x08
			}
			if _, el := letterCases(ext); el {
				s.lcase |= 0x10
			}
		}
		return s
	}
	trimmed := strings.TrimLeft(long, ". ")
	base, ext := trimmed, ""
	if i := strings.LastIndexByte(trimmed, '.'); i >= 0 {
		base, ext = trimmed[:i], trimmed[i+1:]
	}
	s.basis = shortPart(base, 6)
	s.ext = shortPart(ext, 3)
	s.sum = nameChecksum(long)
	return s
}

// blank is an 8.3 name of spaces only, which names are padded from.
const blank = "           "

// upperInto copies the ASCII string s into b, upper-casing letters.
func upperInto(b []byte, s string) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		b[i] = c
	}
}

// oneCase reports whether neither the base nor the extension of an 8.3
// name mixes upper-case and lower-case letters, so that the case flags of
// its short entry can say how it is written.
func oneCase(base, ext string) bool {
	bu, bl := letterCases(base)
	eu, el := letterCases(ext)
	return !(bu && bl) && !(eu && el)
}

// fitsShort reports whether long is already a valid 8.3 name, returning
// its parts.
func fitsShort(long string) (base, ext string, ok bool) {
	base, ext, dot := strings.Cut(long, ".")
	if base == "" || len(base) > 8 || len(ext) > 3 || (dot && ext == "") || strings.Contains(ext, ".") {
		return "", "", false
	}
	for _, part := range []string{base, ext} {
		for i := 0; i < len(part); i++ {
			if !shortChar(part[i]) {
				return "", "", false
			}
		}
	}
	return base, ext, true
}

func shortChar(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.IndexByte(shortChars, c) >= 0
}

// letterCases reports whether s has upper-case and lower-case ASCII letters.
func letterCases(s string) (upper, lower bool) {
	for i := 0; i < len(s); i++ {
		upper = upper || s[i] >= 'A' && s[i] <= 'Z'
		lower = lower || s[i] >= 'a' && s[i] <= 'z'
	}
	return upper, lower
}

// shortPart maps s to at most n upper-case 8.3 characters as
// RtlGenerate8dot3Name does: spaces, dots and characters outside the OEM
// code page (taken as code page 437's ASCII part) are dropped, the ASCII
// characters 8.3 cannot hold ("*+,/:;<=>?[\]| and ") become '_'.
func shortPart(s string, n int) string {
	var b strings.Builder
	b.Grow(n)
	for _, r := range s {
		if b.Len() == n {
			break
		}
		switch {
		case r <= ' ' || r == '.' || r >= utf8.RuneSelf:
		case shortChar(byte(r)):
			b.WriteByte(byte(unicode.ToUpper(r)))
		default:
			b.WriteByte('_')
		}
	}
	return b.String()
}

// nameChecksum is the checksum RtlGenerate8dot3Name puts, as four hex
// digits, into the short names of a long name whose first four ~N are
// taken (or whose base has at most two 8.3 characters), computed over the
// UTF-16 units of the long name as given. Checked against names Windows
// wrote (TestNameChecksum).
func nameChecksum(long string) uint16 {
	var sum uint16
	var units [2]uint16
	for _, r := range long {
		for _, u := range utf16.AppendRune(units[:0], r) {
			sum = sum*0x25 + u
		}
	}
	t := int32(uint32(sum) * 314159269)
	if t < 0 {
		t = -t
	}
	sum = uint16(t % 1000000007)
	return sum>>12 | sum>>4&0x00F0 | sum<<4&0x0F00 | sum<<12
}

// candidate returns the k-th short name (k from 1) that Windows tries for
// a long name that is not 8.3: basis~1 to basis~4 with the basis cut to
// six characters, then two characters of it, the checksum in hex and ~1,
// ~2, and so on; a basis of at most two characters gets the checksum from
// the first. It reports false when k is too large for 8.3.
func (s shortName) candidate(k int) ([11]byte, bool) {
	var out [11]byte
	var buf [8]byte
	stem := append(buf[:0], s.basis...)
	if len(s.basis) <= 2 || k > 4 {
		if len(s.basis) > 2 {
			k -= 4
		}
		const hex = "0123456789ABCDEF"
		stem = append(stem[:min(len(s.basis), 2)], hex[s.sum>>12], hex[s.sum>>8&15], hex[s.sum>>4&15], hex[s.sum&15])
	}
	var tbuf [24]byte
	tail := strconv.AppendInt(append(tbuf[:0], '~'), int64(k), 10)
	if len(tail) > 7 {
		return out, false
	}
	copy(out[:], blank)
	n := copy(out[:8], stem[:min(len(stem), 8-len(tail))])
	copy(out[n:8], tail)
	copy(out[8:], s.ext)
	return out, true
}

// slots is how many 32-byte directory entries a name takes.
func slots(long string) int {
	if base, ext, ok := fitsShort(long); ok && oneCase(base, ext) {
		return 1
	}
	return 1 + (utf16Len(long)+12)/13
}

// entryName is how a child is named in its folder's entries.
type entryName struct {
	short [11]byte
	lcase byte // NT case flags
	long  bool // long-name entries precede the short entry
}

// shortNames gives every child of folder d, whose names are given in copy
// order, a unique 8.3 form: names that are 8.3 already keep theirs, the
// others get the first of Windows' candidates that is free, in the order of
// the folder's entries (the order they are created in). It depends on every
// name in the folder, so a stream computes it for a folder while it renders
// the folder's clusters.
func shortNames(d *dirNode, names []string) ([]entryName, error) {
	out := make([]entryName, len(names))
	taken := make(map[[11]byte]bool, len(names))
	forms := make([]shortName, len(names))
	for i, name := range names {
		forms[i] = newShortName(name)
		if forms[i].exact {
			taken[forms[i].name] = true
		}
	}
	// The ~1 to ~4 of a basis are tried in turn by every name that has
	// it, so a folder of many such names is not quadratic.
	type basis struct{ base, ext string }
	plain := map[basis]int{}
	for i, s := range forms {
		out[i] = entryName{short: s.name, lcase: s.lcase, long: !s.nolong}
		if s.exact {
			continue
		}
		key := basis{s.basis, s.ext}
		k := 1
		if len(s.basis) > 2 {
			k = plain[key] + 1
		}
		for ; ; k++ {
			name, ok := s.candidate(k)
			if !ok {
				return nil, fmt.Errorf("plan: folder %q: no free short name for %q", d.path, names[i])
			}
			if !taken[name] {
				taken[name], out[i].short = true, name
				if k <= 4 && len(s.basis) > 2 {
					plain[key] = k
				} else if len(s.basis) > 2 {
					plain[key] = 4
				}
				break
			}
		}
	}
	return out, nil
}
