package kiosk

import (
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"flashkiosk/firmware/drive"
	"flashkiosk/firmware/flash"
	"flashkiosk/firmware/journal"
	"flashkiosk/firmware/library"
	"flashkiosk/firmware/panel"
)

var goodResult = flash.Result{
	Probe: flash.ProbeResult{Reported: 16e9, Real: 16e9},
	Bytes: 16e9, Write: 200 * time.Second, Verify: 100 * time.Second,
}

// TestOutcomes runs one drive through every phase to each outcome and
// checks the slot, the journal record and the counters.
func TestOutcomes(t *testing.T) {
	tests := []struct {
		name      string
		res       flash.Result
		err       error
		want      panel.Slot // Status, Outcome, Offset, Percent, Elapsed, Drive.RealSize
		outcome   string
		real      int64
		writeMBps float64
		count     panel.Count
	}{
		{"done", goodResult, nil,
			panel.Slot{Status: panel.Done, Percent: 100, Elapsed: 5 * time.Minute},
			"done", 16e9, 80, panel.Count{Done: 1, Written: 16e9}},
		{"fake", flash.Result{Probe: flash.ProbeResult{Reported: 16e9, Real: 2e9, Kind: flash.WrapAround}},
			&flash.FakeError{Reported: 16e9, Real: 2e9, Kind: flash.WrapAround},
			panel.Slot{Status: panel.Failed, Outcome: flash.Fake, Drive: panel.DriveInfo{RealSize: 2e9}},
			"fake", 2e9, 0, panel.Count{Fake: 1}},
		{"io error", goodResult, &flash.IOError{Op: "write", Offset: 4096, Err: errors.New("EIO")},
			panel.Slot{Status: panel.Failed, Outcome: flash.IOFailed, Offset: 4096},
			"io-error", 16e9, 0, panel.Count{Failed: 1}},
		{"verify mismatch", goodResult, &flash.MismatchError{Offset: 1 << 20},
			panel.Slot{Status: panel.Failed, Outcome: flash.VerifyMismatch, Offset: 1 << 20},
			"verify-mismatch", 16e9, 0, panel.Count{Failed: 1}},
		{"write-protected", flash.Result{}, &flash.ReadOnlyError{Path: "/dev/sdb"},
			panel.Slot{Status: panel.Failed, Outcome: flash.ReadOnly},
			"write-protected", 0, 0, panel.Count{Rejected: 1}},
		{"too small", goodResult, &library.TooSmallError{Need: 32e9, Have: 16e9},
			panel.Slot{Status: panel.Failed, Outcome: flash.TooSmall},
			"too-small", 16e9, 0, panel.Count{Rejected: 1}},
		{"content corrupt", goodResult, &library.ContentError{Path: "a.txt", Reason: "sha256"},
			panel.Slot{Status: panel.Failed, Outcome: flash.ContentCorrupt},
			"content-corrupt", 16e9, 0, panel.Count{Failed: 1}},
		{"other failure", flash.Result{}, errors.New("BUG: boom"),
			panel.Slot{Status: panel.Failed, Outcome: flash.Failed},
			"failed", 0, 0, panel.Count{Failed: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, Config{}, nil)
			d := stick("sdb", "2")
			h.ready(d, 1)
			h.press(h.goB, 100*time.Millisecond)
			j := h.job()
			if j.drive.Name != "sdb" {
				t.Fatalf("job started on %s; want sdb", j.drive.Name)
			}
			h.waitSlot(1, panel.Probing)

			j.report(t, flash.Progress{Phase: flash.Writing, Done: 4e9, Total: 16e9, Elapsed: 40 * time.Second})
			got := h.waitSlot(1, panel.Writing)
			if got.Percent != 25 || got.MBps != 100 || got.ETA != 120*time.Second {
				t.Errorf("writing slot = %d%% %.1f MB/s ETA %v; want 25%% 100.0 MB/s ETA 2m0s", got.Percent, got.MBps, got.ETA)
			}
			j.report(t, flash.Progress{Phase: flash.Flushing})
			h.waitFor("flushing shows writing 100%", false, func(s panel.State) bool { return s.Slots[1].Percent == 100 })
			j.report(t, flash.Progress{Phase: flash.Verifying, Done: 8e9, Total: 16e9, Elapsed: 40 * time.Second})
			got = h.waitSlot(1, panel.Verifying)
			if got.Percent != 50 || got.MBps != 200 {
				t.Errorf("verifying slot = %d%% %.1f MB/s; want 50%% 200.0 MB/s", got.Percent, got.MBps)
			}

			h.clock.advance(5 * time.Minute)
			j.finish(t, tt.res, tt.err)
			got = h.waitSlot(1, tt.want.Status)
			want := tt.want
			want.Port = "2"
			want.Drive.Vendor, want.Drive.Model, want.Drive.Size = "Acme", "Stick", 16e9
			if got != want {
				t.Errorf("slot after %v = %+v; want %+v", tt.err, got, want)
			}

			recs := h.journal.Records()
			if len(recs) != 1 {
				t.Fatalf("journal records = %d; want 1", len(recs))
			}
			r := recs[0]
			if r.Port != "2" || r.Vendor != "Acme" || r.Model != "Stick" || r.Reported != 16e9 ||
				r.Real != tt.real || r.Library != "lib-2026" || r.Outcome != tt.outcome || r.WriteMBps != tt.writeMBps {
				t.Errorf("record = %+v; want port 2, Acme Stick, reported 16e9, real %d, lib-2026, %s, %.0f MB/s", r, tt.real, tt.outcome, tt.writeMBps)
			}
			if tt.outcome == "done" && r.VerifyMBps != 160 {
				t.Errorf("record.VerifyMBps = %.1f; want 160", r.VerifyMBps)
			}
			if r.SinceBoot != 5*time.Minute+10*time.Millisecond+100*time.Millisecond {
				t.Errorf("record.SinceBoot = %v; want 5m0.11s", r.SinceBoot)
			}
			if s := h.k.State(); s.Count != tt.count {
				t.Errorf("count = %+v; want %+v", s.Count, tt.count)
			}

			h.remove(d)
			h.waitSlot(1, panel.Empty)
		})
	}
}

