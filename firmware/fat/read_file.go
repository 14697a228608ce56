package fat

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"sort"
	"time"
)

// rdInfo is a *DirEntry as fs.FileInfo and fs.DirEntry. The volume is
// opened read-only, so modes say so.
type rdInfo struct{ e *DirEntry }

func (i *rdInfo) Name() string { return i.e.Name }
func (i *rdInfo) IsDir() bool  { return i.e.rdIsDir() }

func (i *rdInfo) Size() int64 {
	if i.IsDir() {
		return 0
	}
	return int64(i.e.Size)
}

// Sys returns a copy of the entry, as the volume keeps the original.
func (i *rdInfo) Sys() any {
	e := *i.e
	return &e
}

func (i *rdInfo) ModTime() time.Time { return i.e.Modified }

func (i *rdInfo) Mode() fs.FileMode {
	if i.IsDir() {
		return fs.ModeDir | 0o555
	}
	return 0o444
}

func (i *rdInfo) Type() fs.FileMode          { return i.Mode().Type() }
func (i *rdInfo) Info() (fs.FileInfo, error) { return i, nil }
func (i *rdInfo) String() string             { return fs.FormatFileInfo(i) }

// rdFile is an open file: its runs of clusters, checked against its size
// when it was opened, read one run per ReadAt of the device.
type rdFile struct {
	v      *Volume
	name   string
	info   *rdInfo
	exts   []Extent
	ends   []int64 // ends[i] is the file offset where exts[i] ends
	pos    int64
	closed bool
}

func newRdFile(v *Volume, name string, info *rdInfo, exts []Extent) *rdFile {
	f := &rdFile{v: v, name: name, info: info, exts: exts, ends: make([]int64, len(exts))}
	end := int64(0)
	for i, x := range exts {
		end += int64(x.Count) * v.clusterSize
		f.ends[i] = end
	}
	return f
}

func (f *rdFile) Stat() (fs.FileInfo, error) {
	if f.closed {
		return nil, f.err("stat", fs.ErrClosed)
	}
	return f.info, nil
}

func (f *rdFile) Close() error {
	if f.closed {
		return f.err("close", fs.ErrClosed)
	}
	f.closed = true
	return nil
}

func (f *rdFile) err(op string, err error) error {
	return &fs.PathError{Op: op, Path: f.name, Err: err}
}

// ReadAt reads from the file at off; a read that spans several runs of
// clusters reads each run with one ReadAt of the device.
func (f *rdFile) ReadAt(p []byte, off int64) (int, error) {
	switch {
	case f.closed:
		return 0, f.err("read", fs.ErrClosed)
	case off < 0:
		return 0, f.err("read", errors.New("negative offset"))
	}
	size := f.info.Size()
	if off >= size {
		return 0, io.EOF
	}
	want := p[:min(int64(len(p)), size-off)]
	i := sort.Search(len(f.ends), func(i int) bool { return f.ends[i] > off })
	for n := 0; n < len(want); i++ {
		at := off + int64(n)
		runStart := f.ends[i] - int64(f.exts[i].Count)*f.v.clusterSize
		k := min(int64(len(want)-n), f.ends[i]-at)
		if err := rdReadFull(f.v.r, want[n:n+int(k)], f.exts[i].Offset+at-runStart); err != nil {
			return n, f.err("read", err)
		}
		n += int(k)
	}
	if len(want) < len(p) {
		return len(want), io.EOF
	}
	return len(p), nil
}

func (f *rdFile) Read(p []byte) (int, error) {
	n, err := f.ReadAt(p, f.pos)
	f.pos += int64(n)
	if err == io.EOF && n > 0 {
		err = nil
	}
	return n, err
}

func (f *rdFile) Seek(offset int64, whence int) (int64, error) {
	if f.closed {
		return 0, f.err("seek", fs.ErrClosed)
	}
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += f.pos
	case io.SeekEnd:
		offset += f.info.Size()
	default:
		return 0, f.err("seek", fmt.Errorf("whence %d", whence))
	}
	if offset < 0 {
		return 0, f.err("seek", errors.New("negative position"))
	}
	f.pos = offset
	return offset, nil
}

