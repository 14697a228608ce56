package images

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"flashkiosk/board"
	"flashkiosk/images/toolchain"
)

// The pinned modules the Pi's boot files come from (see modules.go).
const (
	FirmwareModule = "github.com/gokrazy/firmware"
	KernelModule   = "github.com/gokrazy/kernel.rpi"
)

// InitramfsFile is the initramfs on the boot partition.
const InitramfsFile = "kiosk.cpio"

// DefaultUinit is the package of the production uinit, the kiosk itself.
const DefaultUinit = "./firmware/cmd/kioskd"

// ConfigTxt is the Pi firmware's config.txt: 64-bit, the gokrazy kernel
// and the initramfs after it, the serial console on GPIO14/15 and the LCD's
// I2C on GPIO2/3, on every supported board (Pi 3 B, 3 B+, 4 B, 5, Zero 2 W).
// The lines before [pi5] apply to every board; [pi5] changes what differs
// on the Pi 5, whose header UART and I2C belong to its RP1 south bridge.
const ConfigTxt = `# config.txt: read by the Raspberry Pi's firmware at power-on.
# See https://www.raspberrypi.com/documentation/computers/config_txt.html
# The kiosk's own settings are in kiosk.toml, not here. The lines before
# [pi5] are for every board; [pi5] changes what differs on the Pi 5.

# Start the processors in 64-bit mode: the kernel is arm64.
arm_64bit=1
# The pinned gokrazy kernel, under the name the image gives it.
kernel=vmlinuz
# Hand the kernel the initramfs that holds the kiosk, loaded after it.
initramfs ` + InitramfsFile + ` followkernel

# I2C bus 1 on GPIO2/3 (header pins 3 and 5) for the LCD backpack, as
# /dev/i2c-1 (i2c-bcm2835) on the Pi 3, 4 and Zero 2 W; off on the Pi 5.
dtparam=i2c_arm=on

# The serial console on GPIO14/15 (header pins 8 and 10), 115200 8N1. On the
# Pi 3, 4 and Zero 2 W this is the mini UART (ttyS0; the PL011 serves
# Bluetooth), and this also fixes the core clock its baud rate comes from.
enable_uart=1

# No display is used: leave the GPU its smallest share of memory.
gpu_mem=16
# No display is used: skip the rainbow splash.
disable_splash=1

# The Pi 5: header UART and I2C are RP1's, and it has no mini UART.
[pi5]
# RP1 uart0 on GPIO14/15 is disabled in the DTB, and the console alias
# names the debug connector's uart10 (ttyAMA10). This enables uart0 and
# makes it the console, so console=serial0 in cmdline.txt means ttyAMA0.
dtparam=uart0_console=on
# The header I2C is RP1's DesignWare controller, and the pinned kernel has
# no driver for it: the kiosk bit-bangs GPIO2/3 itself (hal/softi2c), so the
# controller stays disabled and claims no pins. Overrides i2c_arm=on above.
dtparam=i2c_arm=off
# usb_max_current_enable is left unset on purpose. With the 5 A (27 W)
# supply the kiosk needs, the firmware raises the USB limit from 600 mA to
# 1.6 A itself; forcing 1.6 A on a 3 A supply lets four sticks take power
# the supply cannot give, and the whole board can brown out mid-write
# where the limiter would only have cut the USB ports (README, "Power").

# Back to every board for anything added below.
[all]
`

// CmdlineTxt is the kernel command line: consoles on the screen and the
// serial port, the serial port last so that it is /dev/console, where
// kioskd logs; a reboot 10 s after a panic (the kiosk must come back on
// its own), USB sticks seen at once. serial0 is not a kernel device: the
// firmware replaces it with the UART its device tree's alias names, ttyS0
// (the mini UART) on the Pi 3, 4 and Zero 2 W, ttyAMA0 (RP1 uart0) on the
// Pi 5 with ConfigTxt's uart0_console; both on header pins 8 and 10.
// dwc_otg.fiq_fsm_enable=0 is what gokrazy passes the same kernel: the FIQ
// split-transaction handler of the Pi 3's USB controller is unreliable.
const CmdlineTxt = "console=tty1 console=serial0,115200 panic=10 quiet usb_storage.delay_use=0 dwc_otg.fiq_fsm_enable=0\n"

