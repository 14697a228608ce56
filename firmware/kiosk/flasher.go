package kiosk

import (
	"context"
	"errors"
	"fmt"
	"time"

	"flashkiosk/firmware/drive"
	"flashkiosk/firmware/flash"
	"flashkiosk/firmware/source"
)

// DriveFlasher is the Flasher of a real kiosk. Right before it writes, it
// reads the drive again and refuses it unless it is the very drive that
// was checked and it is still eligible; after opening the device, it
// checks the kernel's disk sequence number again, so that a stick swapped
// in the meantime under the same name is never written.
type DriveFlasher struct {
	Host *drive.Host
	// Eligible decides from the drive and its facts; a kiosk passes its
	// drive.Policy's Eligible.
	Eligible func(drive.Drive, drive.Facts) (bool, drive.Reason)
	// Options are the job's options; Library and Progress are set for
	// each job.
	Options flash.Options
}

// RefusedError is a drive the flasher would not write at the last moment.
type RefusedError struct {
	Drive  string
	Reason string
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("%s refused before writing: %s", e.Drive, e.Reason)
}

// RemovedError is a job that failed because its drive was pulled: the
// kernel fails the I/O a moment before it reports the drive gone.
type RemovedError struct {
	Drive string
	Err   error // what the job ran into
}

func (e *RemovedError) Error() string {
	return fmt.Sprintf("%s was pulled out: %v", e.Drive, e.Err)
}

func (e *RemovedError) Unwrap() error { return e.Err }

// goneWait is how long a failed job waits to see whether its drive is
// going away, which makes the failure a removal rather than a fault.
const goneWait = time.Second

// Flash writes lib to d, as the kiosk's job. A job that fails while its
// master drive goes away ends with a *flash.SourceGoneError, one that
// fails while d goes away with a *RemovedError.
func (f *DriveFlasher) Flash(ctx context.Context, d drive.Drive, lib *source.Library, progress func(flash.Progress)) (flash.Result, error) {
	if !lib.Usable() {
		return flash.Result{}, fmt.Errorf("BUG: a job was given %v, which cannot be written", lib)
	}
	now, err := f.Host.Drive(d.Name)
	if errors.Is(err, drive.ErrNoDevice) {
		return flash.Result{}, &RefusedError{Drive: d.Name, Reason: "it is gone"}
	}
	if err != nil {
		return flash.Result{}, fmt.Errorf("%s: %w", d.Name, err)
	}
	if !now.Same(d) {
		return flash.Result{}, &RefusedError{Drive: d.Name, Reason: "it is not the drive that was checked"}
	}
	if ok, r := f.Eligible(now, f.Host.Facts(ctx, now)); !ok {
		return flash.Result{}, &RefusedError{Drive: d.Name, Reason: r.String()}
	}
	dev, err := flash.Open(f.Host.DevicePath(d.Name), false)
	if err != nil {
		return flash.Result{}, err
	}
	defer dev.Close()
	if seq, err := dev.DiskSeq(); err != nil {
		return flash.Result{}, err
	} else if d.DiskSeq != 0 && seq != d.DiskSeq {
		return flash.Result{}, &RefusedError{Drive: d.Name, Reason: fmt.Sprintf("the opened disk has sequence number %d, the checked one %d", seq, d.DiskSeq)}
	}
	opts := f.Options
	opts.Library, opts.Progress = lib.Library, progress
	res, err := flash.Write(ctx, dev, opts)
	if err == nil || ctx.Err() != nil {
		return res, flash.SourceGoneCause(ctx, err)
	}
	// A read error of the library, or a file that cannot be opened, is
	// the master drive going away, not the library's fault or the
	// target's; the source is looked at first.
	watch := []drive.Drive{d}
	if lib.OnMaster() {
		watch = []drive.Drive{lib.Drive, d}
	}
	switch gone := f.gone(ctx, watch...); {
	case gone < 0:
		return res, err
	case watch[gone] == d:
		return res, &RemovedError{Drive: d.Name, Err: err}
	}
	return res, &flash.SourceGoneError{Source: lib.Drive.Name, Err: err}
}

// gone returns the index of the first of ds to go away (or change) within
// goneWait, or -1.
func (f *DriveFlasher) gone(ctx context.Context, ds ...drive.Drive) int {
	t := time.NewTicker(goneWait / 20)
	defer t.Stop()
	deadline := time.After(goneWait)
	for {
		for i, d := range ds {
			now, err := f.Host.Drive(d.Name)
			if errors.Is(err, drive.ErrNoDevice) || err == nil && !now.Same(d) {
				return i
			}
		}
		select {
		case <-t.C:
		case <-deadline:
			return -1
		case <-ctx.Done():
			return -1
		}
	}
}
