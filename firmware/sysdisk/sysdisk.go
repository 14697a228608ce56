// Package sysdisk finds the kiosk's own disk (the SD card of a Pi, the
// virtio disk of the VM) and reads it: kiosk.toml and the trusted key from
// the boot partition, through firmware/fat's reader, and the content
// library by mounting its partition read-only (MountReadOnly, which also
// mounts master drives' volumes).
//
// The disk has three partitions: 1, FAT32, the boot files, kiosk.toml and
// library.pub; 2, FAT32, the library; 3, raw, the journal. The package
// never writes to any of them; the journal is firmware/journal's business.
package sysdisk

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"flashkiosk/firmware/drive"
	"flashkiosk/firmware/fat"
)

// Names of the files on the boot partition.
const (
	ConfigFile = "kiosk.toml"  // the partner's settings, see package board
	KeyFile    = "library.pub" // the public key a library must be signed with
)

// Disk is the kiosk's own disk and the device nodes of its partitions.
type Disk struct {
	Name    string // kernel name of the disk: mmcblk0, vda
	Boot    string // partition 1, FAT32
	Library string // partition 2, FAT32
	Journal string // partition 3, raw
}

// ErrNotFound says no disk looks like the kiosk's.
var ErrNotFound = errors.New("no kiosk disk (a disk not on USB whose first partition holds " + ConfigFile + ")")

// Find returns the kiosk's disk: the one whole disk that is not on USB and
// whose partition 1 is a FAT32 volume holding kiosk.toml. Drives on USB are
// never considered, so a stick carrying a copy of a kiosk's card cannot
// take its place; two candidates are an error rather than a guess.
func Find(h *drive.Host) (Disk, error) {
	all, err := h.Scan()
	if len(all) == 0 && err != nil {
		return Disk{}, err
	}
	var found []Disk
	for _, d := range all {
		if d.Partition || d.USB || d.Size == 0 {
			continue
		}
		disk := Disk{Name: d.Name}
		for _, p := range all {
			if !p.Partition || !strings.HasPrefix(p.SysPath, d.SysPath+"/") {
				continue
			}
			switch p.PartNum {
			case 1:
				disk.Boot = h.DevicePath(p.Name)
			case 2:
				disk.Library = h.DevicePath(p.Name)
			case 3:
				disk.Journal = h.DevicePath(p.Name)
			}
		}
		if disk.Boot == "" {
			continue
		}
		if _, err := ReadFile(disk.Boot, ConfigFile); err != nil {
			continue
		}
		if disk.Library == "" || disk.Journal == "" {
			return Disk{}, fmt.Errorf("kiosk disk %s: has %s but not the library (2) and journal (3) partitions", d.Name, ConfigFile)
		}
		found = append(found, disk)
	}
	switch len(found) {
	case 0:
		return Disk{}, ErrNotFound
	case 1:
		return found[0], nil
	default:
		return Disk{}, fmt.Errorf("two kiosk disks, %s and %s: remove one", found[0].Name, found[1].Name)
	}
}

// MaxFileSize is the most ReadFile reads: kiosk.toml and the key are a
// few hundred bytes; a larger file, whatever size its FAT entry states, is
// refused with a *fat.TooLargeError before anything is read.
const MaxFileSize = 64 << 10

// ReadFile reads the file name, of at most MaxFileSize bytes, from the
// FAT32 volume on the device or image dev, without mounting it and without
// writing to it.
func ReadFile(dev, name string) ([]byte, error) {
	f, err := os.Open(dev)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	size, err := f.Seek(0, 2)
	if err != nil {
		return nil, fmt.Errorf("%s: size: %w", dev, err)
	}
	v, err := fat.OpenVolume(f, size)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dev, err)
	}
	b, err := fat.ReadFile(v, name, MaxFileSize)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dev, err)
	}
	return b, nil
}
