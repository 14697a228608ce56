package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"time"

	"periph.io/x/conn/v3/gpio"

	"flashkiosk/board"
	"flashkiosk/firmware/refresh"
	"flashkiosk/hal"
	halgpio "flashkiosk/hal/gpio"
	"flashkiosk/hal/lcd"
	"flashkiosk/hal/sim"
)

// hwPanel is the volunteer's side of the kiosk: buttons, LEDs, display.
type hwPanel struct {
	goB, info hal.Button
	display   hal.Display // nil without a display
	about     string      // the display's address and size, e.g. "0x27 16x2"
	lights    refresh.Lights
	// missing names the parts that could not be opened, e.g. "GO button".
	missing []string
	close   func()
}

// noButton is a button that is never pressed, for one that could not be
// opened: the kiosk still runs (in insert mode it needs no button).
type noButton struct{}

func (noButton) Events() <-chan hal.ButtonEvent { return nil }

// panelPoll is how often openPanel looks again for a GPIO chip or an I2C
// bus that is not there yet.
const panelPoll = 100 * time.Millisecond

// openPanel opens the panel the profile describes: the simulated panel on
// the console (cin, out), or the board's GPIO lines and I2C display under
// root. It waits up to wait for the GPIO chip and the I2C bus, which the
// kernel may offer only after init starts. A part that cannot be opened
// is logged and left out, so the rest still works. close stops the
// panel's goroutines and releases its lines.
func openPanel(ctx context.Context, p board.Profile, cin *consoleInput, out io.Writer, root string, wait time.Duration, logf func(string, ...any)) *hwPanel {
	ctx, cancel := context.WithCancel(ctx)
	if p.Simulated {
		if err := noEcho(cin.Source()); err != nil {
			logf("panel: console echo: %v", err)
		}
		sp := sim.New(ctx, cin.Reader(), out, p.LCD.Cols, p.LCD.Rows, len(p.Ports), sim.WithLog(func(err error) { logf("panel: %v", err) }))
		hp := &hwPanel{goB: sp.Button("go"), info: sp.Button("info"), display: sp.Display(), about: "SIM " + p.LCD.Size(), close: cancel}
		hp.lights.Status = sp.LED("status")
		for i := range p.Ports {
			hp.lights.Green = append(hp.lights.Green, sp.LED(fmt.Sprintf("%d.green", i+1)))
			hp.lights.Red = append(hp.lights.Red, sp.LED(fmt.Sprintf("%d.red", i+1)))
		}
		return hp
	}
	hp := &hwPanel{goB: noButton{}, info: noButton{}}
	var closers []func() error
	hp.close = func() {
		cancel()
		for _, c := range closers {
			c()
		}
	}
	start := time.Now()
	chip, err := halgpio.WaitForChip(ctx, filepath.Join(root, "dev"), halgpio.HeaderLabel, wait, panelPoll)
	if err != nil {
		logf("panel: %v: NO BUTTONS AND NO LEDS", err)
	} else {
		logf("panel: GPIO %s at %s, after %v", chip, chip.Path, time.Since(start).Round(10*time.Millisecond))
	}
	button := func(line int, what string) hal.Button {
		b, err := halgpio.OpenButton(ctx, gpioName(line), halgpio.ButtonConfig{ActiveLow: true, Pull: gpio.PullUp})
		if err != nil {
			logf("panel: %s button on GPIO%d: %v", what, line, err)
			hp.missing = append(hp.missing, what+" button")
			return noButton{}
		}
		return b
	}
	led := func(line int, what string) hal.LED {
		l, err := halgpio.OpenLED(gpioName(line), false)
		if err != nil {
			logf("panel: %s LED on GPIO%d: %v", what, line, err)
			hp.missing = append(hp.missing, what+" LED")
			return nil
		}
		return l
	}
	hp.goB, hp.info = button(p.GO, "GO"), button(p.Info, "INFO")
	hp.lights.Status = led(p.Status, "status")
	for _, port := range p.Ports {
		hp.lights.Green = append(hp.lights.Green, led(port.Green, "port "+port.Name+" green"))
		hp.lights.Red = append(hp.lights.Red, led(port.Red, "port "+port.Name+" red"))
	}
	if p.LCD.Enabled {
		d, addr, err := openLCD(ctx, p.LCD, wait-time.Since(start), lcd.Open, logf)
		if err != nil {
			logf("panel: %v", err)
			logf("panel: NO DISPLAY: the kiosk works without it; the status LED blinks slowly (1 s on, 1 s off) to say so")
			hp.missing = append(hp.missing, "display")
		} else {
			hp.display = d
			hp.about = fmt.Sprintf("%#02x %s", addr, p.LCD.Size())
			closers = append(closers, d.Close)
		}
	}
	return hp
}

// openLCD opens the display with open (lcd.Open), trying again while its
// I2C bus is not there yet, for at most wait, and logs where it found it.
func openLCD(ctx context.Context, l board.LCD, wait time.Duration, open func(lcd.Config) (*lcd.LCD, uint16, error), logf func(string, ...any)) (*lcd.LCD, uint16, error) {
	cfg := lcd.Config{Bus: l.Bus, Soft: l.Soft, Address: uint16(l.Address), Cols: l.Cols, Rows: l.Rows}
	if l.Soft {
		sda, scl, ok := l.Lines()
		if !ok {
			return nil, 0, fmt.Errorf("lcd: I2C bus %d is not on the header", l.Bus)
		}
		cfg.SDA, cfg.SCL = gpioName(sda), gpioName(scl)
	}
	start := time.Now()
	deadline := start.Add(wait)
	for waiting := false; ; waiting = true {
		d, addr, err := open(cfg)
		if err == nil {
			how := "probed"
			if l.Address != 0 {
				how = "as kiosk.toml says"
			}
			bus := fmt.Sprintf("I2C bus %d (/dev/i2c-%d)", l.Bus, l.Bus)
			if l.Soft {
				bus = fmt.Sprintf("I2C driven by the kiosk on %s (SDA) and %s (SCL)", cfg.SDA, cfg.SCL)
			}
			if waiting {
				bus += fmt.Sprintf(", after %v", time.Since(start).Round(10*time.Millisecond))
			}
			logf("panel: LCD %s at %#02x (%s) on %s", l.Size(), addr, how, bus)
			return d, addr, nil
		}
		if !errors.Is(err, os.ErrNotExist) || time.Now().After(deadline) {
			return nil, 0, err
		}
		if !waiting {
			logf("panel: %v: waiting up to %v for it", err, wait.Round(10*time.Millisecond))
		}
		select {
		case <-ctx.Done():
			return nil, 0, err
		case <-time.After(panelPoll):
		}
	}
}

func gpioName(line int) string { return fmt.Sprintf("GPIO%d", line) }

// version is the kiosk's version from the build: the module version or
// the VCS revision Go stamps into it.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown version"
	}
	v := bi.Main.Version
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			v += " " + s.Value[:12]
		}
	}
	return v
}
