package gpio

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"flashkiosk/hal"
	"periph.io/x/conn/v3/gpio"
)

// DefaultDebounce is how long a level must stay put before a button counts
// as pressed or released.
const DefaultDebounce = 30 * time.Millisecond

// How long a button waits for an edge before it looks at the level and its
// context again: often while a change is being debounced, seldom otherwise.
// Both are positive, since a zero or negative timeout means different
// things to the real driver and to gpiotest.
const (
	pendingPoll = 5 * time.Millisecond
	idlePoll    = 100 * time.Millisecond
)

// Clock tells the time; buttons stamp their events with it.
type Clock interface {
	Now() time.Time
}

// ButtonConfig says how a button is wired and debounced.
type ButtonConfig struct {
	// ActiveLow is true when the pressed button pulls the line low (a
	// button to ground with a pull-up, the usual wiring).
	ActiveLow bool
	// Pull is the line's bias; gpio.PullNoChange keeps what the board has.
	Pull gpio.Pull
	// Debounce is how long a level must be stable; 0 means DefaultDebounce.
	Debounce time.Duration
	// Clock stamps events and times the debounce; nil means the system
	// clock.
	Clock Clock
}

// Button is a hal.Button on a GPIO input line.
type Button struct {
	events  chan hal.ButtonEvent
	pressed atomic.Bool // the level last read
}

var _ hal.Button = (*Button)(nil)

// NewButton configures pin as an input with edge detection and watches it
// until ctx is done, when the events channel is closed. A button held down
// when watching starts is ignored until it has been released: a stuck or
// shorted button (or GO and INFO held through a power cut) must not count
// as a press, or a stuck pair would shut the kiosk down after every boot.
func NewButton(ctx context.Context, pin gpio.PinIn, cfg ButtonConfig) (*Button, error) {
	if cfg.Debounce <= 0 {
		cfg.Debounce = DefaultDebounce
	}
	if cfg.Clock == nil {
		cfg.Clock = systemClock{}
	}
	if err := pin.In(cfg.Pull, gpio.BothEdges); err != nil {
		return nil, fmt.Errorf("gpio: button %s as input: %w", pin, err)
	}
	b := &Button{events: make(chan hal.ButtonEvent, 8)}
	go b.watch(ctx, pin, cfg)
	return b, nil
}

// Events delivers debounced presses and releases; see hal.Button.
func (b *Button) Events() <-chan hal.ButtonEvent { return b.events }

// Pressed reports whether the button read pressed when last looked at,
// not debounced: unlike Events, it tells a button held since watching
// began (held through boot to ask for the self-test, or stuck).
func (b *Button) Pressed() bool { return b.pressed.Load() }

func (b *Button) watch(ctx context.Context, pin gpio.PinIn, cfg ButtonConfig) {
	defer close(b.events)
	read := func() bool {
		pressed := pin.Read() == gpio.High
		if cfg.ActiveLow {
			pressed = !pressed
		}
		b.pressed.Store(pressed)
		return pressed
	}
	held := read()
	d := debouncer{hold: cfg.Debounce, since: cfg.Clock.Now(), armed: !held, level: held}
	for ctx.Err() == nil {
		poll := idlePoll
		if d.pending() {
			poll = pendingPoll
		}
		// The edge itself is not needed: the level read after it is.
		start := time.Now()
		if !pin.WaitForEdge(poll) && time.Since(start) < poll/2 {
			// The driver failed at once (it tells only its log): wait
			// as a timeout would have rather than spin on a core.
			time.Sleep(poll)
		}
		ev, ok := d.sample(read(), cfg.Clock.Now())
		if !ok {
			continue
		}
		select {
		case b.events <- ev:
		case <-ctx.Done():
		}
	}
}

// debouncer turns samples of a bouncing level into clean changes: a level
// counts once it has been seen without a break for hold. A button held
// when watching began is not armed: it reports nothing until it has been
// released for hold.
type debouncer struct {
	hold   time.Duration
	armed  bool      // the button has been seen released
	stable bool      // the debounced state: pressed or not
	level  bool      // the last level sampled
	since  time.Time // when level was first sampled
}

// pending reports whether a change is waiting to become stable.
func (d *debouncer) pending() bool {
	if !d.armed {
		return !d.level // a release that may arm it
	}
	return d.level != d.stable
}

// sample takes the level seen at now and returns an event when the
// debounced state changes; the event's time is when its level began.
func (d *debouncer) sample(pressed bool, now time.Time) (hal.ButtonEvent, bool) {
	if pressed != d.level {
		d.level, d.since = pressed, now
	}
	if now.Sub(d.since) < d.hold {
		return hal.ButtonEvent{}, false
	}
	if !d.armed {
		d.armed = !d.level
		return hal.ButtonEvent{}, false
	}
	if d.level == d.stable {
		return hal.ButtonEvent{}, false
	}
	d.stable = d.level
	return hal.ButtonEvent{Pressed: d.stable, Time: d.since}, true
}

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }
