package library

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestBuildRoundTrip(t *testing.T) {
	files := map[string]string{
		"index.html":                     "<h1>hi</h1>",
		"위키/대문.html":                     "대한민국",
		"위키/문서/가.html":                   "가",
		"films/a.mkv":                    "film a",
		"films/extra/b.srt":              "sub",
		"readme.txt":                     "read me",
		"빈 폴더/":                          "",
		"films/empty/":                   "",
		"photos/.DS_Store":               "junk",
		"photos/Thumbs.db":               "junk",
		"._index.html":                   "junk",
		"deep/.Trashes/x":                "junk",
		"사진/System Volume Information/y": "junk",
		"tiers.toml": `
[[tier]]
name = "핵심"
paths = ["index.html", "위키/**"]

[[tier]]
name = "films"
paths = ["films"]
`,
	}
	src := filepath.Join(t.TempDir(), "kowiki")
	writeTree(t, src, files)
	out := filepath.Join(t.TempDir(), "lib")
	var skipped []string
	l, err := Build(context.Background(), src, out, BuildOptions{Date: testDate, Skipped: func(p string) { skipped = append(skipped, p) }})
	if err != nil {
		t.Fatalf("Build = %v; want no error", err)
	}
	wantSkipped := []string{"._index.html", "deep/.Trashes", "photos/.DS_Store", "photos/Thumbs.db", "사진/System Volume Information"}
	if !reflect.DeepEqual(skipped, wantSkipped) {
		t.Errorf("Build skipped %q; want %q", skipped, wantSkipped)
	}
	m := l.Manifest
	if m.Name != "kowiki" || m.Date != "2026-11-25" || m.Format != 1 {
		t.Errorf("Build manifest = name %q date %q format %d; want kowiki 2026-11-25 1", m.Name, m.Date, m.Format)
	}
	wantTiers := []Tier{
		{Number: 1, Name: "핵심", Paths: []string{"index.html", "위키/**"}},
		{Number: 2, Name: "films", Paths: []string{"films"}},
		{Number: 3, Paths: []string{"**"}},
	}
	if !reflect.DeepEqual(m.Tiers, wantTiers) {
		t.Errorf("Build tiers = %+v; want %+v", m.Tiers, wantTiers)
	}
	wantFiles := []File{
		file("index.html", "<h1>hi</h1>", 1),
		file("위키/대문.html", "대한민국", 1),
		file("위키/문서/가.html", "가", 1),
		file("films/a.mkv", "film a", 2),
		file("films/extra/b.srt", "sub", 2),
		file("readme.txt", "read me", 3),
	}
	if got := filesOf(m); !reflect.DeepEqual(got, wantFiles) {
		t.Errorf("Build files = %+v; want %+v", got, wantFiles)
	}
	// photos held only junk, so it is an empty folder now.
	wantFolders := []Folder{{"films/empty", 2}, {"deep", 3}, {"photos", 3}, {"빈 폴더", 3}, {"사진", 3}}
	if got := foldersOf(m); !reflect.DeepEqual(got, wantFolders) {
		t.Errorf("Build folders = %+v; want %+v", got, wantFolders)
	}
	if got := l.Time(); !got.Equal(testDate) {
		t.Errorf("Time() = %v; want %v", got, testDate)
	}

	again, err := Open(out)
	if err != nil {
		t.Fatalf("Open(%s) = %v; want no error", out, err)
	}
	if diff := sameManifest(again.Manifest, m); diff != "" {
		t.Errorf("Open(%s) manifest differs from Build's: %s", out, diff)
	}
	if err := again.Verify(context.Background()); err != nil {
		t.Errorf("Verify() = %v; want no error", err)
	}
	for _, f := range []string{"빈 폴더", "films/empty"} {
		if info, err := os.Stat(filepath.Join(out, ContentDir, f)); err != nil || !info.IsDir() {
			t.Errorf("content folder %q: Stat = %v; want a folder", f, err)
		}
	}
	if _, err := os.Stat(filepath.Join(out, ContentDir, TiersFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("content/tiers.toml: Stat = %v; want it left out", err)
	}
	entries, _ := os.ReadDir(filepath.Dir(out))
	if len(entries) != 1 {
		t.Errorf("folder beside the library holds %d entries; want only the library", len(entries))
	}
}

func TestBuildTiers(t *testing.T) {
	files := map[string]string{
		"index.html":       "i",
		"wiki/a.html":      "a",
		"wiki/sub/b.html":  "b",
		"wiki/sub/c.png":   "c",
		"films/x.mkv":      "x",
		"films/kids/y.mkv": "y",
		"docs/manual.pdf":  "m",
		"docs/empty/":      "",
	}
	tests := []struct {
		name  string
		tiers string // "" for no tiers.toml
		want  map[string]int
		nTier int
	}{
		{"no tiers.toml", "", map[string]int{"index.html": 1, "wiki/sub/c.png": 1, "docs/empty": 1}, 1},
		{"folder covers all below", `[[tier]]
paths = ["wiki"]`, map[string]int{"wiki/sub/b.html": 1, "index.html": 2, "docs/empty": 2}, 2},
		{"double star and glob", `[[tier]]
paths = ["wiki/**/*.html"]
[[tier]]
paths = ["*.html", "films/kids"]`, map[string]int{"wiki/a.html": 1, "wiki/sub/b.html": 1, "wiki/sub/c.png": 3, "index.html": 2, "films/kids/y.mkv": 2, "films/x.mkv": 3}, 3},
		{"first tier wins", `[[tier]]
paths = ["films/x.mkv"]
[[tier]]
paths = ["films", "**/*.html"]`, map[string]int{"films/x.mkv": 1, "films/kids/y.mkv": 2, "wiki/sub/b.html": 2, "index.html": 2, "docs/manual.pdf": 3}, 3},
		{"all listed: no extra tier", `[[tier]]
paths = ["wiki", "index.html"]
[[tier]]
paths = ["**"]`, map[string]int{"wiki/a.html": 1, "docs/empty": 2, "films/x.mkv": 2}, 2},
		{"empty folder unlisted goes to last listed tier", `[[tier]]
paths = ["wiki", "index.html", "films"]
[[tier]]
paths = ["docs/*.pdf"]`, map[string]int{"docs/manual.pdf": 2, "docs/empty": 2}, 2},
		{"single-quoted literal strings", `[[tier]]
paths = ['w*/**']`, map[string]int{"wiki/sub/c.png": 1, "films/x.mkv": 2}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := map[string]string{}
			for k, v := range files {
				src[k] = v
			}
			if tt.tiers != "" {
				src[TiersFile] = tt.tiers
			}
			l := buildLib(t, src)
			if got := len(l.Manifest.Tiers); got != tt.nTier {
				t.Errorf("Build tiers = %d; want %d", got, tt.nTier)
			}
			got := map[string]int{}
			for it := range l.Manifest.items() {
				got[it.path] = it.tier
			}
			for p, want := range tt.want {
				if got[p] != want {
					t.Errorf("tier of %q = %d; want %d", p, got[p], want)
				}
			}
		})
	}
}

