package lcd

import (
	"fmt"

	hd44780 "github.com/d2r2/go-hd44780"
	i2c "github.com/d2r2/go-i2c"
	logger "github.com/d2r2/go-logger"
	logging "github.com/op/go-logging"
)

var _ Device = (*hd44780.Lcd)(nil)

// Open opens the HD44780 of cols x rows (16x2 or 20x4) behind a PCF8574
// backpack at address addr on I2C bus (/dev/i2c-<bus>), switches its
// backlight on and returns it as an LCD on the system clock. Close releases
// the bus.
func Open(bus int, addr uint8, cols, rows int) (*LCD, error) {
	silenceDriverLogs()
	typ := hd44780.LCD_16x2
	if cols == 20 && rows == 4 {
		typ = hd44780.LCD_20x4
	}
	conn, err := i2c.NewI2C(addr, bus)
	if err != nil {
		return nil, fmt.Errorf("lcd: open I2C bus %d address %#02x: %w", bus, addr, err)
	}
	dev, err := hd44780.NewLcd(conn, typ)
	if err == nil {
		err = dev.BacklightOn()
	}
	var l *LCD
	if err == nil {
		l, err = New(dev, cols, rows, nil)
	}
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("lcd: set up HD44780 on I2C bus %d address %#02x: %w", bus, addr, err)
	}
	l.close = conn.Close
	return l, nil
}

// silenceDriverLogs turns off the debug output the driver writes through
// two logging libraries (go-i2c to stdout, go-hd44780 to stderr): the
// serial console is for the kiosk's own log lines. Their levels are
// process-wide settings of those libraries.
func silenceDriverLogs() {
	logging.SetLevel(logging.ERROR, "hd44780")
	_ = logger.ChangePackageLogLevel("i2c", logger.ErrorLevel)
}
