package softi2c_test

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"flashkiosk/hal/softi2c"
	"periph.io/x/conn/v3/physic"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// newBus returns a bus on w, timed on w's clock.
func newBus(t *testing.T, w *wire, opts ...softi2c.Option) *softi2c.Bus {
	t.Helper()
	sclPin, sdaPin := w.pins()
	b, err := softi2c.New(sclPin, sdaPin, append([]softi2c.Option{softi2c.WithClock(w.clock)}, opts...)...)
	if err != nil {
		t.Fatalf("New() = %v; want nil", err)
	}
	return b
}

func TestTx(t *testing.T) {
	tests := []struct {
		name    string
		dev     device
		setup   func(*wire)
		opts    []softi2c.Option
		addr    uint16
		w       []byte
		nr      int
		nack    *softi2c.NackError // the error wanted, if a NACK
		is      error              // the error wanted, if not a NACK
		r       []byte
		got     [][]byte
		proto   string
		pulses  int // SCL falls, when it matters
		stretch bool
	}{
		{name: "write", addr: 0x27, w: []byte{0x38, 0x3c, 0x38},
			got: [][]byte{{0x38, 0x3c, 0x38}}, proto: "S 4e A 38 A 3c A 38 A P"},
		{name: "write to absent address", addr: 0x3f, w: []byte{0x01},
			nack: &softi2c.NackError{Addr: 0x3f, Byte: -1}, proto: "S 7e N P"},
		{name: "data refused", dev: device{nackAt: 2}, addr: 0x27, w: []byte{1, 2, 3},
			nack: &softi2c.NackError{Addr: 0x27, Byte: 1}, got: [][]byte{{1}}, proto: "S 4e A 01 A 02 N P"},
		{name: "read", addr: 0x27, nr: 2, r: []byte{0xa5, 0x5a}, proto: "S 4f A a5 A 5a N P"},
		{name: "read from absent address", addr: 0x3f, nr: 1,
			nack: &softi2c.NackError{Addr: 0x3f, Byte: -1}, proto: "S 7f N P"},
		{name: "write then read", addr: 0x27, w: []byte{0x0f}, nr: 1, r: []byte{0xa5},
			got: [][]byte{{0x0f}}, proto: "S 4e A 0f A Sr 4f A a5 N P"},
		{name: "address only", addr: 0x27, got: [][]byte{nil}, proto: "S 4e A P"},
		{name: "address only, absent", addr: 0x20,
			nack: &softi2c.NackError{Addr: 0x20, Byte: -1}, proto: "S 40 N P"},
		{name: "clock stretching", dev: device{stretch: 50 * time.Microsecond}, addr: 0x27,
			w: []byte{1, 2}, nr: 1, r: []byte{0xa5}, got: [][]byte{{1, 2}},
			proto: "S 4e A 01 A 02 A Sr 4f A a5 N P", stretch: true},
		{name: "stretching timeout", dev: device{stretch: forever}, addr: 0x27, w: []byte{1},
			opts: []softi2c.Option{softi2c.WithStretchTimeout(time.Millisecond)},
			is:   softi2c.ErrStretchTimeout, got: [][]byte{nil}, proto: "S 4e A", stretch: true},
		{name: "SCL held low", dev: device{stuck: true}, setup: func(w *wire) { w.hold(scl) },
			addr: 0x27, w: []byte{1}, is: softi2c.ErrStretchTimeout},
		{name: "SDA stuck low", dev: device{stuck: true}, setup: func(w *wire) { w.hold(sda) },
			addr: 0x27, w: []byte{1}, is: softi2c.ErrStuck, pulses: 9},
		{name: "SDA freed by clocking", setup: func(w *wire) { w.dev.freezeMidRead() },
			addr: 0x27, w: []byte{0x55}, got: [][]byte{{0x55}},
			proto: "00 N P S 4e A 55 A P", pulses: 8 + 1 + 1 + 9 + 9}, // 8 pulses, the STOP's SCL fall, START, 2 bytes
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dev := tt.dev
			dev.addr, dev.data = 0x27, []byte{0xa5, 0x5a}
			w := newWire(t, &dev)
			if tt.setup != nil {
				tt.setup(w)
			}
			b := newBus(t, w, tt.opts...)
			r := make([]byte, tt.nr)
			err := b.Tx(tt.addr, tt.w, r)
			call := fmt.Sprintf("Tx(%#02x, % x, %d bytes)", tt.addr, tt.w, tt.nr)
			var nack *softi2c.NackError
			switch {
			case tt.nack != nil:
				if !errors.As(err, &nack) || *nack != *tt.nack {
					t.Errorf("%s = %v; want %#v", call, err, tt.nack)
				}
			case tt.is != nil:
				if !errors.Is(err, tt.is) || !errors.Is(err, softi2c.ErrBus) || errors.As(err, &nack) {
					t.Errorf("%s = %v; want an error wrapping %v and %v", call, err, tt.is, softi2c.ErrBus)
				}
			case err != nil:
				t.Errorf("%s = %v; want nil", call, err)
			}
			if tt.r != nil && !bytes.Equal(r, tt.r) {
				t.Errorf("%s read % x; want % x", call, r, tt.r)
			}
			if fmt.Sprint(dev.got) != fmt.Sprint(tt.got) {
				t.Errorf("%s: device received %x; want %x", call, dev.got, tt.got)
			}
			if got := strings.Join(w.proto, " "); tt.proto != "" && got != tt.proto {
				t.Errorf("%s on the wire: %s; want %s", call, got, tt.proto)
			}
			if tt.pulses != 0 && w.falls != tt.pulses {
				t.Errorf("%s: SCL fell %d times; want %d", call, w.falls, tt.pulses)
			}
			if tt.stretch != (dev.stretches > 0) {
				t.Errorf("%s: device stretched the clock %d times; want stretching %v", call, dev.stretches, tt.stretch)
			}
			if !w.released() {
				t.Errorf("%s: bus still pulls a line low afterwards", call)
			}
		})
	}
}

