package flash

import (
	"context"
	"errors"

	"flashkiosk/firmware/library"
)

// Outcome names how a job ended, for the panel, the journal and kioskctl.
type Outcome int

// The outcomes of a job.
const (
	Done Outcome = iota
	Cancelled
	ReadOnly
	Fake
	TooSmall
	IOFailed
	VerifyMismatch
	ContentCorrupt
	SourceGone // the master drive it wrote from was pulled out
	Failed     // anything else: a bug or an unexpected system error
)

var outcomeNames = [...]string{"done", "cancelled", "write-protected", "fake", "too-small", "io-error", "verify-mismatch", "content-corrupt", "source-removed", "failed"}

func (o Outcome) String() string {
	if o < 0 || int(o) >= len(outcomeNames) {
		return "failed"
	}
	return outcomeNames[o]
}

// Classify names the outcome of a job that returned err.
func Classify(err error) Outcome {
	var (
		ro *ReadOnlyError
		fe *FakeError
		ts *library.TooSmallError
		ie *IOError
		me *MismatchError
		ce *library.ContentError
		sg *SourceGoneError
	)
	switch {
	case err == nil:
		return Done
	case errors.As(err, &sg):
		// Before all else: what a job runs into when its source vanishes
		// (a cancel, a read error, a file that cannot be opened) is not
		// the target's fault nor the library's.
		return SourceGone
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return Cancelled
	case errors.As(err, &ro):
		return ReadOnly
	case errors.As(err, &fe):
		return Fake
	case errors.As(err, &ts):
		return TooSmall
	case errors.As(err, &ce):
		return ContentCorrupt
	case errors.As(err, &me):
		return VerifyMismatch
	case errors.As(err, &ie):
		return IOFailed
	}
	return Failed
}
