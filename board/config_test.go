package board

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"flashkiosk/firmware/drive"
	"flashkiosk/firmware/fat"
	"flashkiosk/firmware/source"
)

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		want      string // ConfigError.Error()
		short     string // Short(16)
	}{
		{"syntax", "board = \"pi4b\"\nstart = button\n",
			`kiosk.toml:2: start: expected value but found "button" instead`, "CFG L2 start"},
		{"unknown key", "board = \"pi4b\"\n\n[pins]\ngo = 17\nok = 4\n",
			"kiosk.toml:5: pins.ok: unknown key (known: go, info, status)", "CFG L5 pins.ok"},
		{"unknown table", "[leds]\nstatus = 4\n",
			"kiosk.toml:1: leds: unknown key (known: board, start, fill, fake, min_size, max_size, label, library, [pins], [lcd], [ports.NAME])", "CFG L1 leds"},
		{"unknown port field", "[ports.2]\ngreen = 7\nblue = 8\n",
			"kiosk.toml:3: ports.2.blue: unknown key (known: green, red, paths)", "CFG L3 ports.2.b"},
		{"unknown lcd key", "[lcd]\nrows = 4\n",
			"kiosk.toml:2: lcd.rows: unknown key (known: enabled, bus, soft, address, size)", "CFG L2 lcd.rows"},
		{"table as value", "pins = 5\n",
			"kiosk.toml:1: pins: want a table: a line [pins] and its keys below it", "CFG L1 pins"},
		{"value as table", "[board]\nname = \"pi4b\"\n",
			"kiosk.toml:1: board: want a string in quotes, not a table", "CFG L1 board"},
		{"ports as value", "ports = [\"1-1\"]\n",
			"kiosk.toml:1: ports: want a table: a line [ports] and its keys below it", "CFG L1 ports"},
		{"port as value", "[ports]\n1 = 5\n",
			"kiosk.toml:2: ports.1: want a table: a line [ports.1] and its keys below it", "CFG L2 ports.1"},
		{"huge number", "[pins]\ngo = 99999999999\n",
			"kiosk.toml:2: pins.go: 99999999999 is out of range", "CFG L2 pins.go"},
		{"negative address", "[lcd]\naddress = -1\n",
			"kiosk.toml:2: lcd.address: -0x1 is outside 0x03-0x77 (0 probes for the display)", "CFG L2 lcd.addre"},
		{"wrong type", "[pins]\ngo = \"17\"\n",
			"kiosk.toml:2: pins.go: want a whole number, not a string", "CFG L2 pins.go"},
		{"wrong list", "[ports.1]\npaths = \"1-1.1\"\n",
			`kiosk.toml:2: ports.1.paths: want a list of strings like ["1-1.2"], not a string`, "CFG L2 ports.1.p"},
		{"unknown board", "# my kiosk\nboard = \"pi2\"\n",
			`kiosk.toml:2: board: unknown board "pi2" (auto or one of pi3b, pi3bplus, pi4b, pi5, pizero2w, vm)`, "CFG L2 board"},
		{"start", "start = \"now\"\n",
			`kiosk.toml:1: start: "now": want "button" or "insert"`, "CFG L1 start"},
		{"fill", "fill = \"ones\"\n",
			`kiosk.toml:1: fill: "ones": want "zero" or "random"`, "CFG L1 fill"},
		{"fake", "fake = \"yes\"\n",
			`kiosk.toml:1: fake: "yes": want "use-real" or "reject"`, "CFG L1 fake"},
		{"library", "library = \"usb\"\n",
			`kiosk.toml:1: library: "usb": want "newest" or "card" or "master"`, "CFG L1 library"},
		{"library type", "\nlibrary = 2\n",
			"kiosk.toml:2: library: want a string in quotes, not a number", "CFG L2 library"},
		{"size", "min_size = \"lots\"\n",
			`kiosk.toml:1: min_size: size "lots": want a number and a unit, like 256MiB or 64GB`, "CFG L1 min_size"},
		{"min above max", "min_size = \"8GiB\"\nmax_size = \"4GiB\"\n",
			"kiosk.toml:2: max_size: min_size 8GiB is above max_size 4GiB", "CFG L2 max_size"},
		{"label long", "\nlabel = \"Library 2026\"\n",
			`kiosk.toml:2: label: "Library 2026" is 12 bytes in code page 437; a FAT label holds at most 11`, "CFG L2 label"},
		{"label char", "label = \"a.b\"\n",
			`kiosk.toml:1: label: "a.b": character '.' (U+002E) cannot be written in a FAT label: a FAT label holds only A-Z, 0-9, space and $%'-_@~` + "`" + `!(){}^#& (a-z are stored upper-case)`, "CFG L1 label"},
		{"label Korean", "label = \"한국어위키\"\n",
			`kiosk.toml:1: label: "한국어위키": character '한' (U+D55C) cannot be written in a FAT label: a FAT label holds only A-Z, 0-9, space and $%'-_@~` + "`" + `!(){}^#& (a-z are stored upper-case)`, "CFG L1 label"},
		{"label naming the project", "label = \"Flash Kiosk\"\n",
			`kiosk.toml:1: label: "Flash Kiosk" names the project (flashkiosk): a stick must not point to the kiosk that wrote it; choose a label a person would, or none for Windows' "NO NAME"`, "CFG L1 label"},
		{"label dotless i", "label = \"ıi\"\n",
			`kiosk.toml:1: label: "ıi": character 'ı' (U+0131) cannot be written in a FAT label: its upper case 'I' is another letter (write 'I' if that is meant)`, "CFG L1 label"},
		{"pin on LED", "[pins]\ninfo = 27\ngo = 5\n",
			"kiosk.toml:3: pins.go: GPIO5 is also port 1's green LED (ports.1.green)", "CFG L3 pins.go"},
		{"two pins", "[pins]\ngo = 27\n",
			"kiosk.toml:2: pins.go: GPIO27 is also the INFO button (pins.info)", "CFG L2 pins.go"},
		{"LED on I2C", "[ports.3]\n\nred = 2\n",
			"kiosk.toml:3: ports.3.red: GPIO2 is also SDA of I2C bus 1 (LCD) (lcd.bus)", "CFG L3 ports.3.r"},
		{"UART", "[pins]\nstatus = 14\n",
			"kiosk.toml:2: pins.status: GPIO14 is TX of the serial console (UART), kioskd's log", "CFG L2 pins.stat"},
		{"I2C freed", "[ports.3]\nred = 2\n[lcd]\nenabled = false\n", "", ""},
		{"moved away", "[ports.4]\ngreen = 6\n[ports.1]\nred = 26\n", "", ""},
		{"later edit blamed", "[ports.1]\nred = 26\n[ports.4]\ngreen = 26\n",
			"kiosk.toml:4: ports.4.green: GPIO26 is also port 1's red LED (ports.1.red)", "CFG L4 ports.4.g"},
		{"later edit blamed reversed", "[ports.4]\ngreen = 26\n[ports.1]\nred = 26\n",
			"kiosk.toml:4: ports.1.red: GPIO26 is also port 4's green LED (ports.4.green)", "CFG L4 ports.1.r"},
		{"path in two ports", "[ports.2]\npaths = [\"1-1.2\", \"2-1\"]\n",
			"kiosk.toml:2: ports.2.paths: 2-1 is also in port 1 (ports.1.paths)", "CFG L2 ports.2.p"},
		{"bad path", "[ports.2]\npaths = [\"usb2\"]\n",
			`kiosk.toml:2: ports.2.paths: "usb2" is not a USB port path like "1-1.2"`, "CFG L2 ports.2.p"},
		{"new port incomplete", "[ports.5]\ngreen = 26\n",
			"kiosk.toml:1: ports.5: port 5 is not on board pi4b: a new port needs green, red and paths", "CFG L1 ports.5"},
		{"address", "[lcd]\naddress = 0x78\n",
			"kiosk.toml:2: lcd.address: 0x78 is outside 0x03-0x77 (0 probes for the display)", "CFG L2 lcd.addre"},
		{"geometry", "[lcd]\nsize = \"20x2\"\n",
			"kiosk.toml:2: lcd.size: 20x2: only 16x2 and 20x4", "CFG L2 lcd.size"},
		{"geometry text", "[lcd]\nsize = \"big\"\n",
			`kiosk.toml:2: lcd.size: "big": want 16x2 or 20x4`, "CFG L2 lcd.size"},
		{"bus", "[lcd]\nbus = 4\n",
			"kiosk.toml:2: lcd.bus: I2C bus 4 has no known header pins (0 or 1)", "CFG L2 lcd.bus"},
	} {
		_, err := Parse("kiosk.toml", []byte(tc.src))
		if tc.want == "" {
			if err != nil {
				t.Errorf("%s: Parse(%q) = %v; want no error", tc.name, tc.src, err)
			}
			continue
		}
		var ce *ConfigError
		if !errors.As(err, &ce) {
			t.Errorf("%s: Parse(%q) = %v; want a *ConfigError", tc.name, tc.src, err)
			continue
		}
		if got := ce.Error(); got != tc.want {
			t.Errorf("%s: Parse(%q) = %q; want %q", tc.name, tc.src, got, tc.want)
		}
		if got := ce.Short(16); got != tc.short {
			t.Errorf("%s: Parse(%q).Short(16) = %q; want %q", tc.name, tc.src, got, tc.short)
		}
	}
}

