package sysdisk

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// MountReadOnly mounts the FAT volume on dev at dir (made if missing),
// read-only, with UTF-8 names so Korean file names come through, and
// returns the function that unmounts it. A mount left at dir by a kioskd
// that died is taken off first.
func MountReadOnly(dev, dir string) (unmount func() error, err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	_ = unix.Unmount(dir, unix.MNT_DETACH) // EINVAL when nothing is mounted there
	const flags = unix.MS_RDONLY | unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC | unix.MS_NOATIME
	if err := unix.Mount(dev, dir, "vfat", flags, "utf8,shortname=mixed"); err != nil {
		return nil, fmt.Errorf("mount %s read-only at %s: %w", dev, dir, err)
	}
	return func() error {
		if err := unix.Unmount(dir, 0); err != nil {
			return fmt.Errorf("unmount %s: %w", dir, err)
		}
		return nil
	}, nil
}
