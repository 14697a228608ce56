package library

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// validManifest is a small manifest that breaks no rule.
func validManifest() *Manifest {
	return &Manifest{
		Format: 1, Name: "test", Date: "2026-11-25",
		Tiers: []Tier{{Number: 1, Name: "core", Paths: []string{"wiki/**"}}, {Number: 2, Paths: []string{"**"}}},
		Files: []File{
			{"wiki/a.html", 1, sha("a"), 1},
			{"wiki/b/c.html", 1, sha("c"), 1},
			{"films/x.mkv", 1, sha("x"), 2},
		},
		Folders: []Folder{{"wiki/empty", 1}, {"빈", 2}},
	}
}

func TestParseManifestRejects(t *testing.T) {
	tests := []struct {
		name   string
		change func(m *Manifest)
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
		{"empty name", func(m *Manifest) { m.Name = "" }, "", "library name is empty"},
		{"control character in name", func(m *Manifest) { m.Name = "a\x1bb" }, "", "control character"},
		{"bad date", func(m *Manifest) { m.Date = "2026-02-30" }, "", `date "2026-02-30" is not a date`},
		{"date out of FAT range", func(m *Manifest) { m.Date = "1979-12-31" }, "", "outside what FAT can store"},
		{"no tiers", func(m *Manifest) { m.Tiers = nil }, "", "no tiers"},
		{"tier misnumbered", func(m *Manifest) { m.Tiers[1].Number = 3 }, "", "tier 2 is listed as number 3"},
		{"tier without paths", func(m *Manifest) { m.Tiers[0].Paths = nil }, "", "tier 1 has no paths"},
		{"bad pattern", func(m *Manifest) { m.Tiers[0].Paths = []string{"../x"} }, "", `tier 1: pattern "../x"`},
		{"no files", func(m *Manifest) { m.Files = nil }, "", "no files"},
		{"dot-dot path", func(m *Manifest) { m.Files[2].Path = "../etc/passwd" }, "", `file "../etc/passwd": component ".."`},
		{"absolute path", func(m *Manifest) { m.Files[2].Path = "/etc/passwd" }, "", `file "/etc/passwd": not a relative slash-separated path`},
		{"backslash path", func(m *Manifest) { m.Files[2].Path = `..\x` }, "", `character '\\' is not allowed`},
		{"bad FAT name", func(m *Manifest) { m.Files[2].Path = "films/a:b" }, "", `character ':' is not allowed`},
		{"folder bad name", func(m *Manifest) { m.Folders[1].Path = "aux" }, "", `folder "aux": component "aux"`},
		{"duplicate file", func(m *Manifest) { m.Files[1] = m.Files[0] }, "", `file "wiki/a.html" is listed twice`},
		{"duplicate across tiers", func(m *Manifest) { m.Files[2].Path = "wiki/a.html" }, "", `"wiki/a.html" is listed twice`},
		{"case duplicate", func(m *Manifest) { m.Files[2].Path = "WIKI/x" }, "", `"wiki" and "WIKI" differ only in case`},
		{"file and folder", func(m *Manifest) { m.Folders[1].Path = "films/x.mkv/y" }, "", `"films/x.mkv" is both a file and a folder`},
		{"empty folder not empty", func(m *Manifest) { m.Folders[1] = Folder{"films", 2} }, "", `folder "films" is listed as empty but holds "films/x.mkv"`},
		{"negative size", func(m *Manifest) { m.Files[0].Size = -1 }, "", `file "wiki/a.html": size -1 is outside`},
		{"size over FAT limit", func(m *Manifest) { m.Files[0].Size = 1 << 32 }, "", "size 4294967296 is outside 0 to 4294967295"},
		{"short hash", func(m *Manifest) { m.Files[0].SHA256 = "abc" }, "", `SHA-256 "abc" is not 64 lower-case hex digits`},
		{"upper-case hash", func(m *Manifest) { m.Files[0].SHA256 = strings.ToUpper(sha("a")) }, "", "not 64 lower-case hex digits"},
		{"tier zero", func(m *Manifest) { m.Files[0].Tier = 0 }, "", `file "wiki/a.html": tier 0 does not exist (the manifest has tiers 1 to 2)`},
		{"tier too high", func(m *Manifest) { m.Folders[1].Tier = 3 }, "", `folder "빈": tier 3 does not exist`},
		{"paths out of order", func(m *Manifest) { m.Files[0], m.Files[1] = m.Files[1], m.Files[0] }, "", `file "wiki/a.html" is out of order after "wiki/b/c.html"`},
		{"tiers out of order", func(m *Manifest) { m.Files[1].Tier = 2 }, "", `file "films/x.mkv" is out of order`},
		{"folders out of order", func(m *Manifest) { m.Folders[0], m.Folders[1] = m.Folders[1], m.Folders[0] }, "", `folder "wiki/empty" is out of order`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := []byte(tt.raw)
			if tt.change != nil {
				m := validManifest()
				tt.change(m)
				var err error
				if data, err = m.Marshal(); err != nil {
					t.Fatal(err)
				}
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

func TestManifestMarshalRoundTrip(t *testing.T) {
	m := validManifest()
	data, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseManifest(data)
	if err != nil {
		t.Fatalf("ParseManifest(Marshal()) = %v; want no error", err)
	}
	if !reflect.DeepEqual(got, m) {
		t.Errorf("ParseManifest(Marshal()) = %+v; want %+v", got, m)
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
