package gpio

import (
	"context"
	"runtime"
	"sync"
	"testing"
	"time"

	"flashkiosk/hal"
	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"
)

var t0 = time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)

func ms(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }

func TestDebouncer(t *testing.T) {
	type sample struct {
		pressed bool
		at      int // ms after t0
	}
	type event struct {
		pressed bool
		at      int
	}
	tests := []struct {
		name    string
		samples []sample
		want    []event
		atStart bool // the button was held when watching began
	}{
		{"clean press and release",
			[]sample{{true, 0}, {true, 29}, {true, 30}, {false, 500}, {false, 530}},
			[]event{{true, 0}, {false, 500}}, false},
		{"bouncing press",
			[]sample{{true, 0}, {false, 2}, {true, 3}, {false, 7}, {true, 9}, {true, 38}, {true, 39}, {true, 60}},
			[]event{{true, 9}}, false},
		{"bouncing release",
			[]sample{{true, 0}, {true, 30}, {false, 100}, {true, 101}, {false, 104}, {true, 106}, {false, 110}, {false, 140}, {false, 200}},
			[]event{{true, 0}, {false, 110}}, false},
		{"glitch shorter than debounce is ignored",
			[]sample{{true, 0}, {false, 29}, {false, 100}, {true, 200}, {false, 210}, {false, 300}},
			nil, false},
		{"released all along",
			[]sample{{false, 0}, {false, 100}, {false, 1000}},
			nil, false},
		{"long hold gives one press",
			[]sample{{true, 0}, {true, 30}, {true, 1000}, {true, 2000}, {true, 5000}},
			[]event{{true, 0}}, false},
		{"held from the start: ignored until released, then counts",
			[]sample{{true, 0}, {true, 30}, {true, 6000}, {false, 7000}, {false, 7030}, {true, 8000}, {true, 8030}, {false, 9000}, {false, 9030}},
			[]event{{true, 8000}, {false, 9000}}, true},
		{"stuck from the start: never a press",
			[]sample{{true, 0}, {true, 30}, {true, 5000}, {true, 60000}},
			nil, true},
		{"a release shorter than debounce does not arm it",
			[]sample{{true, 0}, {false, 100}, {true, 110}, {true, 200}, {true, 6000}},
			nil, true},
	}
	for _, tt := range tests {
		d := debouncer{hold: 30 * time.Millisecond, since: t0, armed: !tt.atStart, level: tt.atStart}
		var got []event
		for _, s := range tt.samples {
			if ev, ok := d.sample(s.pressed, ms(s.at)); ok {
				got = append(got, event{ev.Pressed, int(ev.Time.Sub(t0) / time.Millisecond)})
			}
		}
		if len(got) != len(tt.want) {
			t.Errorf("%s: debouncer events = %v; want %v", tt.name, got, tt.want)
			continue
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("%s: debouncer events = %v; want %v", tt.name, got, tt.want)
				break
			}
		}
	}
}

// fakeClock is a Clock that moves only when told to.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// nextEvent moves the clock on in small steps until the button reports an
// event; the button samples its line on its own schedule, so a fixed
// advance could land before it has seen the last edge.
func nextEvent(t *testing.T, b *Button, clock *fakeClock) (hal.ButtonEvent, bool) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case ev, ok := <-b.Events():
			return ev, ok
		case <-time.After(time.Millisecond):
			clock.Advance(10 * time.Millisecond)
		case <-deadline:
			t.Fatalf("no button event after 5 s")
		}
	}
}

// bounce feeds levels to the pin as edges, each taken by the button.
func bounce(p *gpiotest.Pin, levels ...gpio.Level) {
	for _, l := range levels {
		p.EdgesChan <- l
	}
}

func TestButtonBounce(t *testing.T) {
	tests := []struct {
		name      string
		activeLow bool
		pull      gpio.Pull
		press     []gpio.Level
		release   []gpio.Level
	}{
		{"active low", true, gpio.PullUp,
			[]gpio.Level{gpio.Low, gpio.High, gpio.Low, gpio.High, gpio.Low},
			[]gpio.Level{gpio.High, gpio.Low, gpio.High, gpio.Low, gpio.High}},
		{"active high", false, gpio.PullDown,
			[]gpio.Level{gpio.High, gpio.Low, gpio.High},
			[]gpio.Level{gpio.Low, gpio.High, gpio.Low, gpio.High, gpio.Low}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			pin := &gpiotest.Pin{N: "GO", EdgesChan: make(chan gpio.Level)}
			clock := &fakeClock{now: t0}
			b, err := NewButton(ctx, pin, ButtonConfig{ActiveLow: tt.activeLow, Pull: tt.pull, Clock: clock})
			if err != nil {
				t.Fatalf("NewButton(%s) = %v; want nil", tt.name, err)
			}
			bounce(pin, tt.press...)
			ev, ok := nextEvent(t, b, clock)
			if !ok || !ev.Pressed {
				t.Fatalf("first event = %+v, %v; want a press", ev, ok)
			}
			pressAt := ev.Time
			bounce(pin, tt.release...)
			ev, ok = nextEvent(t, b, clock)
			if !ok || ev.Pressed {
				t.Fatalf("second event = %+v, %v; want a release", ev, ok)
			}
			if !ev.Time.After(pressAt) {
				t.Errorf("release at %v, press at %v; want release after press", ev.Time, pressAt)
			}
			clock.Advance(time.Second)
			cancel()
			if ev, ok := nextEvent(t, b, clock); ok {
				t.Errorf("event after the release = %+v; want none and a closed channel", ev)
			}
		})
	}
}

