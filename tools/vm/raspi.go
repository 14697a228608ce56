package vm

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
)

// raspiGPIO is the path of the GPIO controller in a Raspberry Pi 3's
// device tree.
const raspiGPIO = "/soc/gpio@7e200000"

// RaspiDTB writes to out the Raspberry Pi 3 B device tree src (such as
// the kernel's bcm2710-rpi-3-b.dtb) made fit for the raspi3b machine.
// The Bluetooth device on the PL011 UART is disabled: qemu has no
// Bluetooth chip there, and the kernel's driver for it would claim the
// UART and swallow the serial console's input. Each GPIO line in high is held high by a gpio-hog: qemu's GPIO
// model ignores pull-ups, so an input a real Pi pulls up reads low (an
// active-low button reads held); a program that asks for a hogged line
// gets EBUSY instead. It needs fdtput (Debian package
// device-tree-compiler).
func RaspiDTB(src, out string, high ...int) error {
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
	edits := [][]string{{"-t", "s", out, "/soc/serial@7e201000/bluetooth", "status", "disabled"}}
	for _, line := range high {
		hog := fmt.Sprintf("%s/hog-gpio%d", raspiGPIO, line)
		edits = append(edits,
			[]string{"-c", out, hog},
			[]string{"-t", "s", out, hog, "gpio-hog", ""},
			[]string{"-t", "u", out, hog, "gpios", strconv.Itoa(line), "0"},
			[]string{"-t", "s", out, hog, "output-high", ""},
		)
	}
	for _, args := range edits {
		if msg, err := exec.Command("fdtput", args...).CombinedOutput(); err != nil {
			return fmt.Errorf("vm: fdtput %q: %v: %s", args, err, msg)
		}
	}
	return nil
}
