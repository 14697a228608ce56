package gpio

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

func TestWaitFor(t *testing.T) {
	pinctrl := Chip{Path: "/dev/gpiochip0", Name: "gpiochip0", Label: "pinctrl-bcm2711", Lines: 58}
	expander := Chip{Path: "/dev/gpiochip1", Name: "gpiochip1", Label: "raspberrypi-exp-gpio", Lines: 8}
	boom := errors.New("boom")
	tests := []struct {
		name    string
		lists   [][]Chip // what each look finds; the last repeats
		listErr error
		want    Chip
		looks   int    // looks it takes
		errText string // "" for success
	}{
		{"there at once", [][]Chip{{expander, pinctrl}}, nil, pinctrl, 1, ""},
		{"appears on the third look", [][]Chip{nil, {expander}, {expander, pinctrl}}, nil, pinctrl, 3, ""},
		{"never", [][]Chip{nil}, nil, Chip{}, 0, "no chip labelled pinctrl-* after 20ms: no GPIO chips"},
		{"only others", [][]Chip{{expander}}, nil, Chip{}, 0, "only 1 other chips: gpiochip1 (raspberrypi-exp-gpio, 8 lines)"},
		{"cannot list", [][]Chip{nil}, boom, Chip{}, 0, "after 20ms: boom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			looks := 0
			list := func() ([]Chip, error) {
				i := min(looks, len(tt.lists)-1)
				looks++
				return tt.lists[i], tt.listErr
			}
			got, err := waitFor(context.Background(), list, HeaderLabel, 20*time.Millisecond, time.Millisecond)
			if tt.errText != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errText) {
					t.Fatalf("err = %v; want one containing %q", err, tt.errText)
				}
				if looks < 2 {
					t.Errorf("gave up after %d looks; want it to look until the limit", looks)
				}
				return
			}
			if err != nil || got != tt.want || looks != tt.looks {
				t.Errorf("waitFor = %v, %v after %d looks; want %v after %d", got, err, looks, tt.want, tt.looks)
			}
		})
	}
}

func TestWaitForCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := waitFor(ctx, func() ([]Chip, error) { return nil, nil }, HeaderLabel, time.Hour, time.Millisecond)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v; want context.Canceled", err)
	}
}

// TestChipsNone: a /dev without chips lists none, without error.
func TestChipsNone(t *testing.T) {
	chips, err := Chips(t.TempDir())
	if err != nil || len(chips) != 0 {
		t.Errorf("Chips(empty dir) = %v, %v; want none", chips, err)
	}
}

// TestChipsNotAChip: a file that is no GPIO chip is an error naming it.
func TestChipsNotAChip(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(dir+"/gpiochip0", []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Chips(dir)
	if err == nil || !strings.Contains(err.Error(), "gpiochip0: GPIO_GET_CHIPINFO") {
		t.Errorf("Chips(dir with a plain file) = %v; want a GPIO_GET_CHIPINFO error", err)
	}
}
