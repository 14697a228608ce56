package kiosk

import "time"

// Gesture timings.
const (
	LongPress     = 2 * time.Second  // GO held this long asks to cancel the running jobs
	ShutdownHold  = 5 * time.Second  // GO and INFO held together this long shut down
	ConfirmWindow = 10 * time.Second // a cancel question unanswered this long is dropped
)

// action is what a gesture asks for.
type action int

const (
	none      action = iota
	goShort          // GO pressed and released within LongPress
	goLong           // GO held for LongPress
	infoShort        // INFO pressed and released within LongPress
	shutdown         // both held for ShutdownHold
)

// gestures tells presses, long presses and the two-button hold apart from
// button events and clock ticks. It is a pure state machine: the times come
// from the events and ticks, never from a clock of its own.
type gestures struct {
	goDown, infoDown time.Time // when the button went down; zero while up
	longFired        bool      // the current GO press already gave goLong
	chord            bool      // both were down at once since both were last up
	shutdownFired    bool
}

// button names one of the two buttons.
type button int

const (
	goButton button = iota
	infoButton
)

func (g *gestures) down(b button) *time.Time {
	if b == goButton {
		return &g.goDown
	}
	return &g.infoDown
}

// press records b going down at t.
func (g *gestures) press(b button, t time.Time) action {
	*g.down(b) = t
	if b == goButton {
		g.longFired = false
	}
	if !g.goDown.IsZero() && !g.infoDown.IsZero() {
		g.chord = true
	}
	return none
}

// release records b coming up at t and names the gesture it ends.
func (g *gestures) release(b button, t time.Time) action {
	d := g.down(b)
	if d.IsZero() {
		return none // a release without a press: the button started held
	}
	held := t.Sub(*d)
	*d = time.Time{}
	a := none
	switch {
	case g.chord:
		// Either button let go ends the chord's chance; neither counts
		// as a press of its own.
	case b == goButton && held < LongPress:
		a = goShort
	case b == goButton && !g.longFired:
		a = goLong // held long, but no tick came to notice it
	case b == infoButton && held < LongPress:
		a = infoShort
	}
	if b == goButton {
		g.longFired = false
	}
	if g.goDown.IsZero() && g.infoDown.IsZero() {
		g.chord = false
		g.shutdownFired = false
	}
	return a
}

// tick notices buttons held long enough at now.
func (g *gestures) tick(now time.Time) action {
	if g.chord && !g.goDown.IsZero() && !g.infoDown.IsZero() && !g.shutdownFired {
		since := g.goDown
		if g.infoDown.After(since) {
			since = g.infoDown
		}
		if now.Sub(since) >= ShutdownHold {
			g.shutdownFired = true
			return shutdown
		}
		return none
	}
	if !g.chord && !g.goDown.IsZero() && !g.longFired && now.Sub(g.goDown) >= LongPress {
		g.longFired = true
		return goLong
	}
	return none
}
