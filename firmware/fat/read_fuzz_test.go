package fat

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// rdFuzzMaxSize caps the virtual disk a fuzz input becomes.
const rdFuzzMaxSize = 4 << 20

// rdErrBudget stops a walk that has read more than a volume of
// rdFuzzMaxSize could justify.
var rdErrBudget = errors.New("read budget spent")

// rdVirtualDisk is data followed by zeros up to size bytes, with a budget
// of bytes that may be read from it.
type rdVirtualDisk struct {
	data   []byte
	size   int64
	budget int64
}

func (d *rdVirtualDisk) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 || off >= d.size {
		return 0, fmt.Errorf("read %d bytes at %d of a %d-byte disk: %w", len(p), off, d.size, io.EOF)
	}
	n := min(int64(len(p)), d.size-off)
	if n > d.budget {
		return 0, rdErrBudget
	}
	d.budget -= n
	clear(p[:n])
	if off < int64(len(d.data)) {
		copy(p[:n], d.data[off:])
	}
	if n < int64(len(p)) {
		return int(n), io.EOF
	}
	return int(n), nil
}

// rdFuzzDiskSize is how large a disk the fuzz input data claims to be: the
// end of its first partition or its volume, within data's length and
// rdFuzzMaxSize, so that small inputs make whole volumes.
func rdFuzzDiskSize(data []byte) int64 {
	size := int64(len(data))
	if len(data) >= 512 {
		le := binary.LittleEndian
		part := int64(le.Uint32(data[446+8:])) + int64(le.Uint32(data[446+12:]))
		total := int64(le.Uint32(data[32:]))
		if t16 := le.Uint16(data[19:]); t16 != 0 {
			total = int64(t16)
		}
		size = max(size, part*512, total*int64(le.Uint16(data[11:])))
	}
	return min(size, rdFuzzMaxSize)
}

// rdFuzzMaxAlloc bounds what opening and walking one input may allocate:
// a few times what a volume of rdFuzzMaxSize holds, whatever it claims.
const rdFuzzMaxAlloc = 64 << 20

// rdFuzzReadLimit is the cap under which the walk reads every file with
// ReadFile as well.
const rdFuzzReadLimit = 4 << 10

// FuzzOpenVolume opens a volume made from the fuzz input and walks all of
// it: it must not panic or hang, must fail only with the reader's typed
// errors, must allocate no more than rdFuzzMaxAlloc, what it reads must
// agree with what it lists, and Walk must meet what fs.WalkDir meets.
// Seeds in testdata include small volumes mkfs.fat made and the hostile
// cases of TestReadHostile on a tiny volume.
func FuzzOpenVolume(f *testing.F) {
	// Small seeds make effective fuzzing: the mutator spends less on file
	// contents, and minimizing a new input takes seconds, not minutes.
	for _, spec := range []rdTinySpec{
		{fats: 1, clusters: 40},
		{clusters: 40, partStart: 1, label: "SEED"},
		{bps: 1024, fats: 1, clusters: 20},
	} {
		f.Add(bytes.TrimRight(rdTiny(spec, rdFuzzTree()).img, "\x00"))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		disk := &rdVirtualDisk{data: data, size: rdFuzzDiskSize(data), budget: 8 * rdFuzzMaxSize}
		v, err := OpenVolume(disk, disk.size)
		if err != nil {
			if !rdFuzzExpected(err) && !errors.Is(err, ErrNotFAT32) {
				t.Fatalf("OpenVolume() = %v; want ErrNotFAT32 or a *CorruptError", err)
			}
			return
		}
		rdFuzzWalk(t, v)
		if _, err := v.CountFree(); err != nil && !errors.Is(err, rdErrBudget) {
			t.Errorf("CountFree() = %v; want a count", err)
		}
		runtime.ReadMemStats(&after)
		if n := after.TotalAlloc - before.TotalAlloc; n > rdFuzzMaxAlloc {
			t.Errorf("opening and walking a %d-byte disk allocated %d bytes; want at most %d", disk.size, n, rdFuzzMaxAlloc)
		}
		rdFuzzSameWalk(t, data)
	})
}

