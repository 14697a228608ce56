// Package refresh keeps the panel hardware showing the kiosk's state: it
// samples the state, renders it with firmware/panel and puts the text on
// the display and the levels on the LEDs through hal, sending only what
// changed and redrawing the display at most five times a second.
//
// It decides nothing about what is shown (panel does) and knows nothing
// about drives or buttons (kiosk does).
package refresh

import (
	"context"
	"slices"
	"time"

	"flashkiosk/firmware/panel"
	"flashkiosk/hal"
)

// Clock gives the time and a ticker; kiosk.SystemClock is the real one.
type Clock interface {
	Now() time.Time
	Tick(d time.Duration) (ticks <-chan time.Time, stop func())
}

const (
	// Sample is how often the LEDs are looked at: every blink edge of
	// panel.LEDs falls on a multiple of it.
	Sample = 25 * time.Millisecond
	// MinRedraw is the shortest time between two redraws of the display.
	MinRedraw = 200 * time.Millisecond
)

// Lights are a board's LEDs. Green and Red are indexed like the state's
// slots; a nil entry, or a slot past their end (a port a hub added), has
// no LED.
type Lights struct {
	Green, Red []hal.LED
	Status     hal.LED
}

// Config says what to show where.
type Config struct {
	// State returns the current state; it is called at every sample.
	State func() panel.State
	// Display shows the screens; nil for a kiosk without one, which the
	// status LED then says (panel.State.NoDisplay).
	Display hal.Display
	Lights  Lights
	Clock   Clock
	// Logf is told about hardware errors, once until the part works again.
	Logf func(format string, args ...any)
}

// Run shows the state until ctx ends, then returns ctx's error.
func Run(ctx context.Context, cfg Config) error {
	r := &runner{cfg: cfg, epoch: cfg.Clock.Now(), levels: map[hal.LED]bool{}, failed: map[string]bool{}}
	ticks, stop := cfg.Clock.Tick(Sample)
	defer stop()
	r.step(r.epoch)
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case now := <-ticks:
			r.step(now)
		}
	}
}

type runner struct {
	cfg     Config
	epoch   time.Time
	glyphs  bool     // the custom glyphs are on the display
	shown   []string // what the display shows; nil when unknown
	redrawn time.Time
	levels  map[hal.LED]bool // what each LED was set to
	failed  map[string]bool  // parts whose last use failed, logged once
}

func (r *runner) step(now time.Time) {
	s := r.cfg.State()
	s.NoDisplay = s.NoDisplay || r.cfg.Display == nil
	r.lights(s, now.Sub(r.epoch))
	if r.cfg.Display != nil {
		r.draw(s, now)
	}
}

func (r *runner) lights(s panel.State, t time.Duration) {
	green, red, status := panel.LEDs(s, t)
	for i := range green {
		r.set("port LED", at(r.cfg.Lights.Green, i), green[i])
		r.set("port LED", at(r.cfg.Lights.Red, i), red[i])
	}
	r.set("status LED", r.cfg.Lights.Status, status)
}

func at(leds []hal.LED, i int) hal.LED {
	if i < len(leds) {
		return leds[i]
	}
	return nil
}

// set switches led to on unless it is known to be so already.
func (r *runner) set(part string, led hal.LED, on bool) {
	if led == nil {
		return
	}
	if was, ok := r.levels[led]; ok && was == on {
		return
	}
	if err := led.Set(on); err != nil {
		delete(r.levels, led)
		r.fail(part, err)
		return
	}
	r.levels[led] = on
	r.ok(part)
}

func (r *runner) draw(s panel.State, now time.Time) {
	d := r.cfg.Display
	if !r.glyphs {
		for i, g := range panel.Glyphs() {
			if err := d.DefineGlyph(i, g); err != nil {
				r.fail("display", err)
				return
			}
		}
		r.glyphs = true
	}
	if !r.redrawn.IsZero() && now.Sub(r.redrawn) < MinRedraw {
		return
	}
	cols, rows := d.Size()
	lines := panel.Render(s, cols, rows)
	if slices.Equal(lines, r.shown) {
		return
	}
	if err := d.Show(lines); err != nil {
		r.shown = nil
		r.glyphs = false // a display that failed may have lost them (reset, replugged)
		r.fail("display", err)
		return
	}
	r.shown, r.redrawn = lines, now
	r.ok("display")
}

func (r *runner) fail(part string, err error) {
	if !r.failed[part] && r.cfg.Logf != nil {
		r.cfg.Logf("%s: %v", part, err)
	}
	r.failed[part] = true
}

func (r *runner) ok(part string) {
	if r.failed[part] && r.cfg.Logf != nil {
		r.cfg.Logf("%s: works again", part)
	}
	delete(r.failed, part)
}
