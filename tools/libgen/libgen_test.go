package libgen

import (
	"context"
	"crypto/sha256"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"flashkiosk/firmware/fat"
	"flashkiosk/firmware/library"
)

// TestGenerate checks that a seed gives the same folder twice, of the
// shape asked for, with names a FAT drive holds and no two that FAT takes
// for one.
func TestGenerate(t *testing.T) {
	spec := Spec{Files: 1000, Films: 2, FilmBytes: 100 << 10, Seed: 3}
	var sums [2]string
	for i := range sums {
		dir := filepath.Join(t.TempDir(), "src")
		s, err := Generate(dir, spec)
		if err != nil {
			t.Fatal(err)
		}
		if s.Files != spec.Files+spec.Films || s.Folders != 5+1 {
			t.Errorf("Generate(%+v) = %+v; want %d files in 6 folders", spec, s, spec.Files+spec.Films)
		}
		h := sha256.New()
		var files, korean int
		var bytes int64
		folded := map[string]string{}
		err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || p == dir {
				return err
			}
			rel, _ := filepath.Rel(dir, p)
			rel = filepath.ToSlash(rel)
			if err := fat.CheckPath(rel); err != nil {
				t.Errorf("path %q: %v", rel, err)
			}
			key := filepath.Dir(rel) + "/" + fat.Fold(filepath.Base(rel))
			if other, ok := folded[key]; ok {
				t.Errorf("%q and %q are one name to FAT", other, rel)
			}
			folded[key] = rel
			if d.IsDir() || rel == "tiers.toml" {
				return nil
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			files++
			bytes += int64(len(data))
			h.Write([]byte(rel))
			h.Write(data)
			if strings.HasSuffix(rel, ".html") && (len(data) < 300 || len(data) > 3800 || !utf8.Valid(data)) {
				t.Errorf("%s: %d bytes, valid UTF-8 %v; want 300 to 3,800 bytes of text", rel, len(data), utf8.Valid(data))
			}
			if strings.IndexFunc(path.Base(rel), func(r rune) bool { return r >= 0xAC00 && r <= 0xD7A3 }) >= 0 {
				korean++
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if files != s.Files || bytes != s.Bytes {
			t.Errorf("folder holds %d files of %d bytes; Generate said %d of %d", files, bytes, s.Files, s.Bytes)
		}
		if korean < files/2 {
			t.Errorf("%d of %d names are Korean; want most", korean, files)
		}
		sums[i] = string(h.Sum(nil))
	}
	if sums[0] != sums[1] {
		t.Error("two folders generated from one seed differ")
	}
}

// TestGenerateBuilds builds libraries of what Generate writes, with and
// without films: its tiers.toml names only what is there.
func TestGenerateBuilds(t *testing.T) {
	for _, spec := range []Spec{{Files: 300, Seed: 1}, {Files: 300, Films: 1, FilmBytes: 1000, Seed: 1}} {
		src := filepath.Join(t.TempDir(), "src")
		if _, err := Generate(src, spec); err != nil {
			t.Fatal(err)
		}
		l, err := library.Build(context.Background(), src, filepath.Join(t.TempDir(), "lib"), library.BuildOptions{Date: time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)})
		if err != nil {
			t.Fatalf("Build(Generate(%+v)) = %v", spec, err)
		}
		if got, want := l.Manifest.Total().Files, spec.Files+spec.Films; got != want || len(l.Manifest.Tiers) != 1+min(spec.Films, 1) {
			t.Errorf("Build(Generate(%+v)) = %d files in %d tiers; want %d in %d", spec, got, len(l.Manifest.Tiers), want, 1+min(spec.Films, 1))
		}
	}
}
