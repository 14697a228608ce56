package lcd

import (
	"errors"
	"strings"
	"testing"
)

// fakeBus is an i2c.BusCloser with a device at answer only, recording what
// reaches it.
type fakeBus struct {
	busRecorder
	answer     uint16
	failWrites error
	closed     int
}

func (b *fakeBus) Tx(addr uint16, w, r []byte) error {
	if addr != b.answer {
		return errors.New("remote I/O error")
	}
	if len(w) > 0 && b.failWrites != nil {
		return b.failWrites
	}
	return b.busRecorder.Tx(addr, w, r)
}

func (b *fakeBus) Close() error {
	b.closed++
	return nil
}

func TestOpenOn(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name      string
		cfg       Config
		answer    uint16
		fail      error
		want      uint16
		is        error // the error wanted, if any
		firstTx   string
		errSubstr string
	}{
		{name: "probed", cfg: Config{Bus: 1, Cols: 16, Rows: 2}, answer: 0x3f, want: 0x3f,
			firstTx: "tx 0x3f [] read 1"},
		{name: "given address", cfg: Config{Bus: 1, Address: 0x27, Cols: 20, Rows: 4}, answer: 0x27, want: 0x27,
			firstTx: "tx 0x27 [08]"},
		{name: "no display", cfg: Config{Soft: true, Cols: 16, Rows: 2}, answer: 0x50, is: ErrNoDisplay,
			errSubstr: "soft I2C bus (SDA GPIO2, SCL GPIO3)"},
		{name: "init fails", cfg: Config{Bus: 3, Cols: 16, Rows: 2}, answer: 0x27, fail: boom, is: boom,
			errSubstr: "I2C bus 3"},
		{name: "bad geometry", cfg: Config{Bus: 1, Address: 0x27, Cols: 16, Rows: 4}, answer: 0x27,
			errSubstr: "16x4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bus := &fakeBus{answer: tt.answer, failWrites: tt.fail}
			l, addr, err := openOn(bus, tt.cfg, bus.sleep)
			if tt.is == nil && tt.errSubstr == "" {
				if err != nil || addr != tt.want {
					t.Fatalf("openOn(%+v) = %#02x, %v; want %#02x, nil", tt.cfg, addr, err, tt.want)
				}
				if first, _, _ := strings.Cut(bus.log.String(), "\n"); first != tt.firstTx {
					t.Errorf("openOn(%+v): first transaction %q; want %q", tt.cfg, first, tt.firstTx)
				}
				if !strings.Contains(bus.log.String(), "sleep 50ms") {
					t.Errorf("openOn(%+v) did not initialise the controller: %s", tt.cfg, bus.log.String())
				}
				if c, r := l.Size(); c != tt.cfg.Cols || r != tt.cfg.Rows {
					t.Errorf("openOn(%+v): Size() = %d, %d", tt.cfg, c, r)
				}
				if err := l.Close(); err != nil || bus.closed != 1 {
					t.Errorf("Close() = %v, bus closed %d times; want nil, once", err, bus.closed)
				}
				return
			}
			if err == nil || tt.is != nil && !errors.Is(err, tt.is) || !strings.Contains(err.Error(), tt.errSubstr) {
				t.Errorf("openOn(%+v) = %v; want an error wrapping %v that says %q", tt.cfg, err, tt.is, tt.errSubstr)
			}
			if l != nil || addr != 0 || bus.closed != 1 {
				t.Errorf("openOn(%+v) failing = %v, %#02x, bus closed %d times; want nil, 0, once", tt.cfg, l, addr, bus.closed)
			}
		})
	}
}

func TestConfigLines(t *testing.T) {
	tests := []struct {
		cfg      Config
		sda, scl string
	}{
		{Config{}, "GPIO2", "GPIO3"},
		{Config{SDA: "GPIO10"}, "GPIO10", "GPIO3"},
		{Config{SDA: "GPIO10", SCL: "GPIO11"}, "GPIO10", "GPIO11"},
	}
	for _, tt := range tests {
		if sda, scl := tt.cfg.lines(); sda != tt.sda || scl != tt.scl {
			t.Errorf("%+v.lines() = %s, %s; want %s, %s", tt.cfg, sda, scl, tt.sda, tt.scl)
		}
	}
}
