package lcd

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"flashkiosk/hal"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// recorder is a Device that records what it is sent, one line per call.
type recorder struct {
	log  strings.Builder
	fail error // returned by every call when set
}

func (r *recorder) Command(cmd byte) error {
	fmt.Fprintf(&r.log, "cmd 0x%02x\n", cmd)
	return r.fail
}

func (r *recorder) SetPosition(line, pos int) error {
	fmt.Fprintf(&r.log, "pos %d,%d\n", line, pos)
	return r.fail
}

func (r *recorder) Write(p []byte) (int, error) {
	fmt.Fprintf(&r.log, "write %q\n", p)
	if r.fail != nil {
		return 0, r.fail
	}
	return len(p), nil
}

// fakeClock is a Clock that moves only when told to; due timers run in
// Advance.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

type fakeTimer struct {
	at   time.Time
	f    func()
	done bool
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) AfterFunc(d time.Duration, f func()) func() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{at: c.now.Add(d), f: f}
	c.timers = append(c.timers, t)
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		was := !t.done
		t.done = true
		return was
	}
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	var due []func()
	for _, t := range c.timers {
		if !t.done && !t.at.After(c.now) {
			t.done = true
			due = append(due, t.f)
		}
	}
	c.mu.Unlock()
	for _, f := range due {
		f()
	}
}

// step is one thing a golden test does to the display.
type step struct {
	show    []string
	glyph   *hal.Glyph
	slot    int
	advance time.Duration
}

func show(lines ...string) step        { return step{show: lines} }
func glyph(slot int, g hal.Glyph) step { return step{glyph: &g, slot: slot} }
func advance(d time.Duration) step     { return step{advance: d} }
func g(n int) string                   { return string(hal.GlyphRune(n)) }

// bar returns a progress-bar cell with its n leftmost columns lit.
func bar(n int) (out hal.Glyph) {
	row := byte(0x1f) << (5 - n) & 0x1f
	for i := range out {
		out[i] = row
	}
	return out
}

func TestGolden(t *testing.T) {
	tests := []struct {
		name  string
		steps []step
	}{
		{"first", []step{show("HELLO", "WORLD")}},
		{"diff", []step{
			show("P1 READY", "P2 WRITE 10%"),
			advance(time.Second),
			show("P1 READY", "P2 WRITE 11%"),
			advance(time.Second),
			show("P1 DONE 7m12s", "P2 WRITE 11%"),
			advance(time.Second),
			show("P1 DONE 7m12s", "P2 WRITE 11%"), // unchanged: nothing sent
		}},
		{"coalesce", []step{
			show("A"),
			advance(50 * time.Millisecond),
			show("B"), // deferred
			show("C"), // replaces B
			advance(100 * time.Millisecond),
			show("D"), // replaces C; still deferred
			advance(50 * time.Millisecond),
			advance(time.Second),
			show("E"), // long after: at once
		}},
		{"glyphs", []step{
			glyph(0, bar(1)),
			glyph(1, bar(3)),
			glyph(2, bar(5)),
			show("["+g(2)+g(2)+g(1)+g(0)+"]", "OK"),
			glyph(1, bar(3)), // same pixels: nothing sent
			glyph(1, bar(4)),
		}},
		{"charset", []step{show("21°C ¥→← a\\b", "한국 µΩ\tπ█")}},
		{"layout", []step{show("0123456789abcdefghijKLMNOP", "", "third line", "fourth", "fifth is cut")}},
		{"short", []step{show()}},
	}
	for _, size := range [][2]int{{16, 2}, {20, 4}} {
		for _, tt := range tests {
			name := fmt.Sprintf("%s_%dx%d", tt.name, size[0], size[1])
			t.Run(name, func(t *testing.T) {
				rec := &recorder{}
				clock := newFakeClock()
				l, err := New(rec, size[0], size[1], clock)
				if err != nil {
					t.Fatalf("New(%dx%d) = %v; want nil", size[0], size[1], err)
				}
				for _, s := range tt.steps {
					switch {
					case s.glyph != nil:
						fmt.Fprintf(&rec.log, "# DefineGlyph(%d, %x)\n", s.slot, *s.glyph)
						if err := l.DefineGlyph(s.slot, *s.glyph); err != nil {
							t.Fatalf("DefineGlyph(%d) = %v; want nil", s.slot, err)
						}
					case s.advance != 0:
						fmt.Fprintf(&rec.log, "# advance %v\n", s.advance)
						clock.Advance(s.advance)
					default:
						fmt.Fprintf(&rec.log, "# Show(%q)\n", s.show)
						if err := l.Show(s.show); err != nil {
							t.Fatalf("Show(%q) = %v; want nil", s.show, err)
						}
					}
				}
				got := rec.log.String()
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
					t.Errorf("device calls = \n%s; want (%s)\n%s", got, path, want)
				}
			})
		}
	}
}

