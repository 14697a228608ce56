package gpio

import (
	"context"
	"fmt"

	"periph.io/x/conn/v3/driver/driverreg"
	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpioreg"
	_ "periph.io/x/host/v3/gpioioctl" // registers the character-device driver
)

// Open initialises periph's registered drivers (only the GPIO
// character-device driver is linked in) and returns the line called name,
// e.g. "GPIO17".
func Open(name string) (gpio.PinIO, error) {
	if _, err := driverreg.Init(); err != nil {
		return nil, fmt.Errorf("gpio: init drivers: %w", err)
	}
	p := gpioreg.ByName(name)
	if p == nil {
		return nil, fmt.Errorf("gpio: no line called %q", name)
	}
	return p, nil
}

// OpenButton opens line name as a button; see NewButton.
func OpenButton(ctx context.Context, name string, cfg ButtonConfig) (*Button, error) {
	p, err := Open(name)
	if err != nil {
		return nil, err
	}
	return NewButton(ctx, p, cfg)
}

// OpenLED opens line name as an LED; see NewLED.
func OpenLED(name string, activeLow bool) (*LED, error) {
	p, err := Open(name)
	if err != nil {
		return nil, err
	}
	return NewLED(p, activeLow)
}
