package library

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// A manifest is read as a stream, file by file, straight into its compact
// form: a library of a million files has a manifest of about 190 MB, which
// is never held in memory, nor a tree of a million decoded structs.
// encoding/json reads the JSON; a strictChecker sees every byte on the way
// and refuses what encoding/json would let pass; the rules of the format
// are checked on each file as it comes.

// manifestKeys are the keys of a manifest, in the order they must come.
var manifestKeys = []string{"format", "name", "date", "tiers", "files", "folders"}

// readManifest reads and checks a manifest from r, writing every byte it
// reads to sum too (if not nil), so that the caller can hash exactly what
// was parsed. An error reading r is returned as it is; any other is a
// reason the manifest is corrupt.
func readManifest(r io.Reader, sum io.Writer) (*Manifest, error) {
	in := &manifestInput{r: r, sum: sum}
	dec := json.NewDecoder(in)
	dec.DisallowUnknownFields()
	p := &manifestParser{dec: dec, in: in, m: &Manifest{}}
	if err := p.parse(); err != nil {
		var re *readError
		if errors.As(err, &re) {
			return nil, re.err
		}
		return nil, err
	}
	return p.m, nil
}

// manifestInput passes what it reads through the strict checker and to
// the hash.
type manifestInput struct {
	r     io.Reader
	sum   io.Writer
	check strictChecker
	err   error // sticky
}

// readError is an error reading the manifest, not one in it.
type readError struct{ err error }

func (e *readError) Error() string { return e.err.Error() }

// strictError is the strict checker's reason for refusing the text.
type strictError struct{ err error }

func (e *strictError) Error() string { return e.err.Error() }

func (in *manifestInput) Read(b []byte) (int, error) {
	if in.err != nil {
		return 0, in.err
	}
	n, err := in.r.Read(b)
	if n > 0 {
		if in.sum != nil {
			in.sum.Write(b[:n])
		}
		if _, cerr := in.check.Write(b[:n]); cerr != nil {
			in.err = &strictError{cerr}
			return 0, in.err
		}
	}
	switch {
	case err == io.EOF:
		if cerr := in.check.finish(); cerr != nil {
			in.err = &strictError{cerr}
			return 0, in.err
		}
	case err != nil:
		in.err = &readError{err}
		return 0, in.err
	}
	return n, err
}

type manifestParser struct {
	dec *json.Decoder
	in  *manifestInput
	m   *Manifest
}

// fileJSON is a file as the manifest lists it.
type fileJSON struct {
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 hexSum `json:"sha256"`
	Tier   int    `json:"tier"`
}

// folderJSON is an empty folder as the manifest lists it.
type folderJSON struct {
	Path string `json:"path"`
	Tier int    `json:"tier"`
}

// hexSum decodes a SHA-256 in lower-case hex without keeping the text,
// and keeps what else it was given for the error.
type hexSum struct {
	sum  [32]byte
	ok   bool
	text string
}

func (h *hexSum) UnmarshalText(b []byte) error {
	if h.ok = isSHA256(b); h.ok {
		hex.Decode(h.sum[:], b)
		return nil
	}
	if len(b) > 100 {
		b = append(b[:100:100], "…"...)
	}
	h.text = string(b)
	return nil
}

// token reads the next token, saying what is wrong if there is none.
func (p *manifestParser) token() (json.Token, error) {
	t, err := p.dec.Token()
	return t, p.explain(err)
}

// decode reads the next value into v, saying what is wrong if it cannot.
func (p *manifestParser) decode(v any) error {
	return p.explain(p.dec.Decode(v))
}

// explain turns an error of the decoder into a reason the manifest is
// corrupt; the checker's reasons and read errors stay as they are.
func (p *manifestParser) explain(err error) error {
	var se *json.SyntaxError
	var re *readError
	var ce *strictError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ce):
		return ce.err
	case errors.As(err, &re):
		return err
	case errors.As(err, &se), err == io.EOF, err == io.ErrUnexpectedEOF:
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			err = errors.New("unexpected end of JSON input")
		}
		return fmt.Errorf("not valid JSON: %w", err)
	}
	return fmt.Errorf("not a valid manifest: %w", err)
}

