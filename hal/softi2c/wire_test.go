package softi2c_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"
)

// This file simulates the wire a Bus drives: two open-drain lines shared by
// the bus (the master) and one device, each line low while anybody pulls
// it low. The wire checks the standard-mode timing of what it sees and
// keeps a trace of it; the device decodes the traffic, answers at its
// address like a PCF8574 and records what it was sent.

// fakeClock is a Clock that moves on by step on every call of Now, so the
// bus's spin loops end and a test is quick and repeatable.
type fakeClock struct {
	now  time.Time
	step time.Duration
}

func (c *fakeClock) Now() time.Time {
	c.now = c.now.Add(c.step)
	return c.now
}

type party int

const (
	byMaster party = iota
	byDevice
)

type line int

const (
	scl line = iota
	sda
)

func (l line) String() string { return [...]string{"SCL", "SDA"}[l] }

// Standard-mode minimum times (NXP UM10204, table 10).
const (
	tLOW    = 4700 * time.Nanosecond
	tHIGH   = 4000 * time.Nanosecond
	tSUSTA  = 4700 * time.Nanosecond
	tHDSTA  = 4000 * time.Nanosecond
	tSUSTO  = 4000 * time.Nanosecond
	tBUF    = 4700 * time.Nanosecond
	tSUDAT  = 250 * time.Nanosecond
	forever = time.Hour
)

type wire struct {
	t     *testing.T
	clock *fakeClock
	low   [2][2]bool // low[line][party]: whether party pulls line low
	high  [2]bool    // the level of each line
	dev   *device

	edges []string // edges since the last symbol
	trace []string // one line per symbol: the symbol and the edges that made it
	proto []string // the symbols at byte level: S, Sr, P, bytes, A, N

	changed          [2]time.Time // when each line last changed
	started, stopped time.Time    // the last START (until SCL falls) and STOP
	minLow, minHigh  time.Duration
	falls            int // SCL falls
}

func newWire(t *testing.T, dev *device) *wire {
	w := &wire{
		t:       t,
		clock:   &fakeClock{now: time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC), step: 100 * time.Nanosecond},
		high:    [2]bool{true, true},
		dev:     dev,
		minLow:  forever,
		minHigh: forever,
	}
	dev.w = w
	return w
}

// pins returns the master's ends of the lines.
func (w *wire) pins() (sclPin, sdaPin *pin) {
	return &pin{Pin: gpiotest.Pin{N: "GPIO3", Num: 3}, w: w, l: scl},
		&pin{Pin: gpiotest.Pin{N: "GPIO2", Num: 2}, w: w, l: sda}
}

// hold makes the device pull l low from the start, unseen by the device's
// decoder: a line already low when the test begins.
func (w *wire) hold(l line) {
	w.low[l][byDevice] = true
	w.high[l] = false
}

func (w *wire) drive(p party, l line, low bool) {
	if w.low[l][p] == low {
		return
	}
	w.low[l][p] = low
	w.change(p, l)
}

// change takes note of a change of what p does to l.
func (w *wire) change(p party, l line) {
	level := !w.low[l][byMaster] && !w.low[l][byDevice]
	if level == w.high[l] {
		return
	}
	now := w.clock.now
	kept := now.Sub(w.changed[l])
	w.high[l] = level
	w.changed[l] = now
	name, arrow := l.String(), "↓"
	if p == byDevice {
		name = strings.ToLower(name)
	}
	if level {
		arrow = "↑"
	}
	w.edges = append(w.edges, name+arrow)
	switch {
	case l == scl && level:
		w.minLow = min(w.minLow, kept)
		w.check("SCL low", kept, tLOW)
		w.check("data setup", now.Sub(w.changed[sda]), tSUDAT)
	case l == scl:
		w.falls++
		w.minHigh = min(w.minHigh, kept)
		w.check("SCL high", kept, tHIGH)
		if !w.started.IsZero() {
			w.check("START hold", now.Sub(w.started), tHDSTA)
			w.started = time.Time{}
		}
	case w.high[scl] && !level:
		w.check("START setup", now.Sub(w.changed[scl]), tSUSTA)
		if !w.stopped.IsZero() {
			w.check("bus free", now.Sub(w.stopped), tBUF)
		}
		w.started = now
	case w.high[scl]:
		w.check("STOP setup", now.Sub(w.changed[scl]), tSUSTO)
		w.stopped = now
	}
	w.dev.observe(l, level)
}

func (w *wire) check(what string, got, want time.Duration) {
	if got < want {
		w.t.Errorf("wire: %s %v; want at least %v (edges %s)", what, got, want, strings.Join(w.edges, " "))
	}
}

// symbol ends a trace line with s; a non-empty p also goes into proto.
func (w *wire) symbol(s, p string) {
	w.trace = append(w.trace, strings.TrimSpace(fmt.Sprintf("%-3s %s", s, strings.Join(w.edges, " "))))
	w.edges = nil
	if p != "" {
		w.proto = append(w.proto, p)
	}
}

// traceText returns the trace, the edges after the last symbol included.
func (w *wire) traceText() string {
	lines := w.trace
	if len(w.edges) > 0 {
		lines = append(lines, "-   "+strings.Join(w.edges, " "))
	}
	return strings.Join(lines, "\n") + "\n"
}

// released reports whether the master lets both lines go.
func (w *wire) released() bool { return !w.low[scl][byMaster] && !w.low[sda][byMaster] }

// pin is the master's end of a line: a GPIO line of the character device,
// as far as Bus uses one.
type pin struct {
	gpiotest.Pin
	w    *wire
	l    line
	fail error // returned by In and Out when set
}

