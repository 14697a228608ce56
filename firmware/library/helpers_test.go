package library

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// writeTree creates files under dir: a name ending in "/" is an empty
// folder, anything else a file with the given content.
func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if strings.HasSuffix(name, "/") {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

var testDate = time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)

// buildLib builds a library from files into a fresh folder and returns it.
func buildLib(t *testing.T, files map[string]string) *Library {
	t.Helper()
	src := filepath.Join(t.TempDir(), "src")
	writeTree(t, src, files)
	out := filepath.Join(t.TempDir(), "lib")
	l, err := Build(context.Background(), src, out, BuildOptions{Name: "test", Date: testDate})
	if err != nil {
		t.Fatalf("Build(%v) = %v; want no error", files, err)
	}
	return l
}

// sha is the SHA-256 of s in hex, as a manifest holds it.
func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// manifestJSON is the manifest format as encoding/json structs: tests
// change it at will, even into what the format refuses, and marshal it
// with encoding/json, which is how Build wrote manifests before it wrote
// them file by file.
type manifestJSON struct {
	Format  int         `json:"format"`
	Name    string      `json:"name"`
	Date    string      `json:"date"`
	Tiers   []Tier      `json:"tiers"`
	Files   []fileDoc   `json:"files"`
	Folders []folderDoc `json:"folders"`
}

type fileDoc struct {
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
	Tier   int    `json:"tier"`
}

type folderDoc struct {
	Path string `json:"path"`
	Tier int    `json:"tier"`
}

// marshal writes d as encoding/json's MarshalIndent does, with the empty
// lists of the format as [].
func (d *manifestJSON) marshal(t testing.TB) []byte {
	t.Helper()
	c := *d
	c.Files, c.Folders, c.Tiers = nonNil(c.Files), nonNil(c.Folders), slices.Clone(c.Tiers)
	for i := range c.Tiers {
		c.Tiers[i].Paths = nonNil(c.Tiers[i].Paths)
	}
	data, err := json.MarshalIndent(&c, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(data, '\n')
}

// parse parses d's JSON, failing the test if it is refused.
func (d *manifestJSON) parse(t testing.TB) *Manifest {
	t.Helper()
	m, err := ParseManifest(d.marshal(t))
	if err != nil {
		t.Fatalf("ParseManifest() = %v; want no error", err)
	}
	return m
}

// filesOf lists a manifest's files.
func filesOf(m *Manifest) []File {
	var out []File
	for _, f := range m.Files() {
		out = append(out, f)
	}
	return out
}

// foldersOf lists a manifest's empty folders.
func foldersOf(m *Manifest) []Folder {
	var out []Folder
	for f := range m.Folders() {
		out = append(out, f)
	}
	return out
}

// file is a File with the SHA-256 of content.
func file(path, content string, tier int) File {
	return File{Path: path, Size: int64(len(content)), SHA256: sha256.Sum256([]byte(content)), Tier: tier}
}

// sameManifest reports how two manifests differ in what they say, or "".
func sameManifest(a, b *Manifest) string {
	switch {
	case a.Format != b.Format || a.Name != b.Name || a.Date != b.Date:
		return fmt.Sprintf("format, name, date %d %q %q and %d %q %q", a.Format, a.Name, a.Date, b.Format, b.Name, b.Date)
	case !reflect.DeepEqual(a.Tiers, b.Tiers):
		return fmt.Sprintf("tiers %+v and %+v", a.Tiers, b.Tiers)
	case !slices.Equal(filesOf(a), filesOf(b)):
		return fmt.Sprintf("files %+v and %+v", filesOf(a), filesOf(b))
	case !slices.Equal(foldersOf(a), foldersOf(b)):
		return fmt.Sprintf("folders %+v and %+v", foldersOf(a), foldersOf(b))
	case !slices.Equal(a.Counts(), b.Counts()):
		return fmt.Sprintf("counts %+v and %+v", a.Counts(), b.Counts())
	}
	return ""
}

// itemSlice is an itemList held as it is.
type itemSlice []item

func (s itemSlice) count() int    { return len(s) }
func (s itemSlice) at(i int) item { return s[i] }
