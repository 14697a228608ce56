package vm

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Config says what to boot.
type Config struct {
	Arch string // "arm64" (qemu virt, the default) or "amd64" (q35)
	// Machine is "" for the arch's own (virt or q35), or "raspi3b" for a
	// Raspberry Pi 3 B (arm64 only): the Pi's own kernel and DTB, the
	// console on its PL011 UART, disks on its SD card, USB on its DWC2
	// controller, which has a single root port.
	Machine string
	Kernel  string // kernel image file
	DTB     string // device tree blob; raspi3b needs one (see RaspiDTB)
	Initrd  string // initramfs file
	Append  string // added to the kernel command line
	// Cmdline, if not "", is the whole kernel command line (Append still
	// follows), such as the one PiFirmware makes from cmdline.txt: the
	// machine's own console and settings are then left out. On raspi3b the
	// emulation's needs follow all (see raspiQuirks).
	Cmdline string
	// MiniUART puts the serial console of a raspi3b on its mini UART
	// (ttyS0 to the Pi's kernel, the UART on GPIO14/15 with enable_uart=1)
	// instead of its PL011 (ttyAMA1).
	MiniUART bool
	// EmptySD starts a raspi3b with no card in its SD slot (Disks must be
	// empty); InsertSD puts one in.
	EmptySD bool
	Memory  int // MiB; 0 means 512 (1024 on raspi3b, the only size it takes)
	// Disks are attached at boot: virtio disks vda, vdb, … on virt and
	// q35, the SD card mmcblk0 on raspi3b (at most one, and qemu takes
	// only an image whose size is a power of two).
	Disks []Disk
	// Devices are further qemu devices, as -device takes them: "i6300esb"
	// is a watchdog the arm64 kernel drives.
	Devices []string
	// Dir holds the QMP socket; "" means a new temporary folder, removed
	// by Close.
	Dir string
	// Console, if not nil, gets a copy of every console line, e.g. a
	// writer that logs to the test.
	Console io.Writer
}

// Disk is an image file attached at boot.
type Disk struct {
	Path     string
	ReadOnly bool
	// Throttle limits reads and writes together to this many bytes per
	// second, through a throttle group of its own (as an SD card is slow);
	// 0 means no limit. Not on raspi3b's SD card.
	Throttle int64
}

// Line is one line of the serial console and when the host received it.
type Line struct {
	Text string
	Time time.Time
}

// VM is a running qemu.
type VM struct {
	cmd     *exec.Cmd
	stdin   io.WriteCloser // the serial console's input
	qmp     *qmpConn
	lines   chan Line
	exited  chan struct{} // closed when qemu has exited
	waitErr error
	tmpDir  string
	stopCtx func() bool
	usbBus  string // the bus USB devices are plugged into; "" lets qemu choose

	sendMu sync.Mutex // one line at a time on the console
	mu     sync.Mutex
	tail   []string         // the last console lines, for error messages
	sticks map[string]Stick // plugged sticks by id

	closeOnce sync.Once
}

// Start boots a VM. It returns once qemu's QMP socket answers; the guest
// may still be booting (wait for a console line of its own).
func Start(ctx context.Context, cfg Config) (*VM, error) {
	files := []string{cfg.Kernel, cfg.Initrd}
	if cfg.DTB != "" {
		files = append(files, cfg.DTB)
	}
	for _, f := range files {
		if _, err := os.Stat(f); err != nil {
			return nil, fmt.Errorf("vm: %w", err)
		}
	}
	dir, tmp := cfg.Dir, ""
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "vm"); err != nil {
			return nil, fmt.Errorf("vm: %w", err)
		}
		tmp = dir
	}
	sock := filepath.Join(dir, "qmp.sock")
	bin, args, err := qemuArgs(cfg, sock)
	if err != nil {
		return nil, err
	}
	if _, err := exec.LookPath(bin); err != nil {
		return nil, fmt.Errorf("vm: %s not found (Debian package qemu-system-arm or qemu-system-x86): %w", bin, err)
	}
	cmd := exec.Command(bin, args...)
	cmd.SysProcAttr = killWithParent()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("vm: %w", err)
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("vm: %w", err)
	}
	stderr := &lockedBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("vm: start %s: %w", bin, err)
	}
	vm := &VM{cmd: cmd, stdin: stdin, lines: make(chan Line, 4096), exited: make(chan struct{}), tmpDir: tmp, usbBus: "xhci.0"}
	if cfg.Machine == "raspi3b" {
		vm.usbBus = ""
	}
	go vm.readConsole(stdout, cfg.Console)
	go func() {
		vm.waitErr = cmd.Wait()
		close(vm.exited)
	}()
	// The VM dies with ctx for its whole life, not just during Start.
	vm.stopCtx = context.AfterFunc(ctx, func() { vm.Close() })

	vm.qmp, err = dialQMP(ctx, sock, vm.exited)
	if err != nil {
		vm.Close()
		return nil, fmt.Errorf("vm: %w (qemu said: %s)", err, strings.TrimSpace(stderr.String()))
	}
	return vm, nil
}

