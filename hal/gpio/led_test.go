package gpio

import (
	"errors"
	"testing"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"
)

func TestLED(t *testing.T) {
	tests := []struct {
		activeLow bool
		on        bool
		want      gpio.Level
	}{
		{false, true, gpio.High},
		{false, false, gpio.Low},
		{true, true, gpio.Low},
		{true, false, gpio.High},
	}
	for _, tt := range tests {
		pin := &gpiotest.Pin{N: "LED"}
		l, err := NewLED(pin, tt.activeLow)
		if err != nil {
			t.Fatalf("NewLED(activeLow %v) = %v; want nil", tt.activeLow, err)
		}
		if off := gpio.Level(tt.activeLow); pin.Read() != off || l.On() {
			t.Errorf("NewLED(activeLow %v): level %v, On() %v; want %v, false", tt.activeLow, pin.Read(), l.On(), off)
		}
		if err := l.Set(tt.on); err != nil {
			t.Fatalf("Set(%v) = %v; want nil", tt.on, err)
		}
		if got := pin.Read(); got != tt.want {
			t.Errorf("Set(%v) with activeLow %v: level = %v; want %v", tt.on, tt.activeLow, got, tt.want)
		}
		if got := l.On(); got != tt.on {
			t.Errorf("Set(%v); On() = %v; want %v", tt.on, got, tt.on)
		}
	}
}

// failingPin is an output line whose writes fail.
type failingPin struct {
	gpiotest.Pin
	err error
}

func (p *failingPin) Out(gpio.Level) error { return p.err }

func TestLEDError(t *testing.T) {
	boom := errors.New("line busy")
	pin := &failingPin{Pin: gpiotest.Pin{N: "LED"}}
	l, err := NewLED(pin, false)
	if err != nil {
		t.Fatalf("NewLED() = %v; want nil", err)
	}
	pin.err = boom
	if err := l.Set(true); !errors.Is(err, boom) {
		t.Errorf("Set(true) = %v; want %v", err, boom)
	}
	if l.On() {
		t.Errorf("On() after failed Set(true) = true; want false")
	}
	pin.err = nil
	if _, err := NewLED(&failingPin{Pin: gpiotest.Pin{N: "X"}, err: boom}, false); !errors.Is(err, boom) {
		t.Errorf("NewLED(failing pin) = %v; want %v", err, boom)
	}
}

func TestOpenUnknownLine(t *testing.T) {
	if p, err := Open("NO_SUCH_LINE_FLASHKIOSK"); err == nil {
		t.Errorf("Open(NO_SUCH_LINE_FLASHKIOSK) = %v, nil; want error", p)
	}
}
