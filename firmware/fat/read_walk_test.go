package fat

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strings"
	"testing"
)

// rdTrace walks the volume opened by open and records what each step
// met: the path, its entry, or the error, and for each file and folder
// what opening and mapping it gives. With walk it goes through Walk and
// each WalkEntry, else through fs.WalkDir and the volume's path lookups:
// the two must record the same, as Check and CheckWipe rely on.
func rdTrace(v *Volume, walk bool) []string {
	var out []string
	visit := func(p string, d fs.DirEntry, err error, open func() (fs.File, error), extents func() ([]Extent, error)) error {
		if err != nil {
			out = append(out, fmt.Sprintf("%s: error %v", p, err))
			return nil
		}
		info, err := d.Info()
		if err != nil {
			out = append(out, fmt.Sprintf("%s: info %v", p, err))
			return nil
		}
		line := fmt.Sprintf("%s: %s %v %+v", p, d.Name(), d.Type(), *info.Sys().(*DirEntry))
		if f, err := open(); err != nil {
			line += fmt.Sprintf("; open %v", err)
		} else {
			line += "; " + rdTraceRead(f)
			f.Close()
		}
		exts, err := extents()
		line += fmt.Sprintf("; extents %v %v", exts, err)
		out = append(out, line)
		return nil
	}
	if walk {
		err := v.Walk(func(p string, d *WalkEntry, err error) error { return visit(p, d, err, d.Open, d.Extents) })
		out = append(out, fmt.Sprintf("end %v", err))
		return out
	}
	err := fs.WalkDir(v, ".", func(p string, d fs.DirEntry, err error) error {
		return visit(p, d, err, func() (fs.File, error) { return v.Open(p) }, func() ([]Extent, error) { return v.Extents(p) })
	})
	return append(out, fmt.Sprintf("end %v", err))
}

// rdTraceMax is the most of a file rdTraceRead reads: enough to show
// what opening it gives, without reading a hostile volume's 4 GiB file.
const rdTraceMax = 1 << 20

// rdTraceRead says what an opened file or folder holds, up to rdTraceMax
// bytes of a file.
func rdTraceRead(f fs.File) string {
	if d, ok := f.(fs.ReadDirFile); ok {
		list, err := d.ReadDir(-1)
		var names []string
		for _, e := range list {
			names = append(names, e.Name())
		}
		return fmt.Sprintf("lists %q %v", names, err)
	}
	h := sha256.New()
	n, err := io.CopyN(h, f, rdTraceMax)
	return fmt.Sprintf("reads %d bytes %x %v", n, h.Sum(nil)[:8], err)
}

// rdSameWalk checks that Walk meets what fs.WalkDir meets, each on a
// volume of its own opened by open (if it opens).
func rdSameWalk(t *testing.T, desc string, open func() (*Volume, error)) {
	t.Helper()
	var traces [2][]string
	for i, walk := range []bool{false, true} {
		v, err := open()
		if err != nil {
			traces[i] = []string{fmt.Sprintf("OpenVolume: %v", err)}
			continue
		}
		traces[i] = rdTrace(v, walk)
	}
	if !slices.Equal(traces[0], traces[1]) {
		t.Errorf("%s: Walk met\n%s\nfs.WalkDir met\n%s", desc, strings.Join(traces[1], "\n"), strings.Join(traces[0], "\n"))
	}
}

func TestWalkLikeWalkDir(t *testing.T) {
	for _, spec := range []rdTinySpec{{}, {partStart: 8}, {bps: 4096, spc: 2, partStart: 8, fats: 1}, {spc: 64, clusters: 20}} {
		img := rdTiny(spec, rdTinyTree()).img
		rdSameWalk(t, fmt.Sprintf("%+v", spec), func() (*Volume, error) { return OpenVolume(bytes.NewReader(img), int64(len(img))) })
	}
}

// TestWalkSkip checks fs.SkipDir and fs.SkipAll, from a folder and from a
// file, against fs.WalkDir.
func TestWalkSkip(t *testing.T) {
	img := rdTiny(rdTinySpec{}, rdTinyTree()).img
	for _, tc := range []struct {
		at   string
		stop error
	}{
		{"Docs", fs.SkipDir},
		{"Docs/SUB", fs.SkipDir},
		{"Docs/manifest.json", fs.SkipDir},
		{"Docs/SUB", fs.SkipAll},
		{"readme.txt", fs.SkipAll},
	} {
		var got [2][]string
		for i := range got {
			v := rdOpen(t, img)
			fn := func(p string, err error) error {
				got[i] = append(got[i], fmt.Sprintf("%s %v", p, err))
				if p == tc.at {
					return tc.stop
				}
				return nil
			}
			var err error
			if i == 0 {
				err = fs.WalkDir(v, ".", func(p string, _ fs.DirEntry, err error) error { return fn(p, err) })
			} else {
				err = v.Walk(func(p string, _ *WalkEntry, err error) error { return fn(p, err) })
			}
			got[i] = append(got[i], fmt.Sprintf("end %v", err))
		}
		if !slices.Equal(got[0], got[1]) {
			t.Errorf("%v at %s: Walk visited %q; fs.WalkDir %q", tc.stop, tc.at, got[1], got[0])
		}
	}
}