// qemuArgs is the qemu binary and command line for cfg.
func qemuArgs(cfg Config, sock string) (string, []string, error) {
	if cfg.Machine == "raspi3b" {
		return raspiArgs(cfg, sock)
	}
	if cfg.Machine != "" {
		return "", nil, fmt.Errorf("vm: unknown machine %q", cfg.Machine)
	}
	if cfg.MiniUART || cfg.EmptySD {
		return "", nil, errors.New("vm: MiniUART and EmptySD are for machine raspi3b")
	}
	mem := cfg.Memory
	if mem == 0 {
		mem = 512
	}
	var bin, console string
	var args []string
	switch cfg.Arch {
	case "", "arm64":
		bin, console = "qemu-system-aarch64", "ttyAMA0"
		args = []string{"-M", "virt", "-cpu", "cortex-a53"}
	case "amd64":
		bin, console = "qemu-system-x86_64", "ttyS0"
		args = []string{"-M", "q35"}
	default:
		return "", nil, fmt.Errorf("vm: unknown arch %q", cfg.Arch)
	}
	args = append(args, "-accel", "tcg", "-m", strconv.Itoa(mem))
	args = append(args, bootArgs(cfg, "console="+console, nil)...)
	args = append(args, "-device", "qemu-xhci,id=xhci")
	args = append(args, commonArgs(sock)...)
	args = append(args, "-serial", "stdio")
	for i, d := range cfg.Disks {
		drive := fmt.Sprintf("if=none,id=disk%d,format=raw,file=%s", i, d.Path)
		if d.ReadOnly {
			drive += ",readonly=on"
		}
		if d.Throttle > 0 {
			drive += fmt.Sprintf(",throttling.bps-total=%d,throttling.group=disk%d-throttle", d.Throttle, i)
		}
		args = append(args, "-drive", drive, "-device", fmt.Sprintf("virtio-blk-pci,drive=disk%d", i))
	}
	for _, d := range cfg.Devices {
		args = append(args, "-device", d)
	}
	return bin, args, nil
}

// raspiArgs is the command line of a raspi3b. Its PL011 UART, the first
// serial port, is ttyAMA1 to the Pi's kernel (its DTB names the mini UART
// serial0), the mini UART the second. One emulated thread boots in
// seconds where several take a minute.
func raspiArgs(cfg Config, sock string) (string, []string, error) {
	if cfg.Arch != "" && cfg.Arch != "arm64" {
		return "", nil, fmt.Errorf("vm: machine raspi3b is arm64, not %s", cfg.Arch)
	}
	if len(cfg.Disks) > 1 || (cfg.EmptySD && len(cfg.Disks) > 0) {
		return "", nil, fmt.Errorf("vm: machine raspi3b has one SD card, not %d disks (empty slot: %v)", len(cfg.Disks), cfg.EmptySD)
	}
	if len(cfg.Disks) == 1 && cfg.Disks[0].Throttle > 0 {
		return "", nil, errors.New("vm: machine raspi3b's SD card cannot be throttled")
	}
	if cfg.DTB == "" {
		return "", nil, errors.New("vm: machine raspi3b needs the Pi's DTB")
	}
	mem := cfg.Memory
	if mem == 0 {
		mem = 1024
	}
	console, serial := "console=ttyAMA1,115200", []string{"-serial", "stdio"}
	if cfg.MiniUART {
		console, serial = "console=ttyS0,115200 8250.nr_uarts=1", []string{"-serial", "null", "-serial", "stdio"}
	}
	args := []string{"-M", "raspi3b", "-accel", "tcg,thread=single", "-m", strconv.Itoa(mem)}
	args = append(args, bootArgs(cfg, console, raspiQuirks())...)
	args = append(args, commonArgs(sock)...)
	args = append(args, serial...)
	for _, d := range cfg.Disks {
		drive := "if=sd,id=" + sdDrive + ",format=raw,file=" + d.Path
		if d.ReadOnly {
			drive += ",readonly=on"
		}
		args = append(args, "-drive", drive)
	}
	if cfg.EmptySD {
		args = append(args, "-drive", "if=sd,id="+sdDrive)
	}
	for _, d := range cfg.Devices {
		args = append(args, "-device", d)
	}
	return "qemu-system-aarch64", args, nil
}

