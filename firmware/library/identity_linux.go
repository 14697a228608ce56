package library

import (
	"os"
	"syscall"
)

// fileIdentity returns the identity of an open file; ok is false where the
// system does not tell it.
func fileIdentity(f *os.File) (identity, bool) {
	var st syscall.Stat_t
	if err := syscall.Fstat(int(f.Fd()), &st); err != nil {
		return identity{}, false
	}
	return identity{
		Dev: uint64(st.Dev), Ino: uint64(st.Ino), Size: st.Size,
		Mtime: st.Mtim.Nano(), Ctime: st.Ctim.Nano(),
	}, true
}