// TestIneligible: a refused drive shows why, is never started, and only
// donated sticks turned away are journalled.
func TestIneligible(t *testing.T) {
	tests := []struct {
		reason  drive.Reason
		journal bool
	}{
		{drive.SystemDisk, false},
		{drive.CannotCheck, false},
		{drive.MasterDrive, false},
		{drive.NoMedium, false},
		{drive.WriteProtected, true},
		{drive.TooSmall, true},
		{drive.TooLarge, true},
	}
	for _, tt := range tests {
		for _, insert := range []bool{false, true} {
			t.Run(tt.reason.String(), func(t *testing.T) {
				h := newHarness(t, Config{StartOnInsert: insert}, map[string]drive.Reason{"sdb": tt.reason})
				d := stick("sdb", "1")
				h.add(d)
				got := h.waitSlot(0, panel.Ineligible)
				if got.Reason != tt.reason {
					t.Errorf("slot.Reason = %v; want %v", got.Reason, tt.reason)
				}
				h.press(h.goB, 100*time.Millisecond)
				h.add(stick("sdc", "2"))
				h.checked(1) // the loop has handled GO by now
				if insert {
					if j := h.job(); j.drive.Name != "sdc" {
						t.Errorf("job started on %s; want sdc", j.drive.Name)
					}
				}
				h.noJob()
				if n := len(h.journal.Records()); (n == 1) != tt.journal {
					t.Errorf("journal records = %d; want journalled %v", n, tt.journal)
				}
				if c := h.k.State().Count.Rejected; (c == 1) != tt.journal {
					t.Errorf("Count.Rejected = %d; want journalled %v", c, tt.journal)
				}
			})
		}
	}
}

