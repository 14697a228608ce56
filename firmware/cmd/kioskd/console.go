package main

import (
	"fmt"
	"io"
	"strings"
	"sync"
)

// console is the serial console: log lines and the simulated panel's lines
// share it, so every write is one whole line, never interleaved.
type console struct {
	mu sync.Mutex
	w  io.Writer
}

func newConsole(w io.Writer) *console { return &console{w: w} }

// Write writes p, which the simulated panel always makes whole lines.
func (c *console) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.w.Write(p)
}

// logf writes one log line.
func (c *console) logf(format string, args ...any) {
	line := fmt.Sprintf(format, args...)
	line = strings.ReplaceAll(line, "\n", " ")
	c.Write([]byte(line + "\n"))
}
