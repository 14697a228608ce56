package watchdog

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestOpenRefusesNonWatchdogs: a file that is not a watchdog is named as
// such, and a missing device is an error, not a silent success. The real
// watchdog is fed in the end-to-end tests (qemu's i6300esb).
func TestOpenRefusesNonWatchdogs(t *testing.T) {
	plain := filepath.Join(t.TempDir(), "watchdog")
	if err := os.WriteFile(plain, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ path, want string }{
		{plain, "is not a watchdog"},
		{filepath.Join(t.TempDir(), "missing"), "no such file"},
	}
	for _, tc := range tests {
		w, err := Open(tc.path, 15*time.Second)
		if err == nil {
			w.Close()
			t.Errorf("Open(%s) = nil error; want %q", tc.path, tc.want)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Open(%s) = %v; want %q", tc.path, err, tc.want)
		}
	}
}
