// Package e2e boots the real kiosk in qemu: the kioskd initramfs on the
// arm64 kernel (board "vm"), its system disk as vda, virtual USB sticks
// plugged and pulled over QMP, and the simulated panel on the serial
// console, followed as a volunteer would see it. The end-to-end tests of
// this folder and `kioskctl demo` use it.
//
// It starts and stops VMs and reads what they show; it decides nothing
// about what the kiosk should do. Every VM dies with the context it was
// booted with and with Close.
package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"flashkiosk/firmware/fat"
	"flashkiosk/hal/sim"
	"flashkiosk/images"
	"flashkiosk/images/toolchain"
	"flashkiosk/tools/vm"
)

// Build is the kiosk's kernel and initramfs, made once and booted often.
type Build struct {
	Kernel string // kernel.arm64's image
	Initrd string // u-root with kioskd as uinit
}

// BuildKiosk builds the kiosk's initramfs into dir and finds the kernel
// go.mod pins. It runs the go command in the current folder, which must
// be in the module.
func BuildKiosk(ctx context.Context, dir string) (Build, error) {
	kernel, err := vm.Kernel(ctx, "arm64")
	if err != nil {
		return Build{}, err
	}
	initrd := filepath.Join(dir, "kiosk-vm.cpio")
	if err := toolchain.BuildInitramfs(ctx, initrd, toolchain.Initramfs{Arch: "arm64", Uinit: []string{images.DefaultUinit}}); err != nil {
		return Build{}, err
	}
	return Build{Kernel: kernel, Initrd: initrd}, nil
}

// SystemDisk writes the vm board's system disk to out: config as
// kiosk.toml (it should say board = "vm"), the trusted public key pub,
// the library folder lib.
func SystemDisk(ctx context.Context, out, lib, pub string, config []byte) (*images.Written, error) {
	return images.WriteDisk(ctx, out, images.Disk{Config: config, PublicKey: pub, Library: lib})
}

// Config says how to boot a kiosk.
type Config struct {
	Build
	Disk string // the system disk image
	// DiskThrottle limits the system disk to this many bytes a second, as
	// slow as an SD card; 0 means no limit.
	DiskThrottle int64
	// Console, if not nil, gets every console line (a test's log).
	Console io.Writer
}

// Kiosk is a kiosk booted in qemu.
type Kiosk struct {
	VM      *vm.VM
	Console *sim.Console
	read    chan struct{} // closed when the console ends
}

// Boot starts a kiosk; it returns once qemu runs, before the kiosk is up
// (wait for it with Until). The VM has qemu's i6300esb watchdog, which
// kioskd arms.
func Boot(ctx context.Context, cfg Config) (*Kiosk, error) {
	v, err := vm.Start(ctx, vm.Config{
		Kernel: cfg.Kernel, Initrd: cfg.Initrd, Memory: 768,
		Disks:   []vm.Disk{{Path: cfg.Disk, Throttle: cfg.DiskThrottle}},
		Devices: []string{"i6300esb"},
		Console: cfg.Console,
	})
	if err != nil {
		return nil, err
	}
	k := &Kiosk{VM: v, Console: sim.NewConsole(20, 4), read: make(chan struct{})}
	go func() {
		defer close(k.read)
		for {
			l, err := v.Next(context.Background())
			if err != nil {
				k.Console.Feed("e2e: " + firstLine(err.Error()))
				return
			}
			k.Console.Feed(l.Text)
		}
	}()
	return k, nil
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// Press presses a panel button ("go" or "info") for hold.
func (k *Kiosk) Press(button string, hold time.Duration) error {
	line := sim.Encode(sim.Message{Press: button, MS: int(hold / time.Millisecond)})
	return k.VM.Send(strings.TrimSuffix(string(line), "\n"))
}

// Until waits until ok holds for what the panel and log show, or ctx ends.
func (k *Kiosk) Until(ctx context.Context, ok func(v sim.View, logs []string) bool) error {
	return k.Console.Until(ctx, ok)
}

// Ready waits until kioskd says it runs.
func (k *Kiosk) Ready(ctx context.Context) error {
	return k.Until(ctx, func(_ sim.View, logs []string) bool { return Count(logs, "kioskd: ready") > 0 })
}

// Close kills the VM (a power cut, as far as the kiosk knows) and waits
// until its console is read to the end.
func (k *Kiosk) Close() error {
	err := k.VM.Close()
	<-k.read
	return err
}

// Count is how many of logs contain s.
func Count(logs []string, s string) int {
	n := 0
	for _, l := range logs {
		if strings.Contains(l, s) {
			n++
		}
	}
	return n
}

// Protected hashes the partitions of a system disk the kiosk must never
// write (boot and library), for comparing before and after a boot.
func Protected(disk string) (string, error) {
	f, err := os.Open(disk)
	if err != nil {
		return "", err
	}
	defer f.Close()
	_, parts, err := fat.ReadMBR(f)
	if err != nil {
		return "", fmt.Errorf("%s: %w", disk, err)
	}
	h := sha256.New()
	for _, p := range parts[:2] {
		if p.Sectors == 0 {
			return "", fmt.Errorf("%s: partition missing in %v", disk, parts)
		}
		if _, err := io.Copy(h, io.NewSectionReader(f, p.Start*images.SectorSize, p.Sectors*images.SectorSize)); err != nil {
			return "", fmt.Errorf("%s: %w", disk, err)
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// HashFile hashes a whole file, such as a stick's image.
func HashFile(name string) (string, error) {
	f, err := os.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
