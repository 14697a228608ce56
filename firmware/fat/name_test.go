package fat

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
)

func TestCheckPath(t *testing.T) {
	deep := strings.Repeat("d/", MaxDepth-1) + "f"
	for _, tc := range []struct {
		path string
		ok   bool
	}{
		{"a.txt", true},
		{"위키백과/대문.html", true},
		{"Mixed Case/File Name.TXT", true},
		{".hidden", true},
		{strings.Repeat("x", 255), true},
		{strings.Repeat("x", 256), false},
		{strings.Repeat("가", 255), true},  // 255 UTF-16 units, 765 bytes
		{strings.Repeat("😀", 128), false}, // 256 UTF-16 units: surrogate pairs count twice
		{deep, true},
		{"d/" + deep, false},
		{strings.Repeat("abcdefghi/", 25) + "x", true},
		{strings.Repeat("abcdefghi/", 25) + "xxxxxx", false}, // 256 units in all
		{"", false},
		{"/abs", false},
		{"dir/", false},
		{"a//b", false},
		{"a/./b", false},
		{"a/../b", false},
		{"trailing.", false},
		{"trailing ", false},
		{"dir./x", false},
		{"what?.txt", false},
		{"a:b", false},
		{`back\slash`, false},
		{"star*", false},
		{"pipe|", false},
		{`quote"`, false},
		{"<lt", false},
		{"tab\tname", false},
		{"CON", false},
		{"con.txt", false},
		{"Lpt1.doc", false},
		{"console.txt", true},
		{"bad\xffutf8", false},
	} {
		err := CheckPath(tc.path)
		if (err == nil) != tc.ok {
			t.Errorf("CheckPath(%q) = %v; want ok=%v", tc.path, err, tc.ok)
		}
		var ne *NameError
		if err != nil && !errors.As(err, &ne) {
			t.Errorf("CheckPath(%q) = %T; want *NameError", tc.path, err)
		}
	}
}

func TestShortNames(t *testing.T) {
	for _, tc := range []struct {
		long  string
		short string // as stored, 8+3
		lcase byte
		long2 bool // needs long-name entries
	}{
		{"README.TXT", "README  TXT", 0, false},
		{"readme.txt", "README  TXT", 0x18, false},
		{"readme.TXT", "README  TXT", 0x08, false},
		{"README.txt", "README  TXT", 0x10, false},
		{"Makefile", "MAKEFILE   ", 0, true},
		{"ReadMe.Html", "README~1HTM", 0, true},
		{"Documentary Part 1.mp4", "DOCUME~1MP4", 0, true}, // a space always makes a generated name
		{"12345678", "12345678   ", 0, false},
		{"longfilename.text", "LONGFI~1TEX", 0, true},
		{"위키백과.html", "D553~1  HTM", 0, true}, // no 8.3 character: the checksum from the first
		{".bashrc", "BASHRC~1   ", 0, true},
		{"a.b.c", "AB6162~1C  ", 0, true}, // a basis of two characters: the checksum too
		{"a b.txt", "AB5079~1TXT", 0, true},
		{"[1] a=b;c,d.txt", "_1_A_B~1TXT", 0, true},
		{"été.txt", "TDA51~1 TXT", 0, true}, // é dropped: code page 437 as ASCII only (docs/anonymity.md)
		{"x+y.txt", "X_Y~1   TXT", 0, true},
		{"Foo.txt", "FOO     TXT", 0, true}, // mixed case: long entries, but no tail
		{"name.", "", 0, true},              // not reached: CheckName refuses it
	} {
		if CheckName(tc.long) != nil {
			continue
		}
		l, err := Plan(64*mib, []Entry{{Path: tc.long}}, Options{Time: testDate})
		if err != nil {
			t.Fatalf("Plan(%q): %v", tc.long, err)
		}
		c := namesOf(l, 0)[0]
		if string(c.short[:]) != tc.short || c.lcase != tc.lcase || c.long != tc.long2 {
			t.Errorf("short name of %q = %q case %#x long %v; want %q case %#x long %v",
				tc.long, c.short[:], c.lcase, c.long, tc.short, tc.lcase, tc.long2)
		}
	}
}

