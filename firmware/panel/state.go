package panel

import (
	"time"

	"flashkiosk/firmware/drive"
	"flashkiosk/firmware/flash"
)

// Status is where a port's drive is in its life.
type Status int

// The statuses of a slot.
const (
	Empty      Status = iota // no drive
	Ineligible               // a drive the policy refuses; Slot.Reason says why
	Ready                    // eligible, waiting for GO
	Probing                  // measuring the real capacity
	Writing                  // writing; Slot.Percent, MBps and ETA
	Verifying                // reading back; Slot.Percent
	Done                     // finished: take it; Slot.Elapsed
	Failed                   // ended badly; Slot.Outcome (and Offset)
	Removed                  // pulled out before it was done
	Master                   // a master drive: Slot.Library says whose library and whether it can be used
)

// Slot is one USB port as the volunteer should see it.
type Slot struct {
	// Port is the port's name on the case, "1" to "4" (more with hubs).
	Port string
	// Status is where the drive is.
	Status Status
	// Reason says why an Ineligible drive is refused.
	Reason drive.Reason
	// Outcome says how a Failed job ended.
	Outcome flash.Outcome
	// Percent is the progress of Writing and Verifying, 0 to 100.
	Percent int
	// MBps is the speed of Writing or Verifying, in megabytes a second.
	MBps float64
	// ETA is the time left while Writing; 0 when unknown.
	ETA time.Duration
	// Elapsed is how long a Done drive took.
	Elapsed time.Duration
	// Offset is the byte where an I/O error or verify mismatch happened.
	Offset uint64
	// Drive describes the drive in the port, for the detail screen.
	Drive DriveInfo
	// Library is a Master drive's library; its Signature says whether it
	// can be used.
	Library Library
	// InUse says that new jobs write this Master drive's library.
	InUse bool
}

// DriveInfo is what the detail screen tells about a drive.
type DriveInfo struct {
	// Vendor and Model as the drive reports them.
	Vendor, Model string
	// Size is the reported capacity in bytes.
	Size uint64
	// RealSize is the measured capacity of a fake drive, 0 when genuine or
	// not yet known.
	RealSize uint64
	// Tiers summarises the library that fits, such as "T1+T2 12/40".
	Tiers string
}

// Screen is the screen INFO selects.
type Screen int

// The screens, in the order INFO cycles through them.
const (
	Overview    Screen = iota // every port at once
	Detail                    // one port: State.Port
	Totals                    // counters since the journal began
	LibraryInfo               // the content library
)

// Condition is whether the kiosk can work at all.
type Condition int

// The conditions. Everything but Healthy stops all writing.
const (
	Healthy      Condition = iota
	BadConfig              // kiosk.toml is wrong; State.Message says how
	NoLibrary              // no content library found
	BadSignature           // the library's signature does not verify
)

// Power is where the kiosk is in shutting down.
type Power int

// The power states.
const (
	Running      Power = iota
	ShuttingDown       // flushing and closing the journal
	SafeToUnplug       // done: the power may be cut
)

// Signature is the state of the library's signature.
type Signature int

// The signature states.
const (
	SigUnchecked  Signature = iota
	SigValid                // signed by the trusted key
	SigInvalid              // a damaged signature or manifest, or one that does not match
	SigUntrusted            // a valid signature by a key the kiosk does not trust
	SigUnreadable           // a master drive whose volume or library could not be read
)

// Count holds the counters shown on the totals screen.
type Count struct {
	// Done, Failed, Fake and Rejected count drives by how they ended.
	Done, Failed, Fake, Rejected int
	// Written is the number of bytes written to drives.
	Written uint64
}

// Library describes the content library.
type Library struct {
	// Name is the library's name from its manifest.
	Name string
	// Date is the library's declared date, as "2026-05-01".
	Date string
	// Size is the full library's size in bytes.
	Size uint64
	// Signature says whether the signature verifies.
	Signature Signature
	// Port is the port of the master drive it is on; "" for the card's.
	Port string
}

// State is everything the panel shows. The kiosk core builds it; Render
// and LEDs only read it.
type State struct {
	// Slots are the ports in port order.
	Slots []Slot
	// Screen is the screen INFO selected.
	Screen Screen
	// Port indexes Slots for the Detail screen; out of range, Render shows
	// the overview instead.
	Port int
	// Count is shown on the Totals screen.
	Count Count
	// Library is the library new jobs get, shown on the idle screen
	// (the overview while no port holds anything but master drives) and
	// on the LibraryInfo screen.
	Library Library
	// NeedMaster says no library may be used: kiosk.toml says library =
	// "master" and no usable master drive is in.
	NeedMaster bool
	// Condition stops the kiosk when not Healthy.
	Condition Condition
	// Message is a short reason for BadConfig, such as "line 4: pin".
	Message string
	// Confirm asks whether to cancel the running jobs.
	Confirm bool
	// Power is Running until a shutdown begins.
	Power Power
	// StartOnInsert is set when drives start without GO.
	StartOnInsert bool
	// NoDisplay is set when the kiosk has no display (none answered): the
	// status LED then says so.
	NoDisplay bool
	// LowPower is set while the board reports under-voltage (and a while
	// after, so a short dip can be read): sticks may drop off. Jobs go on.
	LowPower bool
	// PowerDips counts the under-voltage dips since the kiosk started; the
	// Totals screen keeps the note until reboot.
	PowerDips int
}
