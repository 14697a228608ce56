package flash

import (
	"context"
	"testing"
	"time"

	"flashkiosk/tools/fakedrive"
)

const mib = 1 << 20

func TestProbe(t *testing.T) {
	for _, tc := range []struct {
		name     string
		opts     fakedrive.Options // Real 0: a genuine loop device over a sparse file
		reported int64
		kind     FakeKind
	}{
		{"genuine", fakedrive.Options{}, 1 << 30, Genuine},
		{"genuine fake-drive device", fakedrive.Options{Reported: 512 * mib, Real: 512 * mib}, 512 * mib, Genuine},
		{"wrap at a power of two", fakedrive.Options{Reported: 1 << 30, Real: 256 * mib, Mode: fakedrive.Wrap}, 1 << 30, WrapAround},
		{"wrap at 700 MiB", fakedrive.Options{Reported: 2 << 30, Real: 700 * mib, Mode: fakedrive.Wrap}, 2 << 30, WrapAround},
		{"wrap below the grid step", fakedrive.Options{Reported: 4 << 30, Real: 40 * mib, Mode: fakedrive.Wrap}, 4 << 30, WrapAround},
		{"limbo at 300 MiB", fakedrive.Options{Reported: 1 << 30, Real: 300 * mib, Mode: fakedrive.Limbo}, 1 << 30, Limbo},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var path string
			if tc.opts.Reported == 0 {
				path = loopDisk(t, tc.reported)
			} else {
				path = fakeDisk(t, tc.opts)
			}
			dev, err := Open(path, false)
			if err != nil {
				t.Fatal(err)
			}
			defer dev.Close()
			start := time.Now()
			res, err := Probe(context.Background(), dev)
			if err != nil {
				t.Fatalf("Probe(%s): %v", path, err)
			}
			t.Logf("%s: %+v in %v", tc.name, res, time.Since(start).Round(time.Millisecond))
			wantReal := tc.reported
			if tc.kind != Genuine {
				wantReal = tc.opts.Real
			}
			if res.Kind != tc.kind || res.Reported != tc.reported || res.Real > wantReal || res.Real < wantReal-probeGrain {
				t.Errorf("Probe(%s) = %v real %d of %d; want %v real in (%d-1 MiB, %d]",
					tc.name, res.Kind, res.Real, res.Reported, tc.kind, wantReal, wantReal)
			}
		})
	}
}
