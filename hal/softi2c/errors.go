package softi2c

import (
	"errors"
	"fmt"
)

// ErrBus is wrapped by every error of Tx that is not a *NackError: the bus
// itself failed (a line held low, a GPIO line that cannot be set), so no
// device on it can be reached.
var ErrBus = errors.New("I2C bus fault")

// ErrStuck is wrapped by the error of a Tx that found SDA held low and
// could not free it with nine clock pulses and a STOP.
var ErrStuck = fmt.Errorf("%w: SDA stuck low", ErrBus)

// ErrStretchTimeout is wrapped by the error of a Tx during which a device
// held SCL low for longer than the clock stretching timeout.
var ErrStretchTimeout = fmt.Errorf("%w: SCL held low", ErrBus)

// NackError reports that a device did not acknowledge a byte of a Tx. A
// refused address usually means that no device has it.
type NackError struct {
	// Addr is the device address of the Tx.
	Addr uint16
	// Byte is the index in the Tx's write data of the refused byte, or -1
	// for the address.
	Byte int
}

// Error says which device refused which byte.
func (e *NackError) Error() string {
	if e.Byte < 0 {
		return fmt.Sprintf("no device acknowledged address %#02x", e.Addr)
	}
	return fmt.Sprintf("device %#02x did not acknowledge byte %d", e.Addr, e.Byte)
}
