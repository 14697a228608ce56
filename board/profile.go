package board

import (
	"fmt"
	"regexp"
	"sort"
)

// Profile is one board's wiring. GPIO lines are BCM numbers; HeaderPin
// gives their pins on the 40-pin header.
type Profile struct {
	Name      string // profile name as kiosk.toml spells it, e.g. "pi4b"
	Title     string // board name for people, e.g. "Raspberry Pi 4 Model B"
	Simulated bool   // the panel is hal/sim over a byte stream, not GPIO and I2C
	GO        int    // GPIO line of the GO button (to ground, pulled up)
	Info      int    // GPIO line of the INFO button (to ground, pulled up)
	Status    int    // GPIO line of the status LED
	Ports     []Port // physical USB ports, in the order the panel shows them
	LCD       LCD
}

// Port is one physical USB socket of the board and its LED pair.
type Port struct {
	Name  string // shown on the LCD: "1".."4"; a hub in it adds "1.3" etc.
	Green int    // GPIO line of the green LED
	Red   int    // GPIO line of the red LED
	// Paths are the USB port paths (as in /sys/bus/usb/devices) a drive
	// in this socket appears under: a USB 3 socket has one for its USB 2
	// and one for its USB 3 side.
	Paths []string
	// Note says where the socket is and how sure the mapping is.
	Note string
}

// LCD is an HD44780 character display on a PCF8574 I2C backpack.
type LCD struct {
	Enabled bool
	Bus     int // I2C bus number: /dev/i2c-N, on the header lines i2cLines gives
	// Soft drives the bus from the kiosk over the GPIO character device
	// (hal/softi2c) on the bus's header lines instead of the kernel's
	// driver: for the Pi 5, whose kernel has no driver for RP1's I2C.
	Soft bool
	// Address is the backpack's 7-bit I2C address; 0 probes for it
	// (PCF8574 backpacks come at 0x27, PCF8574A ones at 0x3f).
	Address int
	Cols    int // 16 or 20
	Rows    int // 2 or 4
}

// AddressText is the address for people: "0x27", or "probed" for 0.
func (l LCD) AddressText() string {
	if l.Address == 0 {
		return "probed"
	}
	return fmt.Sprintf("0x%02x", l.Address)
}

// Size returns the geometry as kiosk.toml writes it, e.g. "16x2".
func (l LCD) Size() string { return fmt.Sprintf("%dx%d", l.Cols, l.Rows) }

// PortMap returns the map from USB port path to port name that
// firmware/drive's Host.Ports takes.
func (p Profile) PortMap() map[string]string {
	m := make(map[string]string)
	for _, port := range p.Ports {
		for _, path := range port.Paths {
			m[path] = port.Name
		}
	}
	return m
}

// Clone returns a deep copy of p, so that overriding its ports does not
// change the profile it came from.
func (p Profile) Clone() Profile {
	q := p
	q.Ports = make([]Port, len(p.Ports))
	for i, port := range p.Ports {
		port.Paths = append([]string(nil), port.Paths...)
		q.Ports[i] = port
	}
	return q
}

// i2cLines are the GPIO lines of the I2C buses the header carries: SDA,
// SCL.
var i2cLines = map[int][2]int{0: {0, 1}, 1: {2, 3}}

// Lines returns the GPIO lines of the display's bus on the header (SDA,
// SCL); ok is false for a bus the header does not carry.
func (l LCD) Lines() (sda, scl int, ok bool) {
	lines, ok := i2cLines[l.Bus]
	return lines[0], lines[1], ok
}

var (
	portPathRE = regexp.MustCompile(`^[0-9]+-[0-9]+(\.[0-9]+)*$`)
	portNameRE = regexp.MustCompile(`^[A-Za-z0-9]{1,2}$`)
)

// problem is a broken rule of a profile: the fields involved (kiosk.toml
// keys, the one to blame first) and, for each, why, told from that
// field's side, so kiosk.toml can blame whichever field it set.
type problem struct {
	fields  []string
	reasons []string
}

// newProblem is a problem of one field.
func newProblem(field, reason string) *problem {
	return &problem{[]string{field}, []string{reason}}
}

// Validate checks p for the conflicts that would make a kiosk misbehave:
// a GPIO line with two functions, a line of the LCD's I2C bus used for
// something else, a port path in two ports, an LCD address or geometry a
// backpack cannot have.
func (p Profile) Validate() error {
	if pr := p.check(); pr != nil {
		return fmt.Errorf("profile %s: %s: %s", p.Name, pr.fields[0], pr.reasons[0])
	}
	return nil
}

