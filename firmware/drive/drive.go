package drive

import (
	"fmt"
	"time"
)

// DevNum is a block device's major:minor number.
type DevNum struct{ Major, Minor uint32 }

func (d DevNum) String() string { return fmt.Sprintf("%d:%d", d.Major, d.Minor) }

// Drive is what the kernel says about one block device. A Drive is a value:
// it describes the device as it was when read and is never updated.
type Drive struct {
	Name      string // kernel name: sda, sdb1, mmcblk0, loop3, nvme0n1
	Dev       DevNum
	DiskSeq   uint64 // the kernel's number for this disk's current medium; 0 if the kernel gives none
	SysPath   string // resolved path below /sys, e.g. /devices/platform/.../block/sda
	Partition bool   // a partition, not a whole disk
	PartNum   int    // the partition's number in its disk's table; 0 for a whole disk

	USB      bool   // attached through USB (the sysfs path runs through a USB device)
	PortPath string // USB port path of the device, e.g. "1-1.2"; "" when not on USB
	Port     string // the board's name for that port (Host.Ports), else PortPath
	LUN      int    // SCSI logical unit (card readers have several per port); 0 otherwise

	Vendor, Model string // as the device reports them, trimmed
	Size          uint64 // bytes, as the device reports it (fakes lie: the flash job probes)
	SectorSize    uint32 // logical block size in bytes
	ReadOnly      bool   // the kernel treats the device as write-protected

	Appeared time.Time // when the Host read it

	// serialTag is a per-Host keyed hash of the USB serial number, so two
	// drives of one make and size can be told apart. The number itself is
	// donor data: it is never kept, logged or printed.
	serialTag uint64
}

// Same reports whether d and o describe the same medium in the same place
// with the same properties: every field but Appeared and the board's port
// name agrees.
func (d Drive) Same(o Drive) bool {
	d.Appeared, o.Appeared = time.Time{}, time.Time{}
	d.Port, o.Port = "", ""
	return d == o
}

// String names the drive for logs and panels; it leaves out anything that
// could identify the donor.
func (d Drive) String() string {
	where := "not USB"
	if d.USB {
		where = "port " + d.Port
		if d.LUN != 0 {
			where += fmt.Sprintf(" lun %d", d.LUN)
		}
	}
	s := fmt.Sprintf("%s (%s, %s, %s", d.Name, d.Dev, where, sizeString(d.Size))
	if d.Vendor != "" || d.Model != "" {
		s += fmt.Sprintf(", %q", joinNonEmpty(d.Vendor, d.Model))
	}
	if d.ReadOnly {
		s += ", read-only"
	}
	return s + ")"
}

// GoString keeps %#v from printing the serial tag.
func (d Drive) GoString() string { return "drive.Drive{" + d.String() + "}" }

func joinNonEmpty(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + " " + b
}

// sizeString renders a byte count the way drives are sold, in decimal
// gigabytes; the panel has its own formats.
func sizeString(n uint64) string { return fmt.Sprintf("%.1f GB", float64(n)/1e9) }
