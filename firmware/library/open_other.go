//go:build !linux

package library

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// openRegular opens a regular file, refusing anything else (a link, a
// device, a pipe that would block). Its identity is not known here: every
// read is checked with SHA-256.
func openRegular(name string) (f *os.File, id identity, known bool, err error) {
	info, err := os.Lstat(name)
	if err != nil {
		return nil, identity{}, false, err
	}
	if !info.Mode().IsRegular() {
		return nil, identity{}, false, notRegular(name)
	}
	f, err = os.Open(name)
	return f, identity{}, false, err
}

// openRoot opens the folder dir; elsewhere than on Linux, openBeneath
// goes by its name.
func openRoot(dir string) (*os.File, error) { return os.Open(dir) }

// openBeneath opens the regular file at the slash path rel beneath the
// folder dir, refusing a link anywhere on the way. Without openat2 or
// O_NOFOLLOW to hand, each folder is looked at before the open, which a
// change at the same time could get past; the kiosk runs on Linux.
func openBeneath(root *os.File, dir, rel string, openat2 bool) (f *os.File, id identity, known bool, err error) {
	parts := strings.Split(rel, "/")
	for i := 1; i < len(parts); i++ {
		p := filepath.Join(dir, filepath.Join(parts[:i]...))
		info, err := os.Lstat(p)
		if err != nil {
			return nil, identity{}, false, err
		}
		if info.Mode()&fs.ModeSymlink != 0 {
			return nil, identity{}, false, linkError(p)
		}
	}
	name := filepath.Join(dir, filepath.FromSlash(rel))
	if info, err := os.Lstat(name); err == nil && info.Mode()&fs.ModeSymlink != 0 {
		return nil, identity{}, false, linkError(name)
	}
	return openRegular(name)
}
