package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"flashkiosk/firmware/drive"
)

// checkTarget refuses block devices that must not be written from a PC,
// with the kiosk's own drive facts: a partition rather than a whole disk,
// and a disk in use (mounted, swap, held) or booted from, always; a disk
// not on USB or holding a signed library (a master drive) unless anyDisk.
// Image files pass.
func checkTarget(ctx context.Context, path string, anyDisk bool) error {
	st, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if st.Mode()&os.ModeDevice == 0 || st.Mode()&os.ModeCharDevice != 0 {
		return nil
	}
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	h := &drive.Host{Root: "/", Library: masterVerifier()}
	d, err := h.Drive(filepath.Base(real))
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	f := h.Facts(ctx, d)
	switch {
	case d.Partition:
		return fmt.Errorf("%s is a partition: give the whole disk", path)
	case f.InUse:
		return fmt.Errorf("%s is in use (a file system on it is mounted, or it is swap or part of another device): refused", path)
	case f.Boot:
		return fmt.Errorf("%s is the disk this computer booted from: refused", path)
	case f.Err != nil:
		return fmt.Errorf("%s: cannot check whether it is in use: %v", path, f.Err)
	case anyDisk:
		return nil
	case !d.USB:
		return fmt.Errorf("%s is not a USB disk: refused (give --allow-any-disk if you are sure)", path)
	case f.Master:
		return fmt.Errorf("%s holds a validly signed library (a master drive): refused (give --allow-any-disk to overwrite it)", path)
	}
	return nil
}
