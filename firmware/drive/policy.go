package drive

import "fmt"

// Reason says why a drive may or may not be written. The panel shows it.
type Reason int

// The reasons, in the order Eligible checks them: when several apply, the
// first one is given.
const (
	OK             Reason = iota // may be written
	NotWholeDisk                 // a partition, not a whole disk
	NotUSB                       // not attached through USB (SD card, NVMe, SATA, loop, virtio)
	SystemDisk                   // holds a mounted filesystem or swap, is held by another device, or the kernel booted from it
	CannotCheck                  // the facts could not be gathered; refused rather than guessed
	MasterDrive                  // carries a content library at its root (Facts.Library), whoever signed it
	NoMedium                     // an empty card reader slot or a detached device: size 0
	WriteProtected               // the kernel reports it read-only
	TooSmall                     // smaller than Policy.MinSize
	TooLarge                     // larger than Policy.MaxSize
	numReasons
)

var reasonText = [numReasons]string{
	OK:             "ok",
	NotWholeDisk:   "not a whole disk",
	NotUSB:         "not on USB",
	SystemDisk:     "system disk",
	CannotCheck:    "cannot check",
	MasterDrive:    "master drive",
	NoMedium:       "no medium",
	WriteProtected: "write-protected",
	TooSmall:       "too small",
	TooLarge:       "too large",
}

func (r Reason) String() string {
	if r < 0 || r >= numReasons {
		return fmt.Sprintf("Reason(%d)", int(r))
	}
	return reasonText[r]
}

// MarshalText gives JSON and logs the panel's words.
func (r Reason) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// Facts is what the policy needs to know beyond a drive's identity.
// Host.Facts gathers them; tests and other callers may supply their own.
type Facts struct {
	// InUse: the disk or one of its partitions is mounted, used as swap,
	// or held by another block device (device mapper, RAID, loop).
	InUse bool
	// Boot: the kernel's root= names the disk or one of its partitions.
	Boot bool
	// Library is what the root of the disk's FAT32 and exFAT volumes
	// holds: no library, or a trusted, untrusted or badly signed one. A
	// disk with any library is a master drive, never written.
	Library Trust
	// Volume is where that volume lies, for mounting a master drive.
	Volume Volume
	// NotMaster says, for logs, why a disk that was checked is not a
	// trusted master drive: no FAT32 or exFAT volume, a damaged one, no
	// signature, a signature that does not verify or is by another key.
	// "" for a trusted master drive or one not checked.
	NotMaster string
	// Err, when not nil, says the facts are incomplete; the drive is then
	// refused with CannotCheck.
	Err error
}

// Default size bounds.
const (
	DefaultMinSize uint64 = 256 << 20
	DefaultMaxSize uint64 = 512 << 30
)

// Policy decides which drives the kiosk may write. Zero bounds mean the
// defaults.
type Policy struct {
	MinSize uint64 // smallest drive accepted, in bytes
	MaxSize uint64 // largest drive accepted, in bytes: a bigger "stick" is more likely someone's backup disk
}

// Eligible says whether d may be written, and if not, why. It is a pure
// function of its arguments.
func (p Policy) Eligible(d Drive, f Facts) (bool, Reason) {
	min, max := p.MinSize, p.MaxSize
	if min == 0 {
		min = DefaultMinSize
	}
	if max == 0 {
		max = DefaultMaxSize
	}
	switch {
	case d.Partition:
		return false, NotWholeDisk
	case !d.USB:
		return false, NotUSB
	case f.InUse || f.Boot:
		return false, SystemDisk
	case f.Err != nil:
		return false, CannotCheck
	case f.Library != NoLibrary:
		return false, MasterDrive
	case d.Size == 0:
		return false, NoMedium
	case d.ReadOnly:
		return false, WriteProtected
	case d.Size < min:
		return false, TooSmall
	case d.Size > max:
		return false, TooLarge
	}
	return true, OK
}
