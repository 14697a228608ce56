package fat

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
	"testing"
)

// fuzzEntries turns fuzz bytes into a tree of up to 300 entries drawn from
// name pieces that exercise case, Korean, dots, spaces and 8.3 edges.
func fuzzEntries(data []byte) []Entry {
	pieces := []string{"a", "B", "readme", "README", "가", "위키백과", ".", "txt", " ", "~1", "LONGFILENAME", "x+y", "Ab", "1234567", "html", "..", "$"}
	sizes := []int64{0, 1, 511, 512, 513, 4096, 65536, 1 << 20, 3 << 20, 9 << 20}
	var es []Entry
	for len(data) >= 3 && len(es) < 300 {
		depth := int(data[0]%4) + 1
		var parts []string
		for d := range depth {
			n := int(data[1]>>uint(d)) % 3
			var name strings.Builder
			for k := 0; k <= n; k++ {
				name.WriteString(pieces[(int(data[1])+int(data[2])*(d+1)+k*7)%len(pieces)])
			}
			// Mostly valid names, so that the budget comparison is reached.
			part := strings.TrimRight(name.String(), ". ")
			if part == "" || part == "." {
				part = "x"
			}
			parts = append(parts, part)
		}
		if data[0]&0x70 != 0x70 { // mostly unique names; some collide on purpose
			parts[len(parts)-1] += fmt.Sprintf("-%d", len(es))
		}
		es = append(es, Entry{
			Path: strings.Join(parts, "/"),
			Size: sizes[int(data[2])%len(sizes)],
			Dir:  data[0]&0x80 != 0,
		})
		data = data[3:]
	}
	for i := range es {
		if es[i].Dir {
			es[i].Size = 0
		}
	}
	return es
}

func FuzzPlan(f *testing.F) {
	f.Add([]byte("\x01\x02\x03\x81\x05\x06\x02\x07\x08"), uint16(0), false)
	f.Add([]byte("\x03\x10\x09\x03\x11\x09\x03\x12\x09\x03\x13\x09"), uint16(5), true)
	f.Add([]byte(strings.Repeat("\x00\x0b\x08", 40)), uint16(300), true)
	f.Fuzz(func(t *testing.T, data []byte, diskMiB uint16, label bool) {
		disk := int64(64+int(diskMiB)%400) * mib
		entries := fuzzEntries(data)
		opts := Options{Time: testDate}
		if label {
			opts.Label = "FUZZ"
		}
		g, err := NewGeometry(disk, 512)
		if err != nil {
			t.Fatalf("NewGeometry(%d): %v", disk, err)
		}
		b := NewBudget(g, opts.Label)
		allFit, budgetOK := true, true
		for _, e := range entries {
			ok, err := b.Add(e.Path, e.Size, e.Dir)
			if err != nil {
				budgetOK = false
				break
			}
			allFit = allFit && ok
		}
		l, err := Plan(disk, entries, opts)
		var ne *NameError
		switch {
		case errors.As(err, &ne) || !budgetOK:
			return // names are Plan's to refuse; the budget does not check them
		case allFit && err != nil:
			t.Fatalf("Budget fits all %d entries, Plan says %v", len(entries), err)
		case !allFit && !errors.Is(err, ErrNoSpace):
			t.Fatalf("Budget refused an entry, Plan says %v; want ErrNoSpace", err)
		case err != nil:
			return
		}
		if int64(l.used) != b.used {
			t.Fatalf("Plan uses %d clusters, Budget counted %d", l.used, b.used)
		}
		for di, d := range l.dirs {
			seen := map[[11]byte]bool{}
			for _, c := range namesOf(l, di) {
				if seen[c.short] {
					t.Fatalf("folder %q: short name %q twice", d.path, c.short[:])
				}
				seen[c.short] = true
				for _, ch := range c.short {
					if ch != ' ' && !shortChar(ch) {
						t.Fatalf("short name %q of %q has %q", c.short[:], c.name, ch)
					}
				}
				if c.short[0] == ' ' || (!c.long && Fold(c.name) != strings.TrimSpace(string(c.short[:8]))+dotExt(c.short)) {
					t.Fatalf("%q stored as %q without a long name", c.name, c.short[:])
				}
			}
		}
		if l.DataEnd() > 16*mib {
			return
		}
		var files []Entry
		for _, e := range entries {
			if !e.Dir {
				files = append(files, e)
			}
		}
		src := func(i int, _ string) (io.ReadCloser, error) {
			return io.NopCloser(io.LimitReader(zeros{}, files[i].Size)), nil
		}
		var img bytes.Buffer
		if n, err := io.Copy(&img, io.LimitReader(l.Stream(src, nil), l.DataEnd())); err != nil || n != l.DataEnd() {
			t.Fatalf("stream to the end of data: %d bytes, %v; want %d", n, err, l.DataEnd())
		}
		v, err := OpenVolume(memDisk{img.Bytes()}, disk)
		if err != nil {
			t.Fatalf("OpenVolume of a planned volume: %v", err)
		}
		for _, e := range entries {
			info, err := fs.Stat(v, e.Path)
			if err != nil {
				t.Fatalf("Stat(%q) on the written volume: %v", e.Path, err)
			}
			if info.IsDir() != e.Dir || (!e.Dir && info.Size() != e.Size) || info.Name() != path.Base(e.Path) {
				t.Fatalf("Stat(%q) = %q dir %v size %d; want %q dir %v size %d", e.Path, info.Name(), info.IsDir(), info.Size(), path.Base(e.Path), e.Dir, e.Size)
			}
		}
	})
}

func dotExt(short [11]byte) string {
	if ext := strings.TrimSpace(string(short[8:])); ext != "" {
		return "." + ext
	}
	return ""
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }
