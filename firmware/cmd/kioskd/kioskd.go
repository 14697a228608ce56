package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"flashkiosk/board"
	"flashkiosk/firmware/drive"
	"flashkiosk/firmware/flash"
	"flashkiosk/firmware/journal"
	"flashkiosk/firmware/kiosk"
	"flashkiosk/firmware/library"
	"flashkiosk/firmware/panel"
	"flashkiosk/firmware/refresh"
	"flashkiosk/firmware/regfile"
	"flashkiosk/firmware/source"
	"flashkiosk/firmware/sysdisk"
	"flashkiosk/firmware/watchdog"
	"flashkiosk/hal"
)

// fatal is a condition that stops all writing, with its short LCD text.
type fatal struct {
	cond panel.Condition
	msg  string
}

// run is the kiosk: it sets everything up, runs until ctx ends, and
// returns nil then. A part that cannot be set up makes the kiosk show a
// fatal condition rather than end.
func run(ctx context.Context, o options, in io.Reader, out *console) error {
	logf := out.logf
	logf("kioskd: starting (%s)", version())
	host := &drive.Host{Root: o.root, AsUSB: o.asUSB}
	if len(o.asUSB) > 0 {
		logf("kioskd: TEST MODE: loop devices %v count as USB drives", o.asUSB)
	}
	model := readModel(o.root)
	guess := guessProfile(model)
	cin := newConsoleInput(in)
	p := openPanel(ctx, guess, cin, out, o.root, o.partWait, logf)
	defer func() { p.close() }()
	src := locate(ctx, o, host, p.display, logf)
	defer src.release()

	cfg, bad := loadConfig(src, model, logf)
	logf("kioskd: %s", cfg.Board.Describe(cfg.Profile.Name))
	if !samePanel(guess, cfg.Profile) {
		logf("kioskd: kiosk.toml wires the panel otherwise than board %s: opening it again", guess.Name)
		p.close()
		p = openPanel(ctx, cfg.Profile, cin, out, o.root, o.partWait, logf)
	}
	if cfg.Board.Mismatch() {
		showFor(ctx, p.display, boardWarning, []string{"BOARD " + cfg.Profile.Name + " SET", "BUT THIS IS " + cfg.Board.Detected})
	}
	host.Ports = cfg.Profile.PortMap()
	if selfTestAsked(ctx, p, logf) {
		selfTest(ctx, p, cfg.Profile, host, logf)
		if ctx.Err() != nil {
			return nil
		}
	}

	if bad == nil && cfg.Start == board.StartButton && slices.Contains(p.missing, "GO button") {
		logf("kioskd: start is %q but the GO button on GPIO%d could not be opened: no drive can start; check its wiring and pins.go, or set start = %q",
			cfg.Start, cfg.Profile.GO, board.StartInsert)
		bad = &fatal{panel.BadConfig, "NO GO BUTTON"}
	}
	card, libBad := loadLibrary(src, logf)
	if bad == nil {
		bad = libBad
	}
	jdev, jr := openJournal(src.journal, logf)
	defer jdev.Close()

	if src.key != nil {
		host.Library = source.Verifier(src.key)
	}
	source.CleanMounts(o.masters)
	policy := drive.Policy{MinSize: cfg.MinSize, MaxSize: cfg.MaxSize}
	checker := kiosk.CheckerFunc(func(ctx context.Context, d drive.Drive) kiosk.Verdict {
		start := time.Now()
		facts := host.Facts(ctx, d)
		_, r := policy.Eligible(d, facts)
		took := time.Since(start).Round(time.Millisecond)
		switch {
		case r != drive.OK && facts.Err != nil:
			logf("port %s: %s: refused: %v (checked in %v): %v", d.Port, d, r, took, facts.Err)
		case r == drive.MasterDrive:
			return checkMaster(ctx, host, d, facts, src.key, o.masters, took, logf)
		case r != drive.OK:
			logf("port %s: %s: refused: %v (checked in %v)", d.Port, d, r, took)
		case facts.NotMaster != "":
			logf("port %s: %s: ready (checked in %v; not a library drive: %s)", d.Port, d, took, facts.NotMaster)
		default:
			logf("port %s: %s: ready (checked in %v)", d.Port, d, took)
		}
		return kiosk.Verdict{Reason: r}
	})
	df := &kiosk.DriveFlasher{Host: host, Eligible: policy.Eligible, Options: jobOptions(cfg)}
	var jobs atomic.Int64
	flasher := kiosk.FlasherFunc(func(ctx context.Context, d drive.Drive, lib *source.Library, progress func(flash.Progress)) (flash.Result, error) {
		logf("port %s: %s: job started: writing %v", d.Port, d, lib)
		res, err := df.Flash(ctx, d, lib, progress)
		defer func() { logf("kioskd: resources after %d jobs: %s", jobs.Add(1), resources()) }()
		var pulled *kiosk.RemovedError
		switch {
		case errors.As(err, &pulled):
			logf("port %s: %s: removed: %v", d.Port, d.Name, err)
		case err != nil:
			logf("port %s: %s: %s: %v", d.Port, d.Name, flash.Classify(err), err)
		default:
			logf("port %s: %s: done: %s written and verified (%s), write %.1f MB/s, verify %.1f MB/s",
				d.Port, d.Name, flash.Bytes(res.Bytes), res.Probe.Kind, res.WriteMBps(), res.VerifyMBps())
		}
		return res, err
	})

	kcfg := kiosk.Config{StartOnInsert: cfg.Start == board.StartInsert, Card: card, Choice: cfg.Library, Logf: logf}
	for _, port := range cfg.Profile.Ports {
		kcfg.Ports = append(kcfg.Ports, port.Name)
	}
	if bad != nil {
		kcfg.Condition, kcfg.Message = bad.cond, bad.msg
		logf("kioskd: writing no drive until this is fixed")
	}
	k := kiosk.New(kcfg, kiosk.SystemClock{}, flasher, checker, jr)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	drives := make(chan drive.Event)
	done := make(chan struct{}, 5)
	go func() { watch(ctx, host, drives, logf); done <- struct{}{} }()
	var power supply
	go func() { watchSupply(ctx, o.root, &power, logf); done <- struct{}{} }()
	state := func() panel.State {
		s := k.State()
		power.apply(&s)
		return s
	}
	go func() {
		refresh.Run(ctx, refresh.Config{State: state, Display: p.display, Lights: p.lights, Clock: kiosk.SystemClock{}, Logf: logf})
		done <- struct{}{}
	}()
	go func() { feedWatchdog(ctx, o.watchdog, k, logf); done <- struct{}{} }()
	go func() { powerOff(ctx, k, src, logf); done <- struct{}{} }()
	logf("kioskd: ready: board %s, %d ports, start on %s, library %s", cfg.Profile.Name, len(kcfg.Ports), cfg.Start, cfg.Library)
	k.Run(ctx, kiosk.Inputs{Drives: drives, GO: p.goB.Events(), Info: p.info.Events()})
	cancel()
	for range 5 {
		<-done
	}
	return nil
}

