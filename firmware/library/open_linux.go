package library

import (
	"errors"
	"os"
	"syscall"
)

// openRegular opens a regular file, refusing anything else (a link, a
// device, a pipe that would block), and returns its identity; known is
// false where the system does not tell it. One open and one stat per file:
// a library holds tens of thousands of small files, and each system call
// more per file shows in the time a drive takes.
func openRegular(name string) (f *os.File, id identity, known bool, err error) {
	// O_NONBLOCK: opening a pipe without a writer must not hang; it does
	// nothing to reads of a regular file.
	fd, err := syscall.Open(name, syscall.O_RDONLY|syscall.O_CLOEXEC|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if errors.Is(err, syscall.ELOOP) {
		return nil, identity{}, false, notRegular(name)
	}
	if err != nil {
		return nil, identity{}, false, &os.PathError{Op: "open", Path: name, Err: err}
	}
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		syscall.Close(fd)
		return nil, identity{}, false, &os.PathError{Op: "stat", Path: name, Err: err}
	}
	if st.Mode&syscall.S_IFMT != syscall.S_IFREG {
		syscall.Close(fd)
		return nil, identity{}, false, notRegular(name)
	}
	id = identity{
		Dev: uint64(st.Dev), Ino: uint64(st.Ino), Size: st.Size,
		Mtime: st.Mtim.Nano(), Ctime: st.Ctim.Nano(),
	}
	return os.NewFile(uintptr(fd), name), id, true, nil
}