func TestConfigErrorShort(t *testing.T) {
	for _, tc := range []struct {
		e     ConfigError
		width int
		want  string
	}{
		{ConfigError{File: "kiosk.toml", Line: 12, Field: "pins.go"}, 16, "CFG L12 pins.go"},
		{ConfigError{File: "kiosk.toml", Line: 123, Field: "ports.2.green"}, 20, "CFG L123 ports.2.gre"},
		{ConfigError{File: "/boot/kiosk.toml", Reason: "cannot read"}, 16, "CFG kiosk.toml"},
		{ConfigError{File: "kiosk.toml", Line: 3}, 16, "CFG L3 syntax"},
	} {
		if got := tc.e.Short(tc.width); got != tc.want || len(got) > tc.width {
			t.Errorf("%+v.Short(%d) = %q; want %q", tc.e, tc.width, got, tc.want)
		}
	}
}

func TestParseOverrides(t *testing.T) {
	src := `board = "pi3b"
start = "insert"
fill = "random"
fake = "reject"
min_size = "1GB"
max_size = "64GiB"
label = "Books 2026"
library = "master"

[pins]
go = 26

[lcd]
address = 0x3f
size = "20x4"

[ports.2]
green = 23
paths = ["1-1.3", "1-1.3.1"]

[ports.5]
green = 24
red = 25
paths = ["1-1.1.9"]
`
	c, err := Parse("kiosk.toml", []byte(src))
	if err != nil {
		t.Fatalf("Parse = %v", err)
	}
	want, _ := Lookup("pi3b")
	want.GO = 26
	want.LCD.Address, want.LCD.Cols, want.LCD.Rows = 0x3f, 20, 4
	want.Ports[1].Green = 23
	want.Ports[1].Paths = []string{"1-1.3", "1-1.3.1"}
	want.Ports = append(want.Ports, Port{Name: "5", Green: 24, Red: 25, Paths: []string{"1-1.1.9"}, Note: "added in kiosk.toml"})
	wantConfig := &Config{Profile: want, Board: Choice{Setting: "pi3b"}, Start: StartInsert, Fill: FillRandom, Fake: FakeReject,
		MinSize: 1e9, MaxSize: 64 << 30, Label: "BOOKS 2026", Library: source.Master}
	if !reflect.DeepEqual(c, wantConfig) {
		t.Errorf("Parse = %+v; want %+v", c, wantConfig)
	}
	if base, _ := Lookup("pi3b"); base.GO != lineGO {
		t.Errorf("Lookup(pi3b).GO after an override = %d; want %d", base.GO, lineGO)
	}
}