func TestBuildRefuses(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, src string)
		date  time.Time
		want  string // in the error
	}{
		{"symlink", func(t *testing.T, src string) {
			writeTree(t, src, map[string]string{"a.txt": "a"})
			if err := os.Symlink("a.txt", filepath.Join(src, "link")); err != nil {
				t.Fatal(err)
			}
		}, testDate, "link: is a symbolic link"},
		{"named pipe", func(t *testing.T, src string) {
			writeTree(t, src, map[string]string{"a.txt": "a"})
			if err := syscall.Mkfifo(filepath.Join(src, "fifo"), 0o644); err != nil {
				t.Fatal(err)
			}
		}, testDate, "fifo: is a named pipe"},
		{"socket", func(t *testing.T, src string) {
			writeTree(t, src, map[string]string{"a.txt": "a"})
			fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer syscall.Close(fd)
			if err := syscall.Bind(fd, &syscall.SockaddrUnix{Name: filepath.Join(src, "sock")}); err != nil {
				t.Fatal(err)
			}
		}, testDate, "sock: is a socket"},
		{"device", func(t *testing.T, src string) {
			writeTree(t, src, map[string]string{"a.txt": "a"})
			if err := syscall.Mknod(filepath.Join(src, "null"), syscall.S_IFCHR|0o644, 1<<8|3); err != nil {
				t.Fatal("cannot make a device node (the tests run as root):", err)
			}
		}, testDate, "null: is a character device"},
		{"file over 4 GiB", func(t *testing.T, src string) {
			writeTree(t, src, map[string]string{"a.txt": "a", "z/big.zim": ""})
			if err := os.Truncate(filepath.Join(src, "z/big.zim"), 1<<32); err != nil {
				t.Fatal(err)
			}
		}, testDate, "big.zim: 4294967296 bytes is over FAT32's limit of 4294967295 bytes (4 GiB - 1) for one file: split it with `split -b 4000M big.zim big.zim` and remove the original; Kiwix reads the parts big.zimaa, big.zimab, … as one ZIM file"},
		{"other file over 4 GiB", func(t *testing.T, src string) {
			writeTree(t, src, map[string]string{"my film.mkv": ""})
			if err := os.Truncate(filepath.Join(src, "my film.mkv"), 5<<30); err != nil {
				t.Fatal(err)
			}
		}, testDate, "split it with `split -b 4000M 'my film.mkv' 'my film.mkv'.`"},
		{"bad FAT name", func(t *testing.T, src string) {
			writeTree(t, src, map[string]string{"wiki/what?.html": "a"})
		}, testDate, `wiki/what?.html: cannot be stored on FAT: component "what?.html": character '?' is not allowed`},
		{"reserved name", func(t *testing.T, src string) {
			writeTree(t, src, map[string]string{"docs/con.txt": "a"})
		}, testDate, `docs/con.txt: cannot be stored on FAT: component "con.txt": "con" is a reserved device name on Windows`},
		{"file naming the project", func(t *testing.T, src string) {
			writeTree(t, src, map[string]string{"a.txt": "a", "docs/Flash-Kiosk manual.pdf": "b"})
		}, testDate, "docs/Flash-Kiosk manual.pdf: names the project (flashkiosk): a stick must not point to the kiosk that wrote it; rename it or leave it out"},
		{"folder naming the project", func(t *testing.T, src string) {
			writeTree(t, src, map[string]string{"FLASHKIOSK/a.txt": "a"})
		}, testDate, "FLASHKIOSK: names the project (flashkiosk)"},
		{"case clash", func(t *testing.T, src string) {
			writeTree(t, src, map[string]string{"docs/ReadMe.txt": "a", "docs/README.TXT": "b"})
		}, testDate, `"docs/README.TXT" and "docs/ReadMe.txt" differ only in case`},
		{"case clash of folder and file", func(t *testing.T, src string) {
			writeTree(t, src, map[string]string{"Films/a.mkv": "a", "films": "b"})
		}, testDate, `"Films" and "films" differ only in case`},
		{"folder too full", func(t *testing.T, src string) {
			writeTree(t, src, map[string]string{"big/": ""})
			for i := range 3200 {
				f, err := os.Create(filepath.Join(src, "big", strings.Repeat("x", 244)+strconv.Itoa(100000+i)))
				if err != nil {
					t.Fatal(err)
				}
				f.Close()
			}
		}, testDate, `src: folder "big" needs`},
		{"empty source", func(t *testing.T, src string) {}, testDate, "holds no files"},
		{"only junk and empty folders", func(t *testing.T, src string) {
			writeTree(t, src, map[string]string{".DS_Store": "x", "empty/": ""})
		}, testDate, "holds no files"},
		{"no date", func(t *testing.T, src string) {
			writeTree(t, src, map[string]string{"a.txt": "a"})
		}, time.Time{}, "no library date given"},
		{"bad tier name", func(t *testing.T, src string) {
			writeTree(t, src, map[string]string{"a.txt": "a", TiersFile: "[[tier]]\nname = \"a\\u0007b\"\npaths = [\"a.txt\"]\n"})
		}, testDate, `tiers.toml: tier 1: name "a\ab" holds a control character`},
		{"date before 1980", func(t *testing.T, src string) {
			writeTree(t, src, map[string]string{"a.txt": "a"})
		}, time.Date(1979, 12, 31, 0, 0, 0, 0, time.UTC), "date 1979-12-31 is outside what FAT can store"},
		{"date after 2107", func(t *testing.T, src string) {
			writeTree(t, src, map[string]string{"a.txt": "a"})
		}, time.Date(2108, 1, 1, 0, 0, 0, 0, time.UTC), "outside what FAT can store"},
		{"tiers.toml syntax", func(t *testing.T, src string) {
			writeTree(t, src, map[string]string{"a.txt": "a", TiersFile: "[[tier]]\npaths = [\"a.txt\"\n"})
		}, testDate, "tiers.toml:2: "},
		{"tiers.toml unknown key", func(t *testing.T, src string) {
			writeTree(t, src, map[string]string{"a.txt": "a", TiersFile: "[[tier]]\nname = \"x\"\npath = [\"a.txt\"]\n"})
		}, testDate, `tiers.toml:3: unknown key "tier.path": a [[tier]] table takes only name and paths`},
		{"tiers.toml wrong type", func(t *testing.T, src string) {
			writeTree(t, src, map[string]string{"a.txt": "a", TiersFile: "[[tier]]\npaths = \"a.txt\"\n"})
		}, testDate, "tiers.toml:2: tier.paths: incompatible types"},
		{"tiers.toml bad pattern", func(t *testing.T, src string) {
			writeTree(t, src, map[string]string{"a.txt": "a", TiersFile: "[[tier]]\npaths = [\"a.txt\",\n  \"wiki/[a\"]\n"})
		}, testDate, `tiers.toml:3: tier 1: pattern "wiki/[a": segment "[a": syntax error in pattern`},
		{"tiers.toml stray double star", func(t *testing.T, src string) {
			writeTree(t, src, map[string]string{"a.txt": "a", TiersFile: "[[tier]]\npaths = [\"wiki**\"]\n"})
		}, testDate, `"**" must be a whole segment`},
		{"tiers.toml pattern matching nothing", func(t *testing.T, src string) {
			writeTree(t, src, map[string]string{"wiki/a.txt": "a", TiersFile: "[[tier]]\npaths = [\"wikki\"]\n"})
		}, testDate, `tiers.toml: tier 1: pattern "wikki" matches nothing in the source`},
		{"tiers.toml tier without paths", func(t *testing.T, src string) {
			writeTree(t, src, map[string]string{"a.txt": "a", TiersFile: "[[tier]]\nname = \"x\"\n"})
		}, testDate, `tiers.toml: tier 1 has no paths: give it paths = [`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := filepath.Join(t.TempDir(), "src")
			if err := os.Mkdir(src, 0o755); err != nil {
				t.Fatal(err)
			}
			tt.setup(t, src)
			parent := t.TempDir()
			out := filepath.Join(parent, "lib")
			start := time.Now()
			_, err := Build(context.Background(), src, out, BuildOptions{Date: tt.date})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Build(%s) = %v; want an error containing %q", tt.name, err, tt.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("Build(%s) error %q has more than one line", tt.name, err)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("Build(%s) took %v; want a quick refusal", tt.name, d)
			}
			if entries, _ := os.ReadDir(parent); len(entries) > 0 {
				t.Errorf("Build(%s) left %d entries beside the output; want none", tt.name, len(entries))
			}
		})
	}
}