// TestNotAPort: partitions and non-USB disks get no slot.
func TestNotAPort(t *testing.T) {
	h := newHarness(t, Config{StartOnInsert: true}, nil)
	part := stick("sdb1", "1")
	part.Partition = true
	sd := drive.Drive{Name: "mmcblk0", Size: 32e9}
	h.add(part)
	h.add(sd)
	h.add(stick("sdc", "2"))
	h.checked(1)
	h.job()
	s := h.k.State()
	if len(s.Slots) != 4 || s.Slots[0].Status != panel.Empty {
		t.Errorf("slots = %+v; want four, the first empty", s.Slots)
	}
	if n := h.checks.Load(); n != 1 {
		t.Errorf("checks = %d; want 1", n)
	}
}

// TestPull pulls a drive in every phase.
func TestPull(t *testing.T) {
	tests := []struct {
		name    string
		phase   func(h *harness, j *fakeJob) // brings the drive into the phase; j is nil for no job
		job     bool
		want    panel.Status
		journal []string
	}{
		{"ineligible", nil, false, panel.Empty, nil},
		{"ready", nil, false, panel.Empty, nil},
		{"probing", func(h *harness, j *fakeJob) {
			j.report(h.t, flash.Progress{Phase: flash.Probing, Done: 1, Total: 4})
			h.waitSlot(0, panel.Probing)
		}, true, panel.Removed, []string{"1:removed"}},
		{"writing", func(h *harness, j *fakeJob) {
			j.report(h.t, flash.Progress{Phase: flash.Writing, Done: 1, Total: 4, Elapsed: time.Second})
			h.waitSlot(0, panel.Writing)
		}, true, panel.Removed, []string{"1:removed"}},
		{"verifying", func(h *harness, j *fakeJob) {
			j.report(h.t, flash.Progress{Phase: flash.Verifying, Done: 1, Total: 4, Elapsed: time.Second})
			h.waitSlot(0, panel.Verifying)
		}, true, panel.Removed, []string{"1:removed"}},
		{"done", func(h *harness, j *fakeJob) {
			j.finish(h.t, goodResult, nil)
			h.waitSlot(0, panel.Done)
		}, true, panel.Empty, []string{"1:done"}},
		{"failed", func(h *harness, j *fakeJob) {
			j.finish(h.t, goodResult, &flash.MismatchError{Offset: 0})
			h.waitSlot(0, panel.Failed)
		}, true, panel.Empty, []string{"1:verify-mismatch"}},
		// The kernel fails the job's I/O a moment before it says the
		// drive is gone: the flasher tells, and the removal that follows
		// leaves REMOVED shown.
		{"job found it gone first", func(h *harness, j *fakeJob) {
			j.finish(h.t, flash.Result{}, &RemovedError{Drive: "sdb", Err: &flash.IOError{Offset: 8 << 20, Op: "read"}})
			h.waitSlot(0, panel.Removed)
		}, true, panel.Removed, []string{"1:removed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			refuse := map[string]drive.Reason{}
			if tt.name == "ineligible" {
				refuse["sdb"] = drive.WriteProtected
				tt.journal = []string{"1:write-protected"}
			}
			h := newHarness(t, Config{}, refuse)
			d := stick("sdb", "1")
			h.add(d)
			h.waitFor("drive checked", false, func(s panel.State) bool { return s.Slots[0].Status != panel.Empty })
			var j *fakeJob
			if tt.job {
				h.press(h.goB, 100*time.Millisecond)
				j = h.job()
				tt.phase(h, j)
			}
			h.remove(d)
			h.tick() // the loop takes it once it has handled the removal
			h.waitSlot(0, tt.want)
			if j != nil {
				j.cancelled(t)
			}
			if got := h.outcomes(); !slices.Equal(got, tt.journal) {
				t.Errorf("journal = %q; want %q", got, tt.journal)
			}
			if tt.want == panel.Removed {
				// The same port takes the next drive.
				h.ready(stick("sdc", "1"), 0)
			}
		})
	}
}

