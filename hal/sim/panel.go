package sim

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"flashkiosk/hal"
	"flashkiosk/hal/lcd"
)

// Clock is where a panel reads button timestamps and waits out the hold of
// a "press" line. Tests pass a fake one.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// After sends the time on the returned channel once d has passed.
	After(d time.Duration) <-chan time.Time
}

// realClock is the system clock.
type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Option changes how New builds a panel.
type Option func(*Panel)

// WithClock makes the panel read button timestamps and wait out holds on c
// instead of the system clock.
func WithClock(c Clock) Option { return func(p *Panel) { p.clock = c } }

// WithLog makes the panel report malformed input lines and lost events to
// log, once each; by default they are dropped silently. log is called from
// the panel's reading goroutine.
func WithLog(log func(error)) Option { return func(p *Panel) { p.log = log } }

// buttonNames are the buttons a panel has.
var buttonNames = []string{"go", "info"}

// eventBuffer is how many button events wait for a slow reader before
// further ones are dropped.
const eventBuffer = 32

// Panel is a simulated LCD, set of LEDs and pair of buttons. Its methods
// are safe for use by several goroutines.
type Panel struct {
	clock Clock
	log   func(error)

	done chan struct{} // closed when read returns

	cols int
	rows int
	leds map[string]bool // the LED names the panel has

	// wmu serializes lines to w. A display change holds it from changing
	// the state until its line is written, so the last line sent is always
	// the display's state; it is taken before mu, never after.
	wmu sync.Mutex
	w   io.Writer

	mu      sync.Mutex // guards the fields below
	lines   []string
	glyphs  map[string][]string
	ledsOn  map[string]bool // the LEDs set so far
	buttons map[string]*button
	absent  []*button // handed out for names the panel does not have
	stopped bool
}

// New returns a panel with a cols x rows display, a status LED and a green
// and a red LED for each of ports USB ports. It writes panel lines to w and
// reads button lines from r until r ends or ctx is done; when ctx is done
// the buttons' event channels are closed. It never closes r or w.
func New(ctx context.Context, r io.Reader, w io.Writer, cols, rows, ports int, opts ...Option) *Panel {
	p := &Panel{
		clock:   realClock{},
		log:     func(error) {},
		w:       w,
		cols:    cols,
		rows:    rows,
		lines:   make([]string, rows),
		glyphs:  map[string][]string{},
		ledsOn:  map[string]bool{},
		leds:    map[string]bool{"status": true},
		buttons: map[string]*button{},
		done:    make(chan struct{}),
	}
	for _, o := range opts {
		o(p)
	}
	blank := strings.Repeat(" ", cols)
	for i := range p.lines {
		p.lines[i] = blank
	}
	for n := 1; n <= ports; n++ {
		p.leds[fmt.Sprintf("%d.green", n)] = true
		p.leds[fmt.Sprintf("%d.red", n)] = true
	}
	for _, name := range buttonNames {
		p.buttons[name] = &button{events: make(chan hal.ButtonEvent, eventBuffer)}
	}
	go p.read(ctx, r)
	go func() {
		<-ctx.Done()
		p.mu.Lock()
		defer p.mu.Unlock()
		p.stopped = true
		for _, b := range p.buttons {
			close(b.events)
		}
		for _, b := range p.absent {
			close(b.events)
		}
	}()
	return p
}

// Done is closed when the panel has stopped reading button lines: its
// input ended or failed, or the context passed to New was done when a read
// returned (a read already waiting for input is not interrupted).
func (p *Panel) Done() <-chan struct{} { return p.done }

// send writes m as one line.
func (p *Panel) send(m Message) error {
	p.wmu.Lock()
	defer p.wmu.Unlock()
	return p.sendLocked(m)
}

// sendLocked writes m as one line; p.wmu must be held.
func (p *Panel) sendLocked(m Message) error {
	line := Encode(m)
	if _, err := p.w.Write(line); err != nil {
		return fmt.Errorf("sim: write panel line: %w", err)
	}
	return nil
}

// Display returns the panel's display.
func (p *Panel) Display() hal.Display { return display{p} }

// LED returns the LED called name ("status", "1.green", "1.red", …). Set
// fails for a name the panel does not have.
func (p *Panel) LED(name string) hal.LED { return led{p: p, name: name} }

// Button returns the button called name ("go" or "info"). A button the
// panel does not have never sends an event and is closed with the others.
func (p *Panel) Button(name string) hal.Button {
	p.mu.Lock()
	defer p.mu.Unlock()
	b, ok := p.buttons[name]
	if !ok {
		b = &button{events: make(chan hal.ButtonEvent)}
		if p.stopped {
			close(b.events)
		} else {
			p.absent = append(p.absent, b)
		}
	}
	return b
}

// display is the panel's hal.Display.
type display struct{ p *Panel }

func (d display) Size() (cols, rows int) { return d.p.cols, d.p.rows }

func (d display) Show(lines []string) error {
	p := d.p
	p.wmu.Lock()
	defer p.wmu.Unlock()
	p.mu.Lock()
	for i := range p.lines {
		var s string
		if i < len(lines) {
			s = lines[i]
		}
		p.lines[i] = layout(s, p.cols)
	}
	m := p.frame()
	p.mu.Unlock()
	return p.sendLocked(m)
}

func (d display) DefineGlyph(slot int, g hal.Glyph) error {
	if slot < 0 || slot >= hal.GlyphCount {
		return fmt.Errorf("sim: glyph slot %d out of range 0 to %d", slot, hal.GlyphCount-1)
	}
	p := d.p
	p.wmu.Lock()
	defer p.wmu.Unlock()
	p.mu.Lock()
	p.glyphs[glyphKey(slot)] = GlyphRows(g)
	m := p.frame()
	p.mu.Unlock()
	return p.sendLocked(m)
}

// frame returns the display as a message; p.mu must be held.
func (p *Panel) frame() Message {
	m := Message{LCD: append([]string(nil), p.lines...), Glyphs: map[string][]string{}}
	for k, v := range p.glyphs {
		m.Glyphs[k] = v
	}
	return m
}

// layout cuts or pads s to cols runes, replacing the runes an HD44780 with
// ROM A00 cannot show by lcd.Placeholder as the real display would.
func layout(s string, cols int) string {
	var b strings.Builder
	n := 0
	for _, r := range s {
		if n == cols {
			break
		}
		if _, glyph := hal.GlyphSlot(r); !glyph && lcd.Map(r) == lcd.Placeholder {
			r = lcd.Placeholder
		}
		b.WriteRune(r)
		n++
	}
	for ; n < cols; n++ {
		b.WriteByte(' ')
	}
	return b.String()
}

// led is one of the panel's hal.LEDs.
type led struct {
	p    *Panel
	name string
}

func (l led) Set(on bool) error {
	if !l.p.leds[l.name] {
		return fmt.Errorf("sim: no LED %q", l.name)
	}
	p := l.p
	p.wmu.Lock()
	defer p.wmu.Unlock()
	p.mu.Lock()
	p.ledsOn[l.name] = on
	p.mu.Unlock()
	return p.sendLocked(Message{LED: l.name, On: &on})
}

// sync sends the display and every LED set so far, LEDs by name.
func (p *Panel) sync() error {
	p.wmu.Lock()
	defer p.wmu.Unlock()
	p.mu.Lock()
	ms := []Message{p.frame()}
	names := make([]string, 0, len(p.ledsOn))
	for name := range p.ledsOn {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		on := p.ledsOn[name]
		ms = append(ms, Message{LED: name, On: &on})
	}
	p.mu.Unlock()
	for _, m := range ms {
		if err := p.sendLocked(m); err != nil {
			return err
		}
	}
	return nil
}

// button is one of the panel's hal.Buttons; pressed is guarded by the
// panel's mu.
type button struct {
	events  chan hal.ButtonEvent
	pressed atomic.Bool // set under the panel's mu, read without it
}

func (b *button) Events() <-chan hal.ButtonEvent { return b.events }

// Pressed reports whether the button is down now.
func (b *button) Pressed() bool { return b.pressed.Load() }

// errLost says a button event was dropped because nobody read the events.
var errLost = errors.New("sim: button event lost: nobody reads the button's events")

// set changes the button called name to pressed at time t, if it is not in
// that state already.
func (p *Panel) set(name string, pressed bool, t time.Time) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	b, ok := p.buttons[name]
	if !ok {
		return fmt.Errorf("sim: no button %q", name)
	}
	if p.stopped || b.pressed.Load() == pressed {
		return nil
	}
	select {
	case b.events <- hal.ButtonEvent{Pressed: pressed, Time: t}:
		b.pressed.Store(pressed)
		return nil
	default:
		return fmt.Errorf("%w (%s)", errLost, name)
	}
}

// read acts on the button lines of r until r ends or ctx is done.
func (p *Panel) read(ctx context.Context, r io.Reader) {
	defer close(p.done)
	br := bufio.NewReaderSize(r, maxLine)
	for {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			// A line longer than any panel line: skip to its end and go
			// on reading, so that one bad line does not stop the panel.
			n := len(line)
			for errors.Is(err, bufio.ErrBufferFull) {
				line, err = br.ReadSlice('\n')
				n += len(line)
			}
			p.log(fmt.Errorf("panel line of %d bytes skipped: at most %d", n, maxLine))
			line = nil
		}
		if ctx.Err() != nil {
			return
		}
		if len(line) > 0 {
			p.handle(ctx, line)
		}
		if err != nil {
			if !errors.Is(err, io.EOF) && ctx.Err() == nil {
				p.log(fmt.Errorf("sim: read panel lines: %w", err))
			}
			return
		}
	}
}

// maxLine is the longest input line the panel reads; a longer one is
// skipped. Button, press and sync lines are well under 100 bytes.
const maxLine = 64 << 10

// maxPressMS is the longest press a press line may ask for: a minute,
// longer than any hold the kiosk knows.
const maxPressMS = 60_000

// handle acts on one input line.
func (p *Panel) handle(ctx context.Context, line []byte) {
	m, ok, err := Decode(line)
	if err != nil {
		p.log(err)
		return
	}
	if !ok {
		return
	}
	if err := p.act(ctx, m); err != nil {
		p.log(fmt.Errorf("panel line %s: %w", quoteLine(bytes.TrimSpace(line)), err))
	}
}

// act carries out one incoming message.
func (p *Panel) act(ctx context.Context, m Message) error {
	switch m.Kind() {
	case "button":
		if m.Button == "" || m.Pressed == nil {
			return errors.New(`a button line needs "button" and "pressed"`)
		}
		return p.set(m.Button, *m.Pressed, p.clock.Now())
	case "press":
		if m.Press == "" || m.MS < 0 || m.MS > maxPressMS {
			return fmt.Errorf(`a press line needs "press" and "ms" from 0 to %d`, maxPressMS)
		}
		if err := p.set(m.Press, true, p.clock.Now()); err != nil {
			return err
		}
		select {
		case <-p.clock.After(time.Duration(m.MS) * time.Millisecond):
		case <-ctx.Done():
			return nil
		}
		return p.set(m.Press, false, p.clock.Now())
	case "sync":
		return p.sync()
	}
	return fmt.Errorf("a panel reads button, press and sync lines, not %s lines", m.Kind())
}
