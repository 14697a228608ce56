package flash

import (
	"context"
	"errors"
	"fmt"
)

// ReadOnlyError is a write-protected drive: it is shown as such, not retried.
type ReadOnlyError struct{ Path string }

func (e *ReadOnlyError) Error() string { return fmt.Sprintf("%s: write-protected", e.Path) }

// FakeError is a drive whose real capacity is below what it reports.
type FakeError struct {
	Reported, Real int64
	Kind           FakeKind
}

func (e *FakeError) Error() string {
	return fmt.Sprintf("fake drive (%s): reports %s, holds %s", e.Kind, Bytes(e.Reported), Bytes(e.Real))
}

// IOError is a read or write the drive failed, at a byte offset.
type IOError struct {
	Op     string // "read", "write", "flush" or "truncate"
	Offset int64
	Err    error
}

func (e *IOError) Error() string {
	return fmt.Sprintf("I/O error: %s at offset %d: %v", e.Op, e.Offset, e.Err)
}
func (e *IOError) Unwrap() error { return e.Err }

// MismatchError is data read back that differs from what was written, in
// the hash unit starting at Offset.
type MismatchError struct{ Offset int64 }

func (e *MismatchError) Error() string {
	return fmt.Sprintf("verify mismatch at offset %d", e.Offset)
}

// SourceGoneError is a job that ended because the master drive it wrote
// the library from was pulled out: whatever the job ran into then (a
// read error, a file that could not be opened, a cancel), the target is
// not done, and not through a fault of its own or of the library.
type SourceGoneError struct {
	Source string // the master drive, for logs
	Err    error  // what the job ran into
}

func (e *SourceGoneError) Error() string {
	return fmt.Sprintf("the master drive %s was pulled out: %v", e.Source, e.Err)
}

func (e *SourceGoneError) Unwrap() error { return e.Err }

// SourceGoneCause returns err, the error a job ended with, as a
// *SourceGoneError when ctx, the job's, was cancelled with one as its
// cause (the kiosk does so when a master drive is pulled): whatever the
// job ran into then is how it ended.
func SourceGoneCause(ctx context.Context, err error) error {
	var gone *SourceGoneError
	if err == nil || errors.As(err, &gone) || !errors.As(context.Cause(ctx), &gone) {
		return err
	}
	return &SourceGoneError{Source: gone.Source, Err: err}
}

// errShortIO is a read or write that moved fewer bytes than asked.
var errShortIO = errors.New("short transfer")

// Bytes formats n bytes the way drives are sold: decimal units.
func Bytes(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %cB", float64(n)/float64(div), "kMGTPE"[exp])
}
