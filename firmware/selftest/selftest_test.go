package selftest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"flashkiosk/firmware/drive"
	"flashkiosk/hal"
)

// rec records what the test did, in order.
type rec struct {
	mu     sync.Mutex
	events []string
	shown  [][]string
}

func (r *rec) add(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, s)
}

type led struct {
	r    *rec
	name string
}

func (l led) Set(on bool) error {
	if on {
		l.r.add(l.name + " on")
	}
	return nil
}

type display struct {
	r    *rec
	rows int
}

func (d display) Size() (int, int)                 { return 16, d.rows }
func (d display) DefineGlyph(int, hal.Glyph) error { return nil }
func (d display) Show(lines []string) error {
	d.r.mu.Lock()
	defer d.r.mu.Unlock()
	d.r.shown = append(d.r.shown, slices.Clone(lines))
	return nil
}

type button struct {
	ch      chan hal.ButtonEvent
	pressed bool
}

func (b *button) Events() <-chan hal.ButtonEvent { return b.ch }
func (b *button) Pressed() bool                  { return b.pressed }

// rig runs Run on fakes.
type rig struct {
	r        *rec
	goB      *button
	info     *button
	drives   chan drive.Event
	logs     chan string
	done     chan error
	cancel   func()
	t0       time.Time
	lastLogs []string
}

func start(t *testing.T, rows int, infoHeld bool) *rig {
	t.Helper()
	r := &rec{}
	g := &rig{r: r, goB: &button{ch: make(chan hal.ButtonEvent)}, info: &button{ch: make(chan hal.ButtonEvent), pressed: infoHeld},
		drives: make(chan drive.Event), logs: make(chan string, 100), done: make(chan error, 1), t0: time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC)}
	cfg := Config{
		Display: display{r, rows}, About: "0x27 16x2",
		LEDs: []LED{
			{Name: "STATUS", Line: 22, Pin: 15, LED: led{r, "STATUS"}},
			{Name: "P1 GREEN", Line: 5, Pin: 29, LED: led{r, "P1 GREEN"}},
			{Name: "P1 RED", Line: 6, Pin: 31}, // could not be opened
		},
		Buttons: []Button{{"GO", g.goB}, {"INFO", g.info}},
		Drives:  g.drives, Board: "pi3b", Step: 20 * time.Millisecond,
		Logf: func(f string, a ...any) { g.logs <- fmt.Sprintf(f, a...) },
	}
	ctx, cancel := context.WithCancel(context.Background())
	g.cancel = cancel
	go func() { g.done <- Run(ctx, cfg) }()
	t.Cleanup(func() {
		cancel()
		<-g.done
	})
	return g
}

// waitLog waits for a log line containing s.
func (g *rig) waitLog(t *testing.T, s string) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case l := <-g.logs:
			g.lastLogs = append(g.lastLogs, l)
			if strings.Contains(l, s) {
				return
			}
		case <-timeout:
			t.Fatalf("no log line %q; got:\n%s", s, strings.Join(g.lastLogs, "\n"))
		}
	}
}

func (g *rig) press(b *button, at, hold time.Duration) {
	b.ch <- hal.ButtonEvent{Pressed: true, Time: g.t0.Add(at)}
	b.ch <- hal.ButtonEvent{Pressed: false, Time: g.t0.Add(at + hold)}
}

func (g *rig) lastShown() []string {
	g.r.mu.Lock()
	defer g.r.mu.Unlock()
	return g.r.shown[len(g.r.shown)-1]
}

// TestLEDsInTurn: every LED lights in turn, with its name and line on the
// display, and an LED that could not be opened is said to be so.
func TestLEDsInTurn(t *testing.T) {
	g := start(t, 4, false)
	g.waitLog(t, "LED STATUS (GPIO22, pin 15) on")
	g.waitLog(t, "LED P1 GREEN (GPIO5, pin 29) on")
	g.waitLog(t, "LED P1 RED (GPIO6) could not be opened")
	g.waitLog(t, "LED STATUS (GPIO22, pin 15) on")
	g.r.mu.Lock()
	ons := slices.Clone(g.r.events)
	g.r.mu.Unlock()
	if len(ons) < 3 || ons[0] != "STATUS on" || ons[1] != "P1 GREEN on" || ons[2] != "STATUS on" {
		t.Errorf("LEDs switched on %v; want STATUS, P1 GREEN, STATUS, … in turn", ons)
	}
	g.r.mu.Lock()
	defer g.r.mu.Unlock()
	var rows []string
	for _, s := range g.r.shown {
		rows = append(rows, s[1])
	}
	for _, want := range []string{"STATUS GPIO22", "P1 GREEN GPIO5", "P1 RED GPIO6"} {
		if !slices.Contains(rows, want) {
			t.Errorf("the LED row never showed %q; it showed %q", want, rows)
		}
	}
	if g.r.shown[0][0] != "TEST 0x27 16x2" {
		t.Errorf("title row %q; want TEST 0x27 16x2", g.r.shown[0][0])
	}
}