// TestButtonCancel checks that cancelling the context ends the watching
// goroutine and closes the channel, also when nobody reads the events.
func TestButtonCancel(t *testing.T) {
	before := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(context.Background())
	var buttons []*Button
	for i := 0; i < 4; i++ {
		pin := &gpiotest.Pin{N: "B", EdgesChan: make(chan gpio.Level)}
		b, err := NewButton(ctx, pin, ButtonConfig{Clock: &fakeClock{now: t0}})
		if err != nil {
			t.Fatalf("NewButton() = %v; want nil", err)
		}
		buttons = append(buttons, b)
	}
	cancel()
	for i, b := range buttons {
		select {
		case _, ok := <-b.Events():
			if ok {
				t.Errorf("button %d: event after cancel; want closed channel", i)
			}
		case <-time.After(2 * time.Second):
			t.Fatalf("button %d: channel not closed 2 s after cancel", i)
		}
	}
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("goroutines after cancel = %d; want at most %d", n, before)
	}
}

func TestButtonInError(t *testing.T) {
	pin := &gpiotest.Pin{N: "NOEDGES"} // gpiotest refuses edges without EdgesChan
	if _, err := NewButton(context.Background(), pin, ButtonConfig{}); err == nil {
		t.Errorf("NewButton(pin without edges) = nil error; want error")
	}
}

// brokenPin is an input line whose WaitForEdge fails at once, as the real
// driver's does on a read error.
type brokenPin struct {
	gpiotest.Pin
	mu    sync.Mutex
	waits int
}

func (p *brokenPin) WaitForEdge(time.Duration) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.waits++
	return false
}

// TestButtonNoSpin checks that a line whose WaitForEdge fails at once does
// not make the button spin.
func TestButtonNoSpin(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	pin := &brokenPin{Pin: gpiotest.Pin{N: "BROKEN", EdgesChan: make(chan gpio.Level)}}
	b, err := NewButton(ctx, pin, ButtonConfig{Clock: &fakeClock{now: t0}})
	if err != nil {
		t.Fatalf("NewButton() = %v; want nil", err)
	}
	time.Sleep(250 * time.Millisecond)
	cancel()
	for range b.Events() {
	}
	pin.mu.Lock()
	defer pin.mu.Unlock()
	if pin.waits > 10 {
		t.Errorf("WaitForEdge calls in 250 ms of a failing line = %d; want at most 10", pin.waits)
	}
}

// TestButtonHeldAtStart: a button already pressed when watching begins
// (stuck, or held through a power cut) gives no press; once released, a
// new press counts.
func TestButtonHeldAtStart(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pin := &gpiotest.Pin{N: "GO", L: gpio.Low, EdgesChan: make(chan gpio.Level)}
	clock := &fakeClock{now: t0}
	// PullNoChange keeps the level low: gpiotest's pull-up would raise it.
	b, err := NewButton(ctx, pin, ButtonConfig{ActiveLow: true, Pull: gpio.PullNoChange, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	for range 50 { // 300 ms, past the button's idle poll; half a second of the fake clock, held
		clock.Advance(10 * time.Millisecond)
		select {
		case ev := <-b.Events():
			t.Fatalf("event %+v while held since the start; want none", ev)
		case <-time.After(6 * time.Millisecond):
		}
	}
	if !b.Pressed() {
		t.Error("Pressed() = false while held since the start; want true (the self-test asks for it so)")
	}
	bounce(pin, gpio.High) // released: once stable, this arms it, silently
	for range 20 {
		clock.Advance(10 * time.Millisecond)
		select {
		case ev := <-b.Events():
			t.Fatalf("event %+v on the release that arms the button; want none", ev)
		case <-time.After(6 * time.Millisecond): // past the button's fast poll
		}
	}
	if b.Pressed() {
		t.Error("Pressed() = true after the release; want false")
	}
	bounce(pin, gpio.Low) // pressed again: counts
	ev, ok := nextEvent(t, b, clock)
	if !ok || !ev.Pressed {
		t.Fatalf("event after release and press = %+v, %v; want a press", ev, ok)
	}
}