func TestMap(t *testing.T) {
	tests := []struct {
		r    rune
		want byte
	}{
		{' ', 0x20},
		{'A', 0x41},
		{'}', 0x7d},
		{'~', Placeholder},
		{'\\', Placeholder},
		{'\n', Placeholder},
		{0x7f, Placeholder},
		{'¥', 0x5c},
		{'→', 0x7e},
		{'°', 0xdf},
		{'█', 0xff},
		{'한', Placeholder},
		{hal.GlyphRune(0), 0},
		{hal.GlyphRune(7), 7},
		{hal.GlyphRune(0) + 8, Placeholder},
		{0xfffd, Placeholder},
	}
	for _, tt := range tests {
		if got := Map(tt.r); got != tt.want {
			t.Errorf("Map(%U) = %#02x; want %#02x", tt.r, got, tt.want)
		}
	}
}

func TestNewGeometry(t *testing.T) {
	tests := []struct {
		cols, rows int
		ok         bool
	}{
		{16, 2, true},
		{20, 4, true},
		{16, 4, false},
		{0, 0, false},
		{40, 2, false},
	}
	for _, tt := range tests {
		_, err := New(&recorder{}, tt.cols, tt.rows, nil)
		if (err == nil) != tt.ok {
			t.Errorf("New(%d, %d) = %v; want ok %v", tt.cols, tt.rows, err, tt.ok)
		}
	}
}

func TestDefineGlyphRange(t *testing.T) {
	l, _ := New(&recorder{}, 16, 2, newFakeClock())
	for _, slot := range []int{-1, 8, 100} {
		if err := l.DefineGlyph(slot, hal.Glyph{}); err == nil {
			t.Errorf("DefineGlyph(%d) = nil; want error", slot)
		}
	}
}

// TestErrorRewrites checks that after a failed write the next refresh
// rewrites the whole display, since what it shows is unknown.
func TestErrorRewrites(t *testing.T) {
	rec := &recorder{}
	clock := newFakeClock()
	l, _ := New(rec, 16, 2, clock)
	if err := l.Show([]string{"ONE"}); err != nil {
		t.Fatalf("Show(ONE) = %v; want nil", err)
	}
	boom := errors.New("i2c: remote I/O error")
	rec.fail = boom
	clock.Advance(time.Second)
	if err := l.Show([]string{"TWO"}); !errors.Is(err, boom) {
		t.Fatalf("Show(TWO) = %v; want %v", err, boom)
	}
	rec.fail = nil
	rec.log.Reset()
	clock.Advance(time.Second)
	if err := l.Show([]string{"TWO"}); err != nil {
		t.Fatalf("Show(TWO) = %v; want nil", err)
	}
	want := "pos 0,0\nwrite \"TWO             \"\npos 1,0\nwrite \"                \"\n"
	if got := rec.log.String(); got != want {
		t.Errorf("calls after error = %q; want %q", got, want)
	}
}

