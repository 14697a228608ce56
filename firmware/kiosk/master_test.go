package kiosk

import (
	"fmt"
	"testing"
	"time"

	"flashkiosk/firmware/drive"
	"flashkiosk/firmware/flash"
	"flashkiosk/firmware/panel"
	"flashkiosk/firmware/source"
)

// masterDrive is a master drive in port.
func masterDrive(name, port string) drive.Drive {
	d := stick(name, port)
	d.Vendor, d.Model, d.Size = "Samsung", "T7", 500e9
	return d
}

// TestMasterChoice plugs a master drive beside a ready stick and checks
// which library the job gets under each choice, what the panel shows, and
// what the journal records.
func TestMasterChoice(t *testing.T) {
	m := masterDrive("sdm", "1")
	newer, older := usable("lib-2026-autumn", "2026-11-01", m), usable("lib-2025", "2025-11-01", m)
	same := usable("lib-same", cardLib.Date, m)
	for _, tc := range []struct {
		name   string
		choice source.Choice
		master *source.Library
		want   *source.Library
	}{
		{"newest: a newer master", source.Newest, newer, newer},
		{"newest: an older master is ignored", source.Newest, older, cardLib},
		{"newest: a tie goes to the card", source.Newest, same, cardLib},
		{"card: a newer master is ignored", source.Card, newer, cardLib},
		{"master: even an older one", source.Master, older, older},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newGatedHarness(t, Config{Choice: tc.choice}, nil, nil, map[string]*source.Library{"sdm": tc.master})
			h.add(m)
			v := h.waitSlot(0, panel.Master)
			if v.Library.Name != tc.master.Name || v.Library.Signature != panel.SigValid || v.Library.Port != "1" || v.InUse != (tc.want == tc.master) {
				t.Errorf("master slot = %+v; want its library, usable, in port 1, in use %v", v, tc.want == tc.master)
			}
			s := h.k.State()
			if s.Library.Name != tc.want.Name || (s.Library.Port == "1") != (tc.want == tc.master) || s.NeedMaster {
				t.Errorf("state's library = %+v, need master %v; want %s", s.Library, s.NeedMaster, tc.want.Name)
			}
			h.ready(stick("sdb", "2"), 1)
			h.press(h.goB, 100*time.Millisecond)
			j := h.job()
			if j.drive.Name != "sdb" || j.lib != tc.want {
				t.Fatalf("job on %s writes %v; want sdb writing %v", j.drive.Name, j.lib, tc.want)
			}
			j.finish(t, goodResult, nil)
			h.waitSlot(1, panel.Done)
			if recs := h.journal.Records(); len(recs) != 1 || recs[0].Library != tc.want.Name {
				t.Errorf("journal = %+v; want one record of library %s", recs, tc.want.Name)
			}
		})
	}
}

// TestMasterNeeded: under library = "master", no drive starts until a
// usable master drive is in (an untrusted one does not count); the drive
// that waited then starts by itself on insert.
func TestMasterNeeded(t *testing.T) {
	m, bad := masterDrive("sdm", "1"), masterDrive("sdx", "3")
	lib := usable("lib-master", "2025-01-01", m)
	untrusted := &source.Library{Trust: drive.Untrusted, Drive: bad, Problem: "signed by another key"}
	h := newGatedHarness(t, Config{Choice: source.Master, StartOnInsert: true}, nil, nil,
		map[string]*source.Library{"sdm": lib, "sdx": untrusted})
	h.add(bad)
	if v := h.waitSlot(2, panel.Master); v.Library.Signature != panel.SigUntrusted || v.InUse {
		t.Errorf("untrusted master slot = %+v; want SigUntrusted, not in use", v)
	}
	h.ready(stick("sdb", "2"), 1)
	h.waitFor("NeedMaster", false, func(s panel.State) bool { return s.NeedMaster })
	time.Sleep(20 * time.Millisecond)
	h.noJob()
	h.add(m)
	j := h.job()
	if j.lib != lib {
		t.Fatalf("job writes %v; want the master's %v", j.lib, lib)
	}
	if s := h.k.State(); s.NeedMaster || s.Library.Name != lib.Name {
		t.Errorf("state = need master %v, library %+v; want the master's library", s.NeedMaster, s.Library)
	}
	j.finish(t, goodResult, nil)
	h.waitSlot(1, panel.Done)
}

