package refresh

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"flashkiosk/firmware/panel"
	"flashkiosk/hal"
)

type fakeClock struct {
	mu    sync.Mutex
	now   time.Time
	ticks chan time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Tick(time.Duration) (<-chan time.Time, func()) { return c.ticks, func() {} }

// step advances the clock by one sample and delivers the tick.
func (c *fakeClock) step() {
	c.mu.Lock()
	c.now = c.now.Add(Sample)
	now := c.now
	c.mu.Unlock()
	c.ticks <- now
}

// display records what it is asked to show and can be made to fail.
type display struct {
	mu     sync.Mutex
	cols   int
	rows   int
	shows  [][]string
	glyphs int
	fail   int // fail this many calls of Show
}

func (d *display) Size() (int, int) { return d.cols, d.rows }

func (d *display) Show(lines []string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.fail > 0 {
		d.fail--
		return errors.New("i2c: remote I/O error")
	}
	d.shows = append(d.shows, slices.Clone(lines))
	return nil
}

func (d *display) DefineGlyph(int, hal.Glyph) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.glyphs++
	return nil
}

// led records every Set.
type led struct {
	mu   sync.Mutex
	sets []bool
}

func (l *led) Set(on bool) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sets = append(l.sets, on)
	return nil
}

func (l *led) got() []bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.sets)
}

// rig runs Run on fakes; state is what the kiosk would report.
type rig struct {
	clock  *fakeClock
	disp   *display
	green  []*led
	red    []*led
	status *led
	logs   []string
	logMu  sync.Mutex
	mu     sync.Mutex
	state  panel.State
	stop   func()
}

// newRig runs Run with ports LED pairs and a display whose first failShows
// calls of Show fail.
func newRig(t *testing.T, s panel.State, ports, failShows int) *rig {
	r := &rig{
		clock:  &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), ticks: make(chan time.Time)},
		disp:   &display{cols: 16, rows: 2, fail: failShows},
		status: &led{},
		state:  s,
	}
	lights := Lights{Status: r.status}
	for i := 0; i < ports; i++ {
		r.green = append(r.green, &led{})
		r.red = append(r.red, &led{})
		lights.Green = append(lights.Green, r.green[i])
		lights.Red = append(lights.Red, r.red[i])
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, Config{
			State: func() panel.State {
				r.mu.Lock()
				defer r.mu.Unlock()
				return r.state
			},
			Display: r.disp, Lights: lights, Clock: r.clock,
			Logf: func(format string, args ...any) {
				r.logMu.Lock()
				defer r.logMu.Unlock()
				r.logs = append(r.logs, fmt.Sprintf(format, args...))
			},
		})
	}()
	// Run has taken its epoch once its first sample set the status LED.
	for deadline := time.Now().Add(10 * time.Second); len(r.status.got()) == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("Run set no LED at its start")
		}
	}
	r.stop = func() {
		cancel()
		if err := <-done; err != context.Canceled {
			t.Errorf("Run after cancel = %v; want context.Canceled", err)
		}
	}
	return r
}

func (r *rig) set(f func(*panel.State)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f(&r.state)
}

func writing(pct int) panel.State {
	return panel.State{Slots: []panel.Slot{{Port: "1", Status: panel.Writing, Percent: pct, MBps: 20}, {Port: "2"}}}
}

// TestRedrawRate: a state that changes at every sample is drawn at most
// once per MinRedraw, the glyphs are defined once, and the display ends up
// showing the latest state.
func TestRedrawRate(t *testing.T) {
	r := newRig(t, writing(0), 2, 0)
	const samples = 81 // two seconds and one sample
	for i := 1; i <= samples; i++ {
		r.set(func(s *panel.State) { *s = writing(i) })
		r.clock.step()
	}
	// Let the last change settle past MinRedraw without further changes.
	for i := 0; i < int(MinRedraw/Sample)+1; i++ {
		r.clock.step()
	}
	r.stop()
	maxShows := int(time.Duration(samples+int(MinRedraw/Sample)+1)*Sample/MinRedraw) + 1
	if n := len(r.disp.shows); n > maxShows || n < 2 {
		t.Errorf("%d redraws in %v; want 2 to %d", n, time.Duration(samples)*Sample, maxShows)
	}
	if r.disp.glyphs != hal.GlyphCount {
		t.Errorf("DefineGlyph called %d times; want %d (once each)", r.disp.glyphs, hal.GlyphCount)
	}
	last := r.disp.shows[len(r.disp.shows)-1]
	if want := panel.Render(writing(samples), 16, 2); !slices.Equal(last, want) {
		t.Errorf("display shows %q; want %q", last, want)
	}
}