// raspiQuirks are the kernel arguments a Pi's kernel needs under qemu's
// raspi3b and not on a Pi, each for its reason.
func raspiQuirks() []string {
	return []string{
		// qemu 7.2 emulates the BCM2835 watchdog's reset but not its
		// timer: the machine resets the moment Linux arms it (with
		// -no-reboot qemu exits). Its driver stays out; /dev/watchdog is
		// then missing, and so is the Pi's restart handler.
		"initcall_blacklist=bcm2835_wdt_driver_init",
		// With the DWC2 driver's FIQ split-transaction state machine on,
		// a stick's transfers stall under emulation (the job does not end
		// in 3 minutes). The Pi image's cmdline.txt turns it off too, for
		// hardware reasons; the FIQ itself can stay on (measured: a stick
		// is written in 5-8 s either way).
		"dwc_otg.fiq_fsm_enable=0",
	}
}

// bootArgs are the kernel, DTB, initramfs and command line: cfg.Cmdline,
// or else the console and what every guest gets; then cfg.Append, then
// the machine's quirks.
func bootArgs(cfg Config, console string, quirks []string) []string {
	cmdline := cfg.Cmdline
	if cmdline == "" {
		cmdline = console + " panic=-1 quiet usb_storage.delay_use=0"
	}
	if cfg.Append != "" {
		cmdline += " " + cfg.Append
	}
	if len(quirks) > 0 {
		cmdline += " " + strings.Join(quirks, " ")
	}
	args := []string{"-kernel", cfg.Kernel}
	if cfg.DTB != "" {
		args = append(args, "-dtb", cfg.DTB)
	}
	return append(args, "-initrd", cfg.Initrd, "-append", cmdline)
}

// commonArgs leave qemu no devices of its own choosing, no window, no
// monitor, and QMP on sock.
func commonArgs(sock string) []string {
	return []string{"-nodefaults", "-no-reboot", "-display", "none", "-monitor", "none",
		"-qmp", "unix:" + sock + ",server=on,wait=off"}
}

// Send types line and a newline on the serial console.
func (vm *VM) Send(line string) error {
	vm.sendMu.Lock()
	defer vm.sendMu.Unlock()
	if _, err := io.WriteString(vm.stdin, line+"\n"); err != nil {
		return fmt.Errorf("vm: send to the console: %w", err)
	}
	return nil
}

func (vm *VM) readConsole(r io.Reader, copyTo io.Writer) {
	defer close(vm.lines)
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		text := strings.TrimRight(sc.Text(), "\r")
		if copyTo != nil {
			fmt.Fprintln(copyTo, text)
		}
		vm.mu.Lock()
		vm.tail = append(vm.tail, text)
		if len(vm.tail) > 20 {
			vm.tail = vm.tail[len(vm.tail)-20:]
		}
		vm.mu.Unlock()
		select {
		case vm.lines <- Line{Text: text, Time: time.Now()}:
		default: // nobody reads: drop rather than stall the guest
		}
	}
}

// ErrExited says qemu has exited (the guest panicked, powered off, or
// the VM was closed).
var ErrExited = errors.New("vm: qemu exited")

// Next returns the next console line. It fails when ctx ends or qemu
// exits; the error then quotes the last lines seen.
func (vm *VM) Next(ctx context.Context) (Line, error) {
	select {
	case l, ok := <-vm.lines:
		if ok {
			return l, nil
		}
		<-vm.exited
		return Line{}, fmt.Errorf("%w (%v); last console lines:\n%s", ErrExited, vm.waitErr, vm.Tail())
	case <-ctx.Done():
		return Line{}, fmt.Errorf("vm: waiting for a console line: %w; last console lines:\n%s", ctx.Err(), vm.Tail())
	}
}

// WaitFor returns the first console line that contains s, skipping others.
func (vm *VM) WaitFor(ctx context.Context, s string) (Line, error) {
	for {
		l, err := vm.Next(ctx)
		if err != nil {
			return Line{}, fmt.Errorf("waiting for %q: %w", s, err)
		}
		if strings.Contains(l.Text, s) {
			return l, nil
		}
	}
}

// Tail is the last console lines received.
func (vm *VM) Tail() string {
	vm.mu.Lock()
	defer vm.mu.Unlock()
	return strings.Join(vm.tail, "\n")
}

// Close kills qemu and waits for it to exit. It is safe to call more
// than once and from several goroutines.
func (vm *VM) Close() error {
	vm.closeOnce.Do(func() {
		if vm.stopCtx != nil {
			vm.stopCtx()
		}
		if vm.qmp != nil {
			vm.qmp.Close()
		}
		_ = vm.cmd.Process.Kill()
		<-vm.exited
		if vm.tmpDir != "" {
			os.RemoveAll(vm.tmpDir)
		}
	})
	return nil
}

// lockedBuffer collects qemu's stderr, written by exec's copying
// goroutine and read for error messages.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
