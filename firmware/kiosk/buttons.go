package kiosk

import (
	"context"
	"time"

	"flashkiosk/firmware/panel"
	"flashkiosk/hal"
)

func (k *Kiosk) buttonEvent(ctx context.Context, b button, ev hal.ButtonEvent) {
	if ev.Pressed {
		k.act(ctx, k.gest.press(b, ev.Time))
		return
	}
	k.act(ctx, k.gest.release(b, ev.Time))
}

func (k *Kiosk) tick(ctx context.Context, now time.Time) {
	if k.confirm && now.Sub(k.confirmAt) >= ConfirmWindow {
		k.confirm = false
	}
	k.act(ctx, k.gest.tick(now))
}

// act does what a gesture asks.
func (k *Kiosk) act(ctx context.Context, a action) {
	if k.power != panel.Running {
		return
	}
	switch a {
	case goShort:
		if k.confirm {
			k.confirm = false
			k.cancelAll()
			return
		}
		k.startReady(ctx)
	case goLong:
		if k.busy() {
			k.confirm, k.confirmAt = true, k.clock.Now()
		}
	case infoShort:
		if k.confirm {
			k.confirm = false
			return
		}
		k.nextScreen()
	case shutdown:
		k.confirm = false
		k.power = panel.ShuttingDown
		k.cancelAll()
		k.maybeOff()
	}
}

// busy reports whether any job is under way.
func (k *Kiosk) busy() bool {
	for _, s := range k.slots {
		if s.job != 0 {
			return true
		}
	}
	return false
}

// cancelAll cancels every job; each ends as its Flasher returns.
func (k *Kiosk) cancelAll() {
	for _, s := range k.slots {
		if s.cancel != nil {
			s.cancel(nil)
		}
	}
}

// maybeOff ends a shutdown once every job has ended.
func (k *Kiosk) maybeOff() {
	if k.power != panel.ShuttingDown || k.running > 0 {
		return
	}
	if err := k.journal.Close(); err != nil {
		k.logf("journal close: %v", err)
	}
	k.power = panel.SafeToUnplug
}

// nextScreen is INFO's cycle: overview, the detail of every occupied port,
// totals, library.
func (k *Kiosk) nextScreen() {
	from := 0
	switch k.screen {
	case panel.Overview:
	case panel.Detail:
		from = k.port + 1
	case panel.Totals:
		k.screen = panel.LibraryInfo
		return
	case panel.LibraryInfo:
		k.screen = panel.Overview
		return
	}
	for i := from; i < len(k.slots); i++ {
		if k.slots[i].view.Status != panel.Empty {
			k.screen, k.port = panel.Detail, i
			return
		}
	}
	k.screen, k.port = panel.Totals, 0
}
