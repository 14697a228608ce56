// Package selftest is the kiosk's check of its own panel at first boot,
// which a partner asks for by holding INFO while the kiosk starts. It
// lights every LED in turn with its name and GPIO line on the display,
// shows and logs every button press and release, and shows every USB
// stick plugged in with its USB port path and the kiosk port the board
// maps it to, so that a wrongly wired LED, a dead button or a socket the
// profile does not know is found before the first real job. It writes to
// no drive. Holding GO for HoldToLeave ends it.
package selftest

import (
	"context"
	"fmt"
	"time"

	"flashkiosk/firmware/drive"
	"flashkiosk/hal"
)

// HoldToLeave is how long GO must be held to end the self-test.
const HoldToLeave = 3 * time.Second

// DefaultStep is how long each LED is lit.
const DefaultStep = time.Second

// eventShown is how long a 2-row display shows the latest event in place
// of its title.
const eventShown = 3 * time.Second

// LED is one of the panel's LEDs and what to call it.
type LED struct {
	Name string // for the display and the log, e.g. "P1 GREEN", "STATUS"
	Line int    // its GPIO line
	Pin  int    // its header pin; 0 if none
	LED  hal.LED
}

// Button is one of the panel's buttons and its name.
type Button struct {
	Name   string // "GO" or "INFO"
	Button hal.Button
}

// Config is the panel to test.
type Config struct {
	// Display shows the test; nil for a kiosk without one (the log still
	// tells everything).
	Display hal.Display
	// About describes the display for its title row, e.g. "0x27 16x2".
	About string
	LEDs  []LED
	// Buttons are the panel's buttons; the one called "GO" ends the test
	// when held for HoldToLeave.
	Buttons []Button
	// Drives are the drives the kiosk's host reports.
	Drives <-chan drive.Event
	// Board names the board profile, for the log of an unmapped socket.
	Board string
	// Step is how long each LED is lit; DefaultStep if 0.
	Step time.Duration
	Logf func(format string, args ...any)
}

// event is a button change of one of the buttons.
type event struct {
	button string
	ev     hal.ButtonEvent
	ok     bool // false when the button's channel closed
}

