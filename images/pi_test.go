package images

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"flashkiosk/images/toolchain"
)

// TestWritePi writes the Pi image twice from the real pinned firmware and
// kernel modules (with a stand-in initramfs; toolchain's tests build a
// real one) and checks that the two are byte-identical and hold what the
// Pi's firmware needs to boot.
func TestWritePi(t *testing.T) {
	d := demo(t)
	cpio := filepath.Join(t.TempDir(), InitramfsFile)
	if err := os.WriteFile(cpio, []byte("070701 stand-in"), 0o644); err != nil {
		t.Fatal(err)
	}
	p := Pi{Library: d.Library, PublicKey: d.PublicKey, Version: "test", Initramfs: cpio}
	var hashes []string
	var img string
	var w *Written
	for range 2 {
		img = filepath.Join(t.TempDir(), "pi.img")
		var err error
		if w, err = WritePi(context.Background(), img, p); err != nil {
			t.Fatalf("WritePi: %v", err)
		}
		hashes = append(hashes, fileHash(t, img))
	}
	if hashes[0] != hashes[1] {
		t.Errorf("two WritePi from the same inputs: sha256 %s and %s; want equal", hashes[0], hashes[1])
	}
	boot := fmt.Sprintf("%s@@%d", img, w.Partitions[0].Start*SectorSize)
	listing := command(t, "mdir", "-/", "-b", "-i", boot, "::/")
	for _, name := range []string{"bootcode.bin", "start.elf", "start4.elf", "fixup.dat", "fixup4.dat", "vmlinuz",
		"bcm2710-rpi-3-b.dtb", "bcm2710-rpi-zero-2-w.dtb", "bcm2711-rpi-4-b.dtb", "bcm2712-rpi-5-b.dtb",
		"overlays/disable-bt.dtbo", "config.txt", "cmdline.txt", InitramfsFile, ConfigFile, PublicKeyFile, VersionFile} {
		if !strings.Contains(listing, "::/"+name+"\n") {
			t.Errorf("mdir of the Pi boot partition lacks %s", name)
		}
	}
	out := command(t, "fsck.fat", "-n", extract(t, img, w.Partitions[0]))
	if strings.Count(strings.TrimSpace(out), "\n") != 1 {
		t.Errorf("fsck.fat -n of the Pi boot partition says:\n%s", out)
	}
}

// configLine is one setting of config.txt: its key (dtparam=name=value
// becomes the key "dtparam:name"), its value and its line number.
type configLine struct {
	key, value string
	line       int
}

// configSection is the settings under one conditional filter of
// config.txt; the lines before the first filter are under "all".
type configSection struct {
	filter string
	lines  []configLine
}

// parseConfig splits config.txt into its sections as the firmware reads
// them: # comments, [filter] lines, key=value lines, dtparam lists and
// the initramfs line that has a space where the others have "=".
func parseConfig(t *testing.T, text string) []configSection {
	t.Helper()
	sections := []configSection{{filter: "all"}}
	for i, l := range strings.Split(text, "\n") {
		l = strings.TrimSpace(l)
		n := i + 1
		switch {
		case l == "" || strings.HasPrefix(l, "#"):
		case strings.HasPrefix(l, "[") && strings.HasSuffix(l, "]"):
			sections = append(sections, configSection{filter: l[1 : len(l)-1]})
		case strings.HasPrefix(l, "initramfs "):
			cur := &sections[len(sections)-1]
			cur.lines = append(cur.lines, configLine{"initramfs", strings.TrimPrefix(l, "initramfs "), n})
		default:
			key, value, ok := strings.Cut(l, "=")
			if !ok {
				t.Fatalf("config.txt line %d: %q is no setting", n, l)
			}
			cur := &sections[len(sections)-1]
			if key != "dtparam" {
				cur.lines = append(cur.lines, configLine{key, value, n})
				continue
			}
			for _, p := range strings.Split(value, ",") {
				name, v, ok := strings.Cut(p, "=")
				if !ok {
					v = "on"
				}
				cur.lines = append(cur.lines, configLine{"dtparam:" + name, v, n})
			}
		}
	}
	return sections
}

// effective is what a board sees: the settings of the sections whose
// filter it matches, a later one replacing an earlier one of its key.
func effective(sections []configSection, filters []string) map[string]string {
	match := map[string]bool{"all": true}
	for _, f := range filters {
		match[f] = true
	}
	got := map[string]string{}
	for _, s := range sections {
		if !match[s.filter] {
			continue
		}
		for _, l := range s.lines {
			got[l.key] = l.value
		}
	}
	return got
}

// piBoards are the boards the image supports: the config.txt filters
// each matches (besides [all], as listed on the config.txt page's
// "Conditional filters"), its DTBs in the kernel module, and the
// compatible of the UART its serial0 alias names, the one on header pins
// 8 and 10 that console=serial0 becomes.
var piBoards = []struct {
	name    string
	filters []string
	dtbs    []string
	serial0 string
}{
	{"Pi 3 B", []string{"pi3"}, []string{"bcm2710-rpi-3-b.dtb"}, "brcm,bcm2835-aux-uart"},
	{"Pi 3 B+", []string{"pi3", "pi3+"}, []string{"bcm2710-rpi-3-b-plus.dtb"}, "brcm,bcm2835-aux-uart"},
	{"Pi 4 B", []string{"pi4"}, []string{"bcm2711-rpi-4-b.dtb"}, "brcm,bcm2835-aux-uart"},
	{"Pi 5", []string{"pi5"}, []string{"bcm2712-rpi-5-b.dtb", "bcm2712d0-rpi-5-b.dtb"}, "arm,pl011-axi"},
	{"Zero 2 W", []string{"pi0", "pi02"}, []string{"bcm2710-rpi-zero-2-w.dtb"}, "brcm,bcm2835-aux-uart"},
}

// TestConfigTxtPerBoard checks the settings each board's firmware ends
// up with: the kernel and initramfs everywhere; the mini UART and the
// kernel's I2C bus 1 on the Pi 3, 4 and Zero 2 W; RP1 uart0 as the console
// and i2c_arm off on the Pi 5; the USB current limit left to the firmware.
func TestConfigTxtPerBoard(t *testing.T) {
	common := map[string]string{
		"arm_64bit": "1",
		"kernel":    "vmlinuz",
		"initramfs": InitramfsFile + " followkernel",
	}
	tests := []struct {
		board  string
		want   map[string]string
		absent []string
	}{
		{"Pi 3 B", map[string]string{"enable_uart": "1", "dtparam:i2c_arm": "on"}, []string{"dtparam:uart0_console", "usb_max_current_enable"}},
		{"Pi 3 B+", map[string]string{"enable_uart": "1", "dtparam:i2c_arm": "on"}, []string{"dtparam:uart0_console", "usb_max_current_enable"}},
		{"Pi 4 B", map[string]string{"enable_uart": "1", "dtparam:i2c_arm": "on"}, []string{"dtparam:uart0_console", "usb_max_current_enable"}},
		{"Pi 5", map[string]string{"dtparam:uart0_console": "on", "dtparam:i2c_arm": "off"}, []string{"usb_max_current_enable"}},
		{"Zero 2 W", map[string]string{"enable_uart": "1", "dtparam:i2c_arm": "on"}, []string{"dtparam:uart0_console", "usb_max_current_enable"}},
	}
	sections := parseConfig(t, ConfigTxt)
	for _, tc := range tests {
		t.Run(tc.board, func(t *testing.T) {
			var filters []string
			for _, b := range piBoards {
				if b.name == tc.board {
					filters = b.filters
				}
			}
			if filters == nil {
				t.Fatalf("BUG: %s is not in piBoards", tc.board)
			}
			got := effective(sections, filters)
			for k, v := range common {
				if got[k] != v {
					t.Errorf("config.txt on the %s: %s = %q; want %q", tc.board, k, got[k], v)
				}
			}
			for k, v := range tc.want {
				if got[k] != v {
					t.Errorf("config.txt on the %s: %s = %q; want %q", tc.board, k, got[k], v)
				}
			}
			for _, k := range tc.absent {
				if v, ok := got[k]; ok {
					t.Errorf("config.txt on the %s: %s = %q; want it unset", tc.board, k, v)
				}
			}
		})
	}
}

// TestConfigTxtForm checks what every board relies on: only known
// filters, the file ending under [all], every setting and filter line
// with a comment above it that says why, and no line longer than the
// firmware's 98 characters.
func TestConfigTxtForm(t *testing.T) {
	known := map[string]bool{"all": true, "pi3": true, "pi4": true, "pi5": true, "pi02": true}
	sections := parseConfig(t, ConfigTxt)
	for _, s := range sections[1:] {
		if !known[s.filter] {
			t.Errorf("config.txt has a [%s] section; want only %v", s.filter, known)
		}
	}
	if last := sections[len(sections)-1]; last.filter != "all" || len(last.lines) != 0 {
		t.Errorf("config.txt ends under [%s] with %d settings; want an empty [all] last", last.filter, len(last.lines))
	}
	lines := strings.Split(ConfigTxt, "\n")
	for i, l := range lines {
		if len(l) > 98 {
			t.Errorf("config.txt line %d has %d characters; the firmware reads 98", i+1, len(l))
		}
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		if i == 0 || !strings.HasPrefix(lines[i-1], "#") {
			t.Errorf("config.txt line %d %q has no comment above it", i+1, l)
		}
	}
}

// TestCmdlineTxt checks that the kernel command line is one line whose
// last console is serial0 at 115200, which the firmware turns into each
// board's header UART, and that it names no board's UART itself.
func TestCmdlineTxt(t *testing.T) {
	line, rest, _ := strings.Cut(CmdlineTxt, "\n")
	if rest != "" || !strings.HasSuffix(CmdlineTxt, "\n") {
		t.Fatalf("CmdlineTxt = %q; want one line ending in a newline", CmdlineTxt)
	}
	var consoles []string
	for _, f := range strings.Fields(line) {
		if c, ok := strings.CutPrefix(f, "console="); ok {
			consoles = append(consoles, c)
		}
	}
	if len(consoles) == 0 || consoles[len(consoles)-1] != "serial0,115200" {
		t.Errorf("CmdlineTxt consoles = %q; want serial0,115200 last", consoles)
	}
	for _, c := range consoles {
		if strings.HasPrefix(c, "ttyS") || strings.HasPrefix(c, "ttyAMA") {
			t.Errorf("CmdlineTxt has console=%s; want serial0, which works on every board", c)
		}
	}
}

