package vm

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"flashkiosk/images"
	"flashkiosk/images/toolchain"
)

// TestRaspiDTB edits the real Pi 3 B device tree of the pinned kernel and
// reads the result back with fdtget.
func TestRaspiDTB(t *testing.T) {
	dir, err := toolchain.ModuleDir(context.Background(), images.KernelModule)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "pi3.dtb")
	if err := RaspiDTB(filepath.Join(dir, "bcm2710-rpi-3-b.dtb"), out); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-t", "s", out, "/soc/serial@7e201000/bluetooth", "status"}, "disabled"},
	} {
		got, err := exec.Command("fdtget", tc.args...).CombinedOutput()
		if err != nil || strings.TrimSpace(string(got)) != tc.want {
			t.Errorf("fdtget %q = %q, %v; want %q", tc.args, got, err, tc.want)
		}
	}
	if err := RaspiDTB(filepath.Join(t.TempDir(), "none.dtb"), out); err == nil {
		t.Errorf("RaspiDTB(missing file) = nil; want an error")
	}
}
