package main

import (
	"context"
	"io"
	"path/filepath"
	"sync"
	"time"

	"flashkiosk/board"
	"flashkiosk/firmware/regfile"
	"flashkiosk/hal"
)

// boardWarning is how long a board setting that disagrees with the model
// stays on the display before the kiosk starts.
const boardWarning = 5 * time.Second

// readModel returns the device tree's model under root ("" without one).
func readModel(root string) string {
	// The kernel's model string is tens of bytes; the cap keeps a tree
	// that is not the kernel's from costing more.
	b, err := regfile.ReadFile(filepath.Join(root, "proc", "device-tree", "model"), regfile.Follow, 4<<10)
	if err != nil {
		return ""
	}
	return board.CleanModel(string(b))
}

// guessProfile is the profile of the board the model names, before
// kiosk.toml is read (and when it cannot be): "vm" for a model no
// profile fits.
func guessProfile(model string) board.Profile {
	name, ok := board.ForModel(model)
	if !ok {
		name = "vm"
	}
	p, _ := board.Lookup(name)
	return p
}

// samePanel reports whether a and b wire the same panel: the same buttons,
// LEDs and display, so the panel opened for one serves the other.
func samePanel(a, b board.Profile) bool {
	if a.Simulated != b.Simulated || a.GO != b.GO || a.Info != b.Info || a.Status != b.Status || a.LCD != b.LCD || len(a.Ports) != len(b.Ports) {
		return false
	}
	for i := range a.Ports {
		if a.Ports[i].Green != b.Ports[i].Green || a.Ports[i].Red != b.Ports[i].Red {
			return false
		}
	}
	return true
}

// showFor shows lines on d (if any) for d, or until ctx ends.
func showFor(ctx context.Context, d hal.Display, dur time.Duration, lines []string) {
	if d == nil {
		return
	}
	d.Show(lines)
	select {
	case <-ctx.Done():
	case <-time.After(dur):
	}
}

// consoleInput hands the console's input to one reader at a time: the
// simulated panel opened again takes over from the one before, which sees
// its input end.
type consoleInput struct {
	in    io.Reader
	start sync.Once
	mu    sync.Mutex
	w     *io.PipeWriter // the current reader's side; nil before the first
}

func newConsoleInput(in io.Reader) *consoleInput {
	return &consoleInput{in: in}
}

// Source returns the console itself, for setting its terminal mode.
func (c *consoleInput) Source() io.Reader { return c.in }

// Reader returns a reader of the console's input from now on, ending the
// one returned before.
func (c *consoleInput) Reader() io.Reader {
	r, w := io.Pipe()
	c.mu.Lock()
	if c.w != nil {
		c.w.Close()
	}
	c.w = w
	c.mu.Unlock()
	c.start.Do(func() { go c.pump() })
	return r
}

// pump copies the console's input to the current reader.
func (c *consoleInput) pump() {
	buf := make([]byte, 4096)
	for {
		n, err := c.in.Read(buf)
		c.mu.Lock()
		w := c.w
		c.mu.Unlock()
		if n > 0 {
			w.Write(buf[:n]) // a reader that went away loses this input
		}
		if err != nil {
			w.CloseWithError(err)
			return
		}
	}
}