// TestRace: a slow drive does not hold up a fast one.
func TestRace(t *testing.T) {
	h := newHarness(t, Config{}, nil)
	slow, fast := stick("sdb", "1"), stick("sdc", "3")
	h.ready(slow, 0)
	h.ready(fast, 2)
	h.press(h.goB, 100*time.Millisecond)
	jobs := map[string]*fakeJob{}
	for range 2 {
		j := h.job()
		jobs[j.drive.Name] = j
	}
	jobs["sdb"].report(t, flash.Progress{Phase: flash.Writing, Done: 1e9, Total: 16e9, Elapsed: 100 * time.Second})
	h.waitSlot(0, panel.Writing)
	jobs["sdc"].report(t, flash.Progress{Phase: flash.Verifying, Done: 8e9, Total: 16e9, Elapsed: 10 * time.Second})
	jobs["sdc"].finish(t, goodResult, nil)
	h.waitSlot(2, panel.Done)
	if s := h.k.State().Slots[0]; s.Status != panel.Writing || s.Percent != 6 {
		t.Errorf("slow slot = %v %d%%; want writing 6%%", s.Status, s.Percent)
	}
	jobs["sdb"].finish(t, flash.Result{}, &flash.IOError{Op: "write", Offset: 1e9})
	h.waitSlot(0, panel.Failed)
	if got, want := h.outcomes(), []string{"3:done", "1:io-error"}; !slices.Equal(got, want) {
		t.Errorf("journal = %q; want %q", got, want)
	}
	if c := h.k.State().Count; c.Done != 1 || c.Failed != 1 {
		t.Errorf("count = %+v; want 1 done, 1 failed", c)
	}
}

// TestReplace: a new drive takes the place of a finished one still shown.
func TestReplace(t *testing.T) {
	h := newHarness(t, Config{}, nil)
	h.ready(stick("sdb", "1"), 0)
	h.press(h.goB, 100*time.Millisecond)
	h.job().finish(t, goodResult, nil)
	h.waitSlot(0, panel.Done)
	h.ready(stick("sdc", "1"), 0)
	// The first drive's late removal does not clear the second.
	h.remove(stick("sdb", "1"))
	h.add(stick("sdd", "2"))
	h.waitSlot(1, panel.Ready)
	if s := h.k.State().Slots[0]; s.Status != panel.Ready {
		t.Errorf("slot 1 = %v; want ready", s.Status)
	}
	// Told twice about the same drive: nothing changes.
	h.add(stick("sdc", "1"))
	h.press(h.goB, 100*time.Millisecond)
	h.job()
	h.job()
	h.noJob()
}

// TestOverflow: a drive on a port the board does not name gets a slot of
// its own, dropped when it empties.
func TestOverflow(t *testing.T) {
	h := newHarness(t, Config{}, nil)
	d := stick("sdb", "1-1.4.2")
	h.ready(d, 4)
	if p := h.k.State().Slots[4].Port; p != "1-1.4.2" {
		t.Errorf("overflow slot port = %q; want 1-1.4.2", p)
	}
	lun := stick("sdc", "2")
	lun.LUN = 1
	h.ready(lun, 5)
	if p := h.k.State().Slots[5].Port; p != "2.1" {
		t.Errorf("card reader slot port = %q; want 2.1", p)
	}
	for range 2 { // from the overview: detail of port 1-1.4.2, then of port 2.1
		h.press(h.info, 100*time.Millisecond)
	}
	h.waitFor("detail of 2.1", false, func(s panel.State) bool { return s.Screen == panel.Detail && s.Port == 5 })
	h.remove(d)
	h.waitFor("overflow slot dropped", false, func(s panel.State) bool { return len(s.Slots) == 5 })
	if s := h.k.State(); s.Slots[4].Port != "2.1" || s.Screen != panel.Detail || s.Port != 4 {
		t.Errorf("after drop: slot 5 port %q, screen %v port %d; want 2.1, still its detail (4)", s.Slots[4].Port, s.Screen, s.Port)
	}
	h.remove(lun)
	h.waitFor("card reader slot dropped", false, func(s panel.State) bool { return len(s.Slots) == 4 })
	if s := h.k.State(); s.Screen != panel.Overview {
		t.Errorf("after the shown slot went: screen %v; want overview", s.Screen)
	}
}

