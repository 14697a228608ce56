//go:build !linux

package sysdisk

import "errors"

// MountReadOnly fails: the kiosk mounts only on Linux.
func MountReadOnly(dev, dir, fstype string) (unmount func() error, err error) {
	return nil, errors.New("mount: only on Linux")
}

// Unmount does nothing: the kiosk mounts only on Linux.
func Unmount(dir string) {}
