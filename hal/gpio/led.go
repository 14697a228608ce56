package gpio

import (
	"fmt"
	"sync"

	"flashkiosk/hal"
	"periph.io/x/conn/v3/gpio"
)

// LED is a hal.LED on a GPIO output line. Its state is kept in memory and
// never read back from the line. It is safe for concurrent use.
type LED struct {
	pin       gpio.PinOut
	activeLow bool

	mu sync.Mutex
	on bool
}

var _ hal.LED = (*LED)(nil)

// NewLED configures pin as an output and switches the LED off. activeLow is
// true when the LED lights with the line low.
func NewLED(pin gpio.PinOut, activeLow bool) (*LED, error) {
	l := &LED{pin: pin, activeLow: activeLow}
	if err := l.Set(false); err != nil {
		return nil, err
	}
	return l, nil
}

// Set switches the LED on or off.
func (l *LED) Set(on bool) error {
	level := gpio.Level(on != l.activeLow)
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.pin.Out(level); err != nil {
		return fmt.Errorf("gpio: LED %s %s: %w", l.pin, onOff(on), err)
	}
	l.on = on
	return nil
}

// On reports whether the LED was last set on.
func (l *LED) On() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.on
}

func onOff(on bool) string {
	if on {
		return "on"
	}
	return "off"
}