// TestCountsSeeded: the totals start from what the journal already holds.
func TestCountsSeeded(t *testing.T) {
	j, err := journal.Open(&memDevice{data: make([]byte, 64<<10)})
	if err != nil {
		t.Fatalf("journal.Open = %v", err)
	}
	for _, o := range []string{"done", "done", "fake", "io-error", "write-protected"} {
		if err := j.Append(journal.Record{Outcome: o, Reported: 8e9, Real: 8e9}); err != nil {
			t.Fatalf("Append(%s) = %v", o, err)
		}
	}
	k := New(Config{Ports: ports}, newFakeClock(), newFakeFlasher(), nil, j)
	want := panel.Count{Done: 2, Failed: 1, Fake: 1, Rejected: 1, Written: 16e9}
	if got := k.State().Count; got != want {
		t.Errorf("New(journal of 5).State().Count = %+v; want %+v", got, want)
	}
	if got := len(k.State().Slots); got != 4 {
		t.Errorf("New(4 ports).State().Slots = %d; want 4", got)
	}
}

// TestOnChange: every change of state is handed to OnChange, in order.
func TestOnChange(t *testing.T) {
	var (
		mu   sync.Mutex
		seen []panel.Status
	)
	h := newHarness(t, Config{OnChange: func(s panel.State) {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, s.Slots[0].Status)
	}}, nil)
	h.ready(stick("sdb", "1"), 0)
	h.press(h.goB, 100*time.Millisecond)
	j := h.job()
	j.finish(t, goodResult, nil)
	h.waitSlot(0, panel.Done)
	mu.Lock()
	defer mu.Unlock()
	// The second Empty is the drive known but not yet checked.
	want := []panel.Status{panel.Empty, panel.Empty, panel.Ready, panel.Probing, panel.Done}
	if !slices.Equal(seen, want) {
		t.Errorf("OnChange saw %v; want %v", seen, want)
	}
}

// TestPullDuringCheck pulls a drive while its eligibility check still runs
// and puts another in the same port: the late answer about the first drive
// must neither mark the second nor start a job on anything, even in insert
// mode.
func TestPullDuringCheck(t *testing.T) {
	gate := make(chan struct{})
	h := newGatedHarness(t, Config{StartOnInsert: true}, nil, map[string]chan struct{}{"sdb": gate}, nil)
	first := stick("sdb", "1")
	h.add(first)
	h.waitFor("check under way", false, func(panel.State) bool { return h.checks.Load() == 1 })
	h.noJob()
	h.remove(first)
	second := stick("sdc", "1")
	second.Size = 32e9
	h.add(second)
	j := h.job()
	if j.drive.Name != "sdc" {
		t.Fatalf("job started on %s; want sdc", j.drive.Name)
	}
	close(gate) // the answer about sdb arrives late
	// The answer reaches the loop as soon as the loop takes it; each tick is
	// another event it could take first, so after many, it has been taken.
	for range 30 {
		h.tick()
	}
	h.waitSlot(0, panel.Probing)
	h.noJob()
	if got := h.k.State().Slots[0].Drive.Size; got != 32e9 {
		t.Errorf("slot 1 shows a drive of %d bytes; want sdc's 32e9", got)
	}
	j.finish(t, goodResult, nil)
	h.waitSlot(0, panel.Done)
	h.noJob()
}

// TestBeat: Beat is zero before the first tick and then the time of the
// latest tick the loop handled, which is what the watchdog feeder reads.
func TestBeat(t *testing.T) {
	h := newHarness(t, Config{}, nil)
	if b := h.k.Beat(); !b.IsZero() {
		t.Errorf("Beat() before any tick = %v; want the zero time", b)
	}
	for i := 0; i < 2; i++ {
		now := h.clock.advance(time.Second)
		h.tick()
		h.tick() // the loop has handled the first once it takes the second
		if b := h.k.Beat(); !b.Equal(now) {
			t.Errorf("Beat() after tick %d = %v; want %v", i, b, now)
		}
	}
}
