package library

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

// validManifest is a small manifest that breaks no rule.
func validManifest() *manifestJSON {
	return &manifestJSON{
		Format: 1, Name: "test", Date: "2026-11-25",
		Tiers: []Tier{{Number: 1, Name: "core", Paths: []string{"wiki/**"}}, {Number: 2, Paths: []string{"**"}}},
		Files: []fileDoc{
			{"wiki/a.html", 1, sha("a"), 1},
			{"wiki/b/c.html", 1, sha("c"), 1},
			{"films/x.mkv", 1, sha("x"), 2},
		},
		Folders: []folderDoc{{"wiki/empty", 1}, {"빈", 2}},
	}
}

func TestParseManifestRejects(t *testing.T) {
	tests := []struct {
		name   string
		change func(m *manifestJSON)
		raw    string // used instead of change when set
		want   string
	}{
		{"not JSON", nil, `{"format": 1,`, "not valid JSON"},
		{"no format", nil, `{"name": "x"}`, "no format version"},
		{"newer format", nil, `{"format": 2, "whatever": true}`, "format 2; this program reads format 1"},
		{"unknown field", nil, `{"format": 1, "name": "x", "extra": 1}`, `unknown field "extra"`},
		{"trailing data", nil, `{"format": 1, "name": "x", "date": "2026-11-25", "tiers": [{"tier": 1, "paths": ["**"]}], "files": [{"path": "a", "size": 1, "sha256": "` + sha("a") + `", "tier": 1}], "folders": []} {}`, "after top-level value"},
		{"form feed after the value", nil, `{"format": 1, "name": "x", "date": "2026-11-25", "tiers": [{"tier": 1, "paths": ["**"]}], "files": [{"path": "a", "size": 1, "sha256": "` + sha("a") + `", "tier": 1}], "folders": []}` + "\n\f", "after top-level value"},
		{"size not an integer", nil, `{"format": 1, "files": [{"path": "a", "size": 1.5}]}`, "not a valid manifest"},
		{"empty name", func(m *manifestJSON) { m.Name = "" }, "", "library name is empty"},
		{"control character in name", func(m *manifestJSON) { m.Name = "a\x1bb" }, "", "control character"},
		{"bad date", func(m *manifestJSON) { m.Date = "2026-02-30" }, "", `date "2026-02-30" is not a date`},
		{"date out of FAT range", func(m *manifestJSON) { m.Date = "1979-12-31" }, "", "outside what FAT can store"},
		{"no tiers", func(m *manifestJSON) { m.Tiers = nil }, "", "no tiers"},
		{"tier misnumbered", func(m *manifestJSON) { m.Tiers[1].Number = 3 }, "", "tier 2 is listed as number 3"},
		{"tier without paths", func(m *manifestJSON) { m.Tiers[0].Paths = nil }, "", "tier 1 has no paths"},
		{"bad pattern", func(m *manifestJSON) { m.Tiers[0].Paths = []string{"../x"} }, "", `tier 1: pattern "../x"`},
		{"no files", func(m *manifestJSON) { m.Files = nil }, "", "no files"},
		{"dot-dot path", func(m *manifestJSON) { m.Files[2].Path = "../etc/passwd" }, "", `file "../etc/passwd": component ".."`},
		{"absolute path", func(m *manifestJSON) { m.Files[2].Path = "/etc/passwd" }, "", `file "/etc/passwd": not a relative slash-separated path`},
		{"backslash path", func(m *manifestJSON) { m.Files[2].Path = `..\x` }, "", `character '\\' is not allowed`},
		{"bad FAT name", func(m *manifestJSON) { m.Files[2].Path = "films/a:b" }, "", `character ':' is not allowed`},
		{"folder bad name", func(m *manifestJSON) { m.Folders[1].Path = "aux" }, "", `folder "aux": component "aux"`},
		{"duplicate file", func(m *manifestJSON) { m.Files[1] = m.Files[0] }, "", `file "wiki/a.html" is listed twice`},
		{"duplicate across tiers", func(m *manifestJSON) { m.Files[2].Path = "wiki/a.html" }, "", `"wiki/a.html" is listed twice`},
		{"case duplicate", func(m *manifestJSON) { m.Files[2].Path = "WIKI/x" }, "", `"wiki" and "WIKI" differ only in case`},
		{"file and folder", func(m *manifestJSON) { m.Folders[1].Path = "films/x.mkv/y" }, "", `"films/x.mkv" is both a file and a folder`},
		{"empty folder not empty", func(m *manifestJSON) { m.Folders[1] = folderDoc{"films", 2} }, "", `folder "films" is listed as empty but holds "films/x.mkv"`},
		{"negative size", func(m *manifestJSON) { m.Files[0].Size = -1 }, "", `file "wiki/a.html": size -1 is outside`},
		{"size over FAT limit", func(m *manifestJSON) { m.Files[0].Size = 1 << 32 }, "", "size 4294967296 is outside 0 to 4294967295"},
		{"short hash", func(m *manifestJSON) { m.Files[0].SHA256 = "abc" }, "", `SHA-256 "abc" is not 64 lower-case hex digits`},
		{"upper-case hash", func(m *manifestJSON) { m.Files[0].SHA256 = strings.ToUpper(sha("a")) }, "", "not 64 lower-case hex digits"},
		{"tier zero", func(m *manifestJSON) { m.Files[0].Tier = 0 }, "", `file "wiki/a.html": tier 0 does not exist (the manifest has tiers 1 to 2)`},
		{"tier too high", func(m *manifestJSON) { m.Folders[1].Tier = 3 }, "", `folder "빈": tier 3 does not exist`},
		{"paths out of order", func(m *manifestJSON) { m.Files[0], m.Files[1] = m.Files[1], m.Files[0] }, "", `file "wiki/a.html" is out of order after "wiki/b/c.html"`},
		{"tiers out of order", func(m *manifestJSON) { m.Files[1].Tier = 2 }, "", `file "films/x.mkv" is out of order`},
		{"folders out of order", func(m *manifestJSON) { m.Folders[0], m.Folders[1] = m.Folders[1], m.Folders[0] }, "", `folder "wiki/empty" is out of order`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := []byte(tt.raw)
			if tt.change != nil {
				m := validManifest()
				tt.change(m)
				data = m.marshal(t)
			}
			_, err := ParseManifest(data)
			var ce *CorruptManifestError
			if !errors.As(err, &ce) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ParseManifest(%s) = %v; want a *CorruptManifestError containing %q", tt.name, err, tt.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("ParseManifest(%s) error %q has more than one line", tt.name, err)
			}
		})
	}
}