// TestTxGolden keeps the exact edges of a few transactions.
func TestTxGolden(t *testing.T) {
	tests := []struct {
		name  string
		setup func(*wire)
		addr  uint16
		w     []byte
		nr    int
	}{
		{name: "write", addr: 0x27, w: []byte{0x38}},
		{name: "write_read", addr: 0x27, w: []byte{0x0f}, nr: 1},
		{name: "probe_absent", addr: 0x3f},
		{name: "recover", setup: func(w *wire) { w.dev.freezeMidRead() }, addr: 0x27, w: []byte{0x38}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dev := device{addr: 0x27, data: []byte{0xa5}}
			w := newWire(t, &dev)
			if tt.setup != nil {
				tt.setup(w)
			}
			b := newBus(t, w)
			r := make([]byte, tt.nr)
			err := b.Tx(tt.addr, tt.w, r)
			var out strings.Builder
			fmt.Fprintf(&out, "# Tx(%#02x, [% x], %d bytes) = [% x], %v\n", tt.addr, tt.w, tt.nr, r, err)
			fmt.Fprintf(&out, "# %s\n", strings.Join(w.proto, " "))
			fmt.Fprintf(&out, "# upper case: edges the bus made; lower case: the device's\n")
			out.WriteString(w.traceText())
			golden(t, filepath.Join("testdata", tt.name+".golden"), out.String())
		})
	}
}

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run with -update to make it): %v", err)
	}
	if got != string(want) {
		t.Errorf("trace = \n%s; want (%s)\n%s", got, path, want)
	}
}

