package kiosk

import (
	"context"
	"slices"
	"sync"
	"time"

	"flashkiosk/firmware/drive"
	"flashkiosk/firmware/flash"
	"flashkiosk/firmware/journal"
	"flashkiosk/firmware/panel"
	"flashkiosk/firmware/source"
	"flashkiosk/hal"
)

// Clock is the kiosk's time: Now for stamps and durations, Tick for noticing
// held buttons and expired questions.
type Clock interface {
	Now() time.Time
	// Tick delivers the time every d until stop is called.
	Tick(d time.Duration) (ticks <-chan time.Time, stop func())
}

// SystemClock is the real Clock.
type SystemClock struct{}

// Now is time.Now.
func (SystemClock) Now() time.Time { return time.Now() }

// Tick is a time.Ticker.
func (SystemClock) Tick(d time.Duration) (<-chan time.Time, func()) {
	t := time.NewTicker(d)
	return t.C, t.Stop
}

// Flasher runs one job on one drive until it ends or ctx is cancelled,
// writing the library lib and reporting progress as it goes. The real one
// opens the device, checks it is still the drive it was given, and calls
// flash.Write.
type Flasher interface {
	Flash(ctx context.Context, d drive.Drive, lib *source.Library, progress func(flash.Progress)) (flash.Result, error)
}

// FlasherFunc makes a function a Flasher.
type FlasherFunc func(ctx context.Context, d drive.Drive, lib *source.Library, progress func(flash.Progress)) (flash.Result, error)

// Flash calls f.
func (f FlasherFunc) Flash(ctx context.Context, d drive.Drive, lib *source.Library, progress func(flash.Progress)) (flash.Result, error) {
	return f(ctx, d, lib, progress)
}

// Verdict is what checking a drive found.
type Verdict struct {
	// Reason is drive.OK for a drive that may be written, else why not.
	Reason drive.Reason
	// Master is the library of a master drive (Reason drive.MasterDrive),
	// usable or not. The kiosk owns it from then on: it closes it (which
	// unmounts the drive's volume) when the drive leaves or the kiosk ends.
	Master *source.Library
}

// Checker says whether a drive may be written or why not, and for a
// master drive, what its library is. The real one is drive.Policy.Eligible
// over drive.Host.Facts, and source.OpenMaster. It may be slow (it reads
// the drive, and mounts a master's volume), so the kiosk calls it off its
// loop.
type Checker interface {
	Check(ctx context.Context, d drive.Drive) Verdict
}

// CheckerFunc makes a function a Checker.
type CheckerFunc func(ctx context.Context, d drive.Drive) Verdict

// Check calls f.
func (f CheckerFunc) Check(ctx context.Context, d drive.Drive) Verdict { return f(ctx, d) }

// Journal keeps a record per drive outcome and the counters. *journal.Journal
// satisfies it.
type Journal interface {
	Append(journal.Record) error
	Counters() journal.Counters
	Close() error
}

// Config shapes a Kiosk.
type Config struct {
	// Ports are the board's port names (drive.Drive.Port) in panel order;
	// each gets a slot. Drives on other ports (hubs) get overflow slots.
	Ports []string
	// StartOnInsert starts eligible drives without GO (start = "insert").
	StartOnInsert bool
	// Card is the card's library, nil if there is none to write (the
	// kiosk is then stopped by a Condition anyway).
	Card *source.Library
	// Choice is which library new jobs get: the card's, a master drive's,
	// or the newest (source.Pick); "" means the newest.
	Choice source.Choice
	// Condition and Message are the initial condition; Inputs.Conditions
	// changes it.
	Condition panel.Condition
	Message   string
	// Tick is how often held buttons are looked at; 100 ms if zero.
	Tick time.Duration
	// OnChange, if set, is called from the loop with every new state. It
	// must not block.
	OnChange func(panel.State)
	// Logf, if set, is told about errors the kiosk survives (journal
	// writes).
	Logf func(format string, args ...any)
}

// Condition is a change of whether the kiosk can work.
type Condition struct {
	Condition panel.Condition
	Message   string
}

// Inputs are the kiosk's event sources. A nil or closed channel delivers
// nothing.
type Inputs struct {
	Drives     <-chan drive.Event
	GO, Info   <-chan hal.ButtonEvent
	Conditions <-chan Condition
}

// Kiosk is the core loop. Make one with New and run it once with Run;
// State may be called from any goroutine.
type Kiosk struct {
	cfg     Config
	clock   Clock
	flasher Flasher
	checker Checker
	journal Journal
	booted  time.Time

	mu    sync.Mutex
	state panel.State // the last published state
	beat  time.Time   // when the loop last handled a tick

	// Owned by Run's goroutine.
	events    chan event
	jobs      sync.WaitGroup
	slots     []*slot
	nextID    int
	running   int // job goroutines not yet reported finished
	gest      gestures
	screen    panel.Screen
	port      int
	count     panel.Count
	cond      panel.Condition
	message   string
	confirm   bool
	confirmAt time.Time
	power     panel.Power
}

// slot is one port and what is in it.
type slot struct {
	view    panel.Slot
	drive   drive.Drive
	present bool                    // a drive is in the port
	check   int                     // id of the eligibility check under way, 0 if none
	job     int                     // id of the job under way, 0 if none
	cancel  context.CancelCauseFunc // of the job
	started time.Time
	lib     *source.Library // the library the job writes, kept to its end
	phase   flash.Phase     // the job's phase, as last reported
	master  *source.Library // the library of the master drive in the port
}

