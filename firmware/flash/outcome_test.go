package flash

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"flashkiosk/firmware/library"
)

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want Outcome
	}{
		{nil, Done},
		{fmt.Errorf("write: %w", context.Canceled), Cancelled},
		{&ReadOnlyError{Path: "/dev/sdb"}, ReadOnly},
		{&FakeError{Reported: 64e9, Real: 8e9, Kind: WrapAround}, Fake},
		{&library.TooSmallError{Need: 5, Have: 1}, TooSmall},
		{&IOError{Op: "write", Offset: 4096, Err: errors.New("EIO")}, IOFailed},
		{&MismatchError{Offset: 1 << 20}, VerifyMismatch},
		{fmt.Errorf("read a: %w", &library.ContentError{Path: "a"}), ContentCorrupt},
		{&SourceGoneError{Source: "sdb", Err: fmt.Errorf("read: %w", errors.New("EIO"))}, SourceGone},
		{&SourceGoneError{Source: "sdb", Err: fmt.Errorf("write: %w", context.Canceled)}, SourceGone},
		{&SourceGoneError{Source: "sdb", Err: &library.ContentError{Path: "a"}}, SourceGone},
		{&SourceGoneError{Source: "sdb", Err: &IOError{Op: "read", Err: errors.New("EIO")}}, SourceGone},
		{errors.New("surprise"), Failed},
	} {
		if got := Classify(tc.err); got != tc.want {
			t.Errorf("Classify(%v) = %v; want %v", tc.err, got, tc.want)
		}
	}
}

// TestResultSpeeds: speeds are decimal megabytes a second, 0 without time.
// TestSourceGoneCause: a job cancelled because its master drive was
// pulled ends as SOURCE GONE whatever it ran into; one cancelled for
// another reason, or ended by itself, keeps its error.
func TestSourceGoneCause(t *testing.T) {
	gone, cancelGone := context.WithCancelCause(context.Background())
	cancelGone(&SourceGoneError{Source: "sdb", Err: context.Canceled})
	other, cancelOther := context.WithCancelCause(context.Background())
	cancelOther(nil)
	readErr := fmt.Errorf("read: %w", errors.New("EIO"))
	for _, tc := range []struct {
		ctx  context.Context
		err  error
		want Outcome
	}{
		{gone, fmt.Errorf("write: %w", context.Canceled), SourceGone},
		{gone, readErr, SourceGone},
		{gone, nil, Done},
		{other, fmt.Errorf("write: %w", context.Canceled), Cancelled},
		{context.Background(), readErr, Failed},
	} {
		if got := Classify(SourceGoneCause(tc.ctx, tc.err)); got != tc.want {
			t.Errorf("SourceGoneCause(%v) = %v; want %v", tc.err, got, tc.want)
		}
	}
}

// TestOutcomeNames: every outcome has its own name, as the journal keeps
// them.
func TestOutcomeNames(t *testing.T) {
	seen := map[string]Outcome{}
	for o := Done; o <= Failed; o++ {
		if prev, ok := seen[o.String()]; ok {
			t.Errorf("outcomes %d and %d are both named %q", prev, o, o)
		}
		seen[o.String()] = o
	}
	if SourceGone.String() != "source-removed" {
		t.Errorf("SourceGone.String() = %q; want source-removed", SourceGone)
	}
}

func TestResultSpeeds(t *testing.T) {
	tests := []struct {
		res           Result
		write, verify float64
	}{
		{Result{Bytes: 64e6, Write: 4 * time.Second, Verify: 2 * time.Second}, 16, 32},
		{Result{Bytes: 64e6}, 0, 0},
	}
	for _, tc := range tests {
		if w, v := tc.res.WriteMBps(), tc.res.VerifyMBps(); w != tc.write || v != tc.verify {
			t.Errorf("%+v: WriteMBps, VerifyMBps = %v, %v; want %v, %v", tc.res, w, v, tc.write, tc.verify)
		}
	}
}