// rdDirFile is an open folder, its entries read when it was opened.
type rdDirFile struct {
	name   string
	info   *rdInfo
	list   *rdDirList
	pos    int // entries already returned by ReadDir
	closed bool
}

func (d *rdDirFile) Stat() (fs.FileInfo, error) {
	if d.closed {
		return nil, &fs.PathError{Op: "stat", Path: d.name, Err: fs.ErrClosed}
	}
	return d.info, nil
}

func (d *rdDirFile) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.name, Err: errors.New("is a folder")}
}

func (d *rdDirFile) Close() error {
	if d.closed {
		return &fs.PathError{Op: "close", Path: d.name, Err: fs.ErrClosed}
	}
	d.closed = true
	return nil
}

// ReadDir returns the next n entries in directory order, or all the rest
// if n <= 0.
func (d *rdDirFile) ReadDir(n int) ([]fs.DirEntry, error) {
	if d.closed {
		return nil, &fs.PathError{Op: "readdir", Path: d.name, Err: fs.ErrClosed}
	}
	rest := len(d.list.entries) - d.pos
	if n > 0 && rest == 0 {
		return nil, io.EOF
	}
	if n <= 0 || n > rest {
		n = rest
	}
	out := d.list.list(d.pos, d.pos+n)
	d.pos += n
	return out, nil
}

// TooLargeError is a file that ReadFile refuses to read into memory
// because it is larger than the caller's limit.
type TooLargeError struct {
	Name  string // the file's path
	Size  int64  // its size as its entry states; 0 when the entry said less than the file holds
	Limit int64  // the most the caller would read
}

func (e *TooLargeError) Error() string {
	if e.Size == 0 {
		return fmt.Sprintf("%s holds more than its size says and more than %d bytes, the most read", e.Name, e.Limit)
	}
	return fmt.Sprintf("%s is %d bytes; at most %d are read", e.Name, e.Size, e.Limit)
}

// ReadFile reads the regular file name from fsys whole, if it holds at most
// limit bytes, and allocates no more than that whatever the file claims: a
// larger file is a *TooLargeError, found from its size before anything is
// read, or from its contents if the size does not say. Use it rather than
// fs.ReadFile for a file on a volume that may be hostile, whose directory
// entry may claim up to 4 GiB. It works on any fs.FS; on a *Volume, a file
// whose cluster chain does not match its size is a *CorruptError.
func ReadFile(fsys fs.FS, name string, limit int64) ([]byte, error) {
	if limit < 0 {
		return nil, &fs.PathError{Op: "read", Path: name, Err: fmt.Errorf("BUG: negative limit %d", limit)}
	}
	st, err := fs.Stat(fsys, name)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		what := "not a regular file"
		if st.IsDir() {
			what = "is a folder"
		}
		return nil, &fs.PathError{Op: "read", Path: name, Err: errors.New(what)}
	}
	if st.Size() > limit {
		return nil, &TooLargeError{Name: name, Size: st.Size(), Limit: limit}
	}
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// One byte more than the size says, to see the end without growing.
	buf := make([]byte, 0, min(st.Size(), limit)+1)
	for idle := 0; ; {
		if len(buf) == cap(buf) {
			if int64(len(buf)) > limit {
				return nil, &TooLargeError{Name: name, Limit: limit}
			}
			buf = slices.Grow(buf, int(min(int64(len(buf)), limit+1-int64(len(buf)))))
		}
		n, err := f.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		switch {
		case err == io.EOF:
			return rdLimited(name, buf, limit)
		case err != nil:
			return nil, err
		case n > 0:
			idle = 0
		default:
			if idle++; idle > 100 {
				return nil, &fs.PathError{Op: "read", Path: name, Err: io.ErrNoProgress}
			}
		}
	}
}

// rdLimited returns buf, the whole of file name, unless it holds more than
// limit bytes.
func rdLimited(name string, buf []byte, limit int64) ([]byte, error) {
	if int64(len(buf)) > limit {
		return nil, &TooLargeError{Name: name, Limit: limit}
	}
	return buf, nil
}