func TestSetSpeed(t *testing.T) {
	tests := []struct {
		f    physic.Frequency
		ok   bool
		half time.Duration
	}{
		{100 * physic.KiloHertz, true, 5 * time.Microsecond},
		{50 * physic.KiloHertz, true, 10 * time.Microsecond},
		{3 * physic.KiloHertz, true, 166667 * time.Nanosecond},
		{400 * physic.KiloHertz, false, 0},
		{0, false, 0},
		{-physic.KiloHertz, false, 0},
	}
	for _, tt := range tests {
		dev := device{addr: 0x27}
		w := newWire(t, &dev)
		b := newBus(t, w)
		err := b.SetSpeed(tt.f)
		if (err == nil) != tt.ok {
			t.Errorf("SetSpeed(%s) = %v; want ok %v", tt.f, err, tt.ok)
			continue
		}
		if !tt.ok {
			continue
		}
		if err := b.Tx(0x27, []byte{0x55}, nil); err != nil {
			t.Fatalf("SetSpeed(%s); Tx() = %v; want nil", tt.f, err)
		}
		if w.minLow < tt.half || w.minHigh < tt.half {
			t.Errorf("SetSpeed(%s): shortest SCL low %v, high %v; want at least %v", tt.f, w.minLow, w.minHigh, tt.half)
		}
		// The bus spins no longer than it must: a step of the clock per
		// check, plus the few calls around it.
		if slack := 2 * time.Microsecond; w.minHigh > tt.half+slack {
			t.Errorf("SetSpeed(%s): shortest SCL high %v; want at most %v", tt.f, w.minHigh, tt.half+slack)
		}
	}
}

func TestTxAddressRange(t *testing.T) {
	for _, addr := range []uint16{0x80, 0x3ff, 0xffff} {
		w := newWire(t, &device{addr: 0x27})
		b := newBus(t, w)
		if err := b.Tx(addr, []byte{1}, nil); err == nil {
			t.Errorf("Tx(%#x) = nil; want an error", addr)
		}
		if len(w.trace)+len(w.edges) != 0 {
			t.Errorf("Tx(%#x) moved the lines: %s", addr, w.traceText())
		}
	}
}

func TestClose(t *testing.T) {
	w := newWire(t, &device{addr: 0x27})
	b := newBus(t, w)
	for i := range 2 {
		if err := b.Close(); err != nil {
			t.Errorf("Close() #%d = %v; want nil", i+1, err)
		}
	}
	if err := b.Tx(0x27, []byte{1}, nil); err == nil {
		t.Errorf("Tx() after Close = nil; want an error")
	}
	if !w.released() {
		t.Errorf("lines after Close: a line pulled low; want both released")
	}
}

func TestLineError(t *testing.T) {
	boom := errors.New("line busy")
	tests := []struct {
		name string
		l    line
	}{
		{"SCL", scl},
		{"SDA", sda},
	}
	for _, tt := range tests {
		w := newWire(t, &device{addr: 0x27})
		sclPin, sdaPin := w.pins()
		b, err := softi2c.New(sclPin, sdaPin, softi2c.WithClock(w.clock))
		if err != nil {
			t.Fatalf("New() = %v; want nil", err)
		}
		[]*pin{sclPin, sdaPin}[tt.l].fail = boom
		if err := b.Tx(0x27, []byte{0}, nil); !errors.Is(err, boom) || !errors.Is(err, softi2c.ErrBus) {
			t.Errorf("Tx() with failing %s = %v; want an error wrapping %v and %v", tt.name, err, boom, softi2c.ErrBus)
		}
		if _, err := softi2c.New(sclPin, sdaPin); !errors.Is(err, boom) {
			t.Errorf("New() with failing %s = %v; want an error wrapping %v", tt.name, err, boom)
		}
	}
	if _, err := softi2c.New(nil, nil); err == nil {
		t.Errorf("New(nil, nil) = nil error; want an error")
	}
}

func TestString(t *testing.T) {
	w := newWire(t, &device{addr: 0x27})
	b := newBus(t, w)
	if got, want := b.String(), "softi2c(SCL=GPIO3,SDA=GPIO2)"; got != want {
		t.Errorf("String() = %q; want %q", got, want)
	}
	if b.SCL().Name() != "GPIO3" || b.SDA().Name() != "GPIO2" {
		t.Errorf("SCL(), SDA() = %s, %s; want GPIO3, GPIO2", b.SCL().Name(), b.SDA().Name())
	}
}