func TestBuildOutput(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, src, out string) string // returns the out to give
		want  string                                     // "" for success
	}{
		{"new folder", func(t *testing.T, src, out string) string { return out }, ""},
		{"empty folder", func(t *testing.T, src, out string) string {
			if err := os.Mkdir(out, 0o755); err != nil {
				t.Fatal(err)
			}
			return out
		}, ""},
		{"folder not empty", func(t *testing.T, src, out string) string {
			writeTree(t, out, map[string]string{"old.txt": "x"})
			return out
		}, "exists and is not empty"},
		{"inside the source", func(t *testing.T, src, out string) string { return filepath.Join(src, "lib") }, "must not be inside the source"},
		{"parent missing", func(t *testing.T, src, out string) string { return filepath.Join(out, "sub", "lib") }, "the folder it goes in"},
		{"the source itself", func(t *testing.T, src, out string) string { return src }, "must not be inside the source"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := filepath.Join(t.TempDir(), "src")
			writeTree(t, src, map[string]string{"a.txt": "a"})
			out := tt.setup(t, src, filepath.Join(t.TempDir(), "lib"))
			_, err := Build(context.Background(), src, out, BuildOptions{Date: testDate})
			if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Fatalf("Build(%s) = %v; want %q", tt.name, err, tt.want)
			}
		})
	}
}