// checkMaster mounts and opens the library of master drive d, whose
// facts say it holds one, and logs what it found.
func checkMaster(ctx context.Context, host *drive.Host, d drive.Drive, facts drive.Facts, key ed25519.PublicKey, dir string, took time.Duration, logf func(string, ...any)) kiosk.Verdict {
	start := time.Now()
	m := source.OpenMaster(ctx, host, d, facts, key, filepath.Join(dir, d.Name))
	opened := time.Since(start).Round(time.Millisecond)
	switch {
	case m.Usable() && m.Problem != "":
		logf("port %s: %s: master drive: %v (checked in %v, mounted and opened in %v); DAMAGED: %s", d.Port, d, m, took, opened, m.Problem)
	case m.Usable():
		logf("port %s: %s: master drive: %v (checked in %v, mounted and opened in %v)", d.Port, d, m, took, opened)
	case m.Trust == drive.Trusted:
		logf("port %s: %s: master drive, never used: cannot read it: %s (checked in %v)", d.Port, d, m.Problem, took)
	default:
		logf("port %s: %s: master drive, never used: %s: %s (checked in %v)", d.Port, d, m.Trust, m.Problem, took)
	}
	return kiosk.Verdict{Reason: drive.MasterDrive, Master: m}
}

// jobOptions turns the config into a flash job's options.
func jobOptions(cfg *board.Config) flash.Options {
	o := flash.Options{Label: cfg.Label, Plans: &flash.Plans{}}
	if cfg.Fill == board.FillRandom {
		o.Wipe = flash.WipeRandom
	}
	if cfg.Fake == board.FakeReject {
		o.Fake = flash.Reject
	}
	return o
}

