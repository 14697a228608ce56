// Package softi2c is an I²C bus master that bit-bangs the protocol on two
// GPIO lines. It exists for the Raspberry Pi 5: the kiosk's pinned kernel
// has neither a driver for the Pi 5's I²C controllers (the RP1's DesignWare
// blocks) nor i2c-gpio, so the kiosk clocks the display's bus itself on
// GPIO2 (SDA) and GPIO3 (SCL) through the GPIO character device. Those two
// lines must then not be claimed by a kernel I²C driver: dtparam=i2c_arm
// stays off on the Pi 5.
//
// It speaks standard-mode I²C: at most 100 kHz (MaxSpeed, also the
// PCF8574's limit), slower when asked, and slower in practice because
// every line change is a system call; 7-bit addresses; one master; clock
// stretching. Open drain is emulated: a line is released by making it an
// input with its pull-up and pulled low by making it an output at low; it
// is never driven high, so a device holding it low is never fought. (The
// Pi's header has 1.8 kΩ pull-ups to 3.3 V on GPIO2 and GPIO3.) It does not
// do 10-bit addresses, multi-master arbitration, SMBus timeouts or fast
// mode.
package softi2c

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/i2c"
	"periph.io/x/conn/v3/physic"
)

// MaxSpeed is the fastest clock the bus runs: standard-mode I²C.
const MaxSpeed = 100 * physic.KiloHertz

// DefaultStretchTimeout is how long a device may hold SCL low (clock
// stretching) unless WithStretchTimeout says otherwise; it is SMBus's
// lower bound for a stuck clock.
const DefaultStretchTimeout = 25 * time.Millisecond

// Clock is the monotonic clock the bus spins on to time half periods and
// clock stretching.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
}

// Option changes a default of New.
type Option func(*Bus)

// WithClock makes the bus time itself on c instead of the system clock.
func WithClock(c Clock) Option { return func(b *Bus) { b.clock = c } }

// WithStretchTimeout sets how long a device may hold SCL low before Tx gives
// up with ErrStretchTimeout.
func WithStretchTimeout(d time.Duration) Option { return func(b *Bus) { b.stretch = d } }

// Bus is an I²C bus master on two GPIO lines. Between transactions both
// lines are released. It is safe for concurrent use.
type Bus struct {
	scl, sda gpio.PinIO
	clock    Clock
	stretch  time.Duration

	mu     sync.Mutex
	half   time.Duration // shortest time between two changes of the lines
	sdaLow bool          // whether the bus pulls SDA low
	closed bool
}

var (
	_ i2c.BusCloser = (*Bus)(nil)
	_ i2c.Pins      = (*Bus)(nil)
)

// New returns a bus clocked on scl with data on sda, running at MaxSpeed,
// and releases both lines. The lines must have pull-ups.
func New(scl, sda gpio.PinIO, opts ...Option) (*Bus, error) {
	if scl == nil || sda == nil {
		return nil, errors.New("softi2c: new: missing SCL or SDA line")
	}
	b := &Bus{scl: scl, sda: sda, clock: systemClock{}, stretch: DefaultStretchTimeout, half: halfPeriod(MaxSpeed)}
	for _, o := range opts {
		o(b)
	}
	if err := b.release(); err != nil {
		return nil, fmt.Errorf("%s: new: %w", b, err)
	}
	return b, nil
}

// String names the bus by its lines, e.g. "softi2c(SCL=GPIO3,SDA=GPIO2)".
func (b *Bus) String() string {
	return fmt.Sprintf("softi2c(SCL=%s,SDA=%s)", b.scl.Name(), b.sda.Name())
}

// SCL returns the clock line.
func (b *Bus) SCL() gpio.PinIO { return b.scl }

// SDA returns the data line.
func (b *Bus) SDA() gpio.PinIO { return b.sda }

