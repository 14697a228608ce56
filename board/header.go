package board

// headerPins returns the pins of the 40-pin header by BCM GPIO line; the
// header is the same on every board with one (Pi 1 B+ onwards, Zero, 5).
func headerPins() [28]int {
	return [28]int{
		0: 27, 1: 28, 2: 3, 3: 5, 4: 7, 5: 29, 6: 31, 7: 26, 8: 24, 9: 21,
		10: 19, 11: 23, 12: 32, 13: 33, 14: 8, 15: 10, 16: 36, 17: 11, 18: 12, 19: 35,
		20: 38, 21: 40, 22: 15, 23: 16, 24: 18, 25: 22, 26: 37, 27: 13,
	}
}

// MaxLine is the highest GPIO line (BCM numbering) on the 40-pin header.
const MaxLine = 27

// HeaderPin returns the physical pin (1 to 40) of the 40-pin header that
// carries GPIO line (BCM numbering), or 0 if the header has no such line.
func HeaderPin(line int) int {
	if line < 0 || line > MaxLine {
		return 0
	}
	return headerPins()[line]
}

// powerPin names what a header pin carries if it is not a GPIO line:
// "5V", "3V3", "GND", or "".
func powerPin(pin int) string {
	switch pin {
	case 2, 4:
		return "5V"
	case 1, 17:
		return "3V3"
	case 6, 9, 14, 20, 25, 30, 34, 39:
		return "GND"
	}
	return ""
}

// lineFunction names the special function of a line the built-in
// profiles keep free, or "".
func lineFunction(line int) string {
	switch line {
	case 0, 1:
		return "ID EEPROM"
	case 2, 3:
		return "I2C1"
	case 14, 15:
		return "UART"
	case 7, 8, 9, 10, 11:
		return "SPI0"
	}
	return ""
}
