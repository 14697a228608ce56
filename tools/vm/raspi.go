package vm

import (
	"fmt"
	"os"
	"os/exec"
)

// RaspiDTB writes to out the Raspberry Pi 3 B device tree src (such as
// the kernel's bcm2710-rpi-3-b.dtb) made fit for the raspi3b machine.
// The Bluetooth device on the PL011 UART is disabled: qemu has no
// Bluetooth chip there, and the kernel's driver for it would claim the
// UART and swallow the serial console's input. It needs fdtput (Debian
// package device-tree-compiler). qemu's GPIO model ignores pull-ups, so
// the kiosk's active-low buttons read held there, as if stuck.
func RaspiDTB(src, out string) error {
	if _, err := exec.LookPath("fdtput"); err != nil {
		return fmt.Errorf("vm: fdtput not found (Debian package device-tree-compiler): %w", err)
	}
	dtb, err := os.ReadFile(src)
	if err != nil {
		return fmt.Errorf("vm: %w", err)
	}
	if err := os.WriteFile(out, dtb, 0o644); err != nil {
		return fmt.Errorf("vm: %w", err)
	}
	args := []string{"-t", "s", out, "/soc/serial@7e201000/bluetooth", "status", "disabled"}
	if msg, err := exec.Command("fdtput", args...).CombinedOutput(); err != nil {
		return fmt.Errorf("vm: fdtput %q: %v: %s", args, err, msg)
	}
	return nil
}
