package panel

import "time"

// LEDs returns the level of each port's green and red LED (in slot order)
// and of the status LED at time t, measured from any fixed epoch the caller
// keeps. Blinking is a function of t, so the caller only has to sample
// often enough: every edge falls on a multiple of 25 ms. A usable master
// drive's port says "source": its green and red LEDs take turns, half a
// second each, a pattern no target's port shows. The status LED
// beats twice every 2 s while all is well, or, without a display, is on
// 1 s and off 1 s; it blinks at 4 Hz while a condition stops the kiosk,
// is on while it shuts down and off once it is safe to unplug.
func LEDs(s State, t time.Duration) (green, red []bool, status bool) {
	green = make([]bool, len(s.Slots))
	red = make([]bool, len(s.Slots))
	switch s.Power {
	case SafeToUnplug:
		return green, red, false
	case ShuttingDown:
		return green, red, true
	}
	for i, sl := range s.Slots {
		green[i], red[i] = slotLEDs(sl, t)
	}
	switch {
	case s.Condition != Healthy:
		return green, red, blink(t, 250*time.Millisecond)
	case s.NoDisplay:
		return green, red, blink(t, 2*time.Second)
	}
	return green, red, heartbeat(t)
}

func slotLEDs(sl Slot, t time.Duration) (green, red bool) {
	switch {
	case sl.Status == Ready:
		return blink(t, time.Second), false
	case sl.Status == Probing, sl.Status == Writing, sl.Status == Verifying:
		return blink(t, 250*time.Millisecond), false
	case sl.Status == Done:
		return true, false
	case sl.Status == Master && sl.Library.Signature == SigValid:
		// A source, not a target: green and red take turns, which no
		// target's pattern does, so it is never taken for "done, take
		// me" (steady green) and pulled.
		on := blink(t, time.Second)
		return on, !on
	case rejected(sl):
		return false, blink(t, 500*time.Millisecond)
	case sl.Status == Failed, sl.Status == Removed:
		return false, true
	}
	return false, false
}

// phase is t within a period, in [0, period) even for negative t.
func phase(t, period time.Duration) time.Duration {
	return ((t % period) + period) % period
}

// blink is on for the first half of each period.
func blink(t, period time.Duration) bool {
	return phase(t, period) < period/2
}

// heartbeat is two 100 ms pulses, 250 ms apart, every 2 s.
func heartbeat(t time.Duration) bool {
	p := phase(t, 2*time.Second)
	return p < 100*time.Millisecond || (p >= 250*time.Millisecond && p < 350*time.Millisecond)
}
