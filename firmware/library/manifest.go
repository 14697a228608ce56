package library

import (
	"bufio"
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"slices"
	"strconv"
	"strings"
	"sync"
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
// size and hash. Files and folders are each in manifest order: tier
// ascending, then by path, comparing folder by folder (the order of a
// sorted depth-first walk). A Manifest is read-only and safe for use by
// several jobs at once; it keeps every folder's path and every file's name
// once and the rest in flat columns, a few dozen bytes a file beyond them.
type Manifest struct {
	Format int    // FormatVersion
	Name   string // shown to people; not a file name
	Date   string // YYYY-MM-DD, the timestamp of everything on a drive
	Tiers  []Tier // numbered 1..len(Tiers), in priority order

	files   fileTable
	sizes   column[uint32] // FAT holds no file over 4 GiB - 1
	sums    column[[sha256.Size]byte]
	folders pathTable // every empty folder
	// fileEnd[t] and folderEnd[t] are the indexes after the last file
	// and folder of tier t+1: the lists are in tier order.
	fileEnd, folderEnd []int
	counts             []Count // what each tier holds

	sortOnce sync.Once
	byPath   []uint32 // files, then folders (as nFiles+i), in path order: for Lookup
}

// Tier is one priority class of content.
type Tier struct {
	Number int      `json:"tier"`
	Name   string   `json:"name,omitempty"`
	Paths  []string `json:"paths"` // the tiers.toml patterns; "**" for the tier of unlisted files
}

// File is one file of a library.
type File struct {
	Path   string // slash-separated, relative to content/
	Size   int64  // bytes
	SHA256 [sha256.Size]byte
	Tier   int
}

// Folder is an empty folder of a library: a drive reproduces it.
type Folder struct {
	Path string
	Tier int
}

// NumFiles is the number of files the library holds.
func (m *Manifest) NumFiles() int { return m.files.len() }

// File is the i-th file in manifest order, 0 <= i < NumFiles.
func (m *Manifest) File(i int) File {
	return File{Path: m.files.path(i), Size: int64(m.sizes.at(i)), SHA256: *m.sums.ptr(i), Tier: tierOf(m.fileEnd, i)}
}

// folder is the i-th empty folder in manifest order.
func (m *Manifest) folder(i int) Folder {
	return Folder{Path: m.folders.path(i), Tier: tierOf(m.folderEnd, i)}
}

// Files yields every file in manifest order with its index.
func (m *Manifest) Files() iter.Seq2[int, File] {
	return func(yield func(int, File) bool) {
		for i := range m.NumFiles() {
			if !yield(i, m.File(i)) {
				return
			}
		}
	}
}

// Folders yields every empty folder in manifest order.
func (m *Manifest) Folders() iter.Seq[Folder] {
	return func(yield func(Folder) bool) {
		for i := range m.folders.len() {
			if !yield(m.folder(i)) {
				return
			}
		}
	}
}

// tierOf is the tier number of item i of a list whose tiers end at ends.
func tierOf(ends []int, i int) int {
	t, _ := slices.BinarySearch(ends, i+1)
	return t + 1
}

// Lookup finds the file with path p: its index, or false if the library
// holds no such file.
func (m *Manifest) Lookup(p string) (int, bool) {
	i, ok := m.find(p)
	if !ok || i >= m.NumFiles() {
		return 0, false
	}
	return i, true
}

// HasFolder reports whether p is a folder of the library: an empty folder,
// or one that holds a file or empty folder somewhere below it.
func (m *Manifest) HasFolder(p string) bool {
	if i, ok := m.find(p); ok {
		return i >= m.NumFiles()
	}
	// Paths below p follow p+"/" directly in path order, where '/' sorts
	// before any other byte.
	list := m.sorted()
	k, _ := slices.BinarySearchFunc(list, p+"/", func(e uint32, t string) int { return comparePaths(m.pathOf(e), t) })
	return k < len(list) && strings.HasPrefix(m.pathOf(list[k]), p+"/")
}

// find is Lookup over files and empty folders: a folder's index counts
// from NumFiles.
func (m *Manifest) find(p string) (int, bool) {
	list := m.sorted()
	var buf []byte
	k, ok := slices.BinarySearchFunc(list, p, func(e uint32, t string) int {
		buf = m.appendPath(buf[:0], e)
		return comparePaths(buf, t)
	})
	if !ok {
		return 0, false
	}
	return int(list[k]), true
}

// pathOf is the path of a file, or of a folder counted from NumFiles.
func (m *Manifest) pathOf(e uint32) string {
	if n := m.NumFiles(); int(e) >= n {
		return m.folders.path(int(e) - n)
	}
	return m.files.path(int(e))
}

// appendPath appends pathOf(e) to b, which spares building a string to
// compare.
func (m *Manifest) appendPath(b []byte, e uint32) []byte {
	if n := m.NumFiles(); int(e) >= n {
		return append(b, m.folders.path(int(e)-n)...)
	}
	return m.files.appendPath(b, int(e))
}

// sorted is every file and empty folder in path order, made at its first
// use: most jobs look nothing up by path.
func (m *Manifest) sorted() []uint32 {
	m.sortOnce.Do(func() {
		list := make([]uint32, m.NumFiles()+m.folders.len())
		for i := range list {
			list[i] = uint32(i)
		}
		// Each tier is already in path order: the sort merges runs.
		var pa, pb []byte
		slices.SortFunc(list, func(a, b uint32) int {
			pa, pb = m.appendPath(pa[:0], a), m.appendPath(pb[:0], b)
			return comparePaths(pa, pb)
		})
		m.byPath = list
	})
	return m.byPath
}

// ParseManifest parses and checks a manifest strictly: invalid UTF-8, a
// key twice in an object, keys in another case or out of the format's
// order, unknown fields, trailing data, unsafe or FAT-incompatible paths,
// duplicates, bad sizes, hashes, tiers or order are all errors. The error
// is a *CorruptManifestError.
func ParseManifest(data []byte) (*Manifest, error) {
	m, err := readManifest(bytes.NewReader(data), nil)
	if err != nil {
		return nil, &CorruptManifestError{Err: err}
	}
	return m, nil
}

// marshal returns the manifest as indented JSON, the form Build writes.
func (m *Manifest) marshal() ([]byte, error) {
	var b bytes.Buffer
	w, err := newManifestWriter(&b, m.Name, m.Date, m.Tiers)
	if err != nil {
		return nil, err
	}
	for _, f := range m.Files() {
		w.file(f)
	}
	for d := range m.Folders() {
		w.folder(d)
	}
	if err := w.close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// manifestWriter writes a manifest as it is made, file by file, as
// encoding/json's MarshalIndent with two spaces would write it whole: a
// library's manifest is never all in memory.
type manifestWriter struct {
	w       *bufio.Writer
	files   int // files written
	folders int // folders written; -1 before the first folder is begun
	buf     []byte
	err     error
}

func newManifestWriter(w io.Writer, name, date string, tiers []Tier) (*manifestWriter, error) {
	tiers = slices.Clone(tiers)
	for i := range tiers {
		tiers[i].Paths = nonNil(tiers[i].Paths)
	}
	t, err := json.MarshalIndent(nonNil(tiers), "  ", "  ")
	if err != nil {
		return nil, err
	}
	mw := &manifestWriter{w: bufio.NewWriterSize(w, 64<<10), folders: -1}
	b := append(mw.buf[:0], "{\n  \"format\": "...)
	b = strconv.AppendInt(b, FormatVersion, 10)
	b = append(b, ",\n  \"name\": "...)
	b = appendJSON(b, name)
	b = append(b, ",\n  \"date\": "...)
	b = appendJSON(b, date)
	b = append(b, ",\n  \"tiers\": "...)
	b = append(b, t...)
	b = append(b, ",\n  \"files\": ["...)
	mw.write(b)
	return mw, nil
}

// appendJSON appends s as encoding/json writes a string.
func appendJSON(b []byte, s string) []byte {
	q, err := json.Marshal(s)
	if err != nil {
		panic("BUG: a string does not marshal: " + err.Error())
	}
	return append(b, q...)
}

func (mw *manifestWriter) write(b []byte) {
	mw.buf = b[:0]
	if mw.err == nil {
		_, mw.err = mw.w.Write(b)
	}
}

// file adds the next file; all files come before the first folder.
func (mw *manifestWriter) file(f File) {
	b := mw.item(mw.files, f.Path)
	b = append(b, ",\n      \"size\": "...)
	b = strconv.AppendInt(b, f.Size, 10)
	b = append(b, ",\n      \"sha256\": \""...)
	b = hex.AppendEncode(b, f.SHA256[:])
	b = append(b, '"')
	mw.files++
	mw.write(mw.endItem(b, f.Tier))
}

// folder adds the next empty folder.
func (mw *manifestWriter) folder(d Folder) {
	mw.endFiles()
	b := mw.item(mw.folders, d.Path)
	mw.folders++
	mw.write(mw.endItem(b, d.Tier))
}

// item begins the object of the n-th item of a list, with its path.
func (mw *manifestWriter) item(n int, path string) []byte {
	b := mw.buf[:0]
	if n > 0 {
		b = append(b, ',')
	}
	b = append(b, "\n    {\n      \"path\": "...)
	return appendJSON(b, path)
}

// endItem ends an item's object with its tier.
func (mw *manifestWriter) endItem(b []byte, tier int) []byte {
	b = append(b, ",\n      \"tier\": "...)
	b = strconv.AppendInt(b, int64(tier), 10)
	return append(b, "\n    }"...)
}

// endFiles closes the list of files and begins the folders.
func (mw *manifestWriter) endFiles() {
	if mw.folders >= 0 {
		return
	}
	b := mw.buf[:0]
	if mw.files > 0 {
		b = append(b, "\n  "...)
	}
	b = append(b, "],\n  \"folders\": ["...)
	mw.folders = 0
	mw.write(b)
}

// close ends the manifest and flushes it.
func (mw *manifestWriter) close() error {
	mw.endFiles()
	b := mw.buf[:0]
	if mw.folders > 0 {
		b = append(b, "\n  "...)
	}
	b = append(b, "]\n}\n"...)
	mw.write(b)
	if mw.err != nil {
		return mw.err
	}
	return mw.w.Flush()
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

// checkTiers checks a manifest's list of tiers.
func checkTiers(tiers []Tier) error {
	if len(tiers) == 0 {
		return errors.New("no tiers")
	}
	for i, t := range tiers {
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
	return nil
}

// checkItem checks the path, tier and size of a file or folder of a
// manifest of tiers tiers, and its order after prev, the one listed before
// it, if any.
func checkItem(it item, prev *item, tiers int) error {
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
	if prev != nil {
		switch c := compareItems(*prev, it); {
		case c == 0:
			return fmt.Errorf("%s %q is listed twice", what, it.path)
		case c > 0:
			return fmt.Errorf("%s %q is out of order after %q (tier, then path)", what, it.path, prev.path)
		}
	}
	if it.size < 0 || it.size > fat.MaxFileSize {
		return fmt.Errorf("file %q: size %d is outside 0 to %d bytes", it.path, it.size, int64(fat.MaxFileSize))
	}
	return nil
}

// isSHA256 reports whether s is a SHA-256 in lower-case hex.
func isSHA256(s []byte) bool {
	if len(s) != 2*sha256.Size {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
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
	n    int // index among the manifest's files or among its folders
}

// count is the number of files and empty folders, as an itemList.
func (m *Manifest) count() int { return m.NumFiles() + m.folders.len() }

// at is file i, or folder i-NumFiles, as an itemList.
func (m *Manifest) at(i int) item {
	if n := m.NumFiles(); i >= n {
		return item{path: m.folders.path(i - n), dir: true, tier: tierOf(m.folderEnd, i-n), n: i - n}
	}
	return item{path: m.files.path(i), size: int64(m.sizes.at(i)), tier: tierOf(m.fileEnd, i), n: i}
}

// items yields files and folders merged in manifest order; the relative
// order of files among themselves and of folders among themselves is kept.
func (m *Manifest) items() iter.Seq[item] {
	return func(yield func(item) bool) {
		nf, nd := m.NumFiles(), m.folders.len()
		i, j := 0, 0
		for i < nf || j < nd {
			var it item
			if j == nd || i < nf && compareItems(m.at(i), m.at(nf+j)) <= 0 {
				it = m.at(i)
				i++
			} else {
				it = m.at(nf + j)
				j++
			}
			if !yield(it) {
				return
			}
		}
	}
}

// compareItems orders by tier, then path.
func compareItems(a, b item) int {
	return cmp.Or(cmp.Compare(a.tier, b.tier), comparePaths(a.path, b.path))
}

// comparePaths orders slash paths folder by folder: "a/b" before "a-b", as
// a depth-first walk of sorted folders visits them.
func comparePaths[A, B ~string | ~[]byte](a A, b B) int {
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

// Counts returns what each tier holds, indexed by tier number - 1.
func (m *Manifest) Counts() []Count { return slices.Clone(m.counts) }

// Total is what the whole library holds.
func (m *Manifest) Total() Count {
	var total Count
	for _, c := range m.counts {
		total.Files += c.Files
		total.Folders += c.Folders
		total.Bytes += c.Bytes
	}
	return total
}