// TestInsertWaitsForChecks: on insert, a ready stick does not start while
// another drive is still being checked, as it may be a master drive with a
// newer library; once it is, the stick starts with that library.
func TestInsertWaitsForChecks(t *testing.T) {
	m := masterDrive("sdm", "1")
	lib := usable("lib-new", "2027-01-01", m)
	gate := make(chan struct{})
	h := newGatedHarness(t, Config{StartOnInsert: true}, nil, map[string]chan struct{}{"sdm": gate}, map[string]*source.Library{"sdm": lib})
	h.add(m)
	h.add(stick("sdb", "2"))
	h.waitSlot(1, panel.Ready)
	time.Sleep(20 * time.Millisecond)
	h.noJob()
	close(gate)
	if j := h.job(); j.lib != lib {
		t.Fatalf("job writes %v; want the newer master's %v", j.lib, lib)
	}
}

// TestMasterPulled pulls the master drive while one job writes its library
// and another verifies: the writing one ends as SOURCE GONE, is recorded
// source-removed and counted nowhere; the verifying one is done; the next
// job gets the card's library. A master plugged in meanwhile changes
// nothing for a running job.
func TestMasterPulled(t *testing.T) {
	m, m2 := masterDrive("sdm", "1"), masterDrive("sdn", "4")
	lib, lib2 := usable("lib-master", "2027-01-01", m), usable("lib-master-2", "2028-01-01", m2)
	h := newGatedHarness(t, Config{}, nil, nil, map[string]*source.Library{"sdm": lib, "sdn": lib2})
	h.add(m)
	h.waitSlot(0, panel.Master)
	a, b := stick("sda", "2"), stick("sdb", "3")
	h.ready(a, 1)
	h.ready(b, 2)
	h.press(h.goB, 100*time.Millisecond)
	ja, jb := h.job(), h.job()
	if ja.drive.Name != "sda" {
		ja, jb = jb, ja
	}
	if ja.lib != lib || jb.lib != lib {
		t.Fatalf("jobs write %v and %v; want the master's", ja.lib, jb.lib)
	}
	ja.report(t, flash.Progress{Phase: flash.Writing, Done: 1e9, Total: 16e9, Elapsed: time.Second})
	jb.report(t, flash.Progress{Phase: flash.Verifying, Done: 1e9, Total: 16e9, Elapsed: time.Second})
	h.waitSlot(1, panel.Writing)
	h.waitSlot(2, panel.Verifying)

	h.remove(m)
	ja.cancelled(t)
	got := h.waitSlot(1, panel.Failed)
	if got.Outcome != flash.SourceGone {
		t.Errorf("writing slot after the master was pulled = %+v; want SOURCE GONE", got)
	}
	select {
	case <-jb.ctx.Done():
		t.Fatalf("the verifying job was cancelled: it no longer reads the master")
	default:
	}
	jb.finish(t, goodResult, nil)
	h.waitSlot(2, panel.Done)
	h.waitSlot(0, panel.Empty)
	if s := h.k.State(); s.Library.Name != cardLib.Name || s.Library.Port != "" || s.Count.Done != 1 || s.Count.Failed != 0 {
		t.Errorf("state after = library %+v, count %+v; want the card's, 1 done, 0 failed", s.Library, s.Count)
	}
	if got, want := fmt.Sprint(h.outcomes()), "[2:source-removed 3:done]"; got != want {
		t.Errorf("journal = %s; want %s", got, want)
	}

	// A job runs from the card; a newer master plugged in meanwhile is
	// shown, and used by the next job only.
	h.remove(a)
	h.ready(a, 1)
	h.press(h.goB, 100*time.Millisecond)
	jc := h.job()
	if jc.lib != cardLib {
		t.Fatalf("job after the master left writes %v; want the card's", jc.lib)
	}
	h.add(m2)
	if v := h.waitSlot(3, panel.Master); !v.InUse {
		t.Errorf("the newer master = %+v; want it in use for new jobs", v)
	}
	jc.finish(t, goodResult, nil)
	h.waitSlot(1, panel.Done)
	if recs := h.journal.Records(); recs[len(recs)-1].Library != cardLib.Name {
		t.Errorf("last record = %+v; want library %s", recs[len(recs)-1], cardLib.Name)
	}
	h.remove(a)
	h.ready(a, 1)
	h.press(h.goB, 100*time.Millisecond)
	if jd := h.job(); jd.lib != lib2 {
		t.Fatalf("the next job writes %v; want the newer master's %v", jd.lib, lib2)
	}
}