// watch reports drives, starting the watcher again when it fails.
func watch(ctx context.Context, host *drive.Host, out chan<- drive.Event, logf func(string, ...any)) {
	raw := make(chan drive.Event)
	go func() {
		for ctx.Err() == nil {
			err := host.Watch(ctx, raw)
			if ctx.Err() != nil {
				return
			}
			logf("kioskd: drive watcher: %v; starting it again", err)
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return
		case ev := <-raw:
			if d := ev.Drive; d.USB && !d.Partition {
				logf("drive %s: %s", ev.Kind, d)
			}
			select {
			case out <- ev:
			case <-ctx.Done():
				return
			}
		}
	}
}

// feedWatchdog arms the hardware watchdog and feeds it while the kiosk's
// loop keeps ticking.
func feedWatchdog(ctx context.Context, path string, k *kiosk.Kiosk, logf func(string, ...any)) {
	if path == "" {
		return
	}
	dog, err := watchdog.Open(path, 15*time.Second)
	if err != nil {
		logf("kioskd: no hardware watchdog: %v", err)
		return
	}
	logf("kioskd: watchdog %s armed, timeout %v", path, dog.Timeout())
	started := time.Now()
	healthy := func() error {
		beat := k.Beat()
		if beat.IsZero() {
			if time.Since(started) > 30*time.Second {
				return errors.New("the kiosk's loop never ticked")
			}
			return nil
		}
		if age := time.Since(beat); age > 10*time.Second {
			return fmt.Errorf("the kiosk's loop has not ticked for %v", age.Round(time.Second))
		}
		return nil
	}
	t := time.NewTicker(2 * time.Second)
	defer t.Stop()
	watchdog.Keep(ctx, dog, healthy, t.C, logf)
	// ctx ends only when kioskd is stopped on purpose (on a PC, in a test):
	// disarm then. A kiosk's kioskd is never stopped; if it dies, the
	// watchdog stays armed and resets the board.
	dog.Close()
}

// powerOff finishes a shutdown the volunteer asked for: once the kiosk
// says it is safe to unplug (jobs ended, journal closed), it unmounts the
// library and flushes every disk.
func powerOff(ctx context.Context, k *kiosk.Kiosk, src *sources, logf func(string, ...any)) {
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if k.State().Power == panel.SafeToUnplug {
			src.release()
			unix.Sync()
			logf("kioskd: shut down: safe to unplug")
			return
		}
	}
}