// TestShortNameTails: in a folder of many names with one basis, the first
// four made take ~1 to ~4 (here ~1 is an exact name's), every later one the
// two-character, checksum form, and no two share a short name.
func TestShortNameTails(t *testing.T) {
	var es []Entry
	for i := range 1200 {
		es = append(es, Entry{Path: fmt.Sprintf("longfilename%s%c%04d.txt", strings.Repeat("x", i%3), 'a'+i%26, i)})
	}
	es = append(es, Entry{Path: "LONGFI~1.TXT"}) // an exact name that a tail would take
	l, err := Plan(64*mib, es, Options{Time: testDate})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[[11]byte]string{}
	hashed := regexp.MustCompile(`^LO[0-9A-F]{4}~[0-9]TXT$`)
	for _, c := range namesOf(l, 0) {
		if prev, ok := seen[c.short]; ok {
			t.Fatalf("%q and %q share short name %q", prev, c.name, c.short[:])
		}
		seen[c.short] = c.name
	}
	if got := seen[[11]byte([]byte("LONGFI~1TXT"))]; got != "LONGFI~1.TXT" {
		t.Errorf("LONGFI~1.TXT is held by %q; want the file of that exact name", got)
	}
	// The names are made in the folder's order, which is Explorer's.
	var made []namedChild
	for _, c := range namesOf(l, 0) {
		if c.name != "LONGFI~1.TXT" {
			made = append(made, c)
		}
	}
	for i, want := range []string{"LONGFI~2TXT", "LONGFI~3TXT", "LONGFI~4TXT"} {
		if got := seen[[11]byte([]byte(want))]; got != made[i].name {
			t.Errorf("%s is held by %q; want %q, the %d. name made", want, got, made[i].name, i+1)
		}
	}
	for i, c := range made[3:] {
		want := fmt.Sprintf("LO%04X~", nameChecksum(c.name))
		if !hashed.Match(c.short[:]) || !strings.HasPrefix(string(c.short[:]), want) {
			t.Fatalf("name %d, %q: short name %q; want %s1.TXT or a later ~N", i+4, c.name, c.short[:], want)
		}
	}
}

// TestNameChecksum checks the checksum of Windows' generated short names
// against names a Windows system wrote: SomeStuff.aspx as SOBC84~1.ASP
// (Thomas Galvin, "A Tale of Two File Names", 2015) and four files listed
// with dir /x in stackoverflow.com/questions/31526206.
func TestNameChecksum(t *testing.T) {
	for _, tc := range []struct {
		long string
		sum  uint16
	}{
		{"SomeStuff.aspx", 0xBC84},
		{"Rammstein & Tatu - Moscow.mp3", 0x8E17},
		{"Rammstein - Asche zu Asche.mp3", 0x23A6},
		{"Rammstein - Du Hast.mp3", 0x0CAE},
		{"Rammstein - Haifisch.mp3", 0x6BAA},
	} {
		if got := nameChecksum(tc.long); got != tc.sum {
			t.Errorf("nameChecksum(%q) = %04X; want %04X", tc.long, got, tc.sum)
		}
	}
}

// TestCrowdedFolder: twelve parts of a documentary in one folder get the
// names Windows NT and later give them when created in this order, ~1 to
// ~4 and then the checksum form, computed from the algorithm (see
// docs/anonymity.md), and mtools, reading the written volume, lists them.
func TestCrowdedFolder(t *testing.T) {
	want := []string{"DOCUME~1", "DOCUME~2", "DOCUME~3", "DOCUME~4", "DO4019~1", "DO6B71~1",
		"DO164D~1", "DO31B5~1", "DOEB71~1", "DO39B8~1", "DO5421~1", "DO0113~1"}
	var files []testFile
	for i := range want {
		files = append(files, testFile{path: fmt.Sprintf("films/Documentary Part %d.mp4", i+1), data: []byte("frame")})
	}
	img, l := writeImage(t, 64*mib, files, Options{})
	for i, c := range namesOf(l, 1) {
		if got := string(c.short[:]); got != want[i]+"MP4" {
			t.Errorf("%q: short name %q; want %s.MP4", c.name, got, want[i])
		}
	}
	out := mtools(t, img, "mdir", "::films")
	for i, w := range want {
		if !strings.Contains(out, w+"  MP4") && !strings.Contains(out, w+" MP4") {
			t.Errorf("mdir does not list %s.MP4 for part %d:\n%s", w, i+1, out)
		}
	}
}

