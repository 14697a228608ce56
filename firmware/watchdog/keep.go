package watchdog

import (
	"context"
	"time"
)

// Feeder is a watchdog that must be fed to keep the machine running.
type Feeder interface {
	Feed() error
}

// Keep feeds dog at every tick while healthy returns nil, until ctx ends.
// While healthy returns an error, dog is not fed, so a machine whose loop
// hangs is reset when the watchdog's timeout runs out; logf is told once
// per change between fed and starved, and about failed feeds.
func Keep(ctx context.Context, dog Feeder, healthy func() error, ticks <-chan time.Time, logf func(format string, args ...any)) {
	starving := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticks:
		}
		if err := healthy(); err != nil {
			if !starving {
				logf("watchdog: not fed, the machine resets unless this clears: %v", err)
				starving = true
			}
			continue
		}
		if starving {
			logf("watchdog: healthy again, fed")
			starving = false
		}
		if err := dog.Feed(); err != nil {
			logf("watchdog: feed: %v", err)
		}
	}
}
