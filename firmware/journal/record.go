package journal

import (
	"time"
	"unicode/utf8"
)

// Record is what the journal keeps about one drive. It holds nothing that
// identifies the drive or its donor: no serial number, no content.
type Record struct {
	Boot       uint32        // the boot the record was made in; Append sets it
	SinceBoot  time.Duration // from the kiosk's monotonic clock
	Port       string        // the panel's name for the port, e.g. "P2"
	Vendor     string
	Model      string
	Reported   int64   // size the drive claims, in bytes
	Real       int64   // size the probe found, in bytes; for a done drive, the bytes written
	Library    string  // the content library's name
	Outcome    string  // how the job ended: done, fake, io-error, …
	WriteMBps  float64 // megabytes (10^6 bytes) a second
	VerifyMBps float64
}

// Text fields longer than these (in bytes) are cut at a character
// boundary, so that a record always fits one sector.
const (
	maxPort    = 16
	maxVendor  = 64
	maxModel   = 64
	maxLibrary = 200
	maxOutcome = 32
)

// clip cuts s to at most n bytes without splitting a UTF-8 sequence.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// Counters are totals over every record the journal was given, including
// records the ring has since dropped.
type Counters struct {
	Done     int64 // outcome done
	Failed   int64 // io-error, verify-mismatch, content-corrupt, failed, and any unknown outcome
	Fake     int64 // counterfeit drives: outcome fake, and any drive whose real size is below the reported one (also counted by its outcome)
	Rejected int64 // write-protected, too-small, rejected
	Bytes    int64 // bytes written to done drives (their real size)
}

// add counts r. A cancelled or removed drive is the volunteer's choice,
// not the drive's fault, and one whose master drive was pulled out
// (source-removed) is neither the drive's fault nor done: they count
// nowhere.
func (c *Counters) add(r Record) {
	switch r.Outcome {
	case "done":
		c.Done++
		c.Bytes += r.Real
	case "fake":
		c.Fake++
		return
	case "write-protected", "too-small", "rejected":
		c.Rejected++
	case "cancelled", "removed", "source-removed":
	default:
		c.Failed++
	}
	if r.Real > 0 && r.Real < r.Reported {
		c.Fake++
	}
}
