package sim

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"
)

// Console follows a kiosk's console from the other end: it applies panel
// lines to a View and keeps every other line as a log line, so that tests
// and the demo can wait for what a volunteer would see. It is safe for use
// by several goroutines.
type Console struct {
	mu      sync.Mutex
	view    *View
	logs    []string
	changed chan struct{} // closed and replaced at every line
}

// NewConsole follows a panel with a cols x rows display.
func NewConsole(cols, rows int) *Console {
	return &Console{view: NewView(cols, rows), changed: make(chan struct{})}
}

// Feed takes in one console line.
func (c *Console) Feed(line string) {
	line = strings.TrimRight(line, "\r")
	m, ok, err := Decode([]byte(line))
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case err != nil:
		c.logs = append(c.logs, fmt.Sprintf("BAD PANEL LINE (%v): %s", err, line))
	case ok:
		c.view.Apply(m)
	default:
		c.logs = append(c.logs, line)
	}
	close(c.changed)
	c.changed = make(chan struct{})
}

// Read feeds every line of r until it ends.
func (c *Console) Read(r io.Reader) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		c.Feed(sc.Text())
	}
	return sc.Err()
}

// Snapshot returns a copy of the view and the log lines so far.
func (c *Console) Snapshot() (View, []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.snapshot(), slices.Clone(c.logs)
}

func (c *Console) snapshot() View {
	return View{LCD: slices.Clone(c.view.LCD), Glyphs: maps.Clone(c.view.Glyphs), LEDs: maps.Clone(c.view.LEDs)}
}

// Until waits until ok, called after every line, holds for the view and
// the log lines so far, or ctx ends; then the error shows the display and
// the last log lines.
func (c *Console) Until(ctx context.Context, ok func(v View, logs []string) bool) error {
	for {
		c.mu.Lock()
		v, logs, changed := c.snapshot(), c.logs, c.changed
		c.mu.Unlock()
		if ok(v, logs) {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			tail := logs[max(0, len(logs)-30):]
			return fmt.Errorf("%w; the LCD shows %q, the LEDs %v; the last log lines:\n%s", ctx.Err(), v.LCD, v.LEDs, strings.Join(tail, "\n"))
		}
	}
}

// Has reports whether the display has a row starting with each of rows.
func (v View) Has(rows ...string) bool {
	for _, want := range rows {
		if !slices.ContainsFunc(v.LCD, func(l string) bool { return strings.HasPrefix(l, want) }) {
			return false
		}
	}
	return true
}
