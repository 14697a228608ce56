package regfile

import (
	"fmt"
	"os"
)

// NotImageError is returned by OpenImage for a path that is neither a
// regular file nor a block device.
type NotImageError struct {
	Path string
	Kind string // as in NotRegularError
}

func (e *NotImageError) Error() string {
	return fmt.Sprintf("%s is %s, not an image file or a block device", e.Path, e.Kind)
}

// OpenImage opens name for reading if it is a regular file (an image
// file) or a block device (a card or a drive), following a link as a path
// a user typed. The open does not block on a FIFO. Errors are
// *NotImageError or *fs.PathError. Whole-file reads of an image are not
// capped here: the caller reads what it needs of it.
func OpenImage(name string) (*os.File, error) {
	f, err := open(name, Follow)
	if err != nil {
		return nil, err
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	m := info.Mode()
	if !m.IsRegular() && (m&os.ModeDevice == 0 || m&os.ModeCharDevice != 0) {
		f.Close()
		return nil, &NotImageError{Path: name, Kind: kind(m)}
	}
	return f, nil
}
