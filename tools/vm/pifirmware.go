package vm

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// PiBoot is what the Pi's firmware hands the kernel: files copied out of
// the boot partition and the command line.
type PiBoot struct {
	Kernel string // the kernel config.txt names (kernel=), copied out
	Initrd string // the initramfs config.txt names, copied out; "" if none
	DTB    string // the board's device tree with config.txt's changes
	Model  string // the model the firmware writes into the device tree
	// Cmdline is the kernel command line: the device tree's bootargs, then
	// cmdline.txt with console=serial0 and serial1 replaced by their ttys.
	Cmdline string
	// Skipped are the config.txt lines of other boards' sections, which the
	// firmware of this board passes over and the emulation never checked.
	Skipped []string
}

// piBoard is what the firmware emulation knows about one board.
type piBoard struct {
	sections []string // the config.txt section filters that apply to it
	dtb      string   // the device tree the firmware loads for it
	// model is the model the firmware writes into the device tree: the
	// kernel's DTB says only "Raspberry Pi 3 Model B", the firmware adds
	// the revision it reads from the board (qemu's raspi3b says a02082,
	// a 3 B rev 1.2).
	model    string
	i2cArm   string // the label of the controller dtparam=i2c_arm switches
	miniUART string // the label of the mini UART, which enable_uart switches
}

// piBoards are the boards PiFirmware emulates, by their config.txt section
// name. Only the Pi 3 B: it is the one qemu has a machine for.
func piBoards() map[string]piBoard {
	return map[string]piBoard{
		"pi3": {sections: []string{"all", "pi3"}, dtb: "bcm2710-rpi-3-b.dtb",
			model: "Raspberry Pi 3 Model B Rev 1.2", i2cArm: "i2c1", miniUART: "uart1"},
	}
}

// PiFirmware does for qemu what the Raspberry Pi's GPU firmware does
// before the kernel runs, for board (a config.txt section name: "pi3"),
// reading the boot partition boot and writing into dir. It reads
// config.txt, keeping the lines of [all] and the board's own sections, and
// applies them:
//
//   - arm_64bit=1: the only kind of kernel qemu boots so
//   - kernel=FILE, initramfs FILE followkernel: the files copied to dir
//   - dtparam=i2c_arm=on|off: the ARM's I2C controller (i2c1) enabled
//   - enable_uart=0|1: the mini UART enabled, 8250.nr_uarts set (without
//     the line the Pi 3's mini UART is off: Bluetooth has the PL011)
//   - gpu_mem, disable_splash: checked, no effect (no GPU, no display)
//
// It also writes the board's model with its revision into the device
// tree, and makes the command line from the device tree's bootargs and
// cmdline.txt, whose console=serial0 and console=serial1 become the tty of
// the UART the serial0 or serial1 alias names (on a Pi 3 with enable_uart=1,
// serial0 is the mini UART, ttyS0). Any other line of config.txt that
// applies to the board is an error: what the emulation does not know it
// must not pass over, or a change to config.txt would go untested.
//
// Not emulated: the firmware's own kernel arguments (frame buffer, MAC
// address, VC memory), core_freq for the mini UART's clock, the memory
// split (qemu has its own), overlays. It needs fdtget and fdtput (Debian
// package device-tree-compiler).
func PiFirmware(boot fs.FS, board, dir string) (PiBoot, error) {
	b, ok := piBoards()[board]
	if !ok {
		return PiBoot{}, fmt.Errorf("vm: Pi firmware: no emulation of board %q", board)
	}
	for _, tool := range []string{"fdtget", "fdtput"} {
		if _, err := exec.LookPath(tool); err != nil {
			return PiBoot{}, fmt.Errorf("vm: Pi firmware: %s not found (Debian package device-tree-compiler): %w", tool, err)
		}
	}
	config, err := fs.ReadFile(boot, "config.txt")
	if err != nil {
		return PiBoot{}, fmt.Errorf("vm: Pi firmware: %w", err)
	}
	cfg, err := parsePiConfig(string(config), b)
	if err != nil {
		return PiBoot{}, err
	}
	cmdline, err := fs.ReadFile(boot, "cmdline.txt")
	if err != nil {
		return PiBoot{}, fmt.Errorf("vm: Pi firmware: %w", err)
	}
	pb := PiBoot{Model: b.model, Skipped: cfg.skipped}
	if pb.Kernel, err = copyOut(boot, cfg.kernel, dir); err != nil {
		return PiBoot{}, err
	}
	if cfg.initramfs != "" {
		if pb.Initrd, err = copyOut(boot, cfg.initramfs, dir); err != nil {
			return PiBoot{}, err
		}
	}
	if pb.DTB, err = copyOut(boot, b.dtb, dir); err != nil {
		return PiBoot{}, err
	}
	dt := fdt(pb.DTB)
	if err := dt.put("/", "model", b.model); err != nil {
		return PiBoot{}, err
	}
	if cfg.i2cArm != nil {
		if err := dt.setStatus(b.i2cArm, *cfg.i2cArm); err != nil {
			return PiBoot{}, err
		}
	}
	// The Pi 3's firmware turns the mini UART off unless enable_uart=1.
	if err := dt.setStatus(b.miniUART, cfg.enableUART); err != nil {
		return PiBoot{}, err
	}
	bootargs, err := dt.get("/chosen", "bootargs")
	if err != nil {
		return PiBoot{}, err
	}
	nrUARTs := "8250.nr_uarts=0"
	if cfg.enableUART {
		nrUARTs = "8250.nr_uarts=1"
	}
	args := slices.DeleteFunc(strings.Fields(bootargs), func(a string) bool { return strings.HasPrefix(a, "8250.nr_uarts=") })
	args = append(args, nrUARTs)
	line, err := cmdlineTxt(string(cmdline))
	if err != nil {
		return PiBoot{}, err
	}
	for _, a := range strings.Fields(line) {
		if a, err = dt.serialConsole(a); err != nil {
			return PiBoot{}, err
		}
		args = append(args, a)
	}
	pb.Cmdline = strings.Join(args, " ")
	return pb, nil
}

