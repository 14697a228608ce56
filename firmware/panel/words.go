package panel

import (
	"fmt"
	"strings"

	"flashkiosk/firmware/drive"
	"flashkiosk/firmware/flash"
	"flashkiosk/hal"
)

// word is how one refusal or outcome reads: long on a row of its own, code
// in a shared cell, hint on the detail screen.
type word struct{ long, code, hint string }

var reasonWords = map[drive.Reason]word{
	drive.OK:             {"REFUSED", "NO", "Not allowed"},
	drive.NotWholeDisk:   {"PARTITION", "PART", "Not a whole disk"},
	drive.NotUSB:         {"NOT USB", "NOUSB", "Not a USB drive"},
	drive.SystemDisk:     {"SYSTEM DISK", "SYSTM", "Kiosk's own disk"},
	drive.CannotCheck:    {"CANT CHECK", "NOCHK", "Cannot read it"},
	drive.MasterDrive:    {"MASTER", "MASTR", "Library drive"},
	drive.NoMedium:       {"NO MEDIUM", "NOMED", "No card inside"},
	drive.WriteProtected: {"WRITE-PROT", "WPROT", "Lock switch on?"},
	drive.TooSmall:       {"TOO SMALL", "SMALL", "Drive too small"},
	drive.TooLarge:       {"TOO BIG", "BIG", "Drive too large"},
}

var outcomeWords = map[flash.Outcome]word{
	flash.Cancelled:      {"CANCELLED", "CANCL", "Stopped by GO"},
	flash.ReadOnly:       {"WRITE-PROT", "WPROT", "Lock switch on?"},
	flash.Fake:           {"FAKE", "FAKE", "Fake capacity"},
	flash.TooSmall:       {"TOO SMALL", "SMALL", "Can't fit files"},
	flash.IOFailed:       {"IO ERR", "IOERR", "Drive broken"},
	flash.VerifyMismatch: {"VERIFY ERR", "VERIF", "Reads back wrong"},
	flash.ContentCorrupt: {"LIBRARY ERR", "LIBER", "Library damaged"},
	flash.SourceGone:     {"SOURCE GONE", "SRCGN", "Master pulled"},
	flash.Failed:         {"FAILED", "FAIL", "Unexpected error"},
}

var failedWord = word{"FAILED", "FAIL", "Unexpected error"}

// masterWords are how a master drive whose library cannot be used reads;
// long is for rows of at least masterWide characters, else the word's
// narrow form.
var masterWords = map[Signature]struct {
	word
	narrow string
}{
	SigInvalid:    {word{"MASTER BAD SIG", "BADSG", "bad signature"}, "MASTER BAD SIG"},
	SigUntrusted:  {word{"MASTER NOT TRUSTED", "UNTRS", "wrong key"}, "MASTER UNTRUSTED"},
	SigUnreadable: {word{"MASTER CANT READ", "CANTR", "cannot read"}, "MASTER CANT READ"},
	SigUnchecked:  {word{"MASTER CANT READ", "CANTR", "not checked"}, "MASTER CANT READ"},
}

// masterWide is the width from which the long master words are used.
const masterWide = 18

func masterWord(s Signature) word {
	return masterWords[s].word
}

// masterText is what a master drive reads as in w columns: MASTER and its
// library's name, or why its library is never used.
func masterText(sl Slot, w int) string {
	if sl.Library.Signature == SigValid {
		return "MASTER " + sl.Library.Name
	}
	m, ok := masterWords[sl.Library.Signature]
	if !ok {
		m = masterWords[SigUnreadable]
	}
	if w < masterWide {
		return m.narrow
	}
	return m.long
}

func reasonWord(r drive.Reason) word {
	if w, ok := reasonWords[r]; ok {
		return w
	}
	return reasonWords[drive.OK]
}

func outcomeWord(o flash.Outcome) word {
	if w, ok := outcomeWords[o]; ok {
		return w
	}
	return failedWord
}

// rejected reports whether a slot holds a drive that was turned away rather
// than one that failed while being worked on.
func rejected(sl Slot) bool {
	switch sl.Status {
	case Ineligible:
		return true
	case Master:
		return sl.Library.Signature != SigValid
	case Failed:
		switch sl.Outcome {
		case flash.ReadOnly, flash.Fake, flash.TooSmall:
			return true
		}
	}
	return false
}

