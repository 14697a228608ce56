package main

import (
	"context"
	"fmt"
	"time"

	"flashkiosk/board"
	"flashkiosk/firmware/drive"
	"flashkiosk/firmware/selftest"
	"flashkiosk/hal"
)

// selfTestGrace is how long after the panel opens kioskd looks at INFO:
// long enough for the buttons' first reading.
const selfTestGrace = 300 * time.Millisecond

// pressable is a button that tells whether it is down now.
type pressable interface{ Pressed() bool }

// selfTestAsked reports whether INFO, and not GO, is held as the kiosk
// starts: the partner's request for the self-test. Both held is a stuck
// pair (or qemu, which ignores pull-ups), not a request.
func selfTestAsked(ctx context.Context, p *hwPanel, logf func(string, ...any)) bool {
	info, ok := p.info.(pressable)
	if !ok {
		return false
	}
	select {
	case <-ctx.Done():
		return false
	case <-time.After(selfTestGrace):
	}
	if !info.Pressed() {
		return false
	}
	if g, ok := p.goB.(pressable); ok && g.Pressed() {
		logf("kioskd: GO and INFO are both down at start (stuck, or shorted?): no self-test; they count once released")
		return false
	}
	logf("kioskd: INFO held at start: self-test")
	return true
}

// selfTest runs the panel's self-test, with the drives the host sees,
// until the partner ends it or ctx ends.
func selfTest(ctx context.Context, p *hwPanel, prof board.Profile, host *drive.Host, logf func(string, ...any)) {
	cfg := selftest.Config{
		Display: p.display, About: p.about, Board: prof.Name, Logf: logf,
		Buttons: []selftest.Button{{Name: "GO", Button: p.goB}, {Name: "INFO", Button: p.info}},
	}
	cfg.LEDs = append(cfg.LEDs, selftest.LED{Name: "STATUS", Line: prof.Status, Pin: board.HeaderPin(prof.Status), LED: p.lights.Status})
	for i, port := range prof.Ports {
		for _, c := range []struct {
			colour string
			line   int
			leds   []hal.LED
		}{{"GREEN", port.Green, p.lights.Green}, {"RED", port.Red, p.lights.Red}} {
			l := selftest.LED{Name: fmt.Sprintf("P%s %s", port.Name, c.colour), Line: c.line, Pin: board.HeaderPin(c.line)}
			if i < len(c.leds) {
				l.LED = c.leds[i]
			}
			cfg.LEDs = append(cfg.LEDs, l)
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	drives := make(chan drive.Event)
	watched := make(chan struct{})
	go func() { watch(ctx, host, drives, logf); close(watched) }()
	cfg.Drives = drives
	selftest.Run(ctx, cfg)
	cancel()
	<-watched
}
