package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"flashkiosk/firmware/fat"
)

// idFields are the byte ranges of a produced stick that hold its random
// identifiers, for a volume at 1 MiB: the MBR's disk signature and the
// volume serial of the boot sector and of its backup in sector 6.
var idFields = [][2]int64{
	{440, 444},
	{1<<20 + 67, 1<<20 + 71},
	{1<<20 + 6*512 + 67, 1<<20 + 6*512 + 71},
}

// TestSticksUnlinkable writes one library to two image files of one size
// as kioskctl write does (probe, wipe, volume) and compares them whole:
// they differ in nothing but the disk signature and the volume serial,
// which differ between the two. Neither holds, in ASCII or UTF-16, the
// project's name, the host's or user's name, a Go source path, the
// library's folder on this PC, or a time of the writing.
func TestSticksUnlinkable(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", filepath.Join(dir, "cache"))
	writeFiles(t, dir, map[string]string{
		"src/index.html":                         "<h1>위키</h1>",
		"src/위키백과/대문.html":                       strings.Repeat("대한민국 ", 2000),
		"src/films/Documentary Part 1.mp4":       strings.Repeat("frame", 30000),
		"src/films/Documentary Part 2.mp4":       strings.Repeat("frame", 20000),
		"src/films/Documentary Part 10.mp4":      strings.Repeat("frame", 10000),
		"src/films/Documentary Part 11.mp4":      strings.Repeat("frame", 1000),
		"src/films/Documentary Part 12.mp4":      "frame",
		"src/films/readme.txt":                   "films",
		"src/tiers.toml":                         "[[tier]]\npaths = [\"index.html\", \"위키백과\"]\n",
		"src/wiki/A very long article name.html": strings.Repeat("<p>x</p>", 500),
	})
	imgs := []string{filepath.Join(dir, "a.img"), filepath.Join(dir, "b.img")}
	for _, img := range imgs {
		if err := os.WriteFile(img, bytes.Repeat([]byte("DONOR "), 1<<20), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Truncate(img, 64<<20); err != nil {
			t.Fatal(err)
		}
	}
	runSteps(t, dir, []step{
		{"library build --src DIR/src --out DIR/lib --date 2026-11-25", 0, nil, ""},
		{"write --library DIR/lib DIR/a.img", 0, []string{"done: "}, ""},
		{"write --library DIR/lib DIR/b.img", 0, []string{"done: "}, ""},
	})
	a, err := os.ReadFile(imgs[0])
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(imgs[1])
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != len(b) {
		t.Fatalf("the images are %d and %d bytes", len(a), len(b))
	}
	inID := func(off int64) bool {
		for _, r := range idFields {
			if off >= r[0] && off < r[1] {
				return true
			}
		}
		return false
	}
	var diffs []string
	for off := range int64(len(a)) {
		if a[off] != b[off] && !inID(off) {
			if diffs = append(diffs, fmt.Sprintf("%d: %#02x %#02x", off, a[off], b[off])); len(diffs) == 10 {
				break
			}
		}
	}
	if len(diffs) > 0 {
		t.Errorf("two sticks of one library differ outside their IDs, at (first ten):\n%s", strings.Join(diffs, "\n"))
	}
	for _, r := range idFields {
		if bytes.Equal(a[r[0]:r[1]], b[r[0]:r[1]]) {
			t.Errorf("both sticks hold % x at %d: an ID must be random per stick", a[r[0]:r[1]], r[0])
		}
	}
	if !bytes.Equal(a[1<<20+67:1<<20+71], a[1<<20+6*512+67:1<<20+6*512+71]) {
		t.Errorf("the backup boot sector's volume serial differs from the boot sector's")
	}

	host, _ := os.Hostname()
	words := []string{"flashkiosk", "kiosk", "DONOR", "go/pkg", ".go\x00", "golang", "/tmp", dir}
	if u, err := user.Current(); err == nil {
		words = append(words, u.Username, u.HomeDir)
	}
	if len(host) >= 4 {
		words = append(words, host)
	}
	now := time.Now()
	words = append(words, now.Format("2006-01-02"), now.Format("20060102"), now.Format("02.01.2006"))
	for _, w := range words {
		for _, form := range [][]byte{[]byte(w), utf16le(w)} {
			if i := bytes.Index(bytes.ToLower(a), bytes.ToLower(form)); i >= 0 {
				t.Errorf("the stick holds %q at byte %d", w, i)
			}
		}
	}

	// Every time on the volume comes from the library, none from the
	// writing: files keep the library's date as their source's, and the
	// copy that made them began in the 14 days after it.
	v, err := fat.OpenVolume(bytes.NewReader(a), int64(len(a)))
	if err != nil {
		t.Fatal(err)
	}
	date := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	made := map[time.Time]bool{}
	n := 0
	fs.WalkDir(v, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			t.Fatal(err)
		}
		if p == "." {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			t.Fatal(err)
		}
		n++
		for _, w := range words { // long names are stored in pieces of 5, 6 and 2 characters
			if strings.Contains(strings.ToLower(p), strings.ToLower(w)) {
				t.Errorf("the stick holds a name with %q: %s", w, p)
			}
		}
		if y, m, dd := info.ModTime().Date(); !d.IsDir() && (y != 2026 || m != 11 || dd != 25) {
			t.Errorf("%s: modified %v; want the library's date 2026-11-25", p, info.ModTime())
		}
		e := info.Sys().(*fat.DirEntry)
		if e.Created.Before(date.AddDate(0, 0, 1)) || !e.Created.Before(date.AddDate(0, 0, 15)) {
			t.Errorf("%s: created %v; want within the 14 days after the library's date", p, e.Created)
		}
		made[e.Created] = true
		return nil
	})
	if n < 10 {
		t.Errorf("walked %d files and folders; want the library's", n)
	}
	if len(made) != n {
		t.Errorf("%d entries share %d creation times; want each made at its own time, as a copy makes them", n, len(made))
	}
}

// utf16le is s in UTF-16, little-endian, as long names are stored.
func utf16le(s string) []byte {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = binary.LittleEndian.AppendUint16(b, u)
	}
	return b
}
