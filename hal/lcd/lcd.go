// Package lcd drives an HD44780 character LCD (16x2 or 20x4) as a
// hal.Display. It lays text out on the grid, maps it to the characters of
// the controller's ROM A00, keeps custom glyphs in CGRAM, sends only the
// characters that changed and refreshes at most five times a second. It
// drives the controller itself, through a PCF8574 I²C backpack (HD44780),
// on a kernel I²C bus or one bit-banged by hal/softi2c (Open), and finds
// the backpack's address (Probe). It does not decide what to show: that is
// firmware/panel's job.
package lcd

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"flashkiosk/hal"
)

// MinInterval is the shortest time between two refreshes of the display:
// an HD44780 behind an I2C backpack is slow, and a flickering display is
// hard to read.
const MinInterval = 200 * time.Millisecond

// Device is the part of an HD44780 driver that LCD uses; *HD44780 is the
// one for real displays.
type Device interface {
	// Command sends one instruction byte.
	Command(cmd byte) error
	// SetPosition moves the cursor to column pos of row line.
	SetPosition(line, pos int) error
	// Write sends data bytes to display RAM at the cursor.
	Write(p []byte) (int, error)
}

// Clock tells the time and runs deferred refreshes.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// AfterFunc calls f in its own goroutine after d; stop cancels it.
	AfterFunc(d time.Duration, f func()) (stop func() bool)
}

// HD44780 instructions used here.
const (
	cmdSetCGRAM = 0x40
)

// LCD is a hal.Display on an HD44780. It is safe for concurrent use.
type LCD struct {
	dev        Device
	clock      Clock
	cols, rows int
	close      func() error

	mu     sync.Mutex
	shown  [][]byte // what the display shows; nil when unknown
	want   [][]byte // the latest content asked for
	glyphs [hal.GlyphCount]*hal.Glyph
	last   time.Time   // time of the last refresh that sent anything
	stop   func() bool // cancels the armed deferred refresh, if any
	err    error       // error of a deferred refresh, reported by the next Show
	closed bool
}

var _ hal.Display = (*LCD)(nil)

// New returns an LCD of cols x rows characters on dev. A nil clock means
// the system clock. The display's content is taken as unknown, so the first
// Show rewrites every character.
func New(dev Device, cols, rows int, clock Clock) (*LCD, error) {
	if err := checkGeometry(cols, rows); err != nil {
		return nil, err
	}
	if clock == nil {
		clock = systemClock{}
	}
	return &LCD{dev: dev, clock: clock, cols: cols, rows: rows}, nil
}

// Size reports the display's columns and rows.
func (l *LCD) Size() (cols, rows int) { return l.cols, l.rows }

// Show puts lines on the display (see hal.Display and Map). A refresh within
// MinInterval of the previous one is deferred; of several deferred calls the
// latest content wins. An error of a deferred refresh is returned by the
// next call of Show.
func (l *LCD) Show(lines []string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return fmt.Errorf("lcd: show: display closed")
	}
	l.want = layout(lines, l.cols, l.rows)
	prev := l.err
	l.err = nil
	return errors.Join(prev, l.schedule())
}

// schedule refreshes the display now or arms a deferred refresh, whichever
// the refresh limit allows. l.mu must be held.
func (l *LCD) schedule() error {
	if l.stop != nil {
		return nil // the armed refresh will send l.want
	}
	now := l.clock.Now()
	if since := now.Sub(l.last); !l.last.IsZero() && since < MinInterval {
		l.stop = l.clock.AfterFunc(MinInterval-since, l.deferred)
		return nil
	}
	return l.refresh(now)
}

func (l *LCD) deferred() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.stop = nil
	if l.closed {
		return
	}
	if err := l.refresh(l.clock.Now()); err != nil {
		l.err = err
	}
}

// refresh sends the runs of characters where l.want differs from l.shown.
// l.mu must be held.
func (l *LCD) refresh(now time.Time) error {
	sent := false
	for r, row := range l.want {
		for c := 0; c < l.cols; {
			if l.shown != nil && l.shown[r][c] == row[c] {
				c++
				continue
			}
			end := c + 1
			for end < l.cols && (l.shown == nil || l.shown[r][end] != row[end]) {
				end++
			}
			if err := l.send(r, c, row[c:end]); err != nil {
				l.shown = nil // partly written: rewrite everything next time
				return err
			}
			sent = true
			c = end
		}
	}
	if l.shown == nil {
		l.shown = make([][]byte, l.rows)
	}
	for r, row := range l.want {
		l.shown[r] = append(l.shown[r][:0], row...)
	}
	if sent {
		l.last = now
	}
	return nil
}

func (l *LCD) send(row, col int, b []byte) error {
	if err := l.dev.SetPosition(row, col); err != nil {
		return fmt.Errorf("lcd: move to row %d column %d: %w", row, col, err)
	}
	if _, err := l.dev.Write(b); err != nil {
		return fmt.Errorf("lcd: write %d characters at row %d column %d: %w", len(b), row, col, err)
	}
	return nil
}

// DefineGlyph stores g in CGRAM slot (0 to hal.GlyphCount-1) at once, not
// subject to the refresh limit; redefining a slot with the same pixels sends
// nothing. Characters on the display that show the slot change with it.
func (l *LCD) DefineGlyph(slot int, g hal.Glyph) error {
	if slot < 0 || slot >= hal.GlyphCount {
		return fmt.Errorf("lcd: glyph slot %d out of range 0..%d", slot, hal.GlyphCount-1)
	}
	for i := range g {
		g[i] &= 0x1f
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return fmt.Errorf("lcd: define glyph %d: display closed", slot)
	}
	if old := l.glyphs[slot]; old != nil && *old == g {
		return nil
	}
	l.glyphs[slot] = nil
	if err := l.dev.Command(cmdSetCGRAM | byte(slot)<<3); err != nil {
		return fmt.Errorf("lcd: define glyph %d: %w", slot, err)
	}
	if _, err := l.dev.Write(g[:]); err != nil {
		return fmt.Errorf("lcd: define glyph %d: %w", slot, err)
	}
	l.glyphs[slot] = &g
	return nil
}

// Close stops a deferred refresh and releases the device. The display keeps
// what it shows.
func (l *LCD) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	if l.stop != nil {
		l.stop()
		l.stop = nil
	}
	if l.close != nil {
		return l.close()
	}
	return nil
}

func checkGeometry(cols, rows int) error {
	if !(cols == 16 && rows == 2) && !(cols == 20 && rows == 4) {
		return fmt.Errorf("lcd: unsupported geometry %dx%d (want 16x2 or 20x4)", cols, rows)
	}
	return nil
}

// layout returns lines as rows x cols display bytes.
func layout(lines []string, cols, rows int) [][]byte {
	out := make([][]byte, rows)
	for r := range out {
		row := make([]byte, 0, cols)
		if r < len(lines) {
			for _, c := range lines[r] {
				if len(row) == cols {
					break
				}
				row = append(row, Map(c))
			}
		}
		for len(row) < cols {
			row = append(row, ' ')
		}
		out[r] = row
	}
	return out
}

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

func (systemClock) AfterFunc(d time.Duration, f func()) func() bool {
	return time.AfterFunc(d, f).Stop
}
