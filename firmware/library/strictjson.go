package library

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"
)

// checkUTF8 refuses data that is not valid UTF-8: encoding/json would
// replace the bad bytes with U+FFFD without a word, and the manifest
// signed would not say what the manifest read says.
func checkUTF8(data []byte) error {
	if utf8.Valid(data) {
		return nil
	}
	for i := 0; i < len(data); {
		r, n := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && n == 1 {
			return fmt.Errorf("invalid UTF-8 at offset %d", i)
		}
		i += n
	}
	return errors.New("BUG: invalid UTF-8 not found")
}

// checkKeys checks what encoding/json lets pass in a document it decoded
// without error: a key twice in one object (it takes the last), a key that
// matches a field's name only when case is ignored (it takes "Files" and
// "ſize" for "files" and "size"), and a \u escape of half a UTF-16
// surrogate pair (it makes U+FFFD of it). The keys of the format are all
// lower-case ASCII, so any other key is refused. The walk is one pass over
// data, allocating only for keys with escapes; data must be JSON that
// encoding/json decoded, so its structure is sound and every object holds
// only keys of the format.
func checkKeys(data []byte) error {
	var stack []keyFrame
	wantKey := false
	for i := 0; i < len(data); i++ {
		switch data[i] {
		case '{', '[':
			// Frames are reused, keeping their slices of keys.
			if len(stack) < cap(stack) {
				stack = stack[:len(stack)+1]
			} else {
				stack = append(stack, keyFrame{})
			}
			f := &stack[len(stack)-1]
			f.object, f.keys = data[i] == '{', f.keys[:0]
			wantKey = f.object
		case '}', ']':
			if len(stack) == 0 {
				return fmt.Errorf("BUG: unbalanced %q at offset %d", data[i], i)
			}
			stack = stack[:len(stack)-1]
			wantKey = false
		case ',':
			wantKey = len(stack) > 0 && stack[len(stack)-1].object
		case '"':
			end, escaped, err := stringEnd(data, i)
			if err != nil {
				return err
			}
			if wantKey {
				key := data[i+1 : end]
				if escaped {
					var s string
					if err := json.Unmarshal(data[i:end+1], &s); err != nil {
						return fmt.Errorf("BUG: key at offset %d: %w", i, err)
					}
					key = []byte(s)
				}
				if err := stack[len(stack)-1].add(key, i); err != nil {
					return err
				}
				wantKey = false
			}
			i = end
		}
	}
	return nil
}

// keyFrame is an array or object that checkKeys is in.
type keyFrame struct {
	object bool
	keys   []keyAt // the object's keys so far
}

// keyAt is a key of an object and the offset of its opening quote.
type keyAt struct {
	key []byte
	off int
}

// add checks a key against the format's rule and against the keys before
// it in its object. Comparing it with each is linear overall: the object
// decoded, so each of its keys is one of the few of the format, and the
// first one seen twice ends the walk.
func (f *keyFrame) add(key []byte, off int) error {
	for _, c := range key {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_') {
			return fmt.Errorf("key %q at offset %d is not a key of the format, whose keys are lower-case ASCII and case-sensitive", key, off)
		}
	}
	for _, k := range f.keys {
		if bytes.Equal(k.key, key) {
			return fmt.Errorf("key %q at offset %d is in its object twice (first at offset %d)", key, off, k.off)
		}
	}
	f.keys = append(f.keys, keyAt{key, off})
	return nil
}

// stringEnd returns the offset of the quote that ends the JSON string
// whose opening quote is at data[start], whether it holds an escape, and
// an error for a \u escape of an unpaired UTF-16 surrogate.
func stringEnd(data []byte, start int) (end int, escaped bool, err error) {
	for i := start + 1; i < len(data); i++ {
		switch data[i] {
		case '"':
			return i, escaped, nil
		case '\\':
			escaped = true
			if i+1 < len(data) && data[i+1] == 'u' {
				r, ok := hex4(data, i+2)
				switch {
				case !ok:
				case 0xd800 <= r && r < 0xdc00:
					if lo, ok := hex4(data, i+8); ok && data[i+6] == '\\' && data[i+7] == 'u' && 0xdc00 <= lo && lo < 0xe000 {
						i += 6
						break
					}
					return 0, false, fmt.Errorf(`string at offset %d holds \u%04x at offset %d, half of a UTF-16 surrogate pair: not a character`, start, r, i)
				case 0xdc00 <= r && r < 0xe000:
					return 0, false, fmt.Errorf(`string at offset %d holds \u%04x at offset %d, half of a UTF-16 surrogate pair: not a character`, start, r, i)
				}
			}
			i++
		}
	}
	return 0, false, fmt.Errorf("BUG: string at offset %d has no end", start)
}

// hex4 reads four hex digits at data[i:], if there are four.
func hex4(data []byte, i int) (rune, bool) {
	if i+4 > len(data) {
		return 0, false
	}
	var r rune
	for _, c := range data[i : i+4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}
