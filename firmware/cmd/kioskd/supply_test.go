package main

import (
	"testing"
	"time"

	"flashkiosk/firmware/panel"
	"flashkiosk/firmware/power"
)

func TestSupplyApply(t *testing.T) {
	tests := []struct {
		name      string
		st        power.Status
		lastUnder time.Duration // ago; 0 for never
		low       bool
	}{
		{"never", power.Status{}, 0, false},
		{"under now", power.Status{Under: true, Dips: 1}, time.Millisecond, true},
		{"just over", power.Status{Dips: 2}, time.Second, true},
		{"long over", power.Status{Dips: 2}, lowPowerHold + time.Second, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &supply{st: tt.st}
			if tt.lastUnder != 0 {
				s.lastUnder = time.Now().Add(-tt.lastUnder)
			}
			var ps panel.State
			s.apply(&ps)
			if ps.LowPower != tt.low || ps.PowerDips != tt.st.Dips {
				t.Errorf("apply: LowPower %v, PowerDips %d; want %v, %d", ps.LowPower, ps.PowerDips, tt.low, tt.st.Dips)
			}
		})
	}
}
