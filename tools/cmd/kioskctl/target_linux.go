package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// checkTarget refuses block devices that must not be written from a PC: a
// partition rather than a whole disk, a disk with anything mounted or used
// as swap (always), and a disk not on USB (unless anyDisk). Image files
// pass.
func checkTarget(path string, anyDisk bool) error {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFBLK {
		return nil
	}
	dev := fmt.Sprintf("%d:%d", unix.Major(st.Rdev), unix.Minor(st.Rdev))
	sys, err := filepath.EvalSymlinks("/sys/dev/block/" + dev)
	if err != nil {
		return fmt.Errorf("%s: no sysfs entry: %w", path, err)
	}
	if _, err := os.Stat(filepath.Join(sys, "partition")); err == nil {
		return fmt.Errorf("%s is a partition: give the whole disk", path)
	}
	held := map[string]bool{dev: true}
	parts, _ := filepath.Glob(filepath.Join(sys, filepath.Base(sys)+"*", "dev"))
	for _, p := range parts {
		if b, err := os.ReadFile(p); err == nil {
			held[strings.TrimSpace(string(b))] = true
		}
	}
	if where := mountedFrom(held); where != "" {
		return fmt.Errorf("%s holds a mounted file system (%s): refused", path, where)
	}
	if swap := swapOn(held); swap != "" {
		return fmt.Errorf("%s is used as swap (%s): refused", path, swap)
	}
	if !anyDisk && !strings.Contains(sys, "/usb") {
		return fmt.Errorf("%s is not a USB disk: refused (give --allow-any-disk if you are sure)", path)
	}
	return nil
}

// mountedFrom returns a mount point of any of the devices (major:minor),
// or "" if none is mounted.
func mountedFrom(devs map[string]bool) string {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return "mount table unreadable"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) > 4 && devs[fields[2]] {
			return fields[4]
		}
	}
	return ""
}

// swapOn returns a swap device among devs (major:minor), or "".
func swapOn(devs map[string]bool) string {
	b, err := os.ReadFile("/proc/swaps")
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n")[1:] {
		fields := strings.Fields(line)
		var st unix.Stat_t
		if len(fields) > 0 && unix.Stat(fields[0], &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFBLK &&
			devs[fmt.Sprintf("%d:%d", unix.Major(st.Rdev), unix.Minor(st.Rdev))] {
			return fields[0]
		}
	}
	return ""
}

// isTerminal reports whether f is a terminal.
func isTerminal(f *os.File) bool {
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}
