package watchdog

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

type countingDog struct {
	mu  sync.Mutex
	fed int
}

func (d *countingDog) Feed() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.fed++
	return nil
}

func (d *countingDog) count() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.fed
}

// TestKeep feeds on healthy ticks only and tells the log once per change.
func TestKeep(t *testing.T) {
	tests := []struct {
		name    string
		healthy []bool // one per tick
		fed     int
		logs    int
	}{
		{"always healthy", []bool{true, true, true}, 3, 0},
		{"hung", []bool{false, false, false}, 0, 1},
		{"hangs then recovers", []bool{true, false, false, true, true}, 3, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			dog := &countingDog{}
			ticks := make(chan time.Time)
			var mu sync.Mutex
			var logs []string
			logf := func(format string, args ...any) {
				mu.Lock()
				defer mu.Unlock()
				logs = append(logs, fmt.Sprintf(format, args...))
			}
			i := 0
			healthy := func() error {
				ok := tc.healthy[i]
				i++
				if !ok {
					return errors.New("main loop silent for 20s")
				}
				return nil
			}
			done := make(chan struct{})
			go func() { Keep(ctx, dog, healthy, ticks, logf); close(done) }()
			for range tc.healthy {
				ticks <- time.Time{}
			}
			cancel()
			<-done
			if got := dog.count(); got != tc.fed {
				t.Errorf("fed %d times; want %d", got, tc.fed)
			}
			if len(logs) != tc.logs {
				t.Errorf("logged %q; want %d lines", logs, tc.logs)
			}
		})
	}
}
