package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"flashkiosk/firmware/flash"
	"flashkiosk/firmware/journal"
	"flashkiosk/firmware/library"
	"flashkiosk/firmware/sysdisk"
	"flashkiosk/hal/sim"
	"flashkiosk/tools/e2e"
)

// wait bounds every wait for the kiosk; generous, as machines are shared.
const wait = 2 * time.Minute

// build builds kioskd once for the package's tests.
var build = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "kioskd")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "kioskd")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v: %s", err, out)
	}
	return bin, nil
})

// running is a kioskd started by a test and its console.
type running struct {
	t       *testing.T
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	exit    chan error
	console *sim.Console
}

func startKioskd(t *testing.T, args ...string) *running {
	t.Helper()
	bin, err := build()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := &running{t: t, cmd: cmd, stdin: stdin, exit: make(chan error, 1), console: sim.NewConsole(20, 4)}
	go func() {
		r.console.Read(stdout)
		r.exit <- cmd.Wait()
	}()
	t.Cleanup(r.stop)
	return r
}

// stop stops kioskd as a service manager would and checks that it ends.
func (r *running) stop() {
	if r.exit == nil {
		return
	}
	r.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-r.exit:
		if err != nil {
			r.t.Errorf("kioskd after SIGTERM: %v", err)
		}
	case <-time.After(wait):
		r.cmd.Process.Kill()
		r.t.Errorf("kioskd did not end after SIGTERM")
	}
	r.exit = nil
	if r.t.Failed() {
		_, logs := r.console.Snapshot()
		r.t.Logf("kioskd's log:\n%s", strings.Join(logs, "\n"))
	}
}

// until waits until ok holds for what the console showed so far.
func (r *running) until(what string, ok func(v sim.View, logs []string) bool) {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := r.console.Until(ctx, ok); err != nil {
		r.t.Fatalf("waiting for %s: %v", what, err)
	}
}

func (r *running) press(button string) {
	r.t.Helper()
	if _, err := r.stdin.Write(sim.Encode(sim.Message{Press: button, MS: 100})); err != nil {
		r.t.Fatal(err)
	}
}

func countLogs(logs []string, s string) int {
	n := 0
	for _, l := range logs {
		if strings.Contains(l, s) {
			n++
		}
	}
	return n
}