// piConfig is what config.txt asks of the firmware.
type piConfig struct {
	kernel, initramfs string
	i2cArm            *bool // nil: config.txt does not say
	enableUART        bool
	skipped           []string
}

// parsePiConfig reads config.txt as the firmware of board b does: a
// [filter] line starts a section, which applies if its filter names b.
func parsePiConfig(text string, b piBoard) (piConfig, error) {
	// The board filters a config.txt may use; any other [section] (gpio,
	// EDID, serial number, tryboot) is refused, as its meaning is not
	// emulated.
	sections := []string{"all", "none", "pi1", "pi2", "pi3", "pi3+", "pi4", "pi5", "pi0", "pi0w", "pi02",
		"pi400", "pi500", "cm1", "cm3", "cm3+", "cm4", "cm4s", "cm5"}
	cfg := piConfig{kernel: "kernel8.img"}
	applies, arm64 := true, false
	for i, raw := range strings.Split(text, "\n") {
		line := strings.TrimSpace(raw)
		bad := func(why string) error {
			return fmt.Errorf("vm: Pi firmware: config.txt line %d %q: %s", i+1, line, why)
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if filter, ok := strings.CutPrefix(line, "["); ok {
			filter, ok = strings.CutSuffix(filter, "]")
			if !ok || !slices.Contains(sections, filter) {
				return piConfig{}, bad("not a section filter the emulation knows")
			}
			applies = slices.Contains(b.sections, filter)
			continue
		}
		if !applies {
			cfg.skipped = append(cfg.skipped, line)
			continue
		}
		if rest, ok := strings.CutPrefix(line, "initramfs "); ok {
			f := strings.Fields(rest)
			if len(f) != 2 || f[1] != "followkernel" {
				return piConfig{}, bad("want initramfs FILE followkernel")
			}
			cfg.initramfs = f[0]
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if !ok {
			return piConfig{}, bad("not KEY=VALUE")
		}
		switch key {
		case "arm_64bit":
			if value != "1" {
				return piConfig{}, bad("the emulation boots 64-bit kernels only")
			}
			arm64 = true
		case "kernel":
			if value == "" || strings.ContainsAny(value, " \t") {
				return piConfig{}, bad("not a file name")
			}
			cfg.kernel = value
		case "dtparam":
			for _, p := range strings.Split(value, ",") {
				name, v, _ := strings.Cut(p, "=")
				on, known := map[string]bool{"on": true, "off": false}[v]
				if name != "i2c_arm" || !known {
					return piConfig{}, bad(fmt.Sprintf("dtparam %q is not emulated (only i2c_arm=on|off)", p))
				}
				cfg.i2cArm = &on
			}
		case "enable_uart":
			if value != "0" && value != "1" {
				return piConfig{}, bad("want 0 or 1")
			}
			cfg.enableUART = value == "1"
		case "gpu_mem":
			if n, err := strconv.Atoi(value); err != nil || n < 16 {
				return piConfig{}, bad("want megabytes, at least 16")
			}
		case "disable_splash":
			if value != "0" && value != "1" {
				return piConfig{}, bad("want 0 or 1")
			}
		default:
			return piConfig{}, bad("not emulated")
		}
	}
	if !arm64 {
		return piConfig{}, errors.New("vm: Pi firmware: config.txt lacks arm_64bit=1: the emulation boots 64-bit kernels only")
	}
	return cfg, nil
}

// cmdlineTxt is the command line in cmdline.txt: its one line.
func cmdlineTxt(text string) (string, error) {
	line, rest, _ := strings.Cut(strings.TrimRight(text, "\r\n"), "\n")
	if strings.TrimSpace(rest) != "" {
		return "", errors.New("vm: Pi firmware: cmdline.txt has more than one line")
	}
	return strings.TrimSpace(line), nil
}

// copyOut copies the boot partition's file name into dir.
func copyOut(boot fs.FS, name, dir string) (string, error) {
	in, err := boot.Open(name)
	if err != nil {
		return "", fmt.Errorf("vm: Pi firmware: %w", err)
	}
	defer in.Close()
	out := filepath.Join(dir, filepath.Base(name))
	f, err := os.Create(out)
	if err != nil {
		return "", fmt.Errorf("vm: Pi firmware: %w", err)
	}
	_, err = io.Copy(f, in)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", fmt.Errorf("vm: Pi firmware: copy %s: %w", name, err)
	}
	return out, nil
}

// fdt is a device tree blob file, read and changed with fdtget and fdtput.
type fdt string

func (f fdt) get(node, prop string) (string, error) {
	out, err := exec.Command("fdtget", "-t", "s", string(f), node, prop).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("vm: fdtget %s %s: %v: %s", node, prop, err, strings.TrimSpace(string(out)))
	}
	return strings.TrimSpace(string(out)), nil
}

