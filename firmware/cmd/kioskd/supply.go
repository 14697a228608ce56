package main

import (
	"context"
	"errors"
	"sync"
	"time"

	"flashkiosk/firmware/panel"
	"flashkiosk/firmware/power"
)

// lowPowerHold is how long the LOW POWER screen stays after a dip ends,
// so that a dip of a second or two can be read.
const lowPowerHold = 10 * time.Second

// supply is what kioskd knows of the board's power supply, for the panel.
type supply struct {
	mu        sync.Mutex
	st        power.Status
	lastUnder time.Time // when under-voltage was last reported
}

// set takes a new status from power.Watch and logs what changed.
func (s *supply) set(st power.Status, logf func(string, ...any)) {
	s.mu.Lock()
	last := s.st
	s.st = st
	if st.Under {
		s.lastUnder = time.Now()
	}
	s.mu.Unlock()
	switch {
	case st.Err != nil:
		logf("kioskd: supply: %v", st.Err)
	case st.Under && !last.Under:
		logf("kioskd: UNDER-VOLTAGE: the power supply is too weak, sticks may drop off (dip %d since start)", st.Dips)
	case !st.Under && last.Under:
		logf("kioskd: supply: under-voltage over")
	}
}

// apply puts the supply's state into the panel's.
func (s *supply) apply(ps *panel.State) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ps.LowPower = s.st.Under || (!s.lastUnder.IsZero() && time.Since(s.lastUnder) < lowPowerHold)
	ps.PowerDips = s.st.Dips
}

// watchSupply watches the board's under-voltage flag under root until ctx
// ends; a board without one (a PC, the VM) is logged once.
func watchSupply(ctx context.Context, root string, s *supply, logf func(string, ...any)) {
	m, err := power.Find(root)
	if err != nil {
		var none *power.NoSensorError
		if errors.As(err, &none) {
			logf("kioskd: no under-voltage sensor (%v): LOW POWER cannot be shown", err)
		} else {
			logf("kioskd: under-voltage sensor: %v", err)
		}
		return
	}
	logf("kioskd: watching the supply's under-voltage flag in %s", m.Dir())
	t := time.NewTicker(power.PollEvery)
	defer t.Stop()
	power.Watch(ctx, m, t.C, func(st power.Status) { s.set(st, logf) })
}
