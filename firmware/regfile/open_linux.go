package regfile

import (
	"errors"
	"os"
	"syscall"
)

// open opens name without blocking on a FIFO (O_NONBLOCK, which does
// nothing to reads of a regular file) and, unless links is Follow, without
// following a link.
func open(name string, links Links) (*os.File, error) {
	flags := syscall.O_RDONLY | syscall.O_CLOEXEC | syscall.O_NONBLOCK
	if links == Refuse {
		flags |= syscall.O_NOFOLLOW
	}
	fd, err := syscall.Open(name, flags, 0)
	if links == Refuse && errors.Is(err, syscall.ELOOP) {
		return nil, &NotRegularError{Path: name, Kind: "a symbolic link"}
	}
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: name, Err: err}
	}
	// Back to blocking reads: the file is checked to be regular next, and
	// a regular file's reads never block anyway.
	if err := syscall.SetNonblock(fd, false); err != nil {
		syscall.Close(fd)
		return nil, &os.PathError{Op: "open", Path: name, Err: err}
	}
	return os.NewFile(uintptr(fd), name), nil
}