type event interface{}

type checked struct {
	id int
	v  Verdict
}

type progressed struct {
	id int
	p  flash.Progress
}

type finished struct {
	id  int
	res flash.Result
	err error
}

// New makes a Kiosk. The journal's counters seed the totals; the clock's
// Now is the boot time records count from.
func New(cfg Config, clock Clock, f Flasher, c Checker, j Journal) *Kiosk {
	if cfg.Tick <= 0 {
		cfg.Tick = 100 * time.Millisecond
	}
	k := &Kiosk{
		cfg: cfg, clock: clock, flasher: f, checker: c, journal: j,
		booted:  clock.Now(),
		events:  make(chan event),
		cond:    cfg.Condition,
		message: cfg.Message,
		count:   countOf(j.Counters()),
	}
	for _, p := range cfg.Ports {
		k.slots = append(k.slots, &slot{view: panel.Slot{Port: p}})
	}
	k.publish()
	return k
}

// State is the current state, for the panel.
func (k *Kiosk) State() panel.State {
	k.mu.Lock()
	defer k.mu.Unlock()
	s := k.state
	s.Slots = slices.Clone(s.Slots)
	return s
}

// Beat is when the loop last handled a tick of its clock: a watchdog
// feeder tells a hung loop by a Beat that grows old. It is the zero time
// before Run's first tick.
func (k *Kiosk) Beat() time.Time {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.beat
}

// Run handles events until ctx ends, then cancels the jobs, waits for them
// and returns ctx's error. After a shutdown it goes on showing drives
// coming and going but starts nothing.
func (k *Kiosk) Run(ctx context.Context, in Inputs) error {
	ticks, stop := k.clock.Tick(k.cfg.Tick)
	defer stop()
	defer k.closeMasters() // once no job reads them any more
	defer k.jobs.Wait()
	for {
		select {
		case <-ctx.Done():
			for _, s := range k.slots {
				if s.cancel != nil {
					s.cancel(nil)
				}
			}
			return ctx.Err()
		case ev, ok := <-in.Drives:
			if !ok {
				in.Drives = nil
				continue
			}
			k.driveEvent(ctx, ev)
		case ev, ok := <-in.GO:
			if !ok {
				in.GO = nil
				continue
			}
			k.buttonEvent(ctx, goButton, ev)
		case ev, ok := <-in.Info:
			if !ok {
				in.Info = nil
				continue
			}
			k.buttonEvent(ctx, infoButton, ev)
		case c, ok := <-in.Conditions:
			if !ok {
				in.Conditions = nil
				continue
			}
			k.cond, k.message = c.Condition, c.Message
			k.startWaiting(ctx)
		case now := <-ticks:
			k.mu.Lock()
			k.beat = now
			k.mu.Unlock()
			k.tick(ctx, now)
		case ev := <-k.events:
			k.jobEvent(ctx, ev)
		}
		k.publish()
	}
}

// send hands ev to the loop, or drops it when ctx ends first, and says
// which.
func (k *Kiosk) send(ctx context.Context, ev event) bool {
	select {
	case k.events <- ev:
		return true
	case <-ctx.Done():
		return false
	}
}

func (k *Kiosk) id() int {
	k.nextID++
	return k.nextID
}

func (k *Kiosk) logf(format string, args ...any) {
	if k.cfg.Logf != nil {
		k.cfg.Logf(format, args...)
	}
}

// canStart reports whether jobs may start now.
func (k *Kiosk) canStart() bool {
	return k.cond == panel.Healthy && k.power == panel.Running
}

func (k *Kiosk) publish() {
	cur := k.current()
	s := panel.State{
		Slots:         make([]panel.Slot, len(k.slots)),
		Screen:        k.screen,
		Port:          k.port,
		Count:         k.count,
		Library:       libraryView(cur),
		NeedMaster:    cur == nil && k.cfg.Choice == source.Master,
		Condition:     k.cond,
		Message:       k.message,
		Confirm:       k.confirm,
		Power:         k.power,
		StartOnInsert: k.cfg.StartOnInsert,
	}
	for i, sl := range k.slots {
		s.Slots[i] = sl.view
		s.Slots[i].InUse = sl.master != nil && sl.master == cur
	}
	k.mu.Lock()
	same := equalState(k.state, s)
	if !same {
		k.state = s
	}
	k.mu.Unlock()
	if !same && k.cfg.OnChange != nil {
		k.cfg.OnChange(s)
	}
}

func equalState(a, b panel.State) bool {
	return slices.Equal(a.Slots, b.Slots) && a.Screen == b.Screen && a.Port == b.Port &&
		a.Count == b.Count && a.Library == b.Library && a.NeedMaster == b.NeedMaster && a.Condition == b.Condition &&
		a.Message == b.Message && a.Confirm == b.Confirm && a.Power == b.Power &&
		a.StartOnInsert == b.StartOnInsert
}

func countOf(c journal.Counters) panel.Count {
	return panel.Count{Done: int(c.Done), Failed: int(c.Failed), Fake: int(c.Fake), Rejected: int(c.Rejected), Written: uint64(c.Bytes)}
}