// TestDeferredError checks that an error of a deferred refresh comes back
// from the next Show.
func TestDeferredError(t *testing.T) {
	rec := &recorder{}
	clock := newFakeClock()
	l, _ := New(rec, 16, 2, clock)
	l.Show([]string{"ONE"})
	l.Show([]string{"TWO"}) // deferred
	boom := errors.New("i2c: remote I/O error")
	rec.fail = boom
	clock.Advance(time.Second)
	rec.fail = nil
	rec.log.Reset()
	if err := l.Show([]string{"THREE"}); !errors.Is(err, boom) {
		t.Errorf("Show(THREE) after failed deferred refresh = %v; want %v", err, boom)
	}
	// The failed refresh sent nothing, so THREE goes out at once and whole.
	want := "pos 0,0\nwrite \"THREE           \"\npos 1,0\nwrite \"                \"\n"
	if got := rec.log.String(); got != want {
		t.Errorf("calls of Show(THREE) = %q; want %q", got, want)
	}
}

func TestClose(t *testing.T) {
	rec := &recorder{}
	clock := newFakeClock()
	l, _ := New(rec, 16, 2, clock)
	l.Show([]string{"ONE"})
	l.Show([]string{"TWO"}) // deferred
	if err := l.Close(); err != nil {
		t.Fatalf("Close() = %v; want nil", err)
	}
	rec.log.Reset()
	clock.Advance(time.Second)
	if got := rec.log.String(); got != "" {
		t.Errorf("calls after Close = %q; want none", got)
	}
	if err := l.Show([]string{"X"}); err == nil {
		t.Errorf("Show after Close = nil; want error")
	}
}

// TestMapROMA00 checks that each documented non-ASCII character has its own
// code outside printable ASCII (the yen sign takes the backslash's place).
func TestMapROMA00(t *testing.T) {
	seen := map[byte]rune{}
	for _, r := range "¥→←°αäβεµσρ√ñöθ∞ΩüΣπ÷█" {
		b := Map(r)
		if b == Placeholder || (b >= 0x20 && b < 0x7e && b != 0x5c) {
			t.Errorf("Map(%q) = %#02x; want a code of ROM A00 outside ASCII", r, b)
		}
		if other, dup := seen[b]; dup {
			t.Errorf("Map(%q) = Map(%q) = %#02x; want distinct codes", r, other, b)
		}
		seen[b] = r
	}
}

func TestSize(t *testing.T) {
	for _, size := range [][2]int{{16, 2}, {20, 4}} {
		l, _ := New(&recorder{}, size[0], size[1], nil)
		if c, r := l.Size(); c != size[0] || r != size[1] {
			t.Errorf("Size() = %d, %d; want %d, %d", c, r, size[0], size[1])
		}
	}
}

// TestDefineGlyphError checks that a glyph whose definition failed is sent
// again, not taken as defined.
func TestDefineGlyphError(t *testing.T) {
	rec := &recorder{fail: errors.New("i2c: remote I/O error")}
	l, _ := New(rec, 16, 2, newFakeClock())
	g := bar(2)
	if err := l.DefineGlyph(3, g); !errors.Is(err, rec.fail) {
		t.Fatalf("DefineGlyph(3) on failing device = %v; want %v", err, rec.fail)
	}
	rec.fail = nil
	rec.log.Reset()
	if err := l.DefineGlyph(3, g); err != nil {
		t.Fatalf("DefineGlyph(3) = %v; want nil", err)
	}
	want := "cmd 0x58\nwrite \"\\x18\\x18\\x18\\x18\\x18\\x18\\x18\\x18\"\n"
	if got := rec.log.String(); got != want {
		t.Errorf("calls of DefineGlyph(3) after failure = %q; want %q", got, want)
	}
	l.Close()
	if err := l.DefineGlyph(3, g); err == nil {
		t.Errorf("DefineGlyph after Close = nil; want error")
	}
}