// Run runs the test until GO is held for HoldToLeave, when it returns nil
// with every LED off, or until ctx ends, when it returns ctx's error.
func Run(ctx context.Context, cfg Config) error {
	if cfg.Step <= 0 {
		cfg.Step = DefaultStep
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	t := &tester{cfg: cfg, title: "SELF TEST"}
	if cfg.About != "" {
		t.title = "TEST " + cfg.About
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	events := make(chan event)
	for _, b := range cfg.Buttons {
		go forward(ctx, b, events)
	}
	cfg.Logf("selftest: every LED in turn for %v each, buttons and sticks shown as they come; hold GO for %v to end the test", cfg.Step, HoldToLeave)
	for _, b := range cfg.Buttons {
		if p, ok := b.Button.(interface{ Pressed() bool }); ok && p.Pressed() {
			cfg.Logf("selftest: %s is down (held since the start, or stuck)", b.Name)
			t.button = b.Name + " HELD"
		}
	}
	for _, l := range cfg.LEDs {
		t.setLED(l, false)
	}
	if len(cfg.LEDs) > 0 {
		t.lightNext()
	} else {
		cfg.Logf("selftest: no LEDs to test")
	}
	t.show()
	tick := time.NewTicker(cfg.Step)
	defer tick.Stop()
	drives := cfg.Drives
	for {
		select {
		case <-ctx.Done():
			t.allOff()
			return ctx.Err()
		case <-tick.C:
			if len(cfg.LEDs) > 0 {
				t.lightNext()
			}
		case e := <-events:
			if t.onButton(e) {
				t.allOff()
				cfg.Logf("selftest: GO held for %v: the self-test ends", HoldToLeave)
				return nil
			}
		case ev, ok := <-drives:
			if !ok {
				drives = nil
				continue
			}
			t.onDrive(ev)
		}
		t.show()
	}
}

// forward sends b's events to out until ctx ends or b stops.
func forward(ctx context.Context, b Button, out chan<- event) {
	for {
		var e event
		select {
		case <-ctx.Done():
			return
		case e.ev, e.ok = <-b.Button.Events():
			e.button = b.Name
		}
		select {
		case <-ctx.Done():
			return
		case out <- e:
		}
		if !e.ok {
			return
		}
	}
}

// tester is the state of a running test.
type tester struct {
	cfg     Config
	title   string
	lit     int    // index of the lit LED in cfg.LEDs
	started bool   // an LED has been lit
	led     string // the display's LED row
	button  string // the latest button change
	stick   string // the latest stick
	latest  string // the latest event, for a 2-row display
	since   time.Time
	downAt  map[string]time.Time
}

// lightNext turns the lit LED off and the next one on.
func (t *tester) lightNext() {
	if t.started {
		t.setLED(t.cfg.LEDs[t.lit], false)
		t.lit = (t.lit + 1) % len(t.cfg.LEDs)
	}
	t.started = true
	l := t.cfg.LEDs[t.lit]
	t.setLED(l, true)
	t.led = fmt.Sprintf("%s GPIO%d", l.Name, l.Line)
	where := fmt.Sprintf("GPIO%d", l.Line)
	if l.Pin != 0 {
		where += fmt.Sprintf(", pin %d", l.Pin)
	}
	t.cfg.Logf("selftest: LED %s (%s) on", l.Name, where)
}

// setLED switches one LED, logging a failure.
func (t *tester) setLED(l LED, on bool) {
	if l.LED == nil {
		if on {
			t.cfg.Logf("selftest: LED %s (GPIO%d) could not be opened: it cannot light", l.Name, l.Line)
		}
		return
	}
	if err := l.LED.Set(on); err != nil {
		t.cfg.Logf("selftest: LED %s (GPIO%d): %v", l.Name, l.Line, err)
	}
}

// allOff turns every LED off.
func (t *tester) allOff() {
	for _, l := range t.cfg.LEDs {
		t.setLED(l, false)
	}
}

// onButton shows a button change and reports whether it ends the test.
func (t *tester) onButton(e event) bool {
	if !e.ok {
		t.cfg.Logf("selftest: %s button stopped", e.button)
		return false
	}
	if t.downAt == nil {
		t.downAt = map[string]time.Time{}
	}
	if e.ev.Pressed {
		t.downAt[e.button] = e.ev.Time
		t.note(&t.button, e.button+" DOWN")
		t.cfg.Logf("selftest: %s pressed", e.button)
		return false
	}
	held := e.ev.Time.Sub(t.downAt[e.button])
	if _, ok := t.downAt[e.button]; !ok {
		held = 0
	}
	delete(t.downAt, e.button)
	t.note(&t.button, fmt.Sprintf("%s UP %.1fs", e.button, held.Seconds()))
	t.cfg.Logf("selftest: %s released after %.1fs", e.button, held.Seconds())
	return e.button == "GO" && held >= HoldToLeave
}

// onDrive shows a stick and the port it is in.
func (t *tester) onDrive(ev drive.Event) {
	d := ev.Drive
	if !d.USB || d.Partition {
		return
	}
	mapped := d.Port != d.PortPath
	switch {
	case ev.Kind == drive.Removed:
		t.note(&t.stick, d.PortPath+" REMOVED")
		t.cfg.Logf("selftest: stick %s at USB port %s removed", d.Name, d.PortPath)
	case mapped:
		t.note(&t.stick, fmt.Sprintf("%s PORT %s", d.PortPath, d.Port))
		t.cfg.Logf("selftest: stick %s at USB port %s: kiosk port %s", d, d.PortPath, d.Port)
	default:
		t.note(&t.stick, d.PortPath+" NO PORT")
		t.cfg.Logf("selftest: stick %s at USB port %s: in no port of board %s; add the path to a port's paths in kiosk.toml", d, d.PortPath, t.cfg.Board)
	}
}

// note sets one of the event rows and the latest event.
func (t *tester) note(row *string, s string) {
	*row, t.latest, t.since = s, s, time.Now()
}

// show puts the test on the display: the title (or, on 2 rows, the latest
// event for a while), the lit LED, the latest button and the latest stick.
func (t *tester) show() {
	if t.cfg.Display == nil {
		return
	}
	_, rows := t.cfg.Display.Size()
	var lines []string
	if rows >= 4 {
		lines = []string{t.title, t.led, t.button, t.stick}
	} else {
		top := t.title
		if t.latest != "" && time.Since(t.since) < eventShown {
			top = t.latest
		}
		lines = []string{top, t.led}
	}
	if err := t.cfg.Display.Show(lines); err != nil {
		t.cfg.Logf("selftest: display: %v", err)
	}
}
