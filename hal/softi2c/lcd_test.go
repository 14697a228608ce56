package softi2c_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"flashkiosk/hal/lcd"
	"flashkiosk/hal/softi2c"
	"periph.io/x/conn/v3/i2c"
	"periph.io/x/conn/v3/i2c/i2ctest"
)

// drive runs the HD44780 driver on bus: initialisation, a glyph, a
// position, text and a clear; then a full refresh through lcd.LCD.
func drive(t *testing.T, bus i2c.Bus, cols, rows int) {
	t.Helper()
	d, err := lcd.NewHD44780(bus, 0x27, cols, rows, func(time.Duration) {})
	if err != nil {
		t.Fatalf("NewHD44780() = %v; want nil", err)
	}
	steps := []func() error{
		d.Init,
		func() error { return d.Command(0x40 | 1<<3) },
		func() error { _, err := d.Write([]byte{0x1f, 0x11, 0x11, 0x11, 0x11, 0x11, 0x1f, 0}); return err },
		func() error { return d.SetPosition(rows-1, 3) },
		func() error { _, err := d.Write([]byte("Hi!")); return err },
		func() error { return d.Command(0x01) },
		func() error {
			l, err := lcd.New(d, cols, rows, nil)
			if err != nil {
				return err
			}
			return l.Show([]string{"P1 WRITE 42% 3m", "P2 DONE 7m12s", "P3 READY", "P4 FAKE 8GB"})
		},
	}
	for i, step := range steps {
		if err := step(); err != nil {
			t.Fatalf("step %d = %v; want nil", i, err)
		}
	}
}

// TestHD44780OverWire checks that the PCF8574 on the wire receives, one
// write transfer per transaction, exactly the bytes the driver sends to a
// recording bus.
func TestHD44780OverWire(t *testing.T) {
	for _, size := range [][2]int{{16, 2}, {20, 4}} {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			want := &i2ctest.Record{}
			drive(t, want, size[0], size[1])

			dev := device{addr: 0x27, data: []byte{0xff}}
			w := newWire(t, &dev)
			got := &i2ctest.Record{Bus: newBus(t, w)}
			drive(t, got, size[0], size[1])

			if len(dev.got) != len(want.Ops) {
				t.Fatalf("PCF8574 received %d transfers; want %d", len(dev.got), len(want.Ops))
			}
			for i, op := range want.Ops {
				if string(dev.got[i]) != string(op.W) || string(got.Ops[i].W) != string(op.W) || got.Ops[i].Addr != op.Addr {
					t.Errorf("transfer %d: PCF8574 received [% x]; want [% x]", i, dev.got[i], op.W)
				}
			}
		})
	}
}

// TestRefreshTime reports how long a full refresh of a 16x2 display takes
// on the bus at 100 kHz when line changes cost nothing.
func TestRefreshTime(t *testing.T) {
	dev := device{addr: 0x27, data: []byte{0xff}}
	w := newWire(t, &dev)
	rec := &i2ctest.Record{Bus: newBus(t, w)}
	d, err := lcd.NewHD44780(rec, 0x27, 16, 2, func(time.Duration) {})
	if err != nil {
		t.Fatal(err)
	}
	l, err := lcd.New(d, 16, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	start := w.clock.now
	if err := l.Show([]string{"0123456789abcdef", "ghijklmnopqrstuv"}); err != nil {
		t.Fatalf("Show() = %v; want nil", err)
	}
	took := w.clock.now.Sub(start)
	n := 0
	for _, op := range rec.Ops {
		n += len(op.W)
	}
	t.Logf("16x2 refresh: %d transactions, %d bytes, %v of bus time", len(rec.Ops), n, took)
	// 9 clocks of 10 µs a byte, plus the addresses, START and STOP.
	if least := time.Duration(n+len(rec.Ops)) * 90 * time.Microsecond; took < least {
		t.Errorf("16x2 refresh took %v; want at least %v at 100 kHz", took, least)
	}
}

func TestProbeOverWire(t *testing.T) {
	tests := []struct {
		name  string
		addr  byte
		stuck bool
		want  uint16
		is    error
	}{
		{"0x27", 0x27, false, 0x27, nil},
		{"0x3F", 0x3f, false, 0x3f, nil},
		{"0x38", 0x38, false, 0x38, nil},
		{"none", 0x50, false, 0, lcd.ErrNoDisplay},
		{"SDA stuck", 0x27, true, 0, softi2c.ErrStuck},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dev := device{addr: tt.addr, data: []byte{0xff}, stuck: tt.stuck}
			w := newWire(t, &dev)
			if tt.stuck {
				w.hold(sda)
			}
			got, err := lcd.Probe(newBus(t, w))
			if got != tt.want || !errors.Is(err, tt.is) || (err == nil) != (tt.is == nil) {
				t.Errorf("Probe() = %#02x, %v; want %#02x, %v", got, err, tt.want, tt.is)
			}
		})
	}
}