// TestEvents: buttons and sticks are shown as they come, on a 4-row and a
// 2-row display, and a socket the board does not map is called so.
func TestEvents(t *testing.T) {
	mapped := drive.Drive{Name: "sda", USB: true, PortPath: "1-1.2", Port: "1", Size: 16e9}
	unmapped := drive.Drive{Name: "sdb", USB: true, PortPath: "1-1.4.3", Port: "1-1.4.3", Size: 8e9}
	partition := drive.Drive{Name: "sda1", USB: true, Partition: true, PortPath: "1-1.2", Port: "1"}
	tests := []struct {
		name string
		do   func(g *rig)
		log  string
		row  string // on a 4-row display: rows 2 and 3
		top  string // on a 2-row display: row 0
	}{
		{"GO pressed", func(g *rig) { g.goB.ch <- hal.ButtonEvent{Pressed: true, Time: g.t0} }, "GO pressed", "GO DOWN", "GO DOWN"},
		{"INFO press", func(g *rig) { g.press(g.info, 0, 400*time.Millisecond) }, "INFO released after 0.4s", "INFO UP 0.4s", "INFO UP 0.4s"},
		{"mapped stick", func(g *rig) { g.drives <- drive.Event{Kind: drive.Added, Drive: mapped} }, "at USB port 1-1.2: kiosk port 1", "1-1.2 PORT 1", "1-1.2 PORT 1"},
		{"unmapped stick", func(g *rig) { g.drives <- drive.Event{Kind: drive.Added, Drive: unmapped} },
			"at USB port 1-1.4.3: in no port of board pi3b", "1-1.4.3 NO PORT", "1-1.4.3 NO PORT"},
		{"stick removed", func(g *rig) {
			g.drives <- drive.Event{Kind: drive.Added, Drive: partition} // not a stick: ignored
			g.drives <- drive.Event{Kind: drive.Removed, Drive: mapped}
		}, "stick sda at USB port 1-1.2 removed", "1-1.2 REMOVED", "1-1.2 REMOVED"},
	}
	for _, tt := range tests {
		for _, rows := range []int{4, 2} {
			t.Run(fmt.Sprintf("%s on %d rows", tt.name, rows), func(t *testing.T) {
				g := start(t, rows, false)
				tt.do(g)
				g.waitLog(t, tt.log)
				g.drives <- drive.Event{Kind: drive.Added, Drive: partition} // a round of the loop: shown by now
				shown := g.lastShown()
				if rows == 4 && !slices.Contains(shown[2:], tt.row) {
					t.Errorf("display %q; want a row %q", shown, tt.row)
				}
				if rows == 2 && shown[0] != tt.top {
					t.Errorf("display %q; want the top row %q", shown, tt.top)
				}
			})
		}
	}
}

// TestHeldAtStart: a button down when the test starts is shown as held.
func TestHeldAtStart(t *testing.T) {
	g := start(t, 4, true)
	g.waitLog(t, "INFO is down (held since the start, or stuck)")
	g.drives <- drive.Event{} // a round of the loop
	if shown := g.lastShown(); shown[2] != "INFO HELD" {
		t.Errorf("display %q; want row 2 INFO HELD", shown)
	}
}

// TestLeave: GO held for less than HoldToLeave is only shown; held for
// HoldToLeave it ends the test, with nil.
func TestLeave(t *testing.T) {
	g := start(t, 2, false)
	g.press(g.goB, 0, HoldToLeave-time.Millisecond)
	g.waitLog(t, "GO released after 3.0s")
	select {
	case err := <-g.done:
		t.Fatalf("Run ended (%v) after GO held for less than %v", err, HoldToLeave)
	case <-time.After(50 * time.Millisecond):
	}
	g.press(g.goB, 5*time.Second, HoldToLeave)
	select {
	case err := <-g.done:
		if err != nil {
			t.Errorf("Run = %v after GO held; want nil", err)
		}
		g.done <- err // for the cleanup
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not end after GO was held for HoldToLeave")
	}
}

// TestCancel: the test ends with ctx.
func TestCancel(t *testing.T) {
	g := start(t, 2, false)
	g.waitLog(t, "LED STATUS")
	g.cancel()
	err := <-g.done
	g.done <- err
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Run = %v after cancel; want context.Canceled", err)
	}
}