// TestConfigTxtMatchesDTBs reads the pinned kernel module's DTBs with
// fdtget: every dtparam a board gets is one of its DTB's parameters, and
// its serial0 alias names the header UART (the mini UART on the Pi 3, 4 and
// Zero 2 W, RP1 uart0 on the Pi 5). On the Pi 5 it also checks what the two
// [pi5] parameters change: uart0_console sets uart0's status and the console
// alias, i2c_arm the status of the DesignWare controller on GPIO2/3.
func TestConfigTxtMatchesDTBs(t *testing.T) {
	need(t, "fdtget")
	dir, err := toolchain.ModuleDir(context.Background(), KernelModule)
	if err != nil {
		t.Fatal(err)
	}
	fdtget := func(args ...string) string {
		return strings.TrimSpace(command(t, "fdtget", args...))
	}
	sections := parseConfig(t, ConfigTxt)
	for _, b := range piBoards {
		for _, name := range b.dtbs {
			t.Run(b.name+"/"+name, func(t *testing.T) {
				dtb := filepath.Join(dir, name)
				params := map[string]bool{}
				for _, p := range strings.Fields(fdtget("-p", dtb, "/__overrides__")) {
					params[p] = true
				}
				for k := range effective(sections, b.filters) {
					if p, ok := strings.CutPrefix(k, "dtparam:"); ok && !params[p] {
						t.Errorf("%s has no parameter %s that config.txt sets on the %s", name, p, b.name)
					}
				}
				serial0 := fdtget(dtb, "/aliases", "serial0")
				if got := strings.Fields(fdtget(dtb, serial0, "compatible")); len(got) == 0 || got[0] != b.serial0 {
					t.Errorf("%s: serial0 = %s, compatible %q; want %s", name, serial0, got, b.serial0)
				}
				if b.name != "Pi 5" {
					return
				}
				uart0 := fdtget(dtb, "/__symbols__", "uart0")
				if uart0 != serial0 {
					t.Errorf("%s: uart0 = %s; want serial0's %s", name, uart0, serial0)
				}
				i2c := fdtget(dtb, "/__symbols__", "i2c_arm")
				if got := fdtget(dtb, i2c, "compatible"); got != "snps,designware-i2c" {
					t.Errorf("%s: i2c_arm %s is %q; want snps,designware-i2c", name, i2c, got)
				}
				phandle := func(path string) string { return fdtget("-t", "u", dtb, path, "phandle") }
				for _, tc := range []struct {
					param string
					want  []string // phandle, property and literal value of each assignment
				}{
					{"uart0_console", []string{phandle(uart0), "status", "", phandle("/aliases"), "console", uart0}},
					{"i2c_arm", []string{phandle(i2c), "status", ""}},
				} {
					if got := overrides(t, dtb, tc.param); strings.Join(got, " ") != strings.Join(tc.want, " ") {
						t.Errorf("%s: parameter %s sets %q; want %q", name, tc.param, got, tc.want)
					}
				}
			})
		}
	}
}

// overrides decodes a DTB parameter: a list of <phandle> "property"
// assignments, each returned as the target's phandle (in decimal), the
// property and, for a literal assignment ("property=value", or "property="
// and a string after it), that value; empty where the parameter's own
// value is used.
func overrides(t *testing.T, dtb, param string) []string {
	t.Helper()
	var raw []byte
	for _, f := range strings.Fields(command(t, "fdtget", "-t", "bx", dtb, "/__overrides__", param)) {
		var b byte
		if _, err := fmt.Sscanf(f, "%x", &b); err != nil {
			t.Fatalf("fdtget %s %s: %q is no byte", dtb, param, f)
		}
		raw = append(raw, b)
	}
	var got []string
	for len(raw) >= 4 {
		phandle := uint32(raw[0])<<24 | uint32(raw[1])<<16 | uint32(raw[2])<<8 | uint32(raw[3])
		s, after, ok := strings.Cut(string(raw[4:]), "\x00")
		if !ok {
			t.Fatalf("%s parameter %s: unterminated %q", dtb, param, s)
		}
		raw = []byte(after)
		prop, value, literal := strings.Cut(s, "=")
		if literal && value == "" {
			// "property=" takes the string that follows as its value.
			value, after, _ = strings.Cut(string(raw), "\x00")
			raw = []byte(after)
		}
		got = append(got, fmt.Sprint(phandle), prop, value)
	}
	if len(raw) != 0 {
		t.Fatalf("%s parameter %s: %d bytes left over", dtb, param, len(raw))
	}
	return got
}