func (f fdt) put(node, prop, value string) error {
	out, err := exec.Command("fdtput", "-t", "s", string(f), node, prop, value).CombinedOutput()
	if err != nil {
		return fmt.Errorf("vm: fdtput %s %s %q: %v: %s", node, prop, value, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// setStatus enables or disables the node labelled label.
func (f fdt) setStatus(label string, on bool) error {
	path, err := f.get("/__symbols__", label)
	if err != nil {
		return err
	}
	status := "disabled"
	if on {
		status = "okay"
	}
	return f.put(path, "status", status)
}

// serialConsole turns the argument console=serialN[,OPTIONS] into the
// console on the tty of the UART the alias serialN names: ttyS0 for the
// mini UART (the kernel's only 8250 port), ttyAMA<N> for a PL011 (the
// kernel numbers those by their alias). Other arguments come back as
// they are.
func (f fdt) serialConsole(arg string) (string, error) {
	dev, ok := strings.CutPrefix(arg, "console=")
	if !ok || !strings.HasPrefix(dev, "serial") {
		return arg, nil
	}
	alias, opts, _ := strings.Cut(dev, ",")
	n, err := strconv.Atoi(strings.TrimPrefix(alias, "serial"))
	if err != nil {
		return arg, nil
	}
	path, err := f.get("/aliases", alias)
	if err != nil {
		return "", fmt.Errorf("vm: Pi firmware: %s: %w", arg, err)
	}
	if status, err := f.get(path, "status"); err != nil || status != "okay" {
		return "", fmt.Errorf("vm: Pi firmware: %s: %s (%s) is not enabled", arg, alias, path)
	}
	compatible, err := f.get(path, "compatible")
	if err != nil {
		return "", err
	}
	var tty string
	switch first, _, _ := strings.Cut(compatible, " "); first {
	case "brcm,bcm2835-aux-uart":
		tty = "ttyS0"
	case "arm,pl011":
		tty = fmt.Sprintf("ttyAMA%d", n)
	default:
		return "", fmt.Errorf("vm: Pi firmware: %s: %s is a %s, not a UART the emulation knows", arg, path, compatible)
	}
	if opts != "" {
		tty += "," + opts
	}
	return "console=" + tty, nil
}
