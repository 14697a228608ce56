package library

import (
	"errors"
	"fmt"
	"os"
	"path"
	"regexp"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"

	"flashkiosk/firmware/regfile"
)

// TiersFile is the optional file in a source folder's top that sorts its
// content into tiers. It is not itself content.
//
//	[[tier]]
//	name = "core"
//	paths = ["index.html", "wiki/**"]
//
//	[[tier]]
//	name = "films"
//	paths = ["films"]
//
// Tiers are listed in priority order. A pattern matches a file's whole
// slash path: "**" stands for any number of folders (none included), any
// other segment is a path.Match pattern, and a pattern that matches a folder
// covers everything below it. The first tier with a matching pattern takes
// a file; files no pattern matches go to one more tier after the listed
// ones.
const TiersFile = "tiers.toml"

// catchAll is the pattern of the tier that takes unlisted files.
const catchAll = "**"

// readTiers reads a source's tiers.toml: nil, and no error, if it does not
// exist. The tiers are numbered from 1; errors are *SourceError, wrapping
// a *regfile.NotRegularError or *regfile.TooLargeError for a file that is
// not a regular one of at most MaxTiersSize bytes.
func readTiers(file string) ([]Tier, error) {
	// A link is refused, as the scan of the source refuses links.
	data, err := regfile.ReadFile(file, regfile.Refuse, MaxTiersSize)
	var notRegular *regfile.NotRegularError
	var tooLarge *regfile.TooLargeError
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil, nil
	case errors.As(err, &notRegular):
		return nil, &SourceError{Path: file, Err: err,
			Reason: fmt.Sprintf("is %s, not a regular file: make it a plain text file", notRegular.Kind)}
	case errors.As(err, &tooLarge):
		return nil, &SourceError{Path: file, Err: err,
			Reason: fmt.Sprintf("is %d bytes; a tiers file may hold at most %d", tooLarge.Size, tooLarge.Limit)}
	case err != nil:
		return nil, &SourceError{Path: file, Reason: errText(err), Err: err}
	}
	return parseTiers(data, file)
}

// parseTiers parses the contents of a tiers.toml read from file, which
// names it in errors; they are *SourceError.
func parseTiers(data []byte, file string) ([]Tier, error) {
	text := string(data)
	if line := tooDeep(text); line > 0 {
		return nil, &SourceError{Path: file, Line: line,
			Reason: fmt.Sprintf("nested deeper than a tiers file is (at most %d levels of [ and {, and %d dots outside strings on a line)", maxTOMLDepth, maxTOMLDepth)}
	}
	var doc struct {
		Tier []struct {
			Name  string   `toml:"name"`
			Paths []string `toml:"paths"`
		} `toml:"tier"`
	}
	md, err := toml.Decode(text, &doc)
	if err != nil {
		return nil, tomlError(file, err)
	}
	if keys := md.Undecoded(); len(keys) > 0 {
		k := keys[0]
		return nil, &SourceError{Path: file, Line: keyLine(text, k[len(k)-1]),
			Reason: fmt.Sprintf("unknown key %q: a [[tier]] table takes only name and paths", k.String())}
	}
	tiers := make([]Tier, len(doc.Tier))
	for i, t := range doc.Tier {
		n := i + 1
		if err := checkLabel("name", t.Name, true); err != nil {
			return nil, &SourceError{Path: file, Reason: fmt.Sprintf("tier %d: %v", n, err)}
		}
		if len(t.Paths) == 0 {
			return nil, &SourceError{Path: file, Reason: fmt.Sprintf(`tier %d has no paths: give it paths = ["folder", "file.html", "pattern/**"]`, n)}
		}
		for _, p := range t.Paths {
			if _, err := parsePattern(p); err != nil {
				return nil, &SourceError{Path: file, Line: stringLine(text, p), Reason: fmt.Sprintf("tier %d: %v", n, err)}
			}
		}
		tiers[i] = Tier{Number: n, Name: t.Name, Paths: t.Paths}
	}
	return tiers, nil
}

// maxTOMLDepth bounds how deep a tiers file nests: "[[tier]]" is 2.
const maxTOMLDepth = 4

// tooDeep returns the first line of the TOML text on which arrays, tables
// and inline tables are open more than maxTOMLDepth deep, or which holds
// more than maxTOMLDepth dots outside strings and comments (dotted keys
// and table names, as in a.b.c = 1), or 0. github.com/BurntSushi/toml takes
// time and memory quadratic in such depth: a 30 kB tiers.toml of inline
// tables 5,000 deep made it allocate 3 GB.
func tooDeep(text string) int {
	line, depth, dots := 1, 0, 0
	for i := 0; i < len(text); i++ {
		switch c := text[i]; c {
		case '\n':
			line, dots = line+1, 0
		case '#':
			for i+1 < len(text) && text[i+1] != '\n' {
				i++
			}
		case '"', '\'':
			q := text[i : i+1]
			if strings.HasPrefix(text[i:], q+q+q) {
				q = q + q + q
			}
			// To the closing quote, or, for a one-line string that does
			// not end (TOML refuses it), to the end of the line.
			j := i + len(q)
			for j < len(text) && !strings.HasPrefix(text[j:], q) && (len(q) == 3 || text[j] != '\n') {
				if c == '"' && text[j] == '\\' {
					j++
				}
				j++
			}
			line += strings.Count(text[i+len(q):min(j, len(text))], "\n")
			if j < len(text) && text[j] == '\n' {
				i = j - 1
			} else {
				i = j + len(q) - 1
			}
		case '[', '{':
			if depth++; depth > maxTOMLDepth {
				return line
			}
		case ']', '}':
			depth = max(depth-1, 0)
		case '.':
			if dots++; dots > maxTOMLDepth {
				return line
			}
		}
	}
	return 0
}