func TestBuildCancel(t *testing.T) {
	src := filepath.Join(t.TempDir(), "src")
	writeTree(t, src, map[string]string{"a.txt": "a", "b.txt": "b"})
	parent := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Build(ctx, src, filepath.Join(parent, "lib"), BuildOptions{Date: testDate})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Build(cancelled) = %v; want context.Canceled", err)
	}
	if entries, _ := os.ReadDir(parent); len(entries) > 0 {
		t.Errorf("Build(cancelled) left %d entries; want none", len(entries))
	}
}

func TestCovers(t *testing.T) {
	tests := []struct {
		pattern string
		path    string
		want    bool
	}{
		{"**", "a", true},
		{"**", "a/b/c", true},
		{"wiki/**", "wiki/a/b.html", true},
		{"wiki/**", "wiki", true},
		{"wiki/**", "wikis/a", false},
		{"wiki", "wiki/a/b", true},
		{"wiki", "x/wiki", false},
		{"**/*.html", "a.html", true},
		{"**/*.html", "a/b/c.html", true},
		{"**/*.html", "a/b/c.htm", false},
		{"a/**/z", "a/z", true},
		{"a/**/z", "a/b/c/z/d", true},
		{"a/**/z", "a/b/c/y", false},
		{"*.zim", "x.zim", true},
		{"*.zim", "d/x.zim", false},
		{"f?lms", "films/x", true},
		{"위키/*", "위키/대문.html", true},
	}
	for _, tt := range tests {
		p, err := parsePattern(tt.pattern)
		if err != nil {
			t.Fatalf("parsePattern(%q) = %v", tt.pattern, err)
		}
		if got := p.covers(tt.path); got != tt.want {
			t.Errorf("pattern(%q).covers(%q) = %v; want %v", tt.pattern, tt.path, got, tt.want)
		}
	}
	for _, bad := range []string{"", "/a", "a/", "a//b", "../a", "a/./b", "a**", "[", "a/b[c"} {
		if _, err := parsePattern(bad); err == nil {
			t.Errorf("parsePattern(%q) = nil; want an error", bad)
		}
	}
}

