package kiosk

import (
	"context"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"flashkiosk/firmware/drive"
	"flashkiosk/firmware/flash"
	"flashkiosk/firmware/journal"
	"flashkiosk/firmware/library"
	"flashkiosk/firmware/panel"
	"flashkiosk/firmware/source"
	"flashkiosk/hal"
)

const wait = 5 * time.Second // how long a test waits for the loop before failing

// fakeClock is a Clock the test moves; its ticks are sent by the test.
type fakeClock struct {
	mu    sync.Mutex
	now   time.Time
	ticks chan time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC), ticks: make(chan time.Time)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Tick(time.Duration) (<-chan time.Time, func()) { return c.ticks, func() {} }

func (c *fakeClock) advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	return c.now
}

// fakeJob is one job of fakeFlasher, which the test steers.
type fakeJob struct {
	drive    drive.Drive
	lib      *source.Library
	progress chan flash.Progress
	end      chan jobEnd
	ctx      context.Context
}

type jobEnd struct {
	res flash.Result
	err error
}

// fakeFlasher runs jobs that report what the test sends them and end when
// it says, or when cancelled.
type fakeFlasher struct {
	started chan *fakeJob
	active  atomic.Int32
}

func newFakeFlasher() *fakeFlasher { return &fakeFlasher{started: make(chan *fakeJob, 16)} }

func (f *fakeFlasher) Flash(ctx context.Context, d drive.Drive, lib *source.Library, progress func(flash.Progress)) (flash.Result, error) {
	f.active.Add(1)
	defer f.active.Add(-1)
	j := &fakeJob{drive: d, lib: lib, progress: make(chan flash.Progress), end: make(chan jobEnd), ctx: ctx}
	f.started <- j
	for {
		select {
		case p := <-j.progress:
			progress(p)
		case e := <-j.end:
			return e.res, e.err
		case <-ctx.Done():
			return flash.Result{}, fmt.Errorf("write: %w", ctx.Err())
		}
	}
}

// memDevice is a journal partition in memory.
type memDevice struct {
	mu   sync.Mutex
	data []byte
}

func (m *memDevice) ReadAt(p []byte, off int64) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if off >= int64(len(m.data)) {
		return 0, io.EOF
	}
	n := copy(p, m.data[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (m *memDevice) WriteAt(p []byte, off int64) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if off+int64(len(p)) > int64(len(m.data)) {
		return 0, io.ErrShortWrite
	}
	return copy(m.data[off:], p), nil
}

func (m *memDevice) Seek(off int64, whence int) (int64, error) {
	if whence != io.SeekEnd {
		return 0, fmt.Errorf("memDevice: whence %d", whence)
	}
	return int64(len(m.data)) + off, nil
}

func (m *memDevice) Sync() error { return nil }

// testJournal is a real journal in memory that remembers being closed.
type testJournal struct {
	*journal.Journal
	closed atomic.Bool
}

func (j *testJournal) Close() error {
	j.closed.Store(true)
	return j.Journal.Close()
}

// harness runs a Kiosk against fakes.
type harness struct {
	t       *testing.T
	k       *Kiosk
	clock   *fakeClock
	flasher *fakeFlasher
	journal *testJournal
	drives  chan drive.Event
	goB     chan hal.ButtonEvent
	info    chan hal.ButtonEvent
	conds   chan Condition
	checks  atomic.Int32

	jobsA, jobsB *fakeJob // the jobs of running, for table cases that end them
}

var ports = []string{"1", "2", "3", "4"}

// newHarness starts a kiosk with cfg (Ports default to four, the card's
// library to cardLib) whose checker refuses the drives named in refuse.
func newHarness(t *testing.T, cfg Config, refuse map[string]drive.Reason) *harness {
	t.Helper()
	return newGatedHarness(t, cfg, refuse, nil, nil)
}

// usable is a library jobs may write, named name and dated date, on the
// master drive m (the zero Drive for the card).
func usable(name, date string, m drive.Drive) *source.Library {
	return &source.Library{Library: &library.Library{}, Name: name, Date: date, Size: 1e9, Trust: drive.Trusted, Drive: m}
}

// cardLib is the card's library of the tests.
var cardLib = usable("lib-2026", "2026-05-01", drive.Drive{})

// newGatedHarness is newHarness whose checker, for a drive named in gates,
// gives its answer only once that channel is closed, and finds the
// drives named in masters to be master drives holding those libraries.
func newGatedHarness(t *testing.T, cfg Config, refuse map[string]drive.Reason, gates map[string]chan struct{}, masters map[string]*source.Library) *harness {
	t.Helper()
	if cfg.Ports == nil {
		cfg.Ports = ports
	}
	if cfg.Card == nil {
		cfg.Card = cardLib
	}
	j, err := journal.Open(&memDevice{data: make([]byte, 64<<10)})
	if err != nil {
		t.Fatalf("journal.Open = %v", err)
	}
	h := &harness{
		t: t, clock: newFakeClock(), flasher: newFakeFlasher(), journal: &testJournal{Journal: j},
		drives: make(chan drive.Event), goB: make(chan hal.ButtonEvent), info: make(chan hal.ButtonEvent),
		conds: make(chan Condition),
	}
	check := CheckerFunc(func(ctx context.Context, d drive.Drive) Verdict {
		h.checks.Add(1)
		if g, ok := gates[d.Name]; ok {
			select {
			case <-g:
			case <-ctx.Done():
				return Verdict{Reason: drive.CannotCheck}
			}
		}
		if m, ok := masters[d.Name]; ok {
			return Verdict{Reason: drive.MasterDrive, Master: m}
		}
		if r, ok := refuse[d.Name]; ok {
			return Verdict{Reason: r}
		}
		return Verdict{Reason: drive.OK}
	})
	h.k = New(cfg, h.clock, h.flasher, check, h.journal)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- h.k.Run(ctx, Inputs{Drives: h.drives, GO: h.goB, Info: h.info, Conditions: h.conds})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(wait):
			t.Errorf("Run did not return after its context ended")
		}
		if n := h.flasher.active.Load(); n != 0 {
			t.Errorf("%d jobs still running after Run returned", n)
		}
	})
	return h
}