// testLibrary builds and signs a small library with Korean names; it
// returns the library's folder and the public key's file.
func testLibrary(t *testing.T) (string, string) {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	files := map[string]string{
		"위키백과/대문.html":     "<h1>위키백과</h1>",
		"위키백과/자유.txt":      strings.Repeat("자유 ", 20000),
		"films/readme.txt": "documentaries",
	}
	for name, body := range files {
		p := filepath.Join(src, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	big := bytes.Repeat([]byte("film frame "), 300000)
	if err := os.WriteFile(filepath.Join(src, "films", "film.bin"), big, 0o644); err != nil {
		t.Fatal(err)
	}
	lib := filepath.Join(dir, "lib")
	pub, err := e2e.SignedLibrary(context.Background(), src, lib, library.BuildOptions{Name: "시험 library", Date: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	return lib, pub
}

// loopDrive attaches a sparse image of size bytes holding the donor
// marker at its start, middle and end as a loop device; it returns the
// device's path.
func loopDrive(t *testing.T, size int64) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("this test needs root (loop devices); run it as root")
	}
	img := filepath.Join(t.TempDir(), "stick.img")
	if err := os.WriteFile(img, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := e2e.PlantDonor(img, 0, size/2, size-int64(len(e2e.DonorMarker))); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("losetup", "-f", "--show", "--direct-io=on", img).CombinedOutput()
	if err != nil {
		t.Fatalf("losetup: %v: %s", err, out)
	}
	dev := strings.TrimSpace(string(out))
	t.Cleanup(func() {
		if out, err := exec.Command("losetup", "-d", dev).CombinedOutput(); err != nil {
			t.Errorf("losetup -d %s: %v: %s", dev, err, out)
		}
	})
	return dev
}

// markers counts the donor markers left on dev.
func markers(t *testing.T, dev string) int {
	t.Helper()
	n, err := e2e.CountDonor(dev)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func writeFile(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func journalFile(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "journal.img")
	if err := os.WriteFile(p, make([]byte, 1<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const driveSize = 64 << 20

// resourcesRE matches kioskd's line on what it holds after a job.
var resourcesRE = regexp.MustCompile(`kioskd: resources after \d+ jobs: rss \d+ kB, \d+ fds, \d+ goroutines, peak rss \d+ kB$`)

// TestThreeDrives runs the real kioskd, with the simulated panel on its
// console, against three real loop devices that the test lets it treat as
// USB drives in ports 1 to 3: they show as ready, GO starts all three, all
// three end done, and afterwards each holds the library (flash.Check), no
// donor data, and the journal holds three records.
func TestThreeDrives(t *testing.T) {
	lib, pub := testLibrary(t)
	cfg := writeFile(t, "kiosk.toml", "board = \"vm\"\nmin_size = \"32MiB\"\nlabel = \"KIOSK TEST\"\n")
	jfile := journalFile(t)
	var devs, usb []string
	for i := 1; i <= 3; i++ {
		dev := loopDrive(t, driveSize)
		devs = append(devs, dev)
		usb = append(usb, fmt.Sprintf("%s=%d", filepath.Base(dev), i))
	}
	k := startKioskd(t, "-config", cfg, "-key", pub, "-library", lib, "-journal", jfile, "-watchdog", "", "-unsafe-test-usb", strings.Join(usb, ","))
	k.until("three drives ready", func(v sim.View, _ []string) bool {
		return v.Has("P1 READY", "P2 READY", "P3 READY", "P4 empty")
	})
	k.press("go")
	k.until("three drives done", func(v sim.View, logs []string) bool {
		return countLogs(logs, ": done: ") == 3 && v.Has("P1 DONE", "P2 DONE", "P3 DONE") &&
			v.LEDs["1.green"] && v.LEDs["2.green"] && v.LEDs["3.green"]
	})
	k.until("the resources after the third job", func(_ sim.View, logs []string) bool {
		return countLogs(logs, "kioskd: resources after 3 jobs: rss ") == 1
	})
	v, logs := k.console.Snapshot()
	for i := 1; i <= 3; i++ {
		if red := v.LEDs[fmt.Sprintf("%d.red", i)]; red {
			t.Errorf("port %d's red LED is on after a good write", i)
		}
	}
	for _, l := range logs {
		if strings.Contains(l, "kioskd: resources after") && !resourcesRE.MatchString(l) {
			t.Errorf("resources line %q; want rss N kB, N fds, N goroutines, peak rss N kB", l)
		}
	}
	k.stop()

	l, err := library.Open(lib)
	if err != nil {
		t.Fatal(err)
	}
	// The three sticks are of one size, so their jobs shared one plan:
	// each still has a volume ID and disk signature of its own.
	volumeIDs, diskIDs := map[uint32]bool{}, map[uint32]bool{}
	for _, dev := range devs {
		f, err := os.Open(dev)
		if err != nil {
			t.Fatal(err)
		}
		rep, err := flash.Check(context.Background(), f, driveSize, l)
		var mbr [512]byte
		if _, err := f.ReadAt(mbr[:], 0); err != nil {
			t.Fatal(err)
		}
		f.Close()
		if err != nil || !rep.OK() || rep.Label != "KIOSK TEST" {
			t.Errorf("flash.Check(%s) = %+v, %v; want every file intact, label KIOSK TEST", dev, rep, err)
		}
		volumeIDs[rep.VolumeID], diskIDs[binary.LittleEndian.Uint32(mbr[440:])] = true, true
		if n := markers(t, dev); n != 0 {
			t.Errorf("%s holds %d donor markers after the write; want none", dev, n)
		}
	}
	if len(volumeIDs) != len(devs) || len(diskIDs) != len(devs) {
		t.Errorf("%d sticks have %d volume IDs and %d disk signatures; want one each", len(devs), len(volumeIDs), len(diskIDs))
	}
	jf, err := os.Open(jfile)
	if err != nil {
		t.Fatal(err)
	}
	defer jf.Close()
	j, err := journal.OpenReadOnly(jf)
	if err != nil {
		t.Fatal(err)
	}
	var ports []string
	for _, r := range j.Records() {
		if r.Outcome != "done" || r.Library != "시험 library" || r.Real != driveSize {
			t.Errorf("journal record %+v; want done, library 시험 library, %d bytes", r, driveSize)
		}
		ports = append(ports, r.Port)
	}
	slices.Sort(ports)
	if !slices.Equal(ports, []string{"1", "2", "3"}) || j.Counters().Done != 3 {
		t.Errorf("journal holds records of ports %v, %d done; want 1, 2, 3 and 3 done", ports, j.Counters().Done)
	}
}

// TestRefusesToWork: with a broken kiosk.toml, or a library whose
// signature the kiosk's key does not accept, kioskd shows why on the LCD,
// blinks the status LED and writes no drive, GO or not.
func TestRefusesToWork(t *testing.T) {
	lib, pub := testLibrary(t)
	_, otherPub := testLibrary(t)
	good := "board = \"vm\"\nmin_size = \"32MiB\"\n"
	fifo := filepath.Join(t.TempDir(), "kiosk.toml")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, config, key, lcd, log string
		path                        string // kiosk.toml's path instead of a file holding config
	}{
		{"bad config", good + "fill = \"blue\"\n", pub, "CFG L3 fill", "kiosk.toml:3: fill", ""},
		{"untrusted key", good, otherPub, "LIBRARY BAD SIG", "which is not trusted", ""},
		{"config too large", good + strings.Repeat("# a comment line\n", 5000), pub, "CFG TOO LARGE", "is too large: 85032 bytes, at most 65536 allowed", ""},
		{"config a FIFO", "", pub, "CFG NOT A FILE", "is a FIFO, not a regular file", fifo},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dev := loopDrive(t, driveSize)
			cfg := tc.path
			if cfg == "" {
				cfg = writeFile(t, "kiosk.toml", tc.config)
			}
			k := startKioskd(t, "-config", cfg, "-key", tc.key, "-library", lib, "-journal", journalFile(t), "-watchdog", "",
				"-unsafe-test-usb", filepath.Base(dev)+"=1")
			k.until("the fatal screen", func(v sim.View, logs []string) bool {
				return strings.Contains(strings.Join(v.LCD, "|"), tc.lcd) && countLogs(logs, tc.log) > 0 &&
					countLogs(logs, "drive added: "+filepath.Base(dev)) > 0
			})
			k.press("go")
			k.press("go")
			time.Sleep(time.Second) // a wrong start would be under way by now
			k.stop()
			_, logs := k.console.Snapshot()
			if n := countLogs(logs, ": job started"); n != 0 {
				t.Errorf("kioskd started %d jobs while it must not work", n)
			}
			if n := markers(t, dev); n != 3 {
				t.Errorf("%s holds %d of its 3 donor markers; want all, untouched", dev, n)
			}
		})
	}
}

// TestRestartsKiosk kills the kiosk process kioskd runs: kioskd starts it
// again, and the new one opens the journal as the next boot.
func TestRestartsKiosk(t *testing.T) {
	lib, pub := testLibrary(t)
	cfg := writeFile(t, "kiosk.toml", "board = \"vm\"\n")
	k := startKioskd(t, "-config", cfg, "-key", pub, "-library", lib, "-journal", journalFile(t), "-watchdog", "")
	k.until("the kiosk ready", func(_ sim.View, logs []string) bool { return countLogs(logs, "kioskd: ready") == 1 })
	pid := k.cmd.Process.Pid
	tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	if err != nil {
		t.Fatal(err)
	}
	var children []string // a Go program starts children from any of its threads
	for _, task := range tasks {
		b, err := os.ReadFile(task)
		if err != nil {
			t.Fatal(err)
		}
		children = append(children, strings.Fields(string(b))...)
	}
	if len(children) != 1 {
		t.Fatalf("kioskd (pid %d) has children %q; want the one kiosk process", pid, children)
	}
	var child int
	fmt.Sscan(children[0], &child)
	if err := syscall.Kill(child, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	k.until("the kiosk started again", func(_ sim.View, logs []string) bool {
		return countLogs(logs, "starting it again") == 1 && countLogs(logs, "kioskd: ready") == 2 && countLogs(logs, "boot 2,") == 1
	})
}

// TestWaitsForDisk: with no kiosk disk (a root without one), kioskd waits
// for it as long as -disk-wait says, counting down on the LCD and saying
// so on the console, and then shows the error it would have shown at once.
func TestWaitsForDisk(t *testing.T) {
	lib, pub := testLibrary(t)
	root := t.TempDir() // with block devices, none of them a kiosk disk
	if err := os.MkdirAll(filepath.Join(root, "sys", "class", "block"), 0o755); err != nil {
		t.Fatal(err)
	}
	k := startKioskd(t, "-root", root, "-disk-wait", "1500ms", "-key", pub, "-library", lib, "-journal", journalFile(t), "-watchdog", "")
	waited := false
	k.until("the missing card's screen", func(v sim.View, logs []string) bool {
		waited = waited || v.Has("WAITING FOR", "SD CARD ")
		return countLogs(logs, "kioskd: config: after waiting 1.5s: "+sysdisk.ErrNotFound.Error()) == 1 &&
			strings.Contains(strings.Join(v.LCD, "|"), "NO kiosk.toml")
	})
	_, logs := k.console.Snapshot()
	if !waited || countLogs(logs, "kioskd: no kiosk disk yet: waiting up to 1.5s for it") != 1 {
		t.Errorf("kioskd did not say it waits for its disk (on the LCD: %v); its log:\n%s", waited, strings.Join(logs, "\n"))
	}
}

// TestBoardMismatch: on a board whose device tree names a Pi 3 B, a
// kiosk.toml that sets another board is shown once and then obeyed: here
// the vm board, whose simulated panel kioskd opens once it has read the
// config, after trying the Pi 3 B's GPIO chip and LCD (absent here).
func TestBoardMismatch(t *testing.T) {
	lib, pub := testLibrary(t)
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "proc", "device-tree"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "proc", "device-tree", "model"), []byte("Raspberry Pi 3 Model B Rev 1.2\x00"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := writeFile(t, "kiosk.toml", "board = \"vm\"\nmin_size = \"32MiB\"\n")
	k := startKioskd(t, "-root", root, "-panel-wait", "0", "-config", cfg, "-key", pub, "-library", lib, "-journal", journalFile(t), "-watchdog", "")
	warned := false
	k.until("the kiosk ready", func(v sim.View, logs []string) bool {
		warned = warned || v.Has("BOARD vm SET", "BUT THIS IS pi3b")
		return countLogs(logs, "kioskd: ready: board vm") == 1
	})
	_, logs := k.console.Snapshot()
	for _, want := range []string{
		"panel: gpio: no chip labelled pinctrl-* after 0s: no GPIO chips: NO BUTTONS AND NO LEDS",
		"panel: NO DISPLAY",
		"kioskd: board vm as kiosk.toml says, but this is a Raspberry Pi 3 Model B Rev 1.2, board pi3b: check the board setting",
		"kioskd: kiosk.toml wires the panel otherwise than board pi3b: opening it again",
	} {
		if countLogs(logs, want) != 1 {
			t.Errorf("kioskd's log does not say once %q", want)
		}
	}
	if !warned {
		t.Errorf("the LCD never showed the board mismatch; log:\n%s", strings.Join(logs, "\n"))
	}
}

// TestSelfTest: INFO held as kioskd starts runs the self-test: every LED
// in turn with its name on the LCD, buttons and sticks shown, no drive
// written; GO held for 3 s ends it and the kiosk starts as usual.
func TestSelfTest(t *testing.T) {
	lib, pub := testLibrary(t)
	cfg := writeFile(t, "kiosk.toml", "board = \"vm\"\nmin_size = \"32MiB\"\nstart = \"insert\"\n")
	dev := loopDrive(t, driveSize)
	k := startKioskd(t, "-config", cfg, "-key", pub, "-library", lib, "-journal", journalFile(t), "-watchdog", "",
		"-unsafe-test-usb", filepath.Base(dev)+"=1")
	if _, err := k.stdin.Write(sim.Encode(sim.Message{Press: "info", MS: 1500})); err != nil {
		t.Fatal(err)
	}
	// The log line of the last LED comes before the screen that names it
	// is drawn: wait for the screen, not the line.
	var rows []string
	wantRows := []string{"STATUS GPIO22", "P1 GREEN GPIO5", "P1 RED GPIO6", "P4 RED GPIO21"}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	err := k.console.Until(ctx, func(v sim.View, logs []string) bool {
		if len(v.LCD) > 1 && !slices.Contains(rows, v.LCD[1]) {
			rows = append(rows, v.LCD[1])
		}
		for _, want := range wantRows {
			if !slices.ContainsFunc(rows, func(r string) bool { return strings.HasPrefix(r, want) }) {
				return false
			}
		}
		return countLogs(logs, "selftest: LED P4 RED (GPIO21, pin 40) on") == 1 && v.Has("TEST SIM 20x4")
	})
	if err != nil {
		t.Fatalf("waiting for every LED named on the LCD (%q): %v; the LED row showed %q", wantRows, err, rows)
	}
	k.until("INFO and the stick shown", func(v sim.View, logs []string) bool {
		return countLogs(logs, "selftest: INFO released after 1.5s") == 1 && countLogs(logs, "kiosk port 1") == 1 &&
			v.Has("INFO UP 1.5s", " PORT 1")
	})
	k.press("go")
	k.until("GO shown", func(v sim.View, logs []string) bool { return v.Has("GO UP 0.1s") })
	_, logs := k.console.Snapshot()
	if n := countLogs(logs, ": job started"); n != 0 || countLogs(logs, "kioskd: ready") != 0 {
		t.Fatalf("the kiosk ran during the self-test (%d jobs)", n)
	}
	if _, err := k.stdin.Write(sim.Encode(sim.Message{Press: "go", MS: 3100})); err != nil {
		t.Fatal(err)
	}
	k.until("the kiosk started after the self-test and writes the stick", func(_ sim.View, logs []string) bool {
		return countLogs(logs, "selftest: GO held for 3s: the self-test ends") == 1 &&
			countLogs(logs, "kioskd: ready") == 1 && countLogs(logs, ": done: ") == 1
	})
}

// TestLowPower: the board's under-voltage flag (the rpi_volt hwmon
// device, here in a root whose sysfs holds just that) puts LOW POWER on the
// LCD and in the log; the kiosk keeps running.
func TestLowPower(t *testing.T) {
	lib, pub := testLibrary(t)
	root := t.TempDir()
	hwmon := filepath.Join(root, "sys", "class", "hwmon", "hwmon0")
	for _, d := range []string{hwmon, filepath.Join(root, "sys", "class", "block")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	alarm := filepath.Join(hwmon, "in0_lcrit_alarm")
	for name, body := range map[string]string{"name": "rpi_volt\n", "in0_lcrit_alarm": "0\n"} {
		if err := os.WriteFile(filepath.Join(hwmon, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg := writeFile(t, "kiosk.toml", "board = \"vm\"\nmin_size = \"32MiB\"\n")
	k := startKioskd(t, "-root", root, "-config", cfg, "-key", pub, "-library", lib, "-journal", journalFile(t), "-watchdog", "")
	k.until("the kiosk ready, watching the supply", func(v sim.View, logs []string) bool {
		return countLogs(logs, "kioskd: ready") == 1 && countLogs(logs, "watching the supply's under-voltage flag in "+hwmon) == 1 && v.Has("CARD ")
	})
	if err := os.WriteFile(alarm, []byte("1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	k.until("LOW POWER shown", func(v sim.View, logs []string) bool {
		return countLogs(logs, "kioskd: UNDER-VOLTAGE: the power supply is too weak, sticks may drop off (dip 1 since start)") == 1 &&
			v.Has("LOW POWER", "The power supply is")
	})
	if err := os.WriteFile(alarm, []byte("0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	k.until("the dip logged as over", func(_ sim.View, logs []string) bool {
		return countLogs(logs, "kioskd: supply: under-voltage over") == 1
	})
	v, _ := k.console.Snapshot()
	if !v.Has("LOW POWER") {
		t.Errorf("LCD %q right after the dip; want LOW POWER held for a while", v.LCD)
	}
}
