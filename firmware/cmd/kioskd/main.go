// Command kioskd is the flashkiosk appliance: u-root's init starts it as
// uinit on the Raspberry Pi (and in the VM). It reads kiosk.toml and the
// trusted key from the boot partition of its own disk, mounts the content
// library read-only, opens the panel (GPIO buttons and LEDs and the I2C
// LCD, or the simulated panel on the console), and runs the kiosk: drives
// plugged in are checked, written and verified as the volunteer presses GO.
//
// kioskd never exits on its own. It runs the kiosk in a child process of
// itself and starts a new one when it dies; inside, the drive watcher is
// restarted when it fails, a fatal condition (bad config, no library, bad
// signature) is shown on the LCD and status LED, and the hardware watchdog
// is fed only while the kiosk's loop is alive, so a hang resets the board.
// It logs to the serial console in plain lines, which the simulated panel's
// lines share.
//
// Usage:
//
//	kioskd [flags]
//
// Without flags it finds everything on its own disk. The flags point it at
// other places, for a kiosk on a PC and for tests.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"flashkiosk/firmware/flash"
)

// options are kioskd's flags.
type options struct {
	config   string            // kiosk.toml; "" for the one on the kiosk disk
	key      string            // the trusted public key; "" for library.pub on the kiosk disk
	library  string            // the library folder; "" to mount the kiosk disk's partition 2
	journal  string            // the journal device or file; "" for the kiosk disk's partition 3
	mount    string            // where the library partition is mounted
	masters  string            // where master drives' volumes are mounted, one folder each
	root     string            // the folder holding sys/, proc/ and dev/
	watchdog string            // the watchdog device; "" for none
	diskWait time.Duration     // how long to wait for the kiosk disk to appear
	partWait time.Duration     // how long to wait for the GPIO chip and the I2C bus
	asUSB    map[string]string // test only: loop devices to treat as USB drives, by name
	child    bool              // run the kiosk in this process instead of supervising a child
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	fs := flag.NewFlagSet("kioskd", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	var asUSB string
	fs.StringVar(&o.config, "config", "", "kiosk.toml `file` (default: the one on the kiosk disk's boot partition)")
	fs.StringVar(&o.key, "key", "", "trusted public key `file` (default: library.pub on the boot partition)")
	fs.StringVar(&o.library, "library", "", "library `folder` (default: the kiosk disk's library partition, mounted read-only)")
	fs.StringVar(&o.journal, "journal", "", "journal device or `file` (default: the kiosk disk's journal partition)")
	fs.StringVar(&o.mount, "mount", "/library", "where to mount the library partition")
	fs.StringVar(&o.masters, "masters", "/masters", "`folder` in which master drives' volumes are mounted, each in a folder of its own")
	fs.StringVar(&o.root, "root", "/", "`folder` holding sys/, proc/ and dev/")
	fs.StringVar(&o.watchdog, "watchdog", "/dev/watchdog", "hardware watchdog `device`; empty for none")
	fs.DurationVar(&o.diskWait, "disk-wait", 30*time.Second, "how long to wait at boot for the kiosk disk (the SD card) to appear")
	fs.DurationVar(&o.partWait, "panel-wait", 10*time.Second, "how long to wait at boot for the GPIO chip and the LCD's I2C bus to appear")
	fs.StringVar(&asUSB, "unsafe-test-usb", "", "TESTS ONLY: treat these loop devices as USB drives, as `NAME=PORT,...`")
	fs.BoolVar(&o.child, "child", false, "run the kiosk in this process (kioskd starts itself so)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("kioskd takes no arguments, got %q", fs.Args())
	}
	if asUSB != "" {
		o.asUSB = map[string]string{}
		for _, kv := range strings.Split(asUSB, ",") {
			name, port, ok := strings.Cut(kv, "=")
			if !ok || !strings.HasPrefix(name, "loop") || port == "" {
				return o, fmt.Errorf("-unsafe-test-usb: %q is not loopN=PORT", kv)
			}
			o.asUSB[name] = port
		}
	}
	return o, nil
}

func main() {
	flash.SetHeapGrowth()
	out := newConsole(os.Stdout)
	o, err := parseFlags(os.Args[1:], os.Stderr)
	if err != nil {
		if err == flag.ErrHelp {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "kioskd:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if o.child {
		if err := run(ctx, o, os.Stdin, out); err != nil && ctx.Err() == nil {
			out.logf("kioskd: %v", err)
			os.Exit(1)
		}
		return
	}
	supervise(ctx, os.Args, out)
}

// supervise runs kioskd -child with the same arguments, and again after it
// ends, until ctx ends; then it passes the signal on and waits.
func supervise(ctx context.Context, args []string, out *console) {
	exe, err := os.Executable()
	if err != nil {
		exe = args[0]
	}
	backoff := time.Second
	for ctx.Err() == nil {
		started := time.Now()
		cmd := exec.Command(exe, append([]string{"-child"}, args[1:]...)...)
		cmd.Args[0] = args[0] // in a u-root busybox, argv[0] picks the command
		cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
		if err := cmd.Start(); err != nil {
			out.logf("kioskd: start the kiosk: %v", err)
		} else {
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err = <-done:
			case <-ctx.Done():
				cmd.Process.Signal(syscall.SIGTERM)
				select {
				case <-done:
				case <-time.After(30 * time.Second):
					cmd.Process.Kill()
					<-done
				}
				return
			}
			out.logf("kioskd: the kiosk ended (%v); starting it again", err)
		}
		if time.Since(started) > time.Minute {
			backoff = time.Second
		}
		select {
		case <-ctx.Done():
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 30*time.Second)
	}
}
