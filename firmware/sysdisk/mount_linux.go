package sysdisk

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// mountOptions are the options of each file system a library lies on:
// file names in UTF-8 so that Korean names come through. vfat's utf8
// converts names itself, needing no NLS_UTF8 in the kernel (the VM's
// kernel has none); exFAT's iocharset=utf8 likewise loads no NLS table.
var mountOptions = map[string]string{
	"vfat":  "utf8,shortname=mixed",
	"exfat": "iocharset=utf8",
}

// MountReadOnly mounts the volume of type fstype ("vfat" or "exfat") on
// dev at dir (made if missing), read-only, with UTF-8 names, and returns
// the function that unmounts it, detached (open files fail at their next
// read rather than keep it busy). A mount left at dir by a kioskd that
// died is taken off first.
func MountReadOnly(dev, dir, fstype string) (unmount func() error, err error) {
	opts, ok := mountOptions[fstype]
	if !ok {
		return nil, fmt.Errorf("mount %s: file system %q is neither vfat nor exfat", dev, fstype)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	Unmount(dir)
	const flags = unix.MS_RDONLY | unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC | unix.MS_NOATIME
	if err := unix.Mount(dev, dir, fstype, flags, opts); err != nil {
		return nil, fmt.Errorf("mount %s (%s) read-only at %s: %w", dev, fstype, dir, err)
	}
	return func() error {
		if err := unix.Unmount(dir, unix.MNT_DETACH); err != nil {
			return fmt.Errorf("unmount %s: %w", dir, err)
		}
		return nil
	}, nil
}

// Unmount detaches whatever is mounted at dir, if anything.
func Unmount(dir string) {
	_ = unix.Unmount(dir, unix.MNT_DETACH) // EINVAL when nothing is mounted there
}