// PiBootFiles returns the Pi's boot files from the pinned modules:
// bootcode.bin, start*.elf and fixup*.dat from the firmware module;
// vmlinuz, the Pi 3, 4, 5 and Zero 2 W DTBs and overlays/ from the kernel
// module; and config.txt and cmdline.txt. The initramfs is not among them.
func PiBootFiles(ctx context.Context) ([]File, error) {
	fw, err := toolchain.ModuleDir(ctx, FirmwareModule)
	if err != nil {
		return nil, err
	}
	kernel, err := toolchain.ModuleDir(ctx, KernelModule)
	if err != nil {
		return nil, err
	}
	files := []File{{Name: "config.txt", Data: []byte(ConfigTxt)}, {Name: "cmdline.txt", Data: []byte(CmdlineTxt)}}
	add := func(dir string, patterns ...string) error {
		for _, p := range patterns {
			names, err := filepath.Glob(filepath.Join(dir, p))
			if err != nil {
				return err
			}
			if len(names) == 0 {
				return fmt.Errorf("no %s in %s", p, dir)
			}
			for _, n := range names {
				files = append(files, File{Name: filepath.Base(n), Path: n})
			}
		}
		return nil
	}
	if err := add(fw, "bootcode.bin", "start*.elf", "fixup*.dat"); err != nil {
		return nil, err
	}
	if err := add(kernel, "vmlinuz", "bcm27*.dtb"); err != nil {
		return nil, err
	}
	overlays := filepath.Join(kernel, "overlays")
	err = filepath.WalkDir(overlays, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(kernel, p)
		if err != nil {
			return err
		}
		files = append(files, File{Name: filepath.ToSlash(rel), Path: p})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("overlays: %w", err)
	}
	return files, nil
}

// Pi is what a Raspberry Pi image is built from.
type Pi struct {
	Library   string // a built and signed library folder
	PublicKey string // its public key file
	Version   string // the kiosk version; none if ""
	// Uinit is the kiosk's package and arguments; DefaultUinit if empty.
	Uinit []string
	// Boot are the boot files besides the initramfs; PiBootFiles if nil.
	Boot []File
	// Initramfs is a kiosk.cpio built before; if "", WritePi builds one
	// from Uinit.
	Initramfs string
}

// WritePi builds the kiosk's arm64 initramfs, unless given one, and writes the Pi's system
// disk to out: the boot files, kiosk.cpio, the default kiosk.toml (board
// pi4b), the library and its key.
func WritePi(ctx context.Context, out string, p Pi) (*Written, error) {
	// Refuse a library the key does not sign before the slow part.
	lib, pubData, err := openLibrary(p.Library, p.PublicKey)
	if err != nil {
		return nil, err
	}
	boot := p.Boot
	if boot == nil {
		if boot, err = PiBootFiles(ctx); err != nil {
			return nil, err
		}
	}
	cpio := p.Initramfs
	if cpio == "" {
		uinit := p.Uinit
		if len(uinit) == 0 {
			uinit = []string{DefaultUinit}
		}
		tmp, err := os.MkdirTemp("", "flashkiosk-image")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(tmp)
		cpio = filepath.Join(tmp, InitramfsFile)
		if err := toolchain.BuildInitramfs(ctx, cpio, toolchain.Initramfs{Arch: "arm64", Uinit: uinit}); err != nil {
			return nil, fmt.Errorf("initramfs with %s: %w", uinit[0], err)
		}
	}
	return writeOpened(ctx, out, Disk{
		Boot:      append(boot[:len(boot):len(boot)], File{Name: InitramfsFile, Path: cpio}),
		Config:    board.DefaultTOML(),
		PublicKey: p.PublicKey,
		Version:   p.Version,
		Library:   p.Library,
	}, lib, pubData)
}
