package library

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"flashkiosk/firmware/fat"
)

// FormatVersion is the only manifest format this package reads and writes.
const FormatVersion = 1

// The names of a library's parts inside its folder.
const (
	ManifestFile  = "manifest.json"
	SignatureFile = "manifest.sig"
	ContentDir    = "content"
)

// The range of dates a FAT directory entry can hold.
var (
	minDate = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)
	maxDate = time.Date(2107, 12, 31, 0, 0, 0, 0, time.UTC)
)

const dateLayout = "2006-01-02"

// Manifest describes a library: what it holds, in which tier, with which
// size and hash. Files and Folders are each in manifest order: tier
// ascending, then by path, comparing folder by folder (the order of a
// sorted depth-first walk).
type Manifest struct {
	Format  int      `json:"format"`  // FormatVersion
	Name    string   `json:"name"`    // shown to people; not a file name
	Date    string   `json:"date"`    // YYYY-MM-DD, the timestamp of everything on a drive
	Tiers   []Tier   `json:"tiers"`   // numbered 1..len(Tiers), in priority order
	Files   []File   `json:"files"`   // every file
	Folders []Folder `json:"folders"` // every empty folder
}

// Tier is one priority class of content.
type Tier struct {
	Number int      `json:"tier"`
	Name   string   `json:"name,omitempty"`
	Paths  []string `json:"paths"` // the tiers.toml patterns; "**" for the tier of unlisted files
}

// File is one file of a library.
type File struct {
	Path   string `json:"path"`   // slash-separated, relative to content/
	Size   int64  `json:"size"`   // bytes
	SHA256 string `json:"sha256"` // lower-case hex
	Tier   int    `json:"tier"`
}

// Folder is an empty folder of a library: a drive reproduces it.
type Folder struct {
	Path string `json:"path"`
	Tier int    `json:"tier"`
}

// ParseManifest parses and checks a manifest strictly: invalid UTF-8, a
// key twice in an object, keys in another case, unknown fields, trailing
// data, unsafe or FAT-incompatible paths, duplicates, bad sizes,
// hashes, tiers or order are all errors. The error is a
// *CorruptManifestError.
func ParseManifest(data []byte) (*Manifest, error) {
	m, err := parseManifest(data)
	if err != nil {
		return nil, &CorruptManifestError{Err: err}
	}
	return m, nil
}

func parseManifest(data []byte) (*Manifest, error) {
	if err := checkUTF8(data); err != nil {
		return nil, err
	}
	// A manifest of this format with nothing after its JSON value is read
	// in one decode: for a large library, reading it twice costs more than
	// anything else kioskctl write does before writing.
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var m Manifest
	if dec.Decode(&m) == nil && m.Format == FormatVersion && len(bytes.Trim(data[dec.InputOffset():], " \t\r\n")) == 0 {
		return checkedManifest(data, &m)
	}
	return parseBadManifest(data)
}

