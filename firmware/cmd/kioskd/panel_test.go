package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"testing"
	"time"

	"flashkiosk/board"
	"flashkiosk/hal/lcd"
)

// TestOpenLCDWaits: a display whose I2C bus is not there yet is tried
// again until it is, for at most the wait; other errors end it at once.
func TestOpenLCDWaits(t *testing.T) {
	missing := fmt.Errorf("lcd: open I2C bus 1: %w", fs.ErrNotExist)
	other := errors.New("lcd: no display answers")
	tests := []struct {
		name    string
		errs    []error // what each open returns; past the end, success
		wait    time.Duration
		opens   int
		wantErr error
		log     string
	}{
		{"there at once", nil, time.Second, 1, nil, "panel: LCD 16x2 at 0x27 (probed) on I2C bus 1 (/dev/i2c-1)"},
		{"appears", []error{missing, missing, missing}, 5 * time.Second, 4, nil, "(/dev/i2c-1), after "},
		{"never appears", []error{missing, missing, missing, missing, missing, missing, missing, missing, missing, missing}, 250 * time.Millisecond, 0, fs.ErrNotExist, "file does not exist: waiting up to 250ms for it"},
		{"no display", []error{other}, 5 * time.Second, 1, other, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opens := 0
			open := func(cfg lcd.Config) (*lcd.LCD, uint16, error) {
				opens++
				if cfg.Bus != 1 || cfg.Soft || cfg.Address != 0 {
					t.Errorf("opened %+v; want bus 1, kernel driver, probe", cfg)
				}
				if opens <= len(tt.errs) {
					return nil, 0, tt.errs[opens-1]
				}
				return &lcd.LCD{}, 0x27, nil
			}
			var logs []string
			logf := func(f string, a ...any) { logs = append(logs, fmt.Sprintf(f, a...)) }
			l := board.LCD{Enabled: true, Bus: 1, Cols: 16, Rows: 2}
			_, _, err := openLCD(context.Background(), l, tt.wait, open, logf)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("openLCD = %v; want %v", err, tt.wantErr)
			}
			if tt.opens != 0 && opens != tt.opens {
				t.Errorf("opened %d times; want %d", opens, tt.opens)
			}
			if tt.opens == 0 && opens < 2 {
				t.Errorf("opened %d times; want it tried again until the wait ran out", opens)
			}
			if tt.log != "" && !strings.Contains(strings.Join(logs, "\n"), tt.log) {
				t.Errorf("log %q; want a line containing %q", logs, tt.log)
			}
		})
	}
}
