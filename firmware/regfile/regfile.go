package regfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// NotRegularError is returned for a path that names something other than
// a regular file where one belongs.
type NotRegularError struct {
	Path string
	Kind string // "a symbolic link", "a directory", "a FIFO", "a device", ...
}

func (e *NotRegularError) Error() string {
	return fmt.Sprintf("%s is %s, not a regular file", e.Path, e.Kind)
}

// TooLargeError is returned by ReadFile for a file larger than its limit.
type TooLargeError struct {
	Path  string
	Size  int64 // the size found; at least Limit+1
	Limit int64
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("%s is too large: %d bytes, at most %d allowed", e.Path, e.Size, e.Limit)
}

// Links says whether a symbolic link as the last element of a path is
// followed: Follow for a path a user typed, Refuse for a file found inside
// a folder (a library, a card), where a link could point anywhere.
type Links bool

// The two ways of treating a symbolic link.
const (
	Refuse Links = false
	Follow Links = true
)

// Open opens name for reading if it is a regular file. The open does not
// block on a FIFO, and a link is refused unless links is Follow. Errors
// are *NotRegularError or *fs.PathError.
func Open(name string, links Links) (*os.File, error) {
	f, err := open(name, links)
	if err != nil {
		return nil, err
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !info.Mode().IsRegular() {
		f.Close()
		return nil, &NotRegularError{Path: name, Kind: kind(info.Mode())}
	}
	return f, nil
}

// ReadFile reads the whole of the regular file name, refusing it with a
// *TooLargeError if it holds more than limit bytes, whatever its size
// claims to be.
func ReadFile(name string, links Links, limit int64) ([]byte, error) {
	f, err := Open(name, links)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if info.Size() > limit {
		return nil, &TooLargeError{Path: name, Size: info.Size(), Limit: limit}
	}
	// The buffer is sized from the stat size, one byte more to see the
	// end, so that a large file is read into one allocation rather than
	// one that io.ReadAll grows by doubling (a 100 MB file took 235 MiB).
	// A file that grows while it is read is still cut off at limit+1.
	data := make([]byte, 0, info.Size()+1)
	for {
		if len(data) == cap(data) {
			data = append(data, 0)[:len(data)]
		}
		n, err := f.Read(data[len(data):min(int64(cap(data)), limit+1)])
		data = data[:len(data)+n]
		if int64(len(data)) > limit {
			return nil, &TooLargeError{Path: name, Size: int64(len(data)), Limit: limit}
		}
		if err == io.EOF {
			return data, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// Check returns a *NotRegularError if name exists and is not a regular
// file (a link counts as one unless links is Follow), nil if it is one or
// does not exist. It is for a file about to be created or replaced.
func Check(name string, links Links) error {
	stat := os.Lstat
	if links == Follow {
		stat = os.Stat
	}
	info, err := stat(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if !info.Mode().IsRegular() {
		return &NotRegularError{Path: name, Kind: kind(info.Mode())}
	}
	return nil
}

// kind names a file's type for an error.
func kind(m fs.FileMode) string {
	switch {
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	}
	return "not a regular file"
}