// portLine is a slot's row of its own, w columns wide (not yet fitted).
func portLine(sl Slot, w int, insert bool) string {
	p := "P" + sl.Port + " "
	switch sl.Status {
	case Empty:
		return p + "empty"
	case Ineligible:
		return p + reasonWord(sl.Reason).long
	case Ready:
		if insert {
			return p + "STARTING"
		}
		return p + "READY, GO"
	case Probing:
		return p + "CHECK SIZE"
	case Writing, Verifying:
		// The time left keeps its room while unknown so that the bar
		// does not change length when it appears.
		label, left := "W", ""
		if sl.Status == Writing {
			left = fmt.Sprintf(" %-3s", eta(sl.ETA))
		} else {
			label = "V"
		}
		if w >= 20 {
			label = map[Status]string{Writing: "WRITE ", Verifying: "VERIFY "}[sl.Status]
		}
		pct := fmt.Sprintf("%3d%%", clamp(sl.Percent, 0, 100))
		head := p + label
		n := clamp(w-runes(head)-runes(pct)-runes(left), 1, 8)
		return head + bar(sl.Percent, n) + pct + left
	case Done:
		if sl.Elapsed > 0 {
			return p + "DONE " + dur(sl.Elapsed)
		}
		return p + "DONE"
	case Failed:
		if sl.Outcome == flash.Fake && sl.Drive.Size > 0 && sl.Drive.RealSize > 0 {
			return p + "FAKE " + size(sl.Drive.Size) + "=" + size(sl.Drive.RealSize)
		}
		return p + outcomeWord(sl.Outcome).long
	case Removed:
		return p + "REMOVED"
	case Master:
		return p + masterText(sl, w-runes(p))
	}
	return p + "?"
}

// portCell is a slot's cell in a shared row w columns wide: digit, mark,
// code, and a space to part it from the next cell. Cells too narrow for
// the code cut it, and a running job then shows the tens of its percent.
func portCell(sl Slot, w int, insert bool) string {
	c := cell(sl, w, insert)
	if runes(c) >= w {
		return fit(c, max(w-1, 1)) + " "
	}
	return c
}

func cell(sl Slot, w int, insert bool) string {
	cross := string(hal.GlyphRune(glyphCross))
	switch sl.Status {
	case Empty:
		return sl.Port + " -"
	case Ineligible:
		return sl.Port + cross + reasonWord(sl.Reason).code
	case Ready:
		if insert {
			return sl.Port + " START"
		}
		return sl.Port + " READY"
	case Probing:
		return sl.Port + " CHECK"
	case Writing, Verifying:
		l := "W"
		if sl.Status == Verifying {
			l = "V"
		}
		if w < runes(sl.Port)+7 {
			return fmt.Sprintf("%s%s%d", sl.Port, bar(sl.Percent, 1), clamp(sl.Percent, 0, 99)/10)
		}
		return fmt.Sprintf("%s%s%s%3d%%", sl.Port, bar(sl.Percent, 1), l, clamp(sl.Percent, 0, 100))
	case Done:
		return sl.Port + string(hal.GlyphRune(glyphCheck)) + "DONE"
	case Failed:
		return sl.Port + cross + outcomeWord(sl.Outcome).code
	case Removed:
		return sl.Port + cross + "REMVD"
	case Master:
		if sl.Library.Signature == SigValid {
			return sl.Port + " MASTR"
		}
		return sl.Port + cross + masterWord(sl.Library.Signature).code
	}
	return sl.Port + " ?"
}

// hint is the detail screen's second line: what happened or what to do.
func hint(sl Slot, insert bool) string {
	switch sl.Status {
	case Empty:
		return "Insert a drive"
	case Ineligible:
		return reasonWord(sl.Reason).hint
	case Ready:
		if insert {
			return "Starting..."
		}
		return "Press GO"
	case Probing:
		return "Testing capacity"
	case Writing:
		s := speed(sl.MBps)
		if e := eta(sl.ETA); e != "" {
			s += " " + e + " left"
		}
		if s == "" {
			return "Writing..."
		}
		return strings.TrimSpace(s)
	case Verifying:
		return "Verify " + speed(sl.MBps)
	case Done:
		return "Take it out"
	case Failed:
		switch sl.Outcome {
		case flash.IOFailed, flash.VerifyMismatch:
			return "at " + size(sl.Offset)
		case flash.Fake:
			if sl.Drive.RealSize > 0 {
				return "Real size " + size(sl.Drive.RealSize)
			}
		}
		return outcomeWord(sl.Outcome).hint
	case Removed:
		return "Pulled too soon"
	case Master:
		if sl.Library.Signature == SigValid {
			return "Library drive"
		}
		return masterWord(sl.Library.Signature).hint
	}
	return ""
}
