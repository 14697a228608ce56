package lcd

import (
	"fmt"
	"time"

	"periph.io/x/conn/v3/i2c"
)

// Config says where a display is and what shape it has.
type Config struct {
	// Bus is the kernel I²C bus, /dev/i2c-<Bus>; it is ignored when Soft
	// is set.
	Bus int
	// Soft bit-bangs I²C on the GPIO lines SDA and SCL (see hal/softi2c),
	// for a board whose kernel has no driver for its I²C controller: the
	// Pi 5.
	Soft bool
	// SDA and SCL name the GPIO lines of the soft bus; empty means GPIO2
	// and GPIO3 (header pins 3 and 5).
	SDA, SCL string
	// Address is the backpack's 7-bit I²C address; 0 means Probe for it.
	Address uint16
	// Cols and Rows are the display's geometry, 16x2 or 20x4.
	Cols, Rows int
}

// lines returns the GPIO lines of the soft bus.
func (c Config) lines() (sda, scl string) {
	sda, scl = c.SDA, c.SCL
	if sda == "" {
		sda = "GPIO2"
	}
	if scl == "" {
		scl = "GPIO3"
	}
	return sda, scl
}

// busName says which bus c means, for errors.
func (c Config) busName() string {
	if c.Soft {
		sda, scl := c.lines()
		return fmt.Sprintf("soft I2C bus (SDA %s, SCL %s)", sda, scl)
	}
	return fmt.Sprintf("I2C bus %d", c.Bus)
}

// openOn sets up the display of cfg on bus, which it closes on failure and
// when the LCD is closed: it probes for the address unless cfg has one and
// initialises the controller. It returns the address used.
func openOn(bus i2c.BusCloser, cfg Config, sleep func(time.Duration)) (*LCD, uint16, error) {
	l, addr, err := setUp(bus, cfg, sleep)
	if err != nil {
		bus.Close()
		return nil, 0, fmt.Errorf("lcd: open display on %s: %w", cfg.busName(), err)
	}
	l.close = bus.Close
	return l, addr, nil
}

func setUp(bus i2c.Bus, cfg Config, sleep func(time.Duration)) (*LCD, uint16, error) {
	addr := cfg.Address
	if addr == 0 {
		var err error
		if addr, err = Probe(bus); err != nil {
			return nil, 0, err
		}
	}
	dev, err := NewHD44780(bus, addr, cfg.Cols, cfg.Rows, sleep)
	if err != nil {
		return nil, 0, err
	}
	if err := dev.Init(); err != nil {
		return nil, 0, err
	}
	l, err := New(dev, cfg.Cols, cfg.Rows, nil)
	if err != nil {
		return nil, 0, err
	}
	return l, addr, nil
}