// TestLEDs: every LED gets what panel.LEDs says, sampled on the clock, and
// a Set only when its level changes; a slot past the board's LEDs (a hub
// port) is skipped.
func TestLEDs(t *testing.T) {
	s := panel.State{Slots: []panel.Slot{
		{Port: "1", Status: panel.Ready},
		{Port: "2", Status: panel.Done},
		{Port: "1.3", Status: panel.Ready},
	}}
	r := newRig(t, s, 2, 0)
	const samples = 80 // two seconds: a 1 Hz blink changes four times
	for i := 0; i < samples; i++ {
		r.clock.step()
	}
	r.stop()
	var wantGreen0, wantStatus []bool
	for i := 0; i <= samples; i++ {
		g, _, st := panel.LEDs(s, time.Duration(i)*Sample)
		if len(wantGreen0) == 0 || wantGreen0[len(wantGreen0)-1] != g[0] {
			wantGreen0 = append(wantGreen0, g[0])
		}
		if len(wantStatus) == 0 || wantStatus[len(wantStatus)-1] != st {
			wantStatus = append(wantStatus, st)
		}
	}
	tests := []struct {
		name string
		led  *led
		want []bool
	}{
		{"green 1 (ready, blinking)", r.green[0], wantGreen0},
		{"red 1", r.red[0], []bool{false}},
		{"green 2 (done, steady)", r.green[1], []bool{true}},
		{"red 2", r.red[1], []bool{false}},
		{"status (heartbeat)", r.status, wantStatus},
	}
	for _, tc := range tests {
		if got := tc.led.got(); !slices.Equal(got, tc.want) {
			t.Errorf("%s: Set calls %v; want %v", tc.name, got, tc.want)
		}
	}
	if n := len(wantGreen0); n < 4 {
		t.Errorf("a 1 Hz blink over 2 s changed %d times; want at least 4", n)
	}
}

// TestDisplayFails: a display that fails is logged once, retried, and
// logged again when it works.
func TestDisplayFails(t *testing.T) {
	r := newRig(t, writing(5), 0, 3)
	for i := 0; i < 10; i++ {
		r.clock.step()
	}
	r.stop()
	if len(r.disp.shows) != 1 {
		t.Errorf("%d successful redraws; want 1 after the failures", len(r.disp.shows))
	}
	if len(r.logs) != 2 || !strings.Contains(r.logs[0], "remote I/O error") || !strings.Contains(r.logs[1], "works again") {
		t.Errorf("logged %q; want the error once, then works again", r.logs)
	}
	if r.disp.glyphs != 4*hal.GlyphCount {
		t.Errorf("DefineGlyph called %d times; want %d (again after each failure)", r.disp.glyphs, 4*hal.GlyphCount)
	}
}

// TestStatusWithoutDisplay: a kiosk without a display says so with its
// status LED (on 1 s, off 1 s) instead of the heartbeat.
func TestStatusWithoutDisplay(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), ticks: make(chan time.Time)}
	status := &led{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, Config{
			State:  func() panel.State { return panel.State{} },
			Lights: Lights{Status: status}, Clock: clock,
			Logf: t.Logf,
		})
	}()
	const samples = 81 // two seconds and one sample
	for i := 0; i < samples; i++ {
		clock.step()
	}
	cancel()
	<-done
	want := []bool{true, false, true}
	if got := status.got(); !slices.Equal(got, want) {
		t.Errorf("status LED without a display: Set calls %v; want %v", got, want)
	}
	if _, _, healthy := panel.LEDs(panel.State{}, 1500*time.Millisecond); healthy {
		t.Fatal("the heartbeat is on at 1.5 s: this test cannot tell it from the no-display blink")
	}
}
