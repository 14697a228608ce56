package lcd

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	hd44780 "github.com/d2r2/go-hd44780"
	"periph.io/x/conn/v3/i2c/i2ctest"
	"periph.io/x/conn/v3/physic"
)

// busRecorder is an i2c.Bus, and a sleep function, that keep in order the
// transactions and the waits they are given.
type busRecorder struct {
	log   strings.Builder
	ops   []busOp
	fail  error // returned by every Tx when set
	tx    int
	bytes int
}

// busOp is a transaction (w) or a wait.
type busOp struct {
	w     []byte
	sleep time.Duration
}

func (r *busRecorder) String() string { return "rec" }

func (r *busRecorder) Tx(addr uint16, w, rd []byte) error {
	fmt.Fprintf(&r.log, "tx %#02x [% x]", addr, w)
	if len(rd) > 0 {
		fmt.Fprintf(&r.log, " read %d", len(rd))
	}
	r.log.WriteString("\n")
	r.ops = append(r.ops, busOp{w: append([]byte(nil), w...)})
	r.tx++
	r.bytes += len(w)
	return r.fail
}

func (r *busRecorder) SetSpeed(physic.Frequency) error { return nil }

func (r *busRecorder) sleep(d time.Duration) {
	fmt.Fprintf(&r.log, "sleep %v\n", d)
	r.ops = append(r.ops, busOp{sleep: d})
}

// latch is a nibble the controller takes in on a falling edge of EN, and
// how long was slept since the previous one.
type latch struct {
	rs    bool
	data  byte
	slept time.Duration
}

// latches replays ops into a PCF8574 driving an HD44780 and returns what
// the controller takes in. It fails on a write cycle whose RS or data
// change with a change of EN, on RW set, and on the backlight off.
func latches(ops []busOp) ([]latch, error) {
	var out []latch
	var slept time.Duration
	prev := byte(0xff) // the PCF8574's outputs at power-up
	for _, op := range ops {
		slept += op.sleep
		for _, b := range op.w {
			if b&hd44780.PIN_BACKLIGHT == 0 {
				return out, fmt.Errorf("output %#02x: backlight off", b)
			}
			if b&hd44780.PIN_RW != 0 {
				return out, fmt.Errorf("output %#02x: RW set: a read", b)
			}
			en, wasEN := b&hd44780.PIN_EN != 0, prev&hd44780.PIN_EN != 0
			write := prev&hd44780.PIN_RW == 0
			if en != wasEN && write && b&^hd44780.PIN_EN != prev&^hd44780.PIN_EN {
				return out, fmt.Errorf("output %#02x after %#02x: RS or data change with EN", b, prev)
			}
			if wasEN && !en && write {
				out = append(out, latch{rs: prev&hd44780.PIN_RS != 0, data: prev >> 4, slept: slept})
				slept = 0
			}
			prev = b
		}
	}
	return out, nil
}

// instructions pairs latches from index from into bytes.
func instructions(l []latch, from int) []byte {
	var out []byte
	for i := from; i+1 < len(l); i += 2 {
		out = append(out, l[i].data<<4|l[i+1].data)
	}
	return out
}

func newRecorded(t *testing.T, cols, rows int) (*HD44780, *busRecorder) {
	t.Helper()
	rec := &busRecorder{}
	d, err := NewHD44780(rec, 0x27, cols, rows, rec.sleep)
	if err != nil {
		t.Fatalf("NewHD44780(%dx%d) = %v; want nil", cols, rows, err)
	}
	return d, rec
}