// rdFuzzTree is a tree with one of everything and little content.
func rdFuzzTree() []*rdNode {
	return []*rdNode{
		{short: "README.TXT", ntCase: 0x18, data: []byte("hi")},
		{long: "한국어.txt", short: "___~1.TXT", data: []byte("가")},
		{long: "Docs", short: "DOCS", dir: true, kids: []*rdNode{
			{long: "manifest.json", short: "MANIFE~1.JSO", data: []byte("{}")},
			{short: "SUB", dir: true, kids: []*rdNode{
				{short: "TWO.BIN", data: bytes.Repeat([]byte{7}, 513)},
				{short: "EMPTY"},
			}},
		}},
	}
}

// rdFuzzExpected reports whether err is one a hostile volume may cause.
func rdFuzzExpected(err error) bool {
	var ce *CorruptError
	var tl *TooLargeError
	return errors.As(err, &ce) || errors.As(err, &tl) || errors.Is(err, rdErrBudget) || errors.Is(err, rdErrTooDeep)
}

// rdFuzzWalk walks v whole, reading every file, and checks what it finds.
func rdFuzzWalk(t *testing.T, v *Volume) {
	err := fs.WalkDir(v, ".", func(p string, d fs.DirEntry, err error) error {
		switch {
		case errors.Is(err, rdErrBudget):
			return fs.SkipAll
		case err != nil:
			if !rdFuzzExpected(err) {
				t.Errorf("walk %q: %v; want a *CorruptError", p, err)
			}
			return nil
		case strings.Contains(d.Name(), "/") || !fs.ValidPath(p):
			t.Fatalf("walk: listed %q, which is no valid path", p)
		case d.IsDir():
			return nil
		}
		info, err := d.Info()
		if err != nil {
			t.Fatalf("Info(%q) = %v", p, err)
		}
		f, err := v.Open(p)
		if err != nil {
			if !rdFuzzExpected(err) {
				t.Errorf("Open(%q) = %v; want a *CorruptError", p, err)
			}
			return nil
		}
		defer f.Close()
		n, err := io.Copy(io.Discard, f)
		switch {
		case errors.Is(err, rdErrBudget):
			return fs.SkipAll
		case err != nil:
			t.Errorf("read %q: %v after %d bytes; want it whole, as it opened", p, err, n)
		case n != info.Size():
			t.Errorf("read %q = %d bytes; want its size %d", p, n, info.Size())
		}
		b, err := ReadFile(v, p, rdFuzzReadLimit)
		var tl *TooLargeError
		switch {
		case errors.As(err, &tl):
			if tl.Size != info.Size() || info.Size() <= rdFuzzReadLimit {
				t.Errorf("ReadFile(%q, %d) = %v; want that only of a file over the limit, with its size %d", p, rdFuzzReadLimit, err, info.Size())
			}
		case errors.Is(err, rdErrBudget):
			return fs.SkipAll
		case err != nil:
			t.Errorf("ReadFile(%q, %d) = %v; want it whole, as it opened", p, rdFuzzReadLimit, err)
		case int64(len(b)) != n:
			t.Errorf("ReadFile(%q, %d) = %d bytes; want %d", p, rdFuzzReadLimit, len(b), n)
		}
		exts, err := v.Extents(p)
		clusters := int64(0)
		for _, x := range exts {
			clusters += int64(x.Count)
		}
		if err == nil && (clusters*v.ClusterSize() < n || clusters*v.ClusterSize() >= n+v.ClusterSize()) {
			t.Errorf("Extents(%q) = %v, %d clusters; want them to hold its %d bytes", p, exts, clusters, n)
		}
		return nil
	})
	if err != nil {
		t.Errorf("WalkDir() = %v", err)
	}
}

// rdFuzzSameWalk checks that Walk meets what fs.WalkDir meets on the
// volume of data, unless a walk spent its read budget, which the two
// spend differently.
func rdFuzzSameWalk(t *testing.T, data []byte) {
	var traces [2][]string
	for i, walk := range []bool{false, true} {
		disk := &rdVirtualDisk{data: data, size: rdFuzzDiskSize(data), budget: 8 * rdFuzzMaxSize}
		v, err := OpenVolume(disk, disk.size)
		if err != nil {
			t.Fatalf("OpenVolume() = %v on the second opening; the first opened", err)
		}
		traces[i] = rdTrace(v, walk)
		if slices.ContainsFunc(traces[i], func(s string) bool { return strings.Contains(s, rdErrBudget.Error()) }) {
			return
		}
	}
	if !slices.Equal(traces[0], traces[1]) {
		t.Errorf("Walk met\n%s\nfs.WalkDir met\n%s", strings.Join(traces[1], "\n"), strings.Join(traces[0], "\n"))
	}
}
