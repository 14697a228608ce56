package lcd

import (
	"errors"
	"fmt"
	"strings"
	"syscall"

	"flashkiosk/hal/softi2c"
	"periph.io/x/conn/v3/i2c"
)

// ErrNoDisplay is wrapped by the error of Probe when no device answers at
// any of the Candidates.
var ErrNoDisplay = errors.New("lcd: no display answers")

// Candidates returns the addresses Probe tries, in order: 0x27 and 0x3F,
// where the backpacks sold with a PCF8574 and a PCF8574A come set, then the
// rest of the two chips' ranges, 0x20 to 0x26 and 0x38 to 0x3E.
func Candidates() []uint16 {
	out := []uint16{0x27, 0x3f}
	for a := uint16(0x20); a < 0x27; a++ {
		out = append(out, a)
	}
	for a := uint16(0x38); a < 0x3f; a++ {
		out = append(out, a)
	}
	return out
}

// Probe returns the first of Candidates at which a device answers on bus:
// reads a byte, which a PCF8574 answers with its pin levels and which
// changes nothing (an empty transaction would not do: periph's sysfs bus
// skips it and reports success, and not every kernel adapter can send
// one). An address that fails is taken as
// empty, since kernel buses tell a NACK in several ways (ENXIO,
// EREMOTEIO, EIO); a fault of a softi2c bus (softi2c.ErrBus) or a kernel
// bus that timed out (ETIMEDOUT: the controller never finished, so no
// address can answer) ends the probe at once rather than wait for each.
func Probe(bus i2c.Bus) (uint16, error) {
	var last error
	for _, a := range Candidates() {
		err := bus.Tx(a, nil, make([]byte, 1))
		if err == nil {
			return a, nil
		}
		if errors.Is(err, softi2c.ErrBus) || errors.Is(err, syscall.ETIMEDOUT) {
			return 0, fmt.Errorf("lcd: probe %s at %#02x: %w", bus, a, err)
		}
		last = err
	}
	tried := make([]string, 0, len(Candidates()))
	for _, a := range Candidates() {
		tried = append(tried, fmt.Sprintf("%#02x", a))
	}
	return 0, fmt.Errorf("%w on %s at %s (last error: %v)", ErrNoDisplay, bus, strings.Join(tried, ", "), last)
}
