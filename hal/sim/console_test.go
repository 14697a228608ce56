package sim

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// TestConsole splits a console into panel view and log lines and waits
// for a state that comes later.
func TestConsole(t *testing.T) {
	c := NewConsole(16, 2)
	err := c.Read(strings.NewReader("kioskd: starting\r\n" +
		"@panel {\"lcd\":[\"P1 READY, GO    \",\"P2 empty        \"]}\n" +
		"@panel {\"led\":\"1.green\",\"on\":true}\n" +
		"@panel {\"lcd\":\n"))
	if err != nil {
		t.Fatal(err)
	}
	v, logs := c.Snapshot()
	if !v.Has("P1 READY", "P2 empty") || v.Has("P3") || !v.LEDs["1.green"] {
		t.Errorf("view %q %v; want P1 READY, P2 empty, 1.green on", v.LCD, v.LEDs)
	}
	if len(logs) != 2 || logs[0] != "kioskd: starting" || !strings.HasPrefix(logs[1], "BAD PANEL LINE") {
		t.Errorf("logs %q; want the log line and the bad panel line", logs)
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	go func() {
		c.Feed("port 1: done")
		c.Feed(`@panel {"lcd":["P1 DONE 3s      ","P2 empty        "]}`)
	}()
	if err := c.Until(ctx, func(v View, logs []string) bool { return v.Has("P1 DONE") }); err != nil {
		t.Errorf("Until(P1 DONE) = %v", err)
	}

	short, cancel2 := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel2()
	err = c.Until(short, func(v View, logs []string) bool { return v.Has("P2 DONE") })
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "P1 DONE") {
		t.Errorf("Until(never) = %v; want the deadline, with the display", err)
	}
}