// check returns the first problem of p, or nil.
func (p Profile) check() *problem {
	type use struct{ field, what string }
	uses := make(map[int]use)
	claim := func(line int, field, what string) *problem {
		if line < 0 || line > MaxLine {
			return newProblem(field, fmt.Sprintf("GPIO%d is not on the header (0 to %d)", line, MaxLine))
		}
		if u, ok := uses[line]; ok {
			if u.field == "" {
				return newProblem(field, fmt.Sprintf("GPIO%d is %s", line, u.what))
			}
			return &problem{[]string{field, u.field}, []string{
				fmt.Sprintf("GPIO%d is also %s (%s)", line, u.what, u.field),
				fmt.Sprintf("GPIO%d is also %s (%s)", line, what, field)}}
		}
		uses[line] = use{field, what}
		return nil
	}
	if !p.Simulated {
		// kioskd logs to the serial console; an LED there would cut it.
		uses[14] = use{"", "TX of the serial console (UART), kioskd's log"}
		uses[15] = use{"", "RX of the serial console (UART), kioskd's log"}
	}
	if p.LCD.Enabled && !p.Simulated {
		lines, ok := i2cLines[p.LCD.Bus]
		if !ok {
			return newProblem("lcd.bus", fmt.Sprintf("I2C bus %d has no known header pins (0 or 1)", p.LCD.Bus))
		}
		uses[lines[0]] = use{"lcd.bus", fmt.Sprintf("SDA of I2C bus %d (LCD)", p.LCD.Bus)}
		uses[lines[1]] = use{"lcd.bus", fmt.Sprintf("SCL of I2C bus %d (LCD)", p.LCD.Bus)}
	}
	if pr := claim(p.GO, "pins.go", "the GO button"); pr != nil {
		return pr
	}
	if pr := claim(p.Info, "pins.info", "the INFO button"); pr != nil {
		return pr
	}
	if pr := claim(p.Status, "pins.status", "the status LED"); pr != nil {
		return pr
	}
	if len(p.Ports) == 0 {
		return newProblem("ports", "no USB ports")
	}
	names := make(map[string]bool)
	paths := make(map[string]string)
	for _, port := range p.Ports {
		key := "ports." + port.Name
		if !portNameRE.MatchString(port.Name) {
			return newProblem(key, fmt.Sprintf("port name %q: 1 or 2 letters or digits", port.Name))
		}
		if names[port.Name] {
			return newProblem(key, fmt.Sprintf("port %s twice", port.Name))
		}
		names[port.Name] = true
		if pr := claim(port.Green, key+".green", "port "+port.Name+"'s green LED"); pr != nil {
			return pr
		}
		if pr := claim(port.Red, key+".red", "port "+port.Name+"'s red LED"); pr != nil {
			return pr
		}
		if len(port.Paths) == 0 {
			return newProblem(key+".paths", "no USB port paths")
		}
		for _, path := range port.Paths {
			if !IsPortPath(path) {
				return newProblem(key+".paths", fmt.Sprintf("%q is not a USB port path like \"1-1.2\"", path))
			}
			if other, ok := paths[path]; ok {
				if other == port.Name {
					return newProblem(key+".paths", fmt.Sprintf("%s listed twice", path))
				}
				return &problem{[]string{key + ".paths", "ports." + other + ".paths"}, []string{
					fmt.Sprintf("%s is also in port %s (ports.%s.paths)", path, other, other),
					fmt.Sprintf("%s is also in port %s (%s.paths)", path, port.Name, key)}}
			}
			paths[path] = port.Name
		}
	}
	if p.LCD.Enabled {
		if p.LCD.Address != 0 && (p.LCD.Address < 0x03 || p.LCD.Address > 0x77) {
			return newProblem("lcd.address", fmt.Sprintf("%#02x is outside 0x03-0x77 (0 probes for the display)", p.LCD.Address))
		}
		if g := p.LCD.Size(); g != "16x2" && g != "20x4" {
			return newProblem("lcd.size", fmt.Sprintf("%s: only 16x2 and 20x4", g))
		}
	}
	return nil
}

// usedLines returns the GPIO lines p uses, sorted, with what each does.
func (p Profile) usedLines() []wire {
	var ws []wire
	add := func(line int, label, kind string) {
		ws = append(ws, wire{pin: HeaderPin(line), line: line, label: label, kind: kind})
	}
	add(p.GO, "GO button", "button")
	add(p.Info, "INFO button", "button")
	add(p.Status, "status LED", "status")
	for _, port := range p.Ports {
		add(port.Green, "port "+port.Name+" green LED", "green")
		add(port.Red, "port "+port.Name+" red LED", "red")
	}
	sort.Slice(ws, func(i, j int) bool { return ws[i].pin < ws[j].pin })
	return ws
}

// wire is one header pin in use and what it goes to.
type wire struct {
	pin   int
	line  int // GPIO line, or -1 for power and ground
	label string
	kind  string // button, status, green, red, lcd, power, ground
}

// IsPortPath reports whether s has the form of a USB port path as
// /sys/bus/usb/devices names them: bus, dash, port numbers joined by dots
// ("1-1.2").
func IsPortPath(s string) bool { return portPathRE.MatchString(s) }
