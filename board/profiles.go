package board

// The built-in profiles share one header wiring: buttons and the status
// LED on the left column near the top, LED pairs on the bottom rows next
// to ground pins, the LCD on I2C1 (pins 3 and 5). It leaves free I2C1
// lines for nothing else, the UART (GPIO14/15, the serial console), SPI0
// (GPIO7-11) and the ID EEPROM lines (GPIO0/1).
//
// The Pi 3 B's socket placements come from no measurement: check them
// with a stick and kioskctl drives before labelling a case.
const (
	lineGO     = 17 // pin 11
	lineInfo   = 27 // pin 13
	lineStatus = 22 // pin 15
)

// ledPair returns the green and red lines of port i (0 to 3): pins
// 29/31, 33/35, 32/36 and 38/40, each pair beside a ground pin.
func ledPair(i int) (green, red int) {
	pairs := [4][2]int{{5, 6}, {13, 19}, {12, 16}, {20, 21}}
	return pairs[i][0], pairs[i][1]
}

// piLCD is a 16x2 display on a PCF8574 backpack on I2C1 at an address
// the kiosk probes for.
func piLCD() LCD { return LCD{Enabled: true, Bus: 1, Cols: 16, Rows: 2} }

// piProfile builds a profile with the shared wiring; ports[i] holds the
// paths and note of port i+1.
func piProfile(name, title string, ports ...Port) Profile {
	p := Profile{Name: name, Title: title, GO: lineGO, Info: lineInfo, Status: lineStatus, LCD: piLCD()}
	for i, port := range ports {
		port.Green, port.Red = ledPair(i)
		p.Ports = append(p.Ports, port)
	}
	return p
}

// Profiles returns the built-in profiles, each a fresh copy.
func Profiles() []Profile {
	return []Profile{
		// Pi 3 B: the SoC's one DWC OTG port feeds a LAN9514 (hub 1-1):
		// its port 1 is the Ethernet, ports 2 to 5 the four sockets. The
		// hub topology is certain (lsusb, uhubctl on a 3 B); which socket
		// is which port is from forum reports, not checked on a board.
		piProfile("pi3b", "Raspberry Pi 3 Model B",
			Port{Name: "1", Paths: []string{"1-1.2"}, Note: "LAN9514 port 2 (placement unverified)"},
			Port{Name: "2", Paths: []string{"1-1.3"}, Note: "LAN9514 port 3 (placement unverified)"},
			Port{Name: "3", Paths: []string{"1-1.4"}, Note: "LAN9514 port 4 (placement unverified)"},
			Port{Name: "4", Paths: []string{"1-1.5"}, Note: "LAN9514 port 5 (placement unverified)"},
		),
		// Pi 3 B+: a LAN7515 is two cascaded hubs: hub 1-1 (4 ports) and,
		// in its port 1, hub 1-1.1 (3 ports) whose port 1 is the Ethernet.
		// The sockets are 1-1.1.2, 1-1.1.3, 1-1.2 and 1-1.3 (certain:
		// uhubctl and lsusb -t on a 3 B+). A usbboot maintainer notes that
		// 1-1.3 and 1-1.1.3 sit diagonally (top right, bottom left), so the
		// inner hub does not own one stack; exact places are unverified.
		piProfile("pi3bplus", "Raspberry Pi 3 Model B+",
			Port{Name: "1", Paths: []string{"1-1.1.2"}, Note: "inner hub port 2 (placement unverified)"},
			Port{Name: "2", Paths: []string{"1-1.1.3"}, Note: "inner hub port 3: top right or bottom left socket"},
			Port{Name: "3", Paths: []string{"1-1.2"}, Note: "outer hub port 2 (placement unverified)"},
			Port{Name: "4", Paths: []string{"1-1.3"}, Note: "outer hub port 3: diagonal to port 2"},
		),
		// Pi 4 B: a VL805 xHCI on PCIe. Its USB 2 bus runs through the
		// VL805's own hub (1-1, ports 1-1.1 to 1-1.4); its USB 3 bus has
		// the root ports 2-1 to 2-4. A drive in the lower blue socket shows
		// as 2-2 (USB 3) or 1-1.2 (USB 2): seen in a published lsusb -t.
		// The upper blue socket is then 2-1/1-1.1 (likely). The black
		// sockets are USB 2 only (1-1.3, 1-1.4; which is upper is
		// unverified); their USB 3 twins 2-3 and 2-4 are mapped too, as the
		// VL805 pairs them, though no USB 3 lanes are wired to them.
		piProfile("pi4b", "Raspberry Pi 4 Model B",
			Port{Name: "1", Paths: []string{"1-1.1", "2-1"}, Note: "upper blue USB 3 socket (likely)"},
			Port{Name: "2", Paths: []string{"1-1.2", "2-2"}, Note: "lower blue USB 3 socket (seen)"},
			Port{Name: "3", Paths: []string{"1-1.3", "2-3"}, Note: "a black USB 2 socket (placement unverified)"},
			Port{Name: "4", Paths: []string{"1-1.4", "2-4"}, Note: "a black USB 2 socket (placement unverified)"},
		),
		// Pi 5: two xHCI controllers in the RP1, each with a USB 2 root
		// hub of two ports and a USB 3 root hub of one port (certain:
		// lsusb -t and uhubctl on a Pi 5). Each drives one blue socket and
		// one black one, which is why both blue sockets run 5 Gb/s at
		// once. The blue socket is USB 2 port 1 with USB 3 port 1 (likely:
		// a USB 3 hub's USB 2 half shows at 1-1 in a uhubctl report); the
		// black one is USB 2 port 2.
		// The bus numbers 1/2 and 3/4 follow probe order (xhci-hcd.0 first,
		// as seen); which controller feeds the upper sockets is unverified.
		// Its header I2C is RP1's DesignWare controller, which kernel.rpi
		// has no driver for: the kiosk drives GPIO2/3 itself.
		withSoftI2C(piProfile("pi5", "Raspberry Pi 5",
			Port{Name: "1", Paths: []string{"1-1", "2-1"}, Note: "blue USB 3 socket of xhci-hcd.0 (placement unverified)"},
			Port{Name: "2", Paths: []string{"3-1", "4-1"}, Note: "blue USB 3 socket of xhci-hcd.1 (placement unverified)"},
			Port{Name: "3", Paths: []string{"1-2"}, Note: "black USB 2 socket of xhci-hcd.0 (placement unverified)"},
			Port{Name: "4", Paths: []string{"3-2"}, Note: "black USB 2 socket of xhci-hcd.1 (placement unverified)"},
		)),
		// Zero 2 W: the DWC2 controller in host mode has one root port,
		// the micro-USB OTG socket (certain). A kiosk puts a hub in it;
		// firmware/drive names the hub's ports "1.1", "1.2", ...
		piProfile("pizero2w", "Raspberry Pi Zero 2 W",
			Port{Name: "1", Paths: []string{"1-1"}, Note: "the micro-USB OTG socket (certain); a hub's ports become 1.N"},
		),
		vmProfile(),
	}
}

// withSoftI2C returns p with its LCD bus driven by the kiosk itself.
func withSoftI2C(p Profile) Profile {
	p.LCD.Soft = true
	return p
}

// vmProfile is the simulated panel in qemu: qemu-xhci has USB 2 ports
// 1-4 (bus 1) and USB 3 ports 5-8 (bus 2, named 2-1 to 2-4), paired by
// number (certain: tools/vm and firmware/drive's VM test, where a stick
// plugged into port 4 shows as 1-4 or 2-4). The lines only feed the
// simulated panel's diagram; nothing opens GPIO or I2C.
func vmProfile() Profile {
	p := piProfile("vm", "qemu VM with the simulated panel",
		Port{Name: "1", Paths: []string{"1-1", "2-1"}, Note: "qemu-xhci port 1 and its USB 3 twin 5"},
		Port{Name: "2", Paths: []string{"1-2", "2-2"}, Note: "qemu-xhci port 2 and its USB 3 twin 6"},
		Port{Name: "3", Paths: []string{"1-3", "2-3"}, Note: "qemu-xhci port 3 and its USB 3 twin 7"},
		Port{Name: "4", Paths: []string{"1-4", "2-4"}, Note: "qemu-xhci port 4 and its USB 3 twin 8"},
	)
	p.Simulated = true
	p.LCD.Cols, p.LCD.Rows = 20, 4
	return p
}

// Lookup returns a fresh copy of the built-in profile called name.
func Lookup(name string) (Profile, bool) {
	for _, p := range Profiles() {
		if p.Name == name {
			return p, true
		}
	}
	return Profile{}, false
}

// Names returns the names of the built-in profiles.
func Names() []string {
	var names []string
	for _, p := range Profiles() {
		names = append(names, p.Name)
	}
	return names
}