// tomlError turns a TOML decoding error into a *SourceError with its line.
func tomlError(file string, err error) error {
	msg := strings.TrimPrefix(err.Error(), "toml: ")
	m := tomlErrorRE.FindStringSubmatch(msg)
	if m == nil {
		return &SourceError{Path: file, Reason: msg}
	}
	line, _ := strconv.Atoi(m[1])
	reason := m[3]
	if m[2] != "" {
		reason = fmt.Sprintf("%s: %s", m[2], reason)
	}
	return &SourceError{Path: file, Line: line, Reason: reason}
}

// tomlErrorRE takes apart the errors of github.com/BurntSushi/toml:
// line, last key (if any), message.
var tomlErrorRE = regexp.MustCompile(`^line (\d+)(?: \(last key "(.*?)"\))?: (.*)$`)

// keyLine is the first line of text that sets key, or 0.
func keyLine(text, key string) int {
	for i, line := range strings.Split(text, "\n") {
		k, _, ok := strings.Cut(strings.TrimSpace(line), "=")
		if ok && strings.Trim(strings.TrimSpace(k), `"'`) == key {
			return i + 1
		}
	}
	return 0
}

// stringLine is the first line of text holding s as a TOML string, or 0.
func stringLine(text, s string) int {
	for i, line := range strings.Split(text, "\n") {
		if strings.Contains(line, strconv.Quote(s)) || strings.Contains(line, "'"+s+"'") {
			return i + 1
		}
	}
	return 0
}

// pattern is a parsed tiers.toml pattern: its segments.
type pattern []string

// parsePattern checks a pattern and splits it into segments.
func parsePattern(s string) (pattern, error) {
	bad := func(why string) error { return fmt.Errorf("pattern %q: %s", s, why) }
	if s == "" || strings.HasPrefix(s, "/") || strings.HasSuffix(s, "/") {
		return nil, bad("not a relative slash-separated path")
	}
	var p pattern
	for _, seg := range strings.Split(s, "/") {
		switch {
		case seg == "" || seg == "." || seg == "..":
			return nil, bad(fmt.Sprintf("segment %q is not allowed", seg))
		case seg == "**":
			if len(p) > 0 && p[len(p)-1] == "**" {
				continue
			}
		case strings.Contains(seg, "**"):
			return nil, bad(`"**" must be a whole segment, as in "wiki/**/*.html"`)
		default:
			if _, err := path.Match(seg, ""); err != nil {
				return nil, bad(fmt.Sprintf("segment %q: %v", seg, err))
			}
		}
		p = append(p, seg)
	}
	return p, nil
}

// covers reports whether p matches the slash path name or a folder above it.
func (p pattern) covers(name string) bool {
	segs := strings.Split(name, "/")
	// match[i] says whether p[:k] matches segs[:i], for the k of the
	// current round; rounds go through p one segment at a time.
	match := make([]bool, len(segs)+1)
	match[0] = true
	for _, ps := range p {
		next := make([]bool, len(segs)+1)
		for i := range next {
			switch {
			case ps == "**":
				next[i] = match[i] || i > 0 && next[i-1]
			case i > 0 && match[i-1]:
				next[i], _ = path.Match(ps, segs[i-1])
			}
		}
		match = next
	}
	for _, m := range match[1:] {
		if m {
			return true
		}
	}
	return false
}

// assignTiers sets the tier of every item of list with set: the first
// listed tier with a pattern that covers it, else the last tier, which is
// one after the listed ones if any file is unlisted. It returns the
// manifest's tiers, and an error for a pattern that covers nothing, which
// is most likely a typo that would silently move content out of its tier.
func assignTiers(listed []Tier, list itemList, set func(i, tier int)) ([]Tier, error) {
	pats := make([][]pattern, len(listed))
	used := make([][]bool, len(listed))
	for i, t := range listed {
		used[i] = make([]bool, len(t.Paths))
		for _, s := range t.Paths {
			p, err := parsePattern(s)
			if err != nil {
				return nil, fmt.Errorf("BUG: tier %d: %w", t.Number, err)
			}
			pats[i] = append(pats[i], p)
		}
	}
	unlisted := false
	for k := range list.count() {
		it := list.at(k)
		tier := 0
		for i := range pats {
			for j, p := range pats[i] {
				if p.covers(it.path) {
					used[i][j] = true
					if tier == 0 {
						tier = i + 1
					}
				}
			}
		}
		set(k, tier)
		unlisted = unlisted || tier == 0 && !it.dir
	}
	for i, t := range listed {
		for j, s := range t.Paths {
			if !used[i][j] {
				return nil, fmt.Errorf("tier %d: pattern %q matches nothing in the source", t.Number, s)
			}
		}
	}
	tiers := append([]Tier(nil), listed...)
	if unlisted || len(tiers) == 0 {
		tiers = append(tiers, Tier{Number: len(tiers) + 1, Paths: []string{catchAll}})
	}
	for k := range list.count() {
		if list.at(k).tier == 0 {
			set(k, len(tiers))
		}
	}
	return tiers, nil
}