// SetSpeed sets the clock frequency, at most MaxSpeed.
func (b *Bus) SetSpeed(f physic.Frequency) error {
	if f <= 0 || f > MaxSpeed {
		return fmt.Errorf("%s: set speed %s: want more than 0 Hz and at most %s", b, f, MaxSpeed)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.half = halfPeriod(f)
	return nil
}

// Tx writes w to the device at addr, then, after a repeated START, reads r
// from it; either may be empty. With both empty it sends only the address,
// which tells whether a device answers to it. A device that does not
// acknowledge its address or a written byte gives a *NackError (after a
// STOP, so the bus is free); anything else that goes wrong wraps ErrBus.
func (b *Bus) Tx(addr uint16, w, r []byte) error {
	if addr > 0x7f {
		return fmt.Errorf("%s: tx to %#02x: not a 7-bit address", b, addr)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return fmt.Errorf("%s: tx to %#02x: bus closed", b, addr)
	}
	err := b.tx(byte(addr), w, r)
	if err == nil {
		return nil
	}
	if nack := new(NackError); errors.As(err, &nack) {
		return fmt.Errorf("%s: %w", b, err)
	}
	// Best effort: leave the lines released, whatever state the transaction
	// broke off in; the next Tx checks the bus anyway.
	_ = b.release()
	return fmt.Errorf("%s: tx to %#02x: %w", b, addr, err)
}

// Close releases both lines; later calls of Tx fail.
func (b *Bus) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil
	}
	b.closed = true
	if err := b.release(); err != nil {
		return fmt.Errorf("%s: close: %w", b, err)
	}
	return nil
}

func (b *Bus) tx(addr byte, w, r []byte) error {
	if err := b.start(); err != nil {
		return err
	}
	if len(w) > 0 || len(r) == 0 {
		if err := b.send(addr<<1, addr, -1); err != nil {
			return err
		}
		for i, c := range w {
			if err := b.send(c, addr, i); err != nil {
				return err
			}
		}
		if len(r) > 0 {
			if err := b.restart(); err != nil {
				return err
			}
		}
	}
	if len(r) > 0 {
		if err := b.send(addr<<1|1, addr, -1); err != nil {
			return err
		}
		for i := range r {
			c, err := b.readByte(i < len(r)-1)
			if err != nil {
				return err
			}
			r[i] = c
		}
	}
	return b.stop()
}

// send writes c, byte number index of the transaction with the device at
// addr (-1 for an address byte). If the device does not acknowledge it,
// send ends the transaction with a STOP and returns a *NackError.
func (b *Bus) send(c, addr byte, index int) error {
	ack, err := b.writeByte(c)
	if err != nil {
		return err
	}
	if !ack {
		if err := b.stop(); err != nil {
			return err
		}
		return &NackError{Addr: uint16(addr), Byte: index}
	}
	return nil
}

// The bus conditions below follow the I²C specification (NXP UM10204).
// Every step is followed by a spin of at least half a period, so each of
// its minimum times (4.7 µs SCL low, 4.0 µs SCL high, START and STOP setup
// and hold, 4.7 µs bus free) holds at 100 kHz whatever the system calls
// cost; I²C sets no maximum, so a goroutine preempted mid-transfer only
// slows it down.

// start sends a START on an idle bus: SDA falls while SCL is high. A bus
// whose SDA is held low is cleared first.
func (b *Bus) start() error {
	if err := b.waitSCL(); err != nil {
		return err
	}
	if b.sda.Read() == gpio.Low {
		if err := b.clear(); err != nil {
			return err
		}
	}
	if err := b.setSDA(false); err != nil {
		return err
	}
	b.delay()
	return b.sclLow()
}

// clear frees SDA held low by a device that lost count of a transfer (a
// master reset in the middle of a read, say): up to nine clock pulses let
// it finish its byte and see a NACK, then a STOP resets it. SCL is high on
// entry and on return.
func (b *Bus) clear() error {
	for range 9 {
		if err := b.sclLow(); err != nil {
			return err
		}
		b.delay()
		if err := b.sclHigh(); err != nil {
			return err
		}
		b.delay()
		if b.sda.Read() == gpio.High {
			if err := b.sclLow(); err != nil {
				return err
			}
			return b.stop()
		}
	}
	return fmt.Errorf("%w: still low after 9 clock pulses", ErrStuck)
}

// restart sends a repeated START; SCL is low on entry.
func (b *Bus) restart() error {
	if err := b.setSDA(true); err != nil {
		return err
	}
	b.delay()
	if err := b.sclHigh(); err != nil {
		return err
	}
	b.delay()
	if err := b.setSDA(false); err != nil {
		return err
	}
	b.delay()
	return b.sclLow()
}

