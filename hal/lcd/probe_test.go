package lcd

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"syscall"
	"testing"

	"flashkiosk/hal/softi2c"
	"periph.io/x/conn/v3/physic"
)

// probeBus is an i2c.Bus with one device, at answer, that refuses every
// other address; at fault (when fault is set) the bus itself fails.
type probeBus struct {
	answer  uint16
	nack    func(addr uint16) error
	fault   error
	faultAt uint16
	tried   []uint16
	bad     []string // transactions that are not a 1-byte read
}

func (b *probeBus) String() string { return "fake" }

func (b *probeBus) SetSpeed(physic.Frequency) error { return nil }

func (b *probeBus) Tx(addr uint16, w, r []byte) error {
	b.tried = append(b.tried, addr)
	if len(w) != 0 || len(r) != 1 {
		b.bad = append(b.bad, fmt.Sprintf("Tx(%#02x, %d bytes, %d bytes)", addr, len(w), len(r)))
	}
	switch {
	case b.fault != nil && addr == b.faultAt:
		return b.fault
	case addr == b.answer:
		r[0] = 0xff
		return nil
	}
	return b.nack(addr)
}

func softNack(addr uint16) error {
	return fmt.Errorf("fake: %w", &softi2c.NackError{Addr: addr, Byte: -1})
}

func kernelNack(uint16) error { return errors.New("sysfs-i2c: remote I/O error") }

func TestProbe(t *testing.T) {
	all := Candidates()
	stuck := fmt.Errorf("fake: %w", softi2c.ErrStuck)
	tests := []struct {
		name  string
		bus   probeBus
		want  uint16
		is    error
		tried []uint16
	}{
		{"0x27", probeBus{answer: 0x27, nack: softNack}, 0x27, nil, all[:1]},
		{"0x3F", probeBus{answer: 0x3f, nack: softNack}, 0x3f, nil, all[:2]},
		{"0x20", probeBus{answer: 0x20, nack: softNack}, 0x20, nil, all[:3]},
		{"0x3E", probeBus{answer: 0x3e, nack: softNack}, 0x3e, nil, all},
		{"0x3E on a kernel bus", probeBus{answer: 0x3e, nack: kernelNack}, 0x3e, nil, all},
		{"none", probeBus{answer: 0x50, nack: softNack}, 0, ErrNoDisplay, all},
		{"none on a kernel bus", probeBus{answer: 0x50, nack: kernelNack}, 0, ErrNoDisplay, all},
		{"bus error", probeBus{answer: 0x3f, nack: softNack, fault: stuck, faultAt: 0x27}, 0, softi2c.ErrStuck, all[:1]},
		{"kernel bus timed out", probeBus{answer: 0x3f, nack: kernelNack, fault: fmt.Errorf("I2C1: tx to 0x27: %w", syscall.ETIMEDOUT), faultAt: 0x27},
			0, syscall.ETIMEDOUT, all[:1]},
		{"bus error later", probeBus{answer: 0x3e, nack: softNack, fault: stuck, faultAt: 0x21}, 0, softi2c.ErrStuck, all[:4]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Probe(&tt.bus)
			if got != tt.want || !errors.Is(err, tt.is) || (tt.is == nil) != (err == nil) {
				t.Errorf("Probe() = %#02x, %v; want %#02x, %v", got, err, tt.want, tt.is)
			}
			if tt.is != ErrNoDisplay && errors.Is(err, ErrNoDisplay) {
				t.Errorf("Probe() = %v; want no ErrNoDisplay for a bus fault", err)
			}
			if !slices.Equal(tt.bus.tried, tt.tried) {
				t.Errorf("Probe() tried %#x; want %#x", tt.bus.tried, tt.tried)
			}
			if len(tt.bus.bad) > 0 {
				t.Errorf("Probe() sent %v; want only 1-byte reads", tt.bus.bad)
			}
			if errors.Is(err, ErrNoDisplay) {
				for _, a := range all {
					if s := fmt.Sprintf("%#02x", a); !strings.Contains(err.Error(), s) {
						t.Errorf("Probe() = %q; want the addresses tried, %s among them", err, s)
					}
				}
			}
		})
	}
}

func TestCandidates(t *testing.T) {
	got := Candidates()
	if len(got) != 16 || got[0] != 0x27 || got[1] != 0x3f {
		t.Fatalf("Candidates() = %#x; want 16 addresses starting 0x27, 0x3f", got)
	}
	want := []uint16{0x27, 0x3f}
	for a := uint16(0x20); a <= 0x3e; a++ {
		if a < 0x27 || a >= 0x38 && a < 0x3f {
			want = append(want, a)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("Candidates() = %#x; want %#x", got, want)
	}
	got[0] = 0
	if Candidates()[0] != 0x27 {
		t.Errorf("Candidates() after changing a returned slice starts %#02x; want 0x27", Candidates()[0])
	}
}