// TestManifestMarshalRoundTrip parses a manifest that encoding/json wrote,
// checks what it holds, and that marshal writes the same bytes.
func TestManifestMarshalRoundTrip(t *testing.T) {
	doc := validManifest()
	doc.Name = "<\"quoted\" & 'odd' \\ name> \u2028 ü"
	data := doc.marshal(t)
	m, err := ParseManifest(data)
	if err != nil {
		t.Fatalf("ParseManifest() = %v; want no error", err)
	}
	if m.Format != 1 || m.Name != doc.Name || m.Date != doc.Date || !reflect.DeepEqual(m.Tiers, doc.Tiers) {
		t.Errorf("ParseManifest() = %+v; want %+v", m, doc)
	}
	wantFiles := []File{file("wiki/a.html", "a", 1), file("wiki/b/c.html", "c", 1), file("films/x.mkv", "x", 2)}
	if got := filesOf(m); !reflect.DeepEqual(got, wantFiles) {
		t.Errorf("ParseManifest() files = %+v; want %+v", got, wantFiles)
	}
	if got, want := foldersOf(m), []Folder{{"wiki/empty", 1}, {"빈", 2}}; !reflect.DeepEqual(got, want) {
		t.Errorf("ParseManifest() folders = %+v; want %+v", got, want)
	}
	if again, err := m.marshal(); err != nil || !bytes.Equal(again, data) {
		t.Errorf("marshal() = %v:\n%s\nwant what encoding/json wrote:\n%s", err, again, data)
	}
	for _, d := range []*manifestJSON{
		{Format: 1, Name: "n", Date: "2026-11-25", Tiers: []Tier{{Number: 1, Paths: []string{"**"}}}, Files: []fileDoc{{"a", 0, sha(""), 1}}},
		{Format: 1, Name: "n", Date: "2026-11-25", Tiers: []Tier{{Number: 1, Paths: []string{"**"}}}, Files: []fileDoc{{"a", 0, sha(""), 1}}, Folders: []folderDoc{{"b", 1}}},
	} {
		want := d.marshal(t)
		if got, err := d.parse(t).marshal(); err != nil || !bytes.Equal(got, want) {
			t.Errorf("marshal() = %v:\n%s\nwant what encoding/json wrote:\n%s", err, got, want)
		}
	}
	want := []Count{{Files: 2, Folders: 1, Bytes: 2}, {Files: 1, Folders: 1, Bytes: 1}}
	if c := m.Counts(); !reflect.DeepEqual(c, want) {
		t.Errorf("Counts() = %+v; want %+v", c, want)
	}
	if c := m.Total(); c != (Count{Files: 3, Folders: 2, Bytes: 3}) {
		t.Errorf("Total() = %+v; want 3 files, 2 folders, 3 bytes", c)
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := Open(dir); err == nil || !strings.Contains(err.Error(), "is not a library: no manifest.json") {
		t.Errorf("Open(empty folder) = %v; want \"not a library\"", err)
	}
	if err := os.WriteFile(filepath.Join(dir, ManifestFile), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Open(dir)
	var ce *CorruptManifestError
	if !errors.As(err, &ce) || ce.File != filepath.Join(dir, ManifestFile) {
		t.Errorf("Open(%s) = %v; want a *CorruptManifestError naming the file", dir, err)
	}
}

func TestComparePaths(t *testing.T) {
	sorted := []string{"a", "a/b", "a/c/d", "a-b", "a.txt", "ab", "b", "가"}
	for i := range sorted {
		for j := range sorted {
			got := comparePaths(sorted[i], sorted[j])
			want := 0
			if i < j {
				want = -1
			} else if i > j {
				want = 1
			}
			if got != want {
				t.Errorf("comparePaths(%q, %q) = %d; want %d", sorted[i], sorted[j], got, want)
			}
		}
	}
}

func TestParseDate(t *testing.T) {
	tests := []struct {
		in   string
		want string // "" for valid
	}{
		{"2026-11-25", ""},
		{"1980-01-01", ""},
		{"2107-12-31", ""},
		{"1979-12-31", "outside what FAT can store"},
		{"2108-01-01", "outside what FAT can store"},
		{"2026-1-5", "not a date in the form YYYY-MM-DD"},
		{"2026-02-29", "not a date"},
		{"", "not a date"},
	}
	for _, tt := range tests {
		_, err := ParseDate(tt.in)
		if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("ParseDate(%q) = %v; want %q", tt.in, err, tt.want)
		}
	}
}

// TestManifestMemory checks what an opened library holds per file beyond
// the bytes of its path, once a job has used all of it: the compact
// manifest, the index for looking up paths and the memory of verified
// files. The target is well under 100 bytes; the columns fill whole
// blocks at 3*blockLen files.
func TestManifestMemory(t *testing.T) {
	const n = 3 * blockLen
	dir := t.TempDir()
	pathBytes := writeManyFiles(t, dir, n)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&before)
	l, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		l.verified.remember(i, identity{Ino: uint64(i)}, 1)
	}
	if _, ok := l.Manifest.Lookup("위키/000/문서 000001 제목.html"); !ok {
		t.Fatal("Lookup found no file the manifest lists")
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	perFile := (float64(after.HeapAlloc) - float64(before.HeapAlloc) - float64(pathBytes)) / n
	t.Logf("%d files, %.1f bytes of path each: %.1f bytes a file beyond the path", n, float64(pathBytes)/n, perFile)
	// 46 measured: SHA-256 32, size 4, the name's length and its group's
	// start 1.3, verified 12, lookup index 4, less the folder part of each
	// path, which is kept once.
	if perFile > 64 {
		t.Errorf("an opened library holds %.1f bytes a file beyond its path; want at most 64", perFile)
	}
	runtime.KeepAlive(l)
}

// writeManyFiles writes the manifest of a library of n files in folders of
// 200 into dir, and returns the bytes of their paths.
func writeManyFiles(t *testing.T, dir string, n int) int {
	doc := &manifestJSON{Format: 1, Name: "memory", Date: "2026-11-25", Tiers: []Tier{{Number: 1, Paths: []string{"위키"}}, {Number: 2, Paths: []string{"**"}}}}
	pathBytes := 0
	for i := range n {
		p := fmt.Sprintf("위키/%03d/문서 %06d 제목.html", i/200, i)
		doc.Files = append(doc.Files, fileDoc{p, int64(i), sha(p), 1})
		pathBytes += len(p)
	}
	if err := os.WriteFile(filepath.Join(dir, ManifestFile), doc.marshal(t), 0o644); err != nil {
		t.Fatal(err)
	}
	return pathBytes
}
