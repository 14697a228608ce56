package library

import (
	"bytes"
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// strictChecker checks JSON text, written to it piece by piece as it is
// read, for what encoding/json lets pass: invalid UTF-8 (it would replace
// the bad bytes with U+FFFD without a word, and the manifest signed would
// not say what the manifest read says), a key twice in one object (it takes
// the last), a key that matches a field's name only when case is ignored
// (it takes "Files" and "ſize" for "files" and "size"), and a \u escape of
// half a UTF-16 surrogate pair (it makes U+FFFD of it). The keys of the
// formats are all lower-case ASCII, so any other key is refused. It also
// refuses nesting deeper than maxNesting, which no manifest or signature
// has, so that its memory stays small whatever it is fed.
//
// The checker follows the text's structure without validating it: the
// decoder that reads the same text refuses what is not JSON. Errors give
// byte offsets from the start of the text.
type strictChecker struct {
	off int64 // offset of the next byte

	// A rune cut by the end of the last write, and its offset.
	partial    [utf8.UTFMax]byte
	npartial   int
	partialOff int64

	stack   []keyFrame
	wantKey bool // the next string is a key

	// Inside a string:
	inString  bool
	strStart  int64 // offset of its opening quote
	isKey     bool
	key       []byte // a key's bytes as written, escapes included
	keyEscape bool   // the key holds an escape
	esc       escState
	hex       rune  // the digits of a \u escape so far
	nhex      int   // how many
	high      rune  // a high surrogate waiting for its low half
	highOff   int64 // the offset of its backslash
	escOff    int64 // the offset of the current escape's backslash
}

// escState is where in an escape sequence a string is.
type escState uint8

const (
	escNone      escState = iota
	escBackslash          // after a backslash
	escHex                // in the four hex digits of a \u escape
	escWantSlash          // after a high surrogate: a backslash must follow
	escWantU              // after its backslash: a u must follow
	escLowHex             // in the digits of the low surrogate
)

// maxNesting is how deep the checker follows objects and arrays; a
// manifest is 4 deep.
const maxNesting = 32

// maxKeyLen bounds a key the checker collects; the formats' keys are short.
const maxKeyLen = 64

func (c *strictChecker) Write(p []byte) (int, error) {
	if err := c.checkUTF8(p); err != nil {
		return 0, err
	}
	if err := c.checkStructure(p); err != nil {
		return 0, err
	}
	c.off += int64(len(p))
	return len(p), nil
}

// finish checks the end of the text: no rune cut off.
func (c *strictChecker) finish() error {
	if c.npartial > 0 {
		return fmt.Errorf("invalid UTF-8 at offset %d", c.partialOff)
	}
	return nil
}

func (c *strictChecker) checkUTF8(p []byte) error {
	base := c.off
	if c.npartial > 0 {
		k := 0
		for c.npartial < utf8.UTFMax && k < len(p) && !utf8.FullRune(c.partial[:c.npartial]) {
			c.partial[c.npartial] = p[k]
			c.npartial++
			k++
		}
		if !utf8.FullRune(c.partial[:c.npartial]) {
			return nil
		}
		r, n := utf8.DecodeRune(c.partial[:c.npartial])
		if r == utf8.RuneError && n == 1 {
			return fmt.Errorf("invalid UTF-8 at offset %d", c.partialOff)
		}
		k -= c.npartial - n // bytes taken that belong to the next rune
		c.npartial = 0
		p, base = p[k:], base+int64(k)
	}
	if utf8.Valid(p) {
		return nil
	}
	for i := 0; i < len(p); {
		if p[i] < utf8.RuneSelf {
			i++
			continue
		}
		if !utf8.FullRune(p[i:]) {
			c.npartial = copy(c.partial[:], p[i:])
			c.partialOff = base + int64(i)
			return nil
		}
		r, n := utf8.DecodeRune(p[i:])
		if r == utf8.RuneError && n == 1 {
			return fmt.Errorf("invalid UTF-8 at offset %d", base+int64(i))
		}
		i += n
	}
	return nil
}

func (c *strictChecker) checkStructure(p []byte) error {
	for i := 0; i < len(p); i++ {
		off := c.off + int64(i)
		if c.inString {
			if c.esc == escNone {
				// Skip to the next quote or backslash.
				j := bytes.IndexByte(p[i:], '"')
				if j < 0 {
					j = len(p) - i
				}
				if k := bytes.IndexByte(p[i:i+j], '\\'); k >= 0 {
					j = k
				}
				if c.isKey {
					if len(c.key)+j > maxKeyLen {
						return fmt.Errorf("key %q… at offset %d is not a key of the format, whose keys are short lower-case ASCII words", append(c.key, p[i:i+min(j, maxKeyLen)]...), c.strStart)
					}
					c.key = append(c.key, p[i:i+j]...)
				}
				i += j
				if i == len(p) {
					break
				}
				off = c.off + int64(i)
			}
			if c.isKey && !(c.esc == escNone && p[i] == '"') {
				if len(c.key) == maxKeyLen {
					return fmt.Errorf("key %q… at offset %d is not a key of the format, whose keys are short lower-case ASCII words", c.key, c.strStart)
				}
				c.key = append(c.key, p[i])
			}
			if err := c.stringByte(p[i], off); err != nil {
				return err
			}
			continue
		}
		switch p[i] {
		case '{', '[':
			if len(c.stack) == maxNesting {
				return fmt.Errorf("nested more than %d deep at offset %d", maxNesting, off)
			}
			// Frames are reused, keeping their slices of keys.
			if len(c.stack) < cap(c.stack) {
				c.stack = c.stack[:len(c.stack)+1]
			} else {
				c.stack = append(c.stack, keyFrame{})
			}
			f := &c.stack[len(c.stack)-1]
			f.object, f.keys, f.bytes = p[i] == '{', f.keys[:0], f.bytes[:0]
			c.wantKey = f.object
		case '}', ']':
			if len(c.stack) > 0 {
				c.stack = c.stack[:len(c.stack)-1]
			}
			c.wantKey = false
		case ',':
			c.wantKey = len(c.stack) > 0 && c.stack[len(c.stack)-1].object
		case '"':
			c.inString, c.strStart, c.esc = true, off, escNone
			c.isKey, c.key, c.keyEscape = c.wantKey && len(c.stack) > 0, c.key[:0], false
			c.wantKey = false
		}
	}
	return nil
}

// stringByte takes the next byte of a string, a quote or backslash or a
// byte of an escape, at offset off.
func (c *strictChecker) stringByte(b byte, off int64) error {
	half := func(r rune, at int64) error {
		return fmt.Errorf(`string at offset %d holds \u%04x at offset %d, half of a UTF-16 surrogate pair: not a character`, c.strStart, r, at)
	}
	switch c.esc {
	case escNone:
		if b == '\\' {
			c.esc, c.escOff, c.keyEscape = escBackslash, off, true
			return nil
		}
		// b is the closing quote.
		c.inString = false
		if c.isKey {
			return c.endKey()
		}
	case escBackslash:
		c.esc = escNone
		if b == 'u' {
			c.esc, c.hex, c.nhex = escHex, 0, 0
		}
	case escHex, escLowHex:
		d, ok := hexDigit(b)
		if !ok {
			if c.esc == escLowHex {
				return half(c.high, c.highOff)
			}
			// Not an escape JSON has: the decoder refuses it. The byte
			// is an ordinary one of the string.
			c.esc = escNone
			return c.stringByte(b, off)
		}
		c.hex, c.nhex = c.hex<<4|d, c.nhex+1
		if c.nhex < 4 {
			return nil
		}
		r := c.hex
		if c.esc == escLowHex {
			if r < 0xdc00 || r >= 0xe000 {
				return half(c.high, c.highOff)
			}
			c.esc = escNone
			return nil
		}
		switch {
		case 0xd800 <= r && r < 0xdc00:
			c.esc, c.high, c.highOff = escWantSlash, r, c.escOff
		case 0xdc00 <= r && r < 0xe000:
			return half(r, c.escOff)
		default:
			c.esc = escNone
		}
	case escWantSlash:
		if b != '\\' {
			return half(c.high, c.highOff)
		}
		c.esc = escWantU
	case escWantU:
		if b != 'u' {
			return half(c.high, c.highOff)
		}
		c.esc, c.hex, c.nhex = escLowHex, 0, 0
	}
	return nil
}

// endKey checks a key just ended.
func (c *strictChecker) endKey() error {
	key := c.key
	if c.keyEscape {
		var s string
		if json.Unmarshal(append(append([]byte{'"'}, key...), '"'), &s) != nil {
			return nil // a bad escape: the decoder refuses it
		}
		key = []byte(s)
	}
	return c.stack[len(c.stack)-1].add(key, c.strStart)
}

// hexDigit is the value of a hex digit.
func hexDigit(b byte) (rune, bool) {
	switch {
	case '0' <= b && b <= '9':
		return rune(b - '0'), true
	case 'a' <= b && b <= 'f':
		return rune(b - 'a' + 10), true
	case 'A' <= b && b <= 'F':
		return rune(b - 'A' + 10), true
	}
	return 0, false
}

// keyFrame is an array or object that the checker is in.
type keyFrame struct {
	object bool
	keys   []keyAt // the object's keys so far
	bytes  []byte  // their bytes, one after the other
}

// keyAt is a key of an object, in its frame's bytes, and the offset of
// its opening quote.
type keyAt struct {
	start, end int
	off        int64
}

// maxKeys bounds the keys of one object: the formats' objects have at
// most six, and comparing each key with those before it must stay cheap.
const maxKeys = 16

// add checks a key against the format's rule and against the keys before
// it in its object.
func (f *keyFrame) add(key []byte, off int64) error {
	for _, c := range key {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_') {
			return fmt.Errorf("key %q at offset %d is not a key of the format, whose keys are lower-case ASCII and case-sensitive", key, off)
		}
	}
	if len(f.keys) == maxKeys {
		return fmt.Errorf("key %q at offset %d is one more than the %d an object of the format may have", key, off, maxKeys)
	}
	for _, k := range f.keys {
		if bytes.Equal(f.bytes[k.start:k.end], key) {
			return fmt.Errorf("key %q at offset %d is in its object twice (first at offset %d)", key, off, k.off)
		}
	}
	// The key's bytes are reused for the next string: keep a copy.
	start := len(f.bytes)
	f.bytes = append(f.bytes, key...)
	f.keys = append(f.keys, keyAt{start, len(f.bytes), off})
	return nil
}

// checkStrict runs a strictChecker over the whole of data.
func checkStrict(data []byte) error {
	var c strictChecker
	if _, err := c.Write(data); err != nil {
		return err
	}
	return c.finish()
}