func (p *pin) In(pull gpio.Pull, edge gpio.Edge) error {
	if pull != gpio.PullUp || edge != gpio.NoEdge {
		p.w.t.Errorf("%s.In(%s, %s); want In(PullUp, NoEdge)", p.l, pull, edge)
	}
	if p.fail != nil {
		return p.fail
	}
	p.w.drive(byMaster, p.l, false)
	return nil
}

func (p *pin) Out(l gpio.Level) error {
	if l == gpio.High {
		p.w.t.Errorf("%s.Out(High): an open-drain line must never be driven high", p.l)
	}
	if p.fail != nil {
		return p.fail
	}
	p.w.drive(byMaster, p.l, true)
	return nil
}

func (p *pin) Read() gpio.Level {
	if p.w.low[p.l][byMaster] {
		p.w.t.Errorf("%s.Read() while pulling it low: the character device would make it an input", p.l)
	}
	p.w.dev.tick()
	return gpio.Level(p.w.high[p.l])
}

// device is an I²C device like a PCF8574: it acknowledges its address and
// every byte written to it and answers reads with data.
type device struct {
	addr    byte
	data    []byte        // bytes reads return, in turn
	nackAt  int           // refuse the nth data byte written (1 is the first); 0 never
	stretch time.Duration // how long to hold SCL low after each byte it acknowledges
	stuck   bool          // whether it ignores the bus (set with wire.hold)

	got       [][]byte // the data of each write addressed to it
	stretches int

	w         *wire
	active    bool // between a START and a STOP
	bit       int  // clocks of the current byte so far, the ninth (ACK) included
	shift     byte // bits of the current byte
	index     int  // bytes of the transfer so far, the address included
	addressed bool // whether the current transfer is for this device
	sending   bool // whether it is sending the current byte
	out       byte // the byte it sends
	next      int  // index in data of the next byte to send
	acked     bool // whether the ninth clock carried an ACK
	until     time.Time
	holding   bool // whether it stretches the clock
}

// freezeMidRead puts the device in the middle of sending 0x00, holding SDA
// low, as a master reset during a read leaves it.
func (d *device) freezeMidRead() {
	d.w.hold(sda)
	d.active, d.addressed, d.sending = true, true, true
	d.index, d.bit, d.out = 1, 1, 0x00
}

func (d *device) observe(l line, high bool) {
	if d.stuck {
		return
	}
	w := d.w
	switch {
	case l == sda && w.high[scl] && !high:
		s := "S"
		if d.active {
			s = "Sr"
		}
		w.symbol(s, s)
		d.active, d.bit, d.shift, d.index, d.addressed, d.sending = true, 0, 0, 0, false, false
	case l == sda && w.high[scl]:
		w.symbol("P", "P")
		d.active, d.addressed, d.sending = false, false, false
	case l == scl && d.active && high:
		d.rise()
	case l == scl && d.active:
		d.fall()
	}
}

// rise samples SDA as SCL rises.
func (d *device) rise() {
	w := d.w
	level := w.high[sda]
	d.bit++
	if d.bit == 9 {
		d.acked = !level
		s := "N"
		if d.acked {
			s = "A"
		}
		w.symbol(s, s)
		return
	}
	d.shift <<= 1
	s := "0"
	if level {
		d.shift |= 1
		s = "1"
	}
	w.symbol(s, "")
	if d.bit == 8 {
		w.proto = append(w.proto, fmt.Sprintf("%02x", d.shift))
	}
}

// fall acts as SCL falls: SDA may change now.
func (d *device) fall() {
	switch {
	case d.bit == 9:
		d.endByte()
	case d.bit == 8 && d.sending:
		d.setSDA(true) // the master acknowledges
	case d.bit == 8:
		d.takeByte()
	case d.sending:
		d.setSDA(d.out>>(7-d.bit)&1 == 1)
	}
}

// takeByte acknowledges the byte just received, if it is for the device.
func (d *device) takeByte() {
	c := d.shift
	switch {
	case d.index == 0:
		d.addressed = c>>1 == d.addr
		if d.addressed && c&1 == 0 {
			d.got = append(d.got, nil)
		}
	case !d.addressed:
		return
	case d.index == d.nackAt:
		d.addressed = false
		return
	default:
		d.got[len(d.got)-1] = append(d.got[len(d.got)-1], c)
	}
	if d.addressed {
		d.setSDA(false)
	}
}

// endByte moves on after the ninth clock of a byte.
func (d *device) endByte() {
	received := !d.sending
	ackedByMe := received && d.w.low[sda][byDevice]
	read := d.index == 0 && d.shift&1 == 1
	d.bit, d.shift = 0, 0
	d.index++
	switch {
	case !d.addressed:
	case read && ackedByMe, !received && d.acked:
		d.sending = true
		d.out = d.data[d.next%len(d.data)]
		d.next++
	case !received: // the master refused the byte: it wants no more
		d.sending, d.addressed = false, false
	}
	d.setSDA(!d.sending || d.out&0x80 != 0)
	if d.addressed && d.stretch > 0 {
		d.stretches++
		d.holding = true
		d.until = d.w.clock.now.Add(d.stretch)
		d.w.drive(byDevice, scl, true)
	}
}

func (d *device) setSDA(high bool) { d.w.drive(byDevice, sda, !high) }

// tick ends a clock stretch that has lasted long enough.
func (d *device) tick() {
	if d.holding && !d.w.clock.now.Before(d.until) {
		d.holding = false
		d.w.drive(byDevice, scl, false)
	}
}
