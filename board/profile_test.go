package board

import (
	"strings"
	"testing"
)

func TestBuiltinProfilesValid(t *testing.T) {
	for _, p := range Profiles() {
		if err := p.Validate(); err != nil {
			t.Errorf("%s: Validate() = %v; want nil", p.Name, err)
		}
		if p.Title == "" || len(p.Ports) == 0 {
			t.Errorf("%s: Title %q, %d ports; want a title and ports", p.Name, p.Title, len(p.Ports))
		}
		for _, port := range p.Ports {
			if port.Note == "" {
				t.Errorf("%s: port %s has no Note on how sure its mapping is", p.Name, port.Name)
			}
		}
		if !p.Simulated {
			// Built-ins keep the UART, SPI0 and the ID EEPROM lines free.
			for _, w := range p.usedLines() {
				if f := lineFunction(w.line); f != "" {
					t.Errorf("%s: %s on GPIO%d, a %s line", p.Name, w.label, w.line, f)
				}
			}
		}
	}
}

func TestLookup(t *testing.T) {
	for _, name := range []string{"pi3b", "pi3bplus", "pi4b", "pi5", "pizero2w", "vm"} {
		p, ok := Lookup(name)
		if !ok || p.Name != name {
			t.Errorf("Lookup(%q) = %q, %v; want %q, true", name, p.Name, ok, name)
		}
	}
	if _, ok := Lookup("pi2"); ok {
		t.Errorf("Lookup(%q) = _, true; want false", "pi2")
	}
	p, _ := Lookup("pi4b")
	p.Ports[0].Paths[0] = "9-9"
	if q, _ := Lookup("pi4b"); q.Ports[0].Paths[0] != "1-1.1" {
		t.Errorf("Lookup(pi4b) after changing a copy: path %q; want 1-1.1", q.Ports[0].Paths[0])
	}
}

func TestPortMap(t *testing.T) {
	for _, tc := range []struct {
		profile string
		path    string
		want    string
	}{
		{"pi4b", "1-1.1", "1"}, {"pi4b", "2-1", "1"}, {"pi4b", "2-2", "2"}, {"pi4b", "1-1.4", "4"},
		{"pi3b", "1-1.2", "1"}, {"pi3b", "1-1.5", "4"}, {"pi3b", "1-1.1", ""},
		{"pi3bplus", "1-1.1.2", "1"}, {"pi3bplus", "1-1.3", "4"}, {"pi3bplus", "1-1.1.1", ""},
		{"pi5", "2-1", "1"}, {"pi5", "4-1", "2"}, {"pi5", "3-2", "4"},
		{"pizero2w", "1-1", "1"},
		{"vm", "1-4", "4"}, {"vm", "2-4", "4"},
	} {
		p, _ := Lookup(tc.profile)
		if got := p.PortMap()[tc.path]; got != tc.want {
			t.Errorf("Lookup(%s).PortMap()[%q] = %q; want %q", tc.profile, tc.path, got, tc.want)
		}
	}
}

func TestValidateConflicts(t *testing.T) {
	base, _ := Lookup("pi4b")
	for _, tc := range []struct {
		name   string
		change func(*Profile)
		want   string
	}{
		{"two functions", func(p *Profile) { p.Info = p.GO }, "pins.info: GPIO17 is also the GO button (pins.go)"},
		{"LED on a button", func(p *Profile) { p.Ports[2].Red = lineGO }, "ports.3.red: GPIO17 is also the GO button (pins.go)"},
		{"I2C line", func(p *Profile) { p.Status = 3 }, "pins.status: GPIO3 is also SCL of I2C bus 1 (LCD) (lcd.bus)"},
		{"I2C line free without LCD", func(p *Profile) { p.Status = 3; p.LCD.Enabled = false }, ""},
		{"not on header", func(p *Profile) { p.GO = 28 }, "pins.go: GPIO28 is not on the header (0 to 27)"},
		{"path twice", func(p *Profile) { p.Ports[1].Paths = append(p.Ports[1].Paths, "2-1") }, "ports.2.paths: 2-1 is also in port 1 (ports.1.paths)"},
		{"bad path", func(p *Profile) { p.Ports[0].Paths = []string{"usb1"} }, `ports.1.paths: "usb1" is not a USB port path like "1-1.2"`},
		{"address", func(p *Profile) { p.LCD.Address = 0x78 }, "lcd.address: 0x78 is outside 0x03-0x77 (0 probes for the display)"},
		{"geometry", func(p *Profile) { p.LCD.Cols = 20 }, "lcd.size: 20x2: only 16x2 and 20x4"},
		{"bus", func(p *Profile) { p.LCD.Bus = 3 }, "lcd.bus: I2C bus 3 has no known header pins (0 or 1)"},
	} {
		p := base.Clone()
		tc.change(&p)
		err := p.Validate()
		got := ""
		if err != nil {
			got = strings.TrimPrefix(err.Error(), "profile pi4b: ")
		}
		if got != tc.want {
			t.Errorf("%s: Validate() = %q; want %q", tc.name, got, tc.want)
		}
	}
}

func TestHeaderPin(t *testing.T) {
	seen := make(map[int]bool)
	for line := 0; line <= MaxLine; line++ {
		pin := HeaderPin(line)
		if pin < 1 || pin > 40 || seen[pin] {
			t.Errorf("HeaderPin(%d) = %d; want a pin 1-40 no other line has", line, pin)
		}
		seen[pin] = true
	}
	for _, tc := range [][2]int{{2, 3}, {3, 5}, {17, 11}, {21, 40}, {-1, 0}, {28, 0}} {
		if got := HeaderPin(tc[0]); got != tc[1] {
			t.Errorf("HeaderPin(%d) = %d; want %d", tc[0], got, tc[1])
		}
	}
}
