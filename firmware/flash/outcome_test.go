package flash

import (
	"context"
	"errors"
	"fmt"
	"testing"

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
		{errors.New("surprise"), Failed},
	} {
		if got := Classify(tc.err); got != tc.want {
			t.Errorf("Classify(%v) = %v; want %v", tc.err, got, tc.want)
		}
	}
}