func TestHD44780Golden(t *testing.T) {
	tests := []struct {
		name    string
		perSize bool // whether the geometry changes what is sent
		run     func(d *HD44780, cols, rows int) error
	}{
		{"init", true, func(d *HD44780, cols, rows int) error {
			if err := d.Init(); err != nil {
				return err
			}
			for r := range rows {
				if err := d.SetPosition(r, 0); err != nil {
					return err
				}
			}
			return d.SetPosition(rows-1, cols-1)
		}},
		{"clear", false, func(d *HD44780, _, _ int) error { return d.Command(hd44780.CMD_Clear_Display) }},
		{"write", false, func(d *HD44780, _, _ int) error {
			_, err := d.Write([]byte("Hi!"))
			return err
		}},
		{"refresh", true, func(d *HD44780, cols, rows int) error {
			l, err := New(d, cols, rows, newFakeClock())
			if err != nil {
				return err
			}
			return l.Show([]string{"P1 WRITE 42% 3m", "P2 DONE 7m12s", "P3 READY", "P4 FAKE 8GB"})
		}},
	}
	for _, size := range [][2]int{{16, 2}, {20, 4}} {
		for _, tt := range tests {
			name := fmt.Sprintf("hd44780_%s_%dx%d", tt.name, size[0], size[1])
			if !tt.perSize {
				if size[0] != 16 {
					continue
				}
				name = "hd44780_" + tt.name
			}
			t.Run(name, func(t *testing.T) {
				d, rec := newRecorded(t, size[0], size[1])
				if err := tt.run(d, size[0], size[1]); err != nil {
					t.Fatalf("%s = %v; want nil", tt.name, err)
				}
				if _, err := latches(rec.ops); err != nil {
					t.Errorf("%s: PCF8574 outputs: %v", tt.name, err)
				}
				got := fmt.Sprintf("# %s: %d transactions, %d bytes\n%s", tt.name, rec.tx, rec.bytes, rec.log.String())
				path := filepath.Join("testdata", name+".golden")
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
					t.Errorf("bus calls = \n%s; want (%s)\n%s", got, path, want)
				}
			})
		}
	}
}

// TestInitWaits checks the datasheet's waits between the nibbles of the
// initialisation, whatever the golden file says.
func TestInitWaits(t *testing.T) {
	d, rec := newRecorded(t, 16, 2)
	if err := d.Init(); err != nil {
		t.Fatalf("Init() = %v; want nil", err)
	}
	if err := d.Command(hd44780.CMD_Display_Control | hd44780.OPT_Enable_Display); err != nil {
		t.Fatalf("Command() = %v; want nil", err)
	}
	l, err := latches(rec.ops)
	if err != nil {
		t.Fatalf("Init(): PCF8574 outputs: %v", err)
	}
	// Latches: 0x3, 0x3, 0x3, 0x2, then instructions of two nibbles each.
	tests := []struct {
		name   string
		at     int // the latch that must be waited for
		data   byte
		min    time.Duration // sleep before it, at least (exclusive when strict)
		strict bool
	}{
		{"power on before the first 0x3", 0, 0x3, 50 * time.Millisecond, false},
		{"after the first 0x3", 1, 0x3, 4100 * time.Microsecond, true},
		{"after the second 0x3", 2, 0x3, 100 * time.Microsecond, true},
		{"after the third 0x3", 3, 0x2, 100 * time.Microsecond, false},
		{"after Clear Display", 10, hd44780.CMD_Entry_Mode >> 4, 2 * time.Millisecond, false},
	}
	for _, tt := range tests {
		if tt.at >= len(l) {
			t.Fatalf("%s: latch %d of %d", tt.name, tt.at, len(l))
		}
		got := l[tt.at]
		if got.rs || got.data != tt.data {
			t.Errorf("%s: latch %d = %#x (RS %v); want %#x", tt.name, tt.at, got.data, got.rs, tt.data)
		}
		if got.slept < tt.min || tt.strict && got.slept == tt.min {
			t.Errorf("%s: slept %v before latch %d; want more than %v", tt.name, got.slept, tt.at, tt.min)
		}
	}
	want := []byte{0x28, 0x08, 0x01, 0x06, 0x0c, 0x0c}
	if got := instructions(l, 4); string(got) != string(want) {
		t.Errorf("instructions after 4-bit mode = % x; want % x", got, want)
	}
	for i := 4; i < len(l); i++ {
		if i != 10 && l[i].slept != 0 {
			t.Errorf("latch %d: slept %v; want no wait", i, l[i].slept)
		}
	}
}

