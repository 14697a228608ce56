package flash

import (
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
