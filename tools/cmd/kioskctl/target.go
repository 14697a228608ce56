package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"flashkiosk/firmware/drive"
	"flashkiosk/firmware/fat"
	"flashkiosk/firmware/library"
	"flashkiosk/firmware/regfile"
	"flashkiosk/firmware/source"
	"flashkiosk/images"
)

// checkTarget refuses block devices that must not be written from a PC,
// with the kiosk's own drive facts: a partition rather than a whole disk,
// and a disk in use (mounted, swap, held) or booted from, always; a disk
// not on USB or holding a signed library (a master drive) unless anyDisk.
// Image files pass.
func checkTarget(ctx context.Context, path string, anyDisk bool) error {
	st, err := os.Stat(path)
	if err != nil {
		return err // a *PathError, which names the path
	}
	if st.Mode()&os.ModeDevice == 0 || st.Mode()&os.ModeCharDevice != 0 {
		return nil
	}
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return err
	}
	h := &drive.Host{Root: "/", Library: source.Verifier()}
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
	case f.Library != drive.NoLibrary:
		return fmt.Errorf("%s holds a signed library at its root (a master drive; its signature: %s): refused (give --allow-any-disk to overwrite it)", path, f.Library)
	}
	return nil
}

// refuseTarget refuses what write must not overwrite: the block devices
// checkTarget refuses, a file of the library being written (or, through
// the hard links build makes, of its source folder), and, unless force,
// an image file that holds a kiosk card or a library.
func refuseTarget(ctx context.Context, path string, lib *library.Library, anyDisk, force bool) error {
	if err := checkTarget(ctx, path, anyDisk); err != nil {
		return err
	}
	st, err := os.Stat(path)
	if err != nil || !st.Mode().IsRegular() {
		return nil // flash.Open names what is wrong
	}
	if name, ok := libraryFileOf(path, st, lib); ok {
		return fmt.Errorf("%s is %s of library %s: refused", path, name, lib.Dir)
	}
	if force {
		return nil
	}
	what, err := imageHolds(path, st.Size())
	if err != nil || what == "" {
		return nil // not a readable FAT image: nothing to keep
	}
	return fmt.Errorf("%s holds %s: refused (give --force to overwrite it)", path, what)
}

// libraryFileOf reports whether the regular file path (with stat st) is
// inside the library's folder or is one of its files under another name
// (a hard link), and which.
func libraryFileOf(path string, st os.FileInfo, lib *library.Library) (string, bool) {
	if dir, err := filepath.EvalSymlinks(lib.Dir); err == nil {
		if p, err := filepath.EvalSymlinks(path); err == nil {
			if rel, err := filepath.Rel(dir, p); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
				return "the file " + filepath.ToSlash(rel), true
			}
		}
	}
	if sys, ok := st.Sys().(*syscall.Stat_t); !ok || sys.Nlink < 2 {
		return "", false
	}
	same := func(p string) bool {
		o, err := os.Stat(p)
		return err == nil && os.SameFile(st, o)
	}
	for _, name := range []string{library.ManifestFile, library.SignatureFile} {
		if same(filepath.Join(lib.Dir, name)) {
			return "a hard link to " + name, true
		}
	}
	for _, f := range lib.Manifest.Files() {
		if same(lib.ContentPath(f.Path)) {
			return "a hard link to its file " + f.Path + " (and to the source file it was built from)", true
		}
	}
	return "", false
}

// imageHolds says what of value an image file holds: a kiosk card (its
// boot partition), a library (a manifest.json at the root of a FAT32
// partition), or "" for neither.
func imageHolds(path string, size int64) (string, error) {
	f, err := regfile.Open(path, regfile.Follow)
	if err != nil {
		return "", err
	}
	defer f.Close()
	_, table, err := fat.ReadMBR(f)
	if err != nil {
		return "", err
	}
	for i, p := range table {
		start, n := p.Start*images.SectorSize, p.Sectors*images.SectorSize
		if p.Type != fat.PartTypeFAT32 || start+n > size {
			continue
		}
		v, err := fat.OpenVolume(io.NewSectionReader(f, start, n), n)
		if err != nil {
			continue
		}
		if i == 0 && v.Label() == images.BootLabel {
			return "a kiosk SD card (boot partition " + images.BootLabel + ")", nil
		}
		if _, err := v.Stat(library.ManifestFile); err == nil {
			return fmt.Sprintf("a content library (in partition %d)", i+1), nil
		}
	}
	return "", nil
}
