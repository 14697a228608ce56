package power

import (
	"context"
	"time"
)

// PollEvery is how often to read the flag: the driver renews it every 2 s
// and it stays set for one such interval after a dip, so reading it twice
// as often misses none.
const PollEvery = time.Second

// Status is what Watch knows of the supply.
type Status struct {
	// Under is whether under-voltage is reported now, in the driver's
	// last 2 s.
	Under bool
	// Dips is how many times under-voltage began since Watch started.
	Dips int
	// Err is why the last read failed; Under is then the one before.
	Err error
}

// Ever reports whether under-voltage has been seen since Watch started,
// which the kiosk keeps showing until it reboots.
func (s Status) Ever() bool { return s.Dips > 0 }

func (s Status) same(o Status) bool {
	if s.Under != o.Under || s.Dips != o.Dips || (s.Err == nil) != (o.Err == nil) {
		return false
	}
	return s.Err == nil || s.Err.Error() == o.Err.Error()
}

// Watch reads m's flag at once and at every tick (PollEvery apart, from a
// time.Ticker) until ctx ends or ticks is closed. It calls report with the
// first Status and then whenever the Status changes, from Watch's
// goroutine. A failed read is reported in Status.Err and Watch goes on:
// the kiosk runs unattended, and the flag may come back.
func Watch(ctx context.Context, m *Monitor, ticks <-chan time.Time, report func(Status)) {
	var st Status
	read := func() {
		next := st
		under, err := m.UnderVoltage()
		next.Err = err
		if err == nil {
			if under && !st.Under {
				next.Dips++
			}
			next.Under = under
		}
		st = next
	}
	read()
	report(st)
	for {
		select {
		case <-ctx.Done():
			return
		case _, ok := <-ticks:
			if !ok {
				return
			}
		}
		last := st
		read()
		if !st.same(last) {
			report(st)
		}
	}
}