// stop sends a STOP (SDA rises while SCL is high) and waits the bus-free
// time; SCL is low on entry.
func (b *Bus) stop() error {
	if err := b.setSDA(false); err != nil {
		return err
	}
	b.delay()
	if err := b.sclHigh(); err != nil {
		return err
	}
	b.delay()
	if err := b.setSDA(true); err != nil {
		return err
	}
	b.delay()
	return nil
}

// writeByte sends c, most significant bit first, and reports whether the
// device acknowledged it.
func (b *Bus) writeByte(c byte) (ack bool, err error) {
	for i := 7; i >= 0; i-- {
		if err := b.writeBit(c>>i&1 == 1); err != nil {
			return false, err
		}
	}
	nack, err := b.readBit()
	return !nack, err
}

// readByte reads a byte and acknowledges it if ack is set; a master
// refuses the last byte it wants.
func (b *Bus) readByte(ack bool) (byte, error) {
	var c byte
	for range 8 {
		bit, err := b.readBit()
		if err != nil {
			return 0, err
		}
		c <<= 1
		if bit {
			c |= 1
		}
	}
	return c, b.writeBit(!ack)
}

// writeBit puts one bit on SDA and clocks it; SCL is low on entry and on
// return.
func (b *Bus) writeBit(high bool) error {
	if err := b.setSDA(high); err != nil {
		return err
	}
	b.delay()
	if err := b.sclHigh(); err != nil {
		return err
	}
	b.delay()
	return b.sclLow()
}

// readBit releases SDA and samples it at the end of the clock's high
// time; SCL is low on entry and on return.
func (b *Bus) readBit() (bool, error) {
	if err := b.setSDA(true); err != nil {
		return false, err
	}
	b.delay()
	if err := b.sclHigh(); err != nil {
		return false, err
	}
	b.delay()
	bit := b.sda.Read() == gpio.High
	return bit, b.sclLow()
}

// setSDA releases SDA for a 1 and pulls it low for a 0.
func (b *Bus) setSDA(high bool) error {
	if high != b.sdaLow {
		return nil
	}
	if high {
		if err := b.sda.In(gpio.PullUp, gpio.NoEdge); err != nil {
			return fmt.Errorf("%w: release SDA: %w", ErrBus, err)
		}
	} else if err := b.sda.Out(gpio.Low); err != nil {
		return fmt.Errorf("%w: pull SDA low: %w", ErrBus, err)
	}
	b.sdaLow = !high
	return nil
}

func (b *Bus) sclLow() error {
	if err := b.scl.Out(gpio.Low); err != nil {
		return fmt.Errorf("%w: pull SCL low: %w", ErrBus, err)
	}
	return nil
}

// sclHigh releases SCL and waits for it to rise: a device may hold it low
// to make the master wait (clock stretching).
func (b *Bus) sclHigh() error {
	if err := b.scl.In(gpio.PullUp, gpio.NoEdge); err != nil {
		return fmt.Errorf("%w: release SCL: %w", ErrBus, err)
	}
	return b.waitSCL()
}

// waitSCL waits for the released SCL to read high. A line the bus has
// released is the only kind it reads: the character-device driver would
// turn a line it drives into an input when read.
func (b *Bus) waitSCL() error {
	start := b.clock.Now()
	for b.scl.Read() == gpio.Low {
		if b.clock.Now().Sub(start) > b.stretch {
			return fmt.Errorf("%w: low for more than %v", ErrStretchTimeout, b.stretch)
		}
	}
	return nil
}

// release lets both lines go, whatever state they are in.
func (b *Bus) release() error {
	if err := b.sda.In(gpio.PullUp, gpio.NoEdge); err != nil {
		return fmt.Errorf("%w: release SDA: %w", ErrBus, err)
	}
	b.sdaLow = false
	if err := b.scl.In(gpio.PullUp, gpio.NoEdge); err != nil {
		return fmt.Errorf("%w: release SCL: %w", ErrBus, err)
	}
	return nil
}

// delay spins for half a clock period: sleeping would take far longer.
func (b *Bus) delay() {
	start := b.clock.Now()
	for b.clock.Now().Sub(start) < b.half {
	}
}

// halfPeriod returns half the period of f, rounded up.
func halfPeriod(f physic.Frequency) time.Duration {
	return (f.Period() + 1) / 2
}

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }
