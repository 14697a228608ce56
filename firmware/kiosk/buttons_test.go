package kiosk

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"flashkiosk/firmware/flash"
	"flashkiosk/firmware/panel"
	"flashkiosk/hal"
)

// running starts jobs on drives in ports 1 and 3 and returns them in that
// order.
func (h *harness) running() (a, b *fakeJob) {
	h.t.Helper()
	h.ready(stick("sdb", "1"), 0)
	h.ready(stick("sdc", "3"), 2)
	h.press(h.goB, 100*time.Millisecond)
	a, b = h.job(), h.job()
	if a.drive.Name != "sdb" {
		a, b = b, a
	}
	h.waitSlot(0, panel.Probing)
	h.waitSlot(2, panel.Probing)
	return a, b
}

// longGO holds GO until the kiosk asks to confirm, then lets go.
func (h *harness) longGO() {
	h.t.Helper()
	h.send(h.goB, hal.ButtonEvent{Pressed: true, Time: h.clock.advance(10 * time.Millisecond)})
	h.clock.advance(LongPress)
	h.waitFor("confirm", true, func(s panel.State) bool { return s.Confirm })
	h.send(h.goB, hal.ButtonEvent{Pressed: false, Time: h.clock.advance(100 * time.Millisecond)})
}

func TestCancelGesture(t *testing.T) {
	tests := []struct {
		name   string
		answer func(h *harness)
		cancel bool
	}{
		{"GO confirms", func(h *harness) { h.press(h.goB, 100*time.Millisecond) }, true},
		{"INFO aborts", func(h *harness) { h.press(h.info, 100*time.Millisecond) }, false},
		{"jobs end first", func(h *harness) {
			h.jobsA.finish(h.t, goodResult, nil)
			h.jobsB.finish(h.t, goodResult, nil)
			h.waitSlot(0, panel.Done)
			h.waitSlot(2, panel.Done)
		}, false},
		{"timeout aborts", func(h *harness) {
			h.clock.advance(ConfirmWindow)
			h.waitFor("confirm dropped", true, func(s panel.State) bool { return !s.Confirm })
			h.press(h.goB, 100*time.Millisecond) // now a plain GO: nothing is ready
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, Config{}, nil)
			a, b := h.running()
			h.jobsA, h.jobsB = a, b
			h.longGO()
			tt.answer(h)
			h.waitFor("question answered", false, func(s panel.State) bool { return !s.Confirm })
			if !tt.cancel {
				if tt.name == "jobs end first" {
					h.ready(stick("sdd", "2"), 1)
					h.press(h.goB, 100*time.Millisecond)
					if j := h.job(); j.drive.Name != "sdd" {
						t.Errorf("job started on %s; want sdd", j.drive.Name)
					}
					return
				}
				a.finish(t, goodResult, nil)
				b.finish(t, goodResult, nil)
				h.waitSlot(0, panel.Done)
				h.waitSlot(2, panel.Done)
				if got := h.k.State().Screen; got != panel.Overview {
					t.Errorf("screen after abort = %v; want overview (INFO only answered)", got)
				}
				return
			}
			a.cancelled(t)
			b.cancelled(t)
			for _, i := range []int{0, 2} {
				if got := h.waitSlot(i, panel.Failed); got.Outcome != flash.Cancelled {
					t.Errorf("slot %d outcome = %v; want cancelled", i, got.Outcome)
				}
			}
			if got, want := len(h.outcomes()), 2; got != want {
				t.Errorf("journal = %q; want 2 cancelled", h.outcomes())
			}
			if c := h.k.State().Count; c != (panel.Count{}) {
				t.Errorf("count = %+v; want nothing counted", c)
			}
		})
	}
}

// TestLongGOIdle: a long press with nothing running asks nothing.
func TestLongGOIdle(t *testing.T) {
	h := newHarness(t, Config{}, nil)
	h.ready(stick("sdb", "1"), 0)
	h.send(h.goB, hal.ButtonEvent{Pressed: true, Time: h.clock.advance(10 * time.Millisecond)})
	h.clock.advance(3 * time.Second)
	h.tick()
	h.tick()
	h.send(h.goB, hal.ButtonEvent{Pressed: false, Time: h.clock.Now()})
	h.press(h.info, 10*time.Millisecond)
	h.waitFor("info handled", false, func(s panel.State) bool { return s.Screen != panel.Overview })
	if s := h.k.State(); s.Confirm || s.Slots[0].Status != panel.Ready {
		t.Errorf("after long GO with nothing running: confirm %v, slot %v; want no question, still ready", s.Confirm, s.Slots[0].Status)
	}
	h.noJob()
}

func TestInfoCycle(t *testing.T) {
	h := newHarness(t, Config{}, nil)
	h.ready(stick("sdb", "2"), 1)
	h.ready(stick("sdc", "4"), 3)
	type view struct {
		screen panel.Screen
		port   int
	}
	want := []view{{panel.Detail, 1}, {panel.Detail, 3}, {panel.Totals, 0}, {panel.LibraryInfo, 0}, {panel.Overview, 0}, {panel.Detail, 1}}
	var got []view
	for range want {
		h.press(h.info, 100*time.Millisecond)
		prev := len(got)
		s := h.waitFor("screen change", false, func(s panel.State) bool {
			v := view{s.Screen, s.Port}
			if s.Screen != panel.Detail {
				v.port = 0
			}
			return prev == 0 && v != (view{panel.Overview, 0}) || prev > 0 && v != got[prev-1]
		})
		v := view{s.Screen, s.Port}
		if s.Screen != panel.Detail {
			v.port = 0
		}
		got = append(got, v)
	}
	if !slices.Equal(got, want) {
		t.Errorf("INFO cycle = %v; want %v", got, want)
	}
}

func TestShutdown(t *testing.T) {
	h := newHarness(t, Config{}, nil)
	a, b := h.running()
	h.ready(stick("sdd", "2"), 1)
	b.finish(t, goodResult, nil)
	h.waitSlot(2, panel.Done)

	h.send(h.goB, hal.ButtonEvent{Pressed: true, Time: h.clock.advance(10 * time.Millisecond)})
	h.send(h.info, hal.ButtonEvent{Pressed: true, Time: h.clock.advance(10 * time.Millisecond)})
	h.clock.advance(ShutdownHold)
	h.waitFor("shutdown", true, func(s panel.State) bool { return s.Power != panel.Running })
	a.cancelled(t)
	h.waitFor("safe to unplug", false, func(s panel.State) bool { return s.Power == panel.SafeToUnplug })
	if !h.journal.closed.Load() {
		t.Errorf("journal not closed at SafeToUnplug")
	}
	if s := h.k.State(); s.Confirm {
		t.Errorf("confirm shown after shutdown")
	}
	if got, want := h.outcomes(), []string{"3:done", "1:cancelled"}; !slices.Equal(got, want) {
		t.Errorf("journal = %q; want %q", got, want)
	}
	h.send(h.goB, hal.ButtonEvent{Pressed: false, Time: h.clock.advance(10 * time.Millisecond)})
	h.send(h.info, hal.ButtonEvent{Pressed: false, Time: h.clock.advance(10 * time.Millisecond)})
	h.press(h.goB, 100*time.Millisecond)
	h.remove(stick("sdb", "1"))
	h.waitSlot(0, panel.Empty)
	h.noJob() // the ready drive in port 2 was not started
}

func TestStartOnInsert(t *testing.T) {
	h := newHarness(t, Config{StartOnInsert: true}, nil)
	h.add(stick("sdb", "1"))
	j := h.job()
	if j.drive.Name != "sdb" {
		t.Errorf("job started on %s; want sdb", j.drive.Name)
	}
	h.waitSlot(0, panel.Probing)
	if !h.k.State().StartOnInsert {
		t.Errorf("State().StartOnInsert = false; want true")
	}
	j.finish(t, goodResult, nil)
	h.waitSlot(0, panel.Done)
	h.noJob() // a done drive is not started again
}

// TestCondition: while the kiosk cannot work, ready drives wait.
func TestCondition(t *testing.T) {
	for _, insert := range []bool{false, true} {
		for _, cond := range []panel.Condition{panel.BadConfig, panel.NoLibrary, panel.BadSignature} {
			t.Run(fmt.Sprintf("condition %d insert %v", cond, insert), func(t *testing.T) {
				h := newHarness(t, Config{StartOnInsert: insert, Condition: cond, Message: "line 4: pin"}, nil)
				h.ready(stick("sdb", "1"), 0)
				h.press(h.goB, 100*time.Millisecond)
				h.ready(stick("sdc", "2"), 1)
				h.noJob()
				if s := h.k.State(); s.Condition != cond || s.Message != "line 4: pin" {
					t.Errorf("condition = %v %q; want %v %q", s.Condition, s.Message, cond, "line 4: pin")
				}
				h.send(h.conds, Condition{Condition: panel.Healthy})
				h.waitFor("healthy", false, func(s panel.State) bool { return s.Condition == panel.Healthy })
				if !insert {
					h.noJob()
					h.press(h.goB, 100*time.Millisecond)
				}
				h.job()
				h.job()
				h.send(h.conds, Condition{Condition: cond})
				h.waitFor("unhealthy", false, func(s panel.State) bool { return s.Condition == cond })
			})
		}
	}
}

// TestRunEnds: ending Run's context ends every job, and Run waits for them
// (the harness's cleanup checks no job is left).
func TestRunEnds(t *testing.T) {
	h := newHarness(t, Config{}, nil)
	a, b := h.running()
	a.report(t, flash.Progress{Phase: flash.Writing, Done: 1, Total: 2, Elapsed: time.Second})
	b.report(t, flash.Progress{Phase: flash.Verifying, Done: 1, Total: 2, Elapsed: time.Second})
}