func TestPlanRefuses(t *testing.T) {
	for _, tc := range []struct {
		name    string
		entries []Entry
		opts    Options
	}{
		{"case duplicates", []Entry{{Path: "Read.txt"}, {Path: "READ.TXT"}}, Options{}},
		{"Korean case-free duplicate", []Entry{{Path: "위키/a"}, {Path: "위키/a"}}, Options{}},
		{"file and folder of one name", []Entry{{Path: "x"}, {Path: "X/y"}}, Options{}},
		{"bad name", []Entry{{Path: "a?b"}}, Options{}},
		{"too big", []Entry{{Path: "a", Size: MaxFileSize + 1}}, Options{}},
		{"no space", []Entry{{Path: "a", Size: 70 * mib}}, Options{}},
		{"label too long", nil, Options{Label: "ABCDEFGHIJKL"}},
		{"label with dot", nil, Options{Label: "A.B"}},
		{"label Korean", nil, Options{Label: "위키"}},
		{"date before 1980", nil, Options{Time: testDate.AddDate(-50, 0, 0)}},
	} {
		if tc.opts.Time.IsZero() {
			tc.opts.Time = testDate
		}
		if _, err := Plan(64*mib, tc.entries, tc.opts); err == nil {
			t.Errorf("Plan(%s) = nil error; want a refusal", tc.name)
		}
	}
	_, err := Plan(64*mib, []Entry{{Path: "a", Size: 70 * mib}}, Options{Time: testDate})
	if !errors.Is(err, ErrNoSpace) {
		t.Errorf("Plan(70 MiB file on 64 MiB disk) = %v; want ErrNoSpace", err)
	}
}

// TestNormalizeLabel checks the label rule that kiosk.toml and Plan share:
// what it accepts, Plan accepts, upper-cased.
func TestNormalizeLabel(t *testing.T) {
	for _, tc := range []struct {
		label, want string // want "" for a refusal
	}{
		{"", "NO NAME"}, {"NO NAME", "NO NAME"}, {"books", "BOOKS"}, {"Books 2026", "BOOKS 2026"},
		{"LIBRARY2026", "LIBRARY2026"}, {"A$%'-_@~`!(", "A$%'-_@~`!("},
		{"LIBRARY 2026", ""}, {" X", ""}, {"a.b", ""}, {"한국어", ""}, {"a/b", ""}, {"A+B", ""},
	} {
		got, err := NormalizeLabel(tc.label)
		if got != tc.want || (err == nil) != (tc.want != "") {
			t.Errorf("NormalizeLabel(%q) = %q, %v; want %q", tc.label, got, err, tc.want)
		}
		_, planErr := Plan(64*mib, nil, Options{Label: tc.label, Time: testDate})
		if (err == nil) != (planErr == nil) {
			t.Errorf("NormalizeLabel(%q) = %v, but Plan says %v", tc.label, err, planErr)
		}
		if err == nil && got != strings.ToUpper(got) {
			t.Errorf("NormalizeLabel(%q) = %q; want upper case", tc.label, got)
		}
	}
}

// namedChild is a child of a planned folder as its entries name it.
type namedChild struct {
	name string
	dir  bool
	entryName
}

// namesOf is how the children of folder di of l are named, in the
// order of the folder's entries.
func namesOf(l *Layout, di int) []namedChild {
	d := &l.dirs[di]
	var names []string
	for _, ref := range l.children(d) {
		names = append(names, l.name(ref))
	}
	short, err := shortNames(d, names)
	if err != nil {
		panic(err)
	}
	out := make([]namedChild, len(names))
	for k, ref := range l.children(d) {
		out[k] = namedChild{names[k], ref&dirRef != 0, short[k]}
	}
	return out
}
