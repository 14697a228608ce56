package flash

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"sort"

	"flashkiosk/firmware/fat"
	"flashkiosk/firmware/library"
)

// CheckReport compares what a drive holds with a library, file by file.
type CheckReport struct {
	Label    string
	VolumeID uint32
	Good     int      // files present with the manifest's size and SHA-256
	Bytes    int64    // bytes in those files
	Tiers    []int    // per tier, how many of its files the drive holds intact
	Missing  []string // tier-1 files or folders the drive lacks
	Differ   []string // files whose size or SHA-256 differs, with why
	Extra    []string // files or folders the library does not hold
	Stamps   []string // files not last written at the library's time, entries made before it
}

// OK reports whether the drive is a faithful copy: all of tier 1, nothing
// changed, nothing extra, every file last written at the library's time
// (as a copy keeps its source's) and nothing made before that.
func (r *CheckReport) OK() bool {
	return len(r.Missing)+len(r.Differ)+len(r.Extra)+len(r.Stamps) == 0
}

// Check reads the FAT32 volume of a drive independently of the writer and
// compares every file with the library's manifest. An unreadable volume is
// an error; differences are in the report. It walks the volume folder by
// folder and keeps, beyond the library and what differs, a bit a file of
// the library and the reader's bits a cluster and entry: about 10 bytes a
// file in all (TestCheckMemory).
func Check(ctx context.Context, r io.ReaderAt, size int64, lib *library.Library) (*CheckReport, error) {
	v, err := fat.OpenVolume(r, size)
	if err != nil {
		return nil, err
	}
	m := lib.Manifest
	rep := &CheckReport{Label: v.Label(), VolumeID: v.VolumeID(), Tiers: make([]int, len(m.Tiers))}
	seen := make([]uint64, (m.NumFiles()+63)/64) // files the drive holds, by manifest index
	emptyDirs := map[string]bool{}               // tier-1 empty folders the drive lacks so far
	for f := range m.Folders() {
		if f.Tier == 1 {
			emptyDirs[f.Path] = true
		}
	}
	date := lib.Time()
	buf := make([]byte, 64<<10)
	err = v.Walk(func(p string, d *fat.WalkEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if p == "." {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if e, ok := info.Sys().(*fat.DirEntry); ok {
			switch {
			case !d.IsDir() && !e.Modified.Equal(date):
				rep.Stamps = append(rep.Stamps, fmt.Sprintf("%s: written %s", p, e.Modified.Format("2006-01-02 15:04:05")))
			case e.Created.Before(date):
				rep.Stamps = append(rep.Stamps, fmt.Sprintf("%s: made %s", p, e.Created.Format("2006-01-02 15:04:05")))
			}
		}
		if d.IsDir() {
			delete(emptyDirs, p)
			if !m.HasFolder(p) {
				rep.Extra = append(rep.Extra, p+"/")
			}
			return nil
		}
		i, ok := m.Lookup(p)
		if !ok {
			rep.Extra = append(rep.Extra, p)
			return nil
		}
		seen[i/64] |= 1 << (i % 64)
		f := m.File(i)
		fh, err := d.Open()
		if err != nil {
			return err
		}
		if why, err := compareOpened(fh, f, buf); err != nil {
			return err
		} else if why != "" {
			rep.Differ = append(rep.Differ, p+": "+why)
			return nil
		}
		rep.Good++
		rep.Bytes += f.Size
		rep.Tiers[f.Tier-1]++
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("check: %w", err)
	}
	for i, f := range m.Files() {
		if f.Tier == 1 && seen[i/64]&(1<<(i%64)) == 0 {
			rep.Missing = append(rep.Missing, f.Path)
		}
	}
	for p := range emptyDirs {
		rep.Missing = append(rep.Missing, p+"/")
	}
	for _, l := range [][]string{rep.Missing, rep.Differ, rep.Extra, rep.Stamps} {
		sort.Strings(l)
	}
	return rep, nil
}

// CompareFile reads the file name of a volume read with firmware/fat and
// compares its size and SHA-256 with want; why is "" if it matches, and
// says what differs otherwise (a file the volume cannot read is a
// difference too). err is for a volume that cannot be read at all. buf is
// the memory it reads through, so that a check of a hundred thousand
// files does not allocate one for each.
func CompareFile(fsys fs.FS, name string, want library.File, buf []byte) (why string, err error) {
	fh, err := fsys.Open(name)
	if err != nil {
		return "", err
	}
	return compareOpened(fh, want, buf)
}

// compareOpened is CompareFile of the file fh, which it closes.
func compareOpened(fh fs.File, want library.File, buf []byte) (why string, err error) {
	defer fh.Close()
	h := sha256.New()
	n, err := io.CopyBuffer(h, fh, buf)
	var ce *fat.CorruptError
	if errors.As(err, &ce) {
		return "unreadable: " + ce.Error(), nil
	}
	if err != nil {
		return "", err
	}
	switch {
	case n != want.Size:
		return fmt.Sprintf("%d bytes; the library has %d", n, want.Size), nil
	case !bytes.Equal(h.Sum(nil), want.SHA256[:]):
		return "SHA-256 differs from the library's", nil
	}
	return "", nil
}

// alignedReader reads a device opened for direct I/O at any offset and
// length, so that reads still bypass the page cache: through a few aligned
// windows it keeps, as a check reads a drive in small pieces (a folder's
// entries, then a small file, then the next), mostly in order: each piece
// would otherwise cost a read of the device of its own. It is not safe for
// concurrent use.
type alignedReader struct {
	dev  *Device
	wins [readWindows]readWin
	tick int
}

// readWin is an aligned stretch of the device as last read.
type readWin struct {
	buf   []byte // readWindow bytes of aligned memory
	start int64  // disk offset of buf[0]
	n     int    // bytes of buf read; 0 for none
	used  int    // the reader's tick at its last use
}

const (
	readWindow  = 256 << 10 // bytes read at once
	readWindows = 4         // the FAT, a folder and a file's data are read in turn
)

// Reader returns an io.ReaderAt over the device that accepts any offset
// and length; release frees its buffer.
func (d *Device) Reader() (r io.ReaderAt, release func(), err error) {
	buf, free, err := alignedBuffer(readWindows * readWindow)
	if err != nil {
		return nil, nil, err
	}
	a := &alignedReader{dev: d}
	for i := range a.wins {
		a.wins[i].buf = buf[i*readWindow : (i+1)*readWindow]
	}
	return a, free, nil
}

func (a *alignedReader) ReadAt(p []byte, off int64) (int, error) {
	n := 0
	for n < len(p) {
		pos := off + int64(n)
		if pos >= a.dev.Size() {
			return n, io.EOF
		}
		w, err := a.window(pos)
		if err != nil {
			// A bad sector in the window may lie outside what was asked
			// for: read just that, so that the error is its own.
			k, err := a.exact(p[n:], pos)
			return n + k, err
		}
		n += copy(p[n:], w.buf[pos-w.start:w.n])
	}
	return n, nil
}

// window returns the window holding the byte at pos, reading it into the
// one used longest ago if none does.
func (a *alignedReader) window(pos int64) (*readWin, error) {
	a.tick++
	start := pos / readWindow * readWindow
	lru := &a.wins[0]
	for i := range a.wins {
		w := &a.wins[i]
		if w.n > 0 && w.start == start {
			w.used = a.tick
			return w, nil
		}
		if w.used < lru.used {
			lru = w
		}
	}
	n := int(min(readWindow, a.dev.Size()-start))
	lru.n = 0
	if _, err := a.dev.ReadAt(lru.buf[:n], start); err != nil {
		return nil, err
	}
	lru.start, lru.n, lru.used = start, n, a.tick
	return lru, nil
}

// exact reads p at pos through a window's memory, only the aligned
// blocks that hold it.
func (a *alignedReader) exact(p []byte, pos int64) (int, error) {
	align := int64(a.dev.Align())
	buf := a.wins[0].buf
	a.wins[0].n = 0
	n := 0
	for n < len(p) && pos+int64(n) < a.dev.Size() {
		at := pos + int64(n)
		start := at / align * align
		end := min(a.dev.Size(), start+int64(len(buf)), (at+int64(len(p)-n)+align-1)/align*align)
		if _, err := a.dev.ReadAt(buf[:end-start], start); err != nil {
			return n, err
		}
		n += copy(p[n:], buf[at-start:end-start])
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}
