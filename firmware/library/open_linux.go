package library

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// openRegular opens a regular file, refusing anything else (a link, a
// device, a pipe that would block), and returns its identity; known is
// false where the system does not tell it. One open and one stat per file:
// a library holds tens of thousands of small files, and each system call
// more per file shows in the time a drive takes. A link to a folder on
// the way to name is followed; openBeneath follows none.
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
	return regularFile(fd, name)
}

// regularFile makes a file of fd, opened as name, if it is a regular
// file, and returns its identity; else it closes fd.
func regularFile(fd int, name string) (*os.File, identity, bool, error) {
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		syscall.Close(fd)
		return nil, identity{}, false, &os.PathError{Op: "stat", Path: name, Err: err}
	}
	if st.Mode&syscall.S_IFMT != syscall.S_IFREG {
		syscall.Close(fd)
		return nil, identity{}, false, notRegular(name)
	}
	id := identity{
		Dev: uint64(st.Dev), Ino: uint64(st.Ino), Size: st.Size,
		Mtime: st.Mtim.Nano(), Ctime: st.Ctim.Nano(),
	}
	return os.NewFile(uintptr(fd), name), id, true, nil
}

// openRoot opens the folder dir for openBeneath to resolve paths beneath
// it. A link that dir itself is, a path the user gave, is followed.
func openRoot(dir string) (*os.File, error) {
	fd, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: dir, Err: err}
	}
	return os.NewFile(uintptr(fd), dir), nil
}

// openBeneath opens the regular file at the slash path rel beneath root,
// the folder dir (which names it in errors), refusing a link anywhere on
// the way, as openRegular refuses anything but a regular file at its end:
// with openat2's RESOLVE_NO_SYMLINKS and RESOLVE_BENEATH, still one open
// and one stat per file, or, if openat2 is false or the kernel has no
// openat2 (before Linux 5.6), one O_NOFOLLOW open per folder of rel.
func openBeneath(root *os.File, dir, rel string, openat2 bool) (f *os.File, id identity, known bool, err error) {
	name := filepath.Join(dir, filepath.FromSlash(rel))
	flags := unix.O_RDONLY | unix.O_CLOEXEC | unix.O_NOFOLLOW | unix.O_NONBLOCK
	rootFd := int(root.Fd())
	fd := -1
	err = unix.ENOSYS
	if openat2 {
		fd, err = unix.Openat2(rootFd, rel, &unix.OpenHow{
			Flags:   uint64(flags),
			Resolve: unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_BENEATH,
		})
	}
	if err == unix.ENOSYS {
		fd, err = walkOpen(rootFd, rel, flags)
	}
	if err != nil {
		if link := findLink(rootFd, dir, rel); link != nil {
			return nil, identity{}, false, link
		}
		return nil, identity{}, false, &os.PathError{Op: "open", Path: name, Err: err}
	}
	return regularFile(fd, name)
}

// walkOpen opens rel beneath dirfd with flags as openat2 does with
// RESOLVE_NO_SYMLINKS and RESOLVE_BENEATH, one folder at a time, each
// opened with O_NOFOLLOW.
func walkOpen(dirfd int, rel string, flags int) (int, error) {
	parts := strings.Split(rel, "/")
	cur := dirfd
	defer func() {
		if cur != dirfd {
			unix.Close(cur)
		}
	}()
	for i, part := range parts {
		if part == "" || part == "." || part == ".." {
			return -1, unix.EXDEV
		}
		if i == len(parts)-1 {
			return unix.Openat(cur, part, flags, 0)
		}
		next, err := unix.Openat(cur, part, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			return -1, err
		}
		if cur != dirfd {
			unix.Close(cur)
		}
		cur = next
	}
	return -1, unix.ENOENT
}

// findLink names the first link on the slash path rel beneath dirfd, the
// folder dir, once an open of rel failed; nil if there is none.
func findLink(dirfd int, dir, rel string) error {
	for i := 0; i <= len(rel); i++ {
		if i < len(rel) && rel[i] != '/' {
			continue
		}
		var st unix.Stat_t
		if unix.Fstatat(dirfd, rel[:i], &st, unix.AT_SYMLINK_NOFOLLOW) != nil {
			return nil
		}
		if st.Mode&unix.S_IFMT == unix.S_IFLNK {
			return linkError(filepath.Join(dir, filepath.FromSlash(rel[:i])))
		}
	}
	return nil
}