// TestCommandWaits checks which instructions wait afterwards.
func TestCommandWaits(t *testing.T) {
	tests := []struct {
		cmd  byte
		wait bool
	}{
		{hd44780.CMD_Clear_Display, true},
		{hd44780.CMD_Return_Home, true},
		{hd44780.CMD_Return_Home | 1, true},
		{hd44780.CMD_Entry_Mode | hd44780.OPT_Increment, false},
		{hd44780.CMD_Display_Control | hd44780.OPT_Enable_Display, false},
		{hd44780.CMD_DDRAM_Set | 0x40, false},
		{hd44780.CMD_CGRAM_Set | 0x08, false},
	}
	for _, tt := range tests {
		d, rec := newRecorded(t, 16, 2)
		if err := d.Command(tt.cmd); err != nil {
			t.Fatalf("Command(%#02x) = %v; want nil", tt.cmd, err)
		}
		if _, err := d.Write([]byte{'A'}); err != nil {
			t.Fatalf("Write() = %v; want nil", err)
		}
		l, err := latches(rec.ops)
		if err != nil {
			t.Fatalf("Command(%#02x): PCF8574 outputs: %v", tt.cmd, err)
		}
		if len(l) != 4 || instructions(l, 0)[0] != tt.cmd || l[0].rs || !l[2].rs {
			t.Fatalf("Command(%#02x), Write(A): latches %+v; want the command, then A with RS", tt.cmd, l)
		}
		want := "none"
		if tt.wait {
			want = "at least 2ms"
		}
		if slept := l[2].slept; tt.wait && slept < 2*time.Millisecond || !tt.wait && slept != 0 {
			t.Errorf("Command(%#02x): slept %v before the next instruction; want %s", tt.cmd, slept, want)
		}
	}
}

func TestHD44780SetPositionRange(t *testing.T) {
	tests := []struct {
		cols, rows, line, pos int
		ok                    bool
		want                  byte
	}{
		{16, 2, 0, 0, true, 0x80},
		{16, 2, 1, 15, true, 0xcf},
		{16, 2, 2, 0, false, 0},
		{16, 2, 0, 16, false, 0},
		{16, 2, -1, 0, false, 0},
		{20, 4, 2, 0, true, 0x94},
		{20, 4, 3, 19, true, 0xe7},
		{20, 4, 4, 0, false, 0},
		{20, 4, 0, -1, false, 0},
	}
	for _, tt := range tests {
		d, rec := newRecorded(t, tt.cols, tt.rows)
		err := d.SetPosition(tt.line, tt.pos)
		if (err == nil) != tt.ok {
			t.Errorf("%dx%d: SetPosition(%d, %d) = %v; want ok %v", tt.cols, tt.rows, tt.line, tt.pos, err, tt.ok)
			continue
		}
		l, _ := latches(rec.ops)
		if got := instructions(l, 0); tt.ok && (len(got) != 1 || got[0] != tt.want) || !tt.ok && len(rec.ops) != 0 {
			t.Errorf("%dx%d: SetPosition(%d, %d) sent % x; want %#02x", tt.cols, tt.rows, tt.line, tt.pos, got, tt.want)
		}
	}
	if _, err := NewHD44780(&busRecorder{}, 0x27, 16, 4, nil); err == nil {
		t.Errorf("NewHD44780(16x4) = nil error; want an error")
	}
}

// TestHD44780Errors checks that bus errors come back with the address, and
// that a Write broken off reports what it sent, on periph's playback bus.
func TestHD44780Errors(t *testing.T) {
	long := []byte(strings.Repeat("x", maxChars+5))
	first, _ := newRecorded(t, 16, 2)
	var want []byte
	for _, c := range long[:maxChars] {
		want = first.byte(want, c, hd44780.PIN_RS)
	}
	bus := &i2ctest.Playback{Ops: []i2ctest.IO{{Addr: 0x27, W: want}}, DontPanic: true}
	d, err := NewHD44780(bus, 0x27, 16, 2, func(time.Duration) {})
	if err != nil {
		t.Fatal(err)
	}
	n, err := d.Write(long)
	if n != maxChars || err == nil || !strings.Contains(err.Error(), "hd44780 0x27 on playback") {
		t.Errorf("Write(%d bytes) on a bus failing the second transaction = %d, %v; want %d and an error naming the display", len(long), n, err, maxChars)
	}
	if err := bus.Close(); err != nil {
		t.Errorf("playback: %v", err)
	}
	boom := errors.New("remote I/O error")
	for name, call := range map[string]func(*HD44780) error{
		"Init":        (*HD44780).Init,
		"Command":     func(d *HD44780) error { return d.Command(0x01) },
		"SetPosition": func(d *HD44780) error { return d.SetPosition(1, 1) },
	} {
		d, rec := newRecorded(t, 16, 2)
		rec.fail = boom
		if err := call(d); !errors.Is(err, boom) || !strings.Contains(err.Error(), "0x27") {
			t.Errorf("%s on a failing bus = %v; want an error wrapping %v that names 0x27", name, err, boom)
		}
	}
}