// parseBadManifest reads a manifest that did not decode as this format
// and says why. The format is read on its own first, so that a newer
// manifest is named as such rather than as one with unknown fields.
// Unmarshal also refuses data after the JSON value, which the Decoder
// would not.
func parseBadManifest(data []byte) (*Manifest, error) {
	var head struct {
		Format *int `json:"format"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, fmt.Errorf("not valid JSON: %w", err)
	}
	if head.Format == nil {
		return nil, errors.New("no format version")
	}
	if *head.Format != FormatVersion {
		return nil, fmt.Errorf("format %d; this program reads format %d", *head.Format, FormatVersion)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var m Manifest
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("not a valid manifest: %w", err)
	}
	return checkedManifest(data, &m)
}

// checkedManifest checks a manifest decoded from data against the
// format's rules, first those that encoding/json does not keep.
func checkedManifest(data []byte, m *Manifest) (*Manifest, error) {
	if err := checkKeys(data); err != nil {
		return nil, err
	}
	if err := m.check(); err != nil {
		return nil, err
	}
	m.Folders = nonNil(m.Folders)
	return m, nil
}

// Marshal returns the manifest as indented JSON, the form Build writes.
func (m *Manifest) Marshal() ([]byte, error) {
	// Empty lists are written as [] so that the format has no null.
	c := *m
	c.Files = nonNil(c.Files)
	c.Folders = nonNil(c.Folders)
	c.Tiers = slices.Clone(c.Tiers)
	for i := range c.Tiers {
		c.Tiers[i].Paths = nonNil(c.Tiers[i].Paths)
	}
	data, err := json.MarshalIndent(&c, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(data, '\n'), nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// ParseDate parses a library date, YYYY-MM-DD, and checks that a FAT
// directory entry can hold it (1980-01-01 to 2107-12-31).
func ParseDate(s string) (time.Time, error) {
	t, err := time.Parse(dateLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("date %q is not a date in the form YYYY-MM-DD", s)
	}
	if err := checkDate(t); err != nil {
		return time.Time{}, err
	}
	return t, nil
}

func checkDate(t time.Time) error {
	if t.Before(minDate) || t.After(maxDate) {
		return fmt.Errorf("date %s is outside what FAT can store (%s to %s)",
			t.Format(dateLayout), minDate.Format(dateLayout), maxDate.Format(dateLayout))
	}
	return nil
}

// checkLabel checks a name or tier name shown to people.
func checkLabel(what, s string, empty bool) error {
	switch {
	case s == "" && !empty:
		return fmt.Errorf("%s is empty", what)
	case !utf8.ValidString(s):
		return fmt.Errorf("%s %q is not valid UTF-8", what, s)
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		return fmt.Errorf("%s %q holds a control character", what, s)
	case len(s) > 200:
		return fmt.Errorf("%s is %d bytes long; at most 200 are allowed", what, len(s))
	}
	return nil
}

// check enforces every rule of the format on a decoded manifest.
func (m *Manifest) check() error {
	if err := checkLabel("library name", m.Name, false); err != nil {
		return err
	}
	if _, err := ParseDate(m.Date); err != nil {
		return err
	}
	if len(m.Tiers) == 0 {
		return errors.New("no tiers")
	}
	for i, t := range m.Tiers {
		if t.Number != i+1 {
			return fmt.Errorf("tier %d is listed as number %d; tiers are numbered 1, 2, … in order", i+1, t.Number)
		}
		if err := checkLabel(fmt.Sprintf("tier %d name", t.Number), t.Name, true); err != nil {
			return err
		}
		if len(t.Paths) == 0 {
			return fmt.Errorf("tier %d has no paths", t.Number)
		}
		for _, p := range t.Paths {
			if _, err := parsePattern(p); err != nil {
				return fmt.Errorf("tier %d: %w", t.Number, err)
			}
		}
	}
	if len(m.Files) == 0 {
		return errors.New("no files")
	}
	files := make([]item, len(m.Files))
	for i, f := range m.Files {
		files[i] = item{path: f.Path, size: f.Size, tier: f.Tier}
	}
	folders := make([]item, len(m.Folders))
	for i, d := range m.Folders {
		folders[i] = item{path: d.Path, dir: true, tier: d.Tier}
	}
	for _, list := range [][]item{files, folders} {
		if err := checkItems(list, len(m.Tiers)); err != nil {
			return err
		}
	}
	for _, f := range m.Files {
		if !isSHA256(f.SHA256) {
			return fmt.Errorf("file %q: SHA-256 %q is not 64 lower-case hex digits", f.Path, f.SHA256)
		}
	}
	return checkTree(m.items())
}

// checkItems checks the paths, tiers, sizes and order of a list of files or
// of folders.
func checkItems(list []item, tiers int) error {
	for i, it := range list {
		what := "file"
		if it.dir {
			what = "folder"
		}
		if err := fat.CheckPath(it.path); err != nil {
			return fmt.Errorf("%s %w", what, err)
		}
		if it.tier < 1 || it.tier > tiers {
			return fmt.Errorf("%s %q: tier %d does not exist (the manifest has tiers 1 to %d)", what, it.path, it.tier, tiers)
		}
		if i > 0 && compareItems(list[i-1], it) == 0 {
			return fmt.Errorf("%s %q is listed twice", what, it.path)
		}
		if i > 0 && compareItems(list[i-1], it) > 0 {
			return fmt.Errorf("%s %q is out of order after %q (tier, then path)", what, it.path, list[i-1].path)
		}
		if it.size < 0 || it.size > fat.MaxFileSize {
			return fmt.Errorf("file %q: size %d is outside 0 to %d bytes", it.path, it.size, int64(fat.MaxFileSize))
		}
	}
	return nil
}

func isSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !('0' <= s[i] && s[i] <= '9' || 'a' <= s[i] && s[i] <= 'f') {
			return false
		}
	}
	return true
}

// item is a file or an empty folder, as the manifest lists and Fit takes them.
type item struct {
	path string
	size int64
	dir  bool
	tier int
	n    int // index in Manifest.Files or Manifest.Folders
}

// items merges files and folders into one list in manifest order; the
// relative order of files among themselves and of folders among themselves
// is kept, so a misordered manifest stays misordered for check to find.
func (m *Manifest) items() []item {
	out := make([]item, 0, len(m.Files)+len(m.Folders))
	i, j := 0, 0
	for i < len(m.Files) || j < len(m.Folders) {
		var f, d item
		if i < len(m.Files) {
			f = item{path: m.Files[i].Path, size: m.Files[i].Size, tier: m.Files[i].Tier, n: i}
		}
		if j < len(m.Folders) {
			d = item{path: m.Folders[j].Path, dir: true, tier: m.Folders[j].Tier, n: j}
		}
		if j == len(m.Folders) || i < len(m.Files) && compareItems(f, d) <= 0 {
			out = append(out, f)
			i++
		} else {
			out = append(out, d)
			j++
		}
	}
	return out
}

// compareItems orders by tier, then path.
func compareItems(a, b item) int {
	return cmp.Or(cmp.Compare(a.tier, b.tier), comparePaths(a.path, b.path))
}

// comparePaths orders slash paths folder by folder: "a/b" before "a-b", as
// a depth-first walk of sorted folders visits them.
func comparePaths(a, b string) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		ca, cb := a[i], b[i]
		switch {
		case ca == cb:
			continue
		case ca == '/':
			return -1
		case cb == '/':
			return 1
		}
		return cmp.Compare(ca, cb)
	}
	return cmp.Compare(len(a), len(b))
}

// Count is what a tier, or a part of it, holds.
type Count struct {
	Files   int
	Folders int   // empty folders
	Bytes   int64 // of the files
}

func (c *Count) add(it item) {
	if it.dir {
		c.Folders++
	} else {
		c.Files++
		c.Bytes += it.size
	}
}

// Counts returns what each tier of a checked manifest holds, indexed by
// tier number - 1.
func (m *Manifest) Counts() []Count {
	counts := make([]Count, len(m.Tiers))
	for _, it := range m.items() {
		counts[it.tier-1].add(it)
	}
	return counts
}

// Total is what the whole library holds.
func (m *Manifest) Total() Count {
	var total Count
	for _, it := range m.items() {
		total.add(it)
	}
	return total
}
