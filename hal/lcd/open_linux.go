package lcd

import (
	"fmt"

	"flashkiosk/hal/gpio"
	"flashkiosk/hal/softi2c"
	"periph.io/x/conn/v3/i2c"
)

// Open opens the display cfg describes: it opens the bus, probes for the
// backpack unless cfg.Address is set, initialises the HD44780 by the
// datasheet with the backlight on, and returns it as an LCD on the system
// clock, with the address used. Close releases the bus.
func Open(cfg Config) (*LCD, uint16, error) {
	if err := checkGeometry(cfg.Cols, cfg.Rows); err != nil {
		return nil, 0, err
	}
	bus, err := openBus(cfg)
	if err != nil {
		return nil, 0, err
	}
	return openOn(bus, cfg, nil)
}

func openBus(cfg Config) (i2c.BusCloser, error) {
	if !cfg.Soft {
		return openDevBus(cfg.Bus)
	}
	sdaName, sclName := cfg.lines()
	sda, err := gpio.Open(sdaName)
	if err != nil {
		return nil, fmt.Errorf("lcd: open %s: SDA: %w", cfg.busName(), err)
	}
	scl, err := gpio.Open(sclName)
	if err != nil {
		return nil, fmt.Errorf("lcd: open %s: SCL: %w", cfg.busName(), err)
	}
	bus, err := softi2c.New(scl, sda)
	if err != nil {
		return nil, fmt.Errorf("lcd: open %s: %w", cfg.busName(), err)
	}
	return bus, nil
}