func TestDefaultTOML(t *testing.T) {
	c := Default()
	p, _ := Lookup(FallbackProfile)
	want := &Config{Profile: p, Board: Choice{Setting: Auto}, Start: StartButton, Fill: FillZero, Fake: FakeUseReal,
		MinSize: drive.DefaultMinSize, MaxSize: drive.DefaultMaxSize, Label: fat.DefaultLabel, Library: source.Newest}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("Default() = %+v; want %+v", c, want)
	}
	empty, err := Parse("empty.toml", nil)
	if err != nil || !reflect.DeepEqual(empty, want) {
		t.Errorf("Parse(empty) = %+v, %v; want %+v", empty, err, want)
	}
	// The commented-out wiring is the default board's: uncommented, it
	// must parse to the same profile, so the file cannot drift from code.
	setting := regexp.MustCompile(`^# (\[[a-z0-9.]+\]|[a-z_]+ = .*)$`)
	var b strings.Builder
	n := 0
	for _, line := range strings.Split(string(DefaultTOML()), "\n") {
		if setting.MatchString(line) {
			line = strings.TrimPrefix(line, "# ")
			n++
		}
		b.WriteString(line + "\n")
	}
	if n < 20 {
		t.Fatalf("uncommented %d settings of the default kiosk.toml; want the whole wiring", n)
	}
	full, err := Parse("kiosk.toml", []byte(b.String()))
	if err != nil {
		t.Fatalf("Parse(default kiosk.toml uncommented) = %v", err)
	}
	if !reflect.DeepEqual(full, want) {
		t.Errorf("Parse(default kiosk.toml uncommented) = %+v; want %+v", full, want)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "kiosk.toml")
	if err := os.WriteFile(path, []byte("board = \"vm\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path)
	if err != nil || c.Profile.Name != "vm" {
		t.Errorf("Load(%s) = %+v, %v; want the vm profile", path, c, err)
	}
	_, err = Load(filepath.Join(dir, "missing.toml"))
	var ce *ConfigError
	if !errors.As(err, &ce) || ce.Short(16) != "CFG missing.toml" {
		t.Errorf("Load(missing) = %v; want a *ConfigError, short CFG missing.toml", err)
	}
}

func TestParseSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"256MiB", 256 << 20, true}, {"512GiB", 512 << 30, true}, {"64GB", 64e9, true},
		{"1.5GiB", 3 << 29, true}, {"4096", 4096, true}, {" 2 TiB ", 2 << 40, true}, {"8kB", 8000, true},
		{"", 0, false}, {"-1GiB", 0, false}, {"lots", 0, false}, {"1e3", 0, false}, {"99999999999TiB", 0, false}, {"NaN", 0, false},
	} {
		got, err := ParseSize(tc.in)
		if got != tc.want || (err == nil) != tc.ok {
			t.Errorf("ParseSize(%q) = %d, %v; want %d, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

// TestParseWindowsFile checks a kiosk.toml saved by Notepad: CRLF line
// ends, maybe a UTF-8 byte order mark.
func TestParseWindowsFile(t *testing.T) {
	crlf := strings.ReplaceAll(string(DefaultTOML()), "\n", "\r\n")
	for _, src := range []string{crlf, "\ufeff" + crlf} {
		c, err := Parse("kiosk.toml", []byte(src))
		if err != nil || !reflect.DeepEqual(c, Default()) {
			t.Errorf("Parse(default kiosk.toml, CRLF, BOM %v) = %+v, %v; want Default()", strings.HasPrefix(src, "\ufeff"), c, err)
		}
	}
	_, err := Parse("kiosk.toml", []byte("\ufeffboard = \"pi4b\"\r\n\r\n[pins]\r\ngo = 6\r\n"))
	if err == nil || err.Error() != "kiosk.toml:4: pins.go: GPIO6 is also port 1's red LED (ports.1.red)" {
		t.Errorf("Parse(CRLF file with a conflict) = %v; want the conflict on line 4", err)
	}
	_, err = Parse("kiosk.toml", []byte("\ufeffboard = \"pi2\"\r\n"))
	var ce *ConfigError
	if !errors.As(err, &ce) || ce.Line != 1 || ce.Field != "board" {
		t.Errorf("Parse(BOM, bad board on line 1) = %v; want board on line 1", err)
	}
}

// TestLCDBus: the pi5 drives its LCD bus itself, the others use the
// kernel's driver, kiosk.toml can say either, and no address probes.
func TestLCDBus(t *testing.T) {
	tests := []struct {
		name, toml string
		soft       bool
		address    int
	}{
		{"pi4b default", `board = "pi4b"`, false, 0},
		{"pi5 default", `board = "pi5"`, true, 0},
		{"pi5 told the kernel's", "board = \"pi5\"\n[lcd]\nsoft = false\n", false, 0},
		{"pi3b told soft", "board = \"pi3b\"\n[lcd]\nsoft = true\naddress = 0x3f\n", true, 0x3f},
		{"address 0 probes", "board = \"pi3b\"\n[lcd]\naddress = 0\n", false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse("kiosk.toml", []byte(tt.toml))
			if err != nil {
				t.Fatal(err)
			}
			if got := cfg.Profile.LCD; got.Soft != tt.soft || got.Address != tt.address {
				t.Errorf("LCD = %+v; want Soft %v, Address %#x", got, tt.soft, tt.address)
			}
		})
	}
}