// openJournal opens the journal; when it cannot, the kiosk keeps its
// records in memory for this boot and says so.
func openJournal(path string, logf func(string, ...any)) (io.Closer, *journal.Journal) {
	if path != "" {
		f, err := os.OpenFile(path, os.O_RDWR, 0)
		if err == nil {
			var j *journal.Journal
			if j, err = journal.Open(f); err == nil {
				c := j.Counters()
				logf("kioskd: journal %s: boot %d, %d done, %d failed, %d fake, %d rejected so far", path, j.Boot(), c.Done, c.Failed, c.Fake, c.Rejected)
				return f, j
			}
			f.Close()
		}
		logf("kioskd: journal %s: %v; this boot's records are kept in memory only", path, err)
	} else {
		logf("kioskd: no journal; this boot's records are kept in memory only")
	}
	f, err := os.CreateTemp("", "journal")
	if err == nil {
		os.Remove(f.Name())
		err = f.Truncate(1 << 20)
	}
	if err != nil {
		panic(fmt.Sprintf("kioskd: no room for a journal in memory: %v", err))
	}
	j, err := journal.Open(f)
	if err != nil {
		panic(fmt.Sprintf("kioskd: journal in memory: %v", err))
	}
	return f, j
}

// sources is where kioskd finds its config, key, library and journal.
type sources struct {
	configName string
	config     []byte
	configErr  error
	key        ed25519.PublicKey // the key libraries must be signed with, or nil
	keyErr     error
	library    string
	libraryErr error
	journal    string
	unmount    func() error
}

// release unmounts the library partition if kioskd mounted it.
func (s *sources) release() {
	if s.unmount != nil {
		s.unmount()
		s.unmount = nil
	}
}

// locate finds the config, key, library and journal: from the flags, and
// what they leave out from the kiosk's own disk, waiting up to o.diskWait
// for that disk to appear (an SD card can be found after init starts),
// and saying so on the console and the display.
func locate(ctx context.Context, o options, host *drive.Host, display hal.Display, logf func(string, ...any)) *sources {
	s := &sources{configName: o.config, library: o.library, journal: o.journal}
	if o.config != "" {
		s.config, s.configErr = regfile.ReadFile(o.config, regfile.Follow, sysdisk.MaxFileSize) // as off the card
	}
	if o.key != "" {
		s.key, s.keyErr = library.ReadPublicKey(o.key)
	}
	if o.config != "" && o.key != "" && o.library != "" && o.journal != "" {
		return s
	}
	disk, err := waitForDisk(ctx, host, o.diskWait, display, logf)
	if err != nil {
		logf("kioskd: %v", err)
		if o.config == "" {
			s.configName, s.configErr = sysdisk.ConfigFile, err
		}
		if o.key == "" {
			s.keyErr = err
		}
		if o.library == "" {
			s.libraryErr = err
		}
		return s
	}
	logf("kioskd: kiosk disk %s: boot %s, library %s, journal %s", disk.Name, disk.Boot, disk.Library, disk.Journal)
	if o.config == "" {
		s.configName = sysdisk.ConfigFile + " (" + disk.Boot + ")"
		s.config, s.configErr = sysdisk.ReadFile(disk.Boot, sysdisk.ConfigFile)
	}
	if o.key == "" {
		s.key, s.keyErr = readKey(disk.Boot)
	}
	if o.library == "" {
		s.library = o.mount
		s.unmount, s.libraryErr = sysdisk.MountReadOnly(disk.Library, o.mount, "vfat")
	}
	if o.journal == "" {
		s.journal = disk.Journal
	}
	return s
}

// waitForDisk looks for the kiosk disk every quarter second until it is
// found, limit has passed or ctx ends, and returns the last error then.
// While it waits, the display counts down.
func waitForDisk(ctx context.Context, host *drive.Host, limit time.Duration, display hal.Display, logf func(string, ...any)) (sysdisk.Disk, error) {
	start := time.Now()
	disk, err := sysdisk.Find(host)
	if err == nil {
		return disk, nil
	}
	if limit <= 0 {
		return disk, err
	}
	logf("kioskd: no kiosk disk yet: waiting up to %v for it", limit)
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for {
		if display != nil {
			left := (limit - time.Since(start) + time.Second - 1).Truncate(time.Second)
			display.Show([]string{"WAITING FOR", fmt.Sprintf("SD CARD %ds", int(max(left, 0).Seconds()))})
		}
		select {
		case <-ctx.Done():
			return sysdisk.Disk{}, ctx.Err()
		case <-t.C:
		}
		disk, err = sysdisk.Find(host)
		waited := time.Since(start)
		if err == nil {
			logf("kioskd: kiosk disk %s appeared after %v", disk.Name, waited.Round(100*time.Millisecond))
			return disk, nil
		}
		if waited >= limit {
			return disk, fmt.Errorf("after waiting %v: %w", limit, err)
		}
	}
}