func (p *manifestParser) parse() error {
	m := p.m
	t, err := p.token()
	if err != nil {
		return err
	}
	if t != json.Delim('{') {
		return errors.New("not a valid manifest: not a JSON object")
	}
	seen := make([]bool, len(manifestKeys))
	last := -1
	for p.dec.More() {
		t, err := p.token()
		if err != nil {
			return err
		}
		key, _ := t.(string)
		k := slices.Index(manifestKeys, key)
		switch {
		case k < 0:
			return fmt.Errorf("not a valid manifest: json: unknown field %q", key)
		case last < 0 && k != 0:
			return errors.New("no format version")
		case k <= last:
			return fmt.Errorf("not a valid manifest: key %q comes after %q; the keys are in the order %s", key, manifestKeys[last], strings.Join(manifestKeys, ", "))
		}
		last, seen[k] = k, true
		switch key {
		case "format":
			if err := p.decode(&m.Format); err != nil {
				return err
			}
			if m.Format != FormatVersion {
				return fmt.Errorf("format %d; this program reads format %d", m.Format, FormatVersion)
			}
		case "name":
			if err := p.decode(&m.Name); err != nil {
				return err
			}
			if err := checkLabel("library name", m.Name, false); err != nil {
				return err
			}
		case "date":
			if err := p.decode(&m.Date); err != nil {
				return err
			}
			if _, err := ParseDate(m.Date); err != nil {
				return err
			}
		case "tiers":
			if err := p.decode(&m.Tiers); err != nil {
				return err
			}
			if err := checkTiers(m.Tiers); err != nil {
				return err
			}
			m.counts = make([]Count, len(m.Tiers))
		case "files", "folders":
			if err := p.list(key == "folders"); err != nil {
				return err
			}
		}
	}
	if _, err := p.token(); err != nil { // the closing brace
		return err
	}
	if err := p.end(); err != nil {
		return err
	}
	switch {
	case !seen[0]:
		return errors.New("no format version")
	case !seen[1]:
		return checkLabel("library name", "", false)
	case !seen[2]:
		_, err := ParseDate("")
		return err
	case !seen[3]:
		return errors.New("no tiers")
	case !seen[4] || m.NumFiles() == 0:
		return errors.New("no files")
	}
	m.Tiers = nonNil(m.Tiers)
	m.files.seal()
	m.folders.seal()
	return checkTree(m)
}

// end checks that nothing but white space follows the manifest's object.
func (p *manifestParser) end() error {
	rest := io.MultiReader(p.dec.Buffered(), p.in)
	buf := make([]byte, 4096)
	for {
		n, err := rest.Read(buf)
		for _, c := range buf[:n] {
			if !strings.ContainsRune(" \t\r\n", rune(c)) {
				return fmt.Errorf("not valid JSON: invalid character %q after top-level value", c)
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return p.explain(err)
		}
	}
}

// list reads the list of files, or of folders, checking each as it comes
// and adding it to the manifest. Without tiers before them, the items are
// only decoded: the manifest is refused for lacking tiers at its end.
func (p *manifestParser) list(folders bool) error {
	m := p.m
	t, err := p.token()
	if err != nil {
		return err
	}
	switch {
	case t == nil: // null: an empty list
		return nil
	case t != json.Delim('['):
		return fmt.Errorf("not a valid manifest: %s is not a list", map[bool]string{false: "files", true: "folders"}[folders])
	}
	var prev item
	n := 0
	ends := &m.fileEnd
	if folders {
		ends = &m.folderEnd
	}
	for p.dec.More() {
		var it item
		var sum hexSum
		if folders {
			var d folderJSON
			if err := p.decode(&d); err != nil {
				return err
			}
			it = item{path: d.Path, dir: true, tier: d.Tier}
		} else {
			var f fileJSON
			if err := p.decode(&f); err != nil {
				return err
			}
			it, sum = item{path: f.Path, size: f.Size, tier: f.Tier}, f.SHA256
		}
		if m.Tiers == nil {
			continue
		}
		before := &prev
		if n == 0 {
			before = nil
		}
		if err := checkItem(it, before, len(m.Tiers)); err != nil {
			return err
		}
		if !folders && !sum.ok {
			return fmt.Errorf("file %q: SHA-256 %q is not 64 lower-case hex digits", it.path, sum.text)
		}
		for len(*ends) < it.tier-1 {
			*ends = append(*ends, n)
		}
		if folders {
			m.folders.add(it.path)
		} else {
			m.files.add(it.path)
			m.sizes.add(uint32(it.size))
			m.sums.add(sum.sum)
		}
		m.counts[it.tier-1].add(it)
		prev = it
		n++
	}
	for len(*ends) < len(m.Tiers) {
		*ends = append(*ends, n)
	}
	_, err = p.token() // the closing bracket
	return err
}
