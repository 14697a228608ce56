package main

import (
	"context"
	"fmt"
	"io"
	"runtime/debug"

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
	lights    refresh.Lights
	close     func()
}

// noButton is a button that is never pressed, for one that could not be
// opened: the kiosk still runs (in insert mode it needs no button).
type noButton struct{}

func (noButton) Events() <-chan hal.ButtonEvent { return nil }

// openPanel opens the panel the profile describes: the simulated panel on
// the console (in, out), or the board's GPIO lines and I2C display. A part
// that cannot be opened is logged and left out, so the rest still works.
func openPanel(ctx context.Context, p board.Profile, in io.Reader, out io.Writer, logf func(string, ...any)) *hwPanel {
	if p.Simulated {
		if err := noEcho(in); err != nil {
			logf("panel: console echo: %v", err)
		}
		sp := sim.New(ctx, in, out, p.LCD.Cols, p.LCD.Rows, len(p.Ports), sim.WithLog(func(err error) { logf("panel: %v", err) }))
		hp := &hwPanel{goB: sp.Button("go"), info: sp.Button("info"), display: sp.Display(), close: func() {}}
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
		for _, c := range closers {
			c()
		}
	}
	button := func(line int, what string) hal.Button {
		b, err := halgpio.OpenButton(ctx, gpioName(line), halgpio.ButtonConfig{ActiveLow: true, Pull: gpio.PullUp})
		if err != nil {
			logf("panel: %s button on GPIO%d: %v", what, line, err)
			return noButton{}
		}
		return b
	}
	led := func(line int, what string) hal.LED {
		l, err := halgpio.OpenLED(gpioName(line), false)
		if err != nil {
			logf("panel: %s LED on GPIO%d: %v", what, line, err)
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
		d, err := lcd.Open(p.LCD.Bus, uint8(p.LCD.Address), p.LCD.Cols, p.LCD.Rows)
		if err != nil {
			logf("panel: %v", err)
		} else {
			hp.display = d
			closers = append(closers, d.Close)
		}
	}
	return hp
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