// readKey reads library.pub off the boot partition.
func readKey(boot string) (ed25519.PublicKey, error) {
	b, err := sysdisk.ReadFile(boot, sysdisk.KeyFile)
	if err != nil {
		return nil, err
	}
	return library.ParsePublicKey(b, sysdisk.KeyFile+" on "+boot)
}

// loadConfig parses kiosk.toml. A bad or missing one gives the board's
// own defaults, so the panel can show why, and a fatal condition.
func loadConfig(s *sources, model string, logf func(string, ...any)) (*board.Config, *fatal) {
	if s.configErr == nil {
		cfg, err := board.ParseFor(s.configName, s.config, model)
		if err == nil {
			return cfg, nil
		}
		s.configErr = err
	}
	cfg := board.Default()
	cfg.Profile = guessProfile(model)
	cfg.Board = board.Choice{Setting: board.Auto, Model: board.CleanModel(model), Detected: cfg.Profile.Name}
	logf("kioskd: config: %v", s.configErr)
	msg := "CFG " + filepath.Base(s.configName)
	var (
		ce *board.ConfigError
		tl *regfile.TooLargeError
		nr *regfile.NotRegularError
	)
	switch {
	case errors.As(s.configErr, &ce):
		msg = ce.Short(cfg.Profile.LCD.Cols)
	case errors.Is(s.configErr, os.ErrNotExist) || errors.Is(s.configErr, sysdisk.ErrNotFound):
		msg = "NO kiosk.toml"
	case errors.As(s.configErr, &tl):
		msg = "CFG TOO LARGE"
	case errors.As(s.configErr, &nr):
		msg = "CFG NOT A FILE"
	}
	logf("kioskd: showing board %s's panel to say so", cfg.Profile.Name)
	return cfg, &fatal{panel.BadConfig, msg}
}

// loadLibrary opens the card's library and checks its signature and
// files' sizes; without a usable one it returns the fatal condition.
func loadLibrary(s *sources, logf func(string, ...any)) (*source.Library, *fatal) {
	if s.libraryErr != nil {
		logf("kioskd: library: %v", s.libraryErr)
		return nil, &fatal{panel.NoLibrary, "NO LIBRARY"}
	}
	lib, err := library.Open(s.library)
	if err != nil {
		logf("kioskd: library: %v", err)
		return nil, &fatal{panel.NoLibrary, "NO LIBRARY"}
	}
	m := lib.Manifest
	switch {
	case s.keyErr != nil:
		logf("kioskd: trusted key: %v", s.keyErr)
		return nil, &fatal{panel.BadSignature, "NO KEY"}
	case s.key == nil:
		logf("kioskd: no trusted key")
		return nil, &fatal{panel.BadSignature, "NO KEY"}
	}
	if err := lib.CheckSignature(s.key); err != nil {
		logf("kioskd: library %q: %v", m.Name, err)
		return nil, &fatal{panel.BadSignature, "BAD SIGNATURE"}
	}
	if err := lib.CheckSizes(); err != nil {
		logf("kioskd: library %q: %v", m.Name, err)
		return nil, &fatal{panel.NoLibrary, "LIBRARY DAMAGED"}
	}
	t := m.Total()
	logf("kioskd: library %q of %s: %d files, %s, signed by %s", m.Name, m.Date, t.Files, flash.Bytes(t.Bytes), library.Fingerprint(s.key))
	return source.FromCard(lib, s.key), nil
}