// TestTooDeep checks the guard against TOML nested so deep that the TOML
// parser's cost explodes, and that it does not trip on what tiers files
// hold: dots and brackets in strings and comments, multi-line strings.
func TestTooDeep(t *testing.T) {
	deep := strings.Repeat("{a = ", 5000) + "1" + strings.Repeat("}", 5000)
	tests := []struct {
		text string
		line int
	}{
		{"[[tier]]\nname = \"core\"\npaths = [\"index.html\", \"wiki/**/*.html\"]\n", 0},
		{"# a.b.c.d.e.f [[[[[[ {{{{{\n[[tier]] # ....... ]]]]\npaths = ['a.b.c.d.e.f', \"[[[[[.\\\".....\"]\n", 0},
		{"[[tier]]\nname = \"\"\"\n.......\n[[[[[[\"\"\"\npaths = [\n  \"a\",\n  \"b\",\n]\n", 0},
		{"x = " + deep + "\n", 1},
		{"[[tier]]\nname = '''\n.\n.\n'''\na.b.c.d.e.f = 1\n", 6},
		{"[a.b.c.d.e.f]\n", 1},
		{"x = [[[[[1]]]]]\n", 1},
		{"x = \"unclosed ...\n[[[[[[\n", 2},
	}
	for _, tt := range tests {
		if got := tooDeep(tt.text); got != tt.line {
			t.Errorf("tooDeep(%.60q) = %d; want %d", tt.text, got, tt.line)
		}
	}
	_, err := parseTiers([]byte("x = "+deep+"\n"), "tiers.toml")
	var se *SourceError
	if !errors.As(err, &se) || se.Line != 1 || !strings.Contains(err.Error(), "nested deeper than a tiers file is") {
		t.Errorf("parseTiers(inline tables 5,000 deep) = %v; want a *SourceError for line 1", err)
	}
}