func stick(name, port string) drive.Drive {
	return drive.Drive{Name: name, USB: true, Port: port, PortPath: "1-1." + port, Vendor: "Acme", Model: "Stick", Size: 16e9, SectorSize: 512}
}

func (h *harness) send(c any, v any) {
	h.t.Helper()
	ok := false
	switch c := c.(type) {
	case chan drive.Event:
		select {
		case c <- v.(drive.Event):
			ok = true
		case <-time.After(wait):
		}
	case chan hal.ButtonEvent:
		select {
		case c <- v.(hal.ButtonEvent):
			ok = true
		case <-time.After(wait):
		}
	case chan Condition:
		select {
		case c <- v.(Condition):
			ok = true
		case <-time.After(wait):
		}
	}
	if !ok {
		h.t.Fatalf("the kiosk did not take %v", v)
	}
}

func (h *harness) add(d drive.Drive) {
	h.t.Helper()
	h.send(h.drives, drive.Event{Kind: drive.Added, Drive: d})
}
func (h *harness) remove(d drive.Drive) {
	h.t.Helper()
	h.send(h.drives, drive.Event{Kind: drive.Removed, Drive: d})
}

// press presses and releases a button, held for d.
func (h *harness) press(c chan hal.ButtonEvent, d time.Duration) {
	h.t.Helper()
	h.send(c, hal.ButtonEvent{Pressed: true, Time: h.clock.advance(10 * time.Millisecond)})
	h.send(c, hal.ButtonEvent{Pressed: false, Time: h.clock.advance(d)})
}

func (h *harness) tick() {
	h.t.Helper()
	select {
	case h.clock.ticks <- h.clock.Now():
	case <-time.After(wait):
		h.t.Fatalf("the kiosk took no tick")
	}
}

// waitFor waits until the state satisfies ok, sending a tick at the clock's
// time while waiting if ticking is set.
func (h *harness) waitFor(what string, ticking bool, ok func(panel.State) bool) panel.State {
	h.t.Helper()
	deadline := time.Now().Add(wait)
	for {
		s := h.k.State()
		if ok(s) {
			return s
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("waiting for %s: state is %+v", what, s)
		}
		if ticking {
			h.tick()
		}
		time.Sleep(time.Millisecond)
	}
}

// waitSlot waits until slot i has status st.
func (h *harness) waitSlot(i int, st panel.Status) panel.Slot {
	h.t.Helper()
	s := h.waitFor(fmt.Sprintf("slot %d status %d", i, st), false, func(s panel.State) bool {
		return i < len(s.Slots) && s.Slots[i].Status == st
	})
	return s.Slots[i]
}

// job waits for the next job to start.
func (h *harness) job() *fakeJob {
	h.t.Helper()
	select {
	case j := <-h.flasher.started:
		return j
	case <-time.After(wait):
		h.t.Fatalf("no job started")
	}
	return nil
}

// noJob checks that no job has started.
func (h *harness) noJob() {
	h.t.Helper()
	select {
	case j := <-h.flasher.started:
		h.t.Fatalf("job started on %s; want none", j.drive.Name)
	default:
	}
}

func (j *fakeJob) report(t *testing.T, p flash.Progress) {
	t.Helper()
	select {
	case j.progress <- p:
	case <-time.After(wait):
		t.Fatalf("job on %s took no progress", j.drive.Name)
	}
}

func (j *fakeJob) finish(t *testing.T, res flash.Result, err error) {
	t.Helper()
	select {
	case j.end <- jobEnd{res, err}:
	case <-time.After(wait):
		t.Fatalf("job on %s did not end", j.drive.Name)
	}
}

// cancelled waits for j's context to be cancelled.
func (j *fakeJob) cancelled(t *testing.T) {
	t.Helper()
	select {
	case <-j.ctx.Done():
	case <-time.After(wait):
		t.Fatalf("job on %s was not cancelled", j.drive.Name)
	}
}

// outcomes lists the outcomes the journal holds.
func (h *harness) outcomes() []string {
	var out []string
	for _, r := range h.journal.Records() {
		out = append(out, r.Port+":"+r.Outcome)
	}
	return out
}

// ready adds d and waits for slot i to be ready.
func (h *harness) ready(d drive.Drive, i int) {
	h.t.Helper()
	h.add(d)
	h.waitSlot(i, panel.Ready)
}

// checked waits until slot i's drive has been checked.
func (h *harness) checked(i int) {
	h.t.Helper()
	h.waitFor(fmt.Sprintf("slot %d checked", i), false, func(s panel.State) bool {
		return i < len(s.Slots) && s.Slots[i].Status != panel.Empty
	})
}
