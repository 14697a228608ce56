package lcd

import (
	"fmt"
	"time"

	hd44780 "github.com/d2r2/go-hd44780"
	"periph.io/x/conn/v3/i2c"
)

// Waits of the HD44780U datasheet (Hitachi, figure 24, "4-bit interface",
// and table 6), with margin. Every other instruction takes 37 µs, less than
// the two I²C bytes that separate two falling edges of EN (90 µs each at
// 100 kHz), so it needs no wait of its own.
const (
	powerOnWait = 50 * time.Millisecond  // more than 40 ms after Vcc reaches 2.7 V (15 ms at 4.5 V)
	resetWait1  = 5 * time.Millisecond   // more than 4.1 ms after the first 0x3
	resetWait2  = 200 * time.Microsecond // more than 100 µs after the second
	resetWait3  = 200 * time.Microsecond // after the third, before the switch to 4 bits
	clearWait   = 2 * time.Millisecond   // Clear Display and Return Home take 1.52 ms
)

// maxChars is how many characters Write sends in one I²C transaction:
// Linux's i2c-dev takes at most 8192 bytes a message, six for a character.
const maxChars = 8192 / 6

// HD44780 is the Device of an HD44780 controller behind a PCF8574 I²C
// backpack (P0 RS, P1 RW, P2 EN, P3 backlight, P4 to P7 data D4 to D7),
// driven in 4-bit mode with the backlight on. It never reads the
// controller, so it waits the datasheet's execution times instead of
// polling the busy flag. Each instruction, and each Write, is one I²C
// transaction. It is not safe for concurrent use; LCD serialises its calls.
type HD44780 struct {
	bus        i2c.Bus
	addr       uint16
	cols, rows int
	sleep      func(time.Duration)
	buf        []byte
}

var _ Device = (*HD44780)(nil)

// NewHD44780 returns the HD44780 of cols x rows (16x2 or 20x4) behind the
// PCF8574 at addr on bus; it sends nothing (see Init). A nil sleep means
// time.Sleep.
func NewHD44780(bus i2c.Bus, addr uint16, cols, rows int, sleep func(time.Duration)) (*HD44780, error) {
	if err := checkGeometry(cols, rows); err != nil {
		return nil, err
	}
	if sleep == nil {
		sleep = time.Sleep
	}
	return &HD44780{bus: bus, addr: addr, cols: cols, rows: rows, sleep: sleep}, nil
}

// Init runs the datasheet's initialisation by instruction, which works
// whatever state the controller is in (8-bit mode after power-up, or 4-bit
// mode half-way through a byte after a restart of the kiosk), and leaves a
// clear display on, with the cursor hidden and moving right.
func (d *HD44780) Init() error {
	// The PCF8574 powers up with every output high, EN included: setting
	// them low first ends that as a read, which changes nothing.
	if err := d.tx([]byte{hd44780.PIN_BACKLIGHT}); err != nil {
		return d.errorf(err, "init")
	}
	d.sleep(powerOnWait)
	for _, wait := range []time.Duration{resetWait1, resetWait2, resetWait3} {
		if err := d.tx(d.nibble(d.buf[:0], 0x3, 0)); err != nil {
			return d.errorf(err, "init")
		}
		d.sleep(wait)
	}
	b := d.nibble(d.buf[:0], 0x2, 0)
	b = d.byte(b, hd44780.CMD_Function_Set|hd44780.OPT_4Bit_Mode|hd44780.OPT_2_Lines|hd44780.OPT_5x8_Dots, 0)
	b = d.byte(b, hd44780.CMD_Display_Control, 0)
	b = d.byte(b, hd44780.CMD_Clear_Display, 0)
	if err := d.tx(b); err != nil {
		return d.errorf(err, "init")
	}
	d.sleep(clearWait)
	b = d.byte(d.buf[:0], hd44780.CMD_Entry_Mode|hd44780.OPT_Increment, 0)
	b = d.byte(b, hd44780.CMD_Display_Control|hd44780.OPT_Enable_Display, 0)
	if err := d.tx(b); err != nil {
		return d.errorf(err, "init")
	}
	return nil
}

// Command sends instruction cmd, and waits for it if it is Clear Display
// or Return Home.
func (d *HD44780) Command(cmd byte) error {
	if err := d.tx(d.byte(d.buf[:0], cmd, 0)); err != nil {
		return d.errorf(err, "command %#02x", cmd)
	}
	if cmd == hd44780.CMD_Clear_Display || cmd&^1 == hd44780.CMD_Return_Home {
		d.sleep(clearWait)
	}
	return nil
}

// SetPosition moves the cursor to column pos of row line.
func (d *HD44780) SetPosition(line, pos int) error {
	if line < 0 || line >= d.rows || pos < 0 || pos >= d.cols {
		return fmt.Errorf("hd44780 %#02x on %s: position %d,%d outside %dx%d", d.addr, d.bus, line, pos, d.cols, d.rows)
	}
	// A 20x4 display is two 40-character lines cut in halves.
	offsets := [...]byte{0x00, 0x40, 0x14, 0x54}
	return d.Command(hd44780.CMD_DDRAM_Set | (offsets[line] + byte(pos)))
}

// Write sends p to display or character generator RAM at the cursor.
func (d *HD44780) Write(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		chunk := p[n:min(len(p), n+maxChars)]
		b := d.buf[:0]
		for _, c := range chunk {
			b = d.byte(b, c, hd44780.PIN_RS)
		}
		if err := d.tx(b); err != nil {
			return n, d.errorf(err, "write %d bytes", len(p))
		}
		n += len(chunk)
	}
	return n, nil
}

// byte appends to b the bytes that send c with register select rs.
func (d *HD44780) byte(b []byte, c, rs byte) []byte {
	return d.nibble(d.nibble(b, c>>4, rs), c&0xf, rs)
}

// nibble appends to b the PCF8574 outputs that clock n into the
// controller: data and RS set up with EN low, EN high, EN low again, which
// latches it. One I²C byte lasts far longer than the 450 ns EN pulse and
// the setup and hold times the controller needs.
func (d *HD44780) nibble(b []byte, n, rs byte) []byte {
	out := n<<4 | rs | hd44780.PIN_BACKLIGHT
	return append(b, out, out|hd44780.PIN_EN, out)
}

// tx writes w to the PCF8574 and keeps w's array for the next transaction.
func (d *HD44780) tx(w []byte) error {
	d.buf = w[:0]
	return d.bus.Tx(d.addr, w, nil)
}

func (d *HD44780) errorf(err error, format string, args ...any) error {
	return fmt.Errorf("hd44780 %#02x on %s: %s: %w", d.addr, d.bus, fmt.Sprintf(format, args...), err)
}
