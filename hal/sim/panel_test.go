package sim

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"flashkiosk/hal"
)

// fakeClock is a Clock whose After lets the time pass at once.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	ch := make(chan time.Time, 1)
	ch <- c.now
	return ch
}

// syncBuffer is a bytes.Buffer safe for several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var t0 = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func TestOutgoingLines(t *testing.T) {
	bar := hal.Glyph{0x1f, 0x1f, 0x1f, 0x1f, 0x1f, 0x1f, 0x1f, 0x1f}
	tests := []struct {
		name string
		do   func(p *Panel) error
		want string
	}{
		{"show pads and cuts", func(p *Panel) error {
			return p.Display().Show([]string{"HELLO", "0123456789"})
		}, `@panel {"lcd":["HELLO   ","01234567"]}` + "\n"},
		{"show maps like ROM A00", func(p *Panel) error {
			return p.Display().Show([]string{`a\b위→°`, "x" + string(hal.GlyphRune(3))})
		}, `@panel {"lcd":["a?b?→°  ","x` + "\ue003" + `      "]}` + "\n"},
		{"missing rows blank", func(p *Panel) error {
			return p.Display().Show(nil)
		}, `@panel {"lcd":["        ","        "]}` + "\n"},
		{"glyph", func(p *Panel) error {
			return p.Display().DefineGlyph(2, hal.Glyph{0x10, 0x01, 0, 0, 0, 0, 0, 0x1f})
		}, `@panel {"lcd":["        ","        "],"glyphs":{"2":["#....","....#",".....",".....",".....",".....",".....","#####"]}}` + "\n"},
		{"glyphs kept", func(p *Panel) error {
			if err := p.Display().DefineGlyph(0, bar); err != nil {
				return err
			}
			return p.Display().Show([]string{"\ue000"})
		}, `@panel {"lcd":["        ","        "],"glyphs":{"0":["#####","#####","#####","#####","#####","#####","#####","#####"]}}` + "\n" +
			`@panel {"lcd":["` + "\ue000" + `       ","        "],"glyphs":{"0":["#####","#####","#####","#####","#####","#####","#####","#####"]}}` + "\n"},
		{"leds", func(p *Panel) error {
			for _, l := range []struct {
				name string
				on   bool
			}{{"status", true}, {"1.green", true}, {"2.red", false}} {
				if err := p.LED(l.name).Set(l.on); err != nil {
					return err
				}
			}
			return nil
		}, `@panel {"led":"status","on":true}` + "\n" + `@panel {"led":"1.green","on":true}` + "\n" + `@panel {"led":"2.red","on":false}` + "\n"},
		{"every call is a line", func(p *Panel) error {
			p.LED("1.red").Set(true)
			return p.LED("1.red").Set(true)
		}, strings.Repeat(`@panel {"led":"1.red","on":true}`+"\n", 2)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			p := New(t.Context(), strings.NewReader(""), &out, 8, 2, 2)
			if err := tt.do(p); err != nil {
				t.Fatalf("%s: %v", tt.name, err)
			}
			if got := out.String(); got != tt.want {
				t.Errorf("%s: output = %q; want %q", tt.name, got, tt.want)
			}
		})
	}
}

func TestOutgoingErrors(t *testing.T) {
	var out bytes.Buffer
	p := New(t.Context(), strings.NewReader(""), &out, 16, 2, 2)
	if err := p.LED("3.green").Set(true); err == nil {
		t.Errorf("LED(3.green).Set(true) = nil; want error (2 ports)")
	}
	if err := p.Display().DefineGlyph(8, hal.Glyph{}); err == nil {
		t.Errorf("DefineGlyph(8) = nil; want error")
	}
	if out.Len() != 0 {
		t.Errorf("output after failed calls = %q; want nothing", out.String())
	}
	if c, r := p.Display().Size(); c != 16 || r != 2 {
		t.Errorf("Size() = %d, %d; want 16, 2", c, r)
	}
}

// TestRoundTrip checks that what the kiosk side writes decodes back to
// what it said.
func TestRoundTrip(t *testing.T) {
	var out bytes.Buffer
	p := New(t.Context(), strings.NewReader(""), &out, 16, 2, 1)
	g := hal.Glyph{1, 2, 4, 8, 16, 8, 4, 2}
	p.Display().DefineGlyph(5, g)
	p.Display().Show([]string{"COPYING", "\ue005 42%"})
	p.LED("1.green").Set(true)
	lines := strings.SplitAfter(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("got %d lines; want 3: %q", len(lines), out.String())
	}
	var ms []Message
	for _, l := range lines {
		m, ok, err := Decode([]byte(l))
		if !ok || err != nil {
			t.Fatalf("Decode(%q) = %v, %v; want ok", l, ok, err)
		}
		ms = append(ms, m)
	}
	if got := ms[1].LCD; len(got) != 2 || got[0] != "COPYING         " || got[1] != "\ue005 42%           " {
		t.Errorf("decoded LCD = %q; want COPYING and glyph 5 + 42%%, padded", got)
	}
	back, err := ParseGlyph(ms[1].Glyphs["5"])
	if err != nil || back != g {
		t.Errorf("ParseGlyph(%q) = %v, %v; want %v", ms[1].Glyphs["5"], back, err, g)
	}
	if ms[2].LED != "1.green" || ms[2].On == nil || !*ms[2].On {
		t.Errorf("decoded LED line = %+v; want 1.green on", ms[2])
	}
}

func TestDecode(t *testing.T) {
	on := true
	tests := []struct {
		line    string
		want    Message
		ok, err bool
	}{
		{"", Message{}, false, false},
		{"plain log line", Message{}, false, false},
		{`{"button":"go","pressed":true}`, Message{}, false, false},
		{"@panel ", Message{}, false, false},
		{"@panel    \r\n", Message{}, false, false},
		{"@panel {}", Message{}, false, false},
		{`@panel {"button":"go","pressed":true}` + "\r\n", Message{Button: "go", Pressed: &on}, true, false},
		{`@panel {"press":"info","ms":2100}`, Message{Press: "info", MS: 2100}, true, false},
		{`@panel {"button":"go"`, Message{}, false, true},
		{`@panel {"buton":"go"}`, Message{}, false, true},
		{`@panel {"ms":"long"}`, Message{}, false, true},
		{`@panel {} {}`, Message{}, false, true},
		{`@panel [1]`, Message{}, false, true},
		{`@panel {"sync":true}`, Message{Sync: true}, true, false},
		{`@panel {"sync":false}`, Message{}, false, false},
		{`@panel {"button":"go","pressed":true,"press":"go"}`, Message{}, false, true},
		{`@panel {"led":"1.red","on":true,"lcd":[]}`, Message{}, false, true},
	}
	for _, tt := range tests {
		m, ok, err := Decode([]byte(tt.line))
		if ok != tt.ok || (err != nil) != tt.err || string(Encode(m)) != string(Encode(tt.want)) {
			t.Errorf("Decode(%q) = %+v, %v, %v; want %+v, %v, error %v", tt.line, m, ok, err, tt.want, tt.ok, tt.err)
		}
	}
}

func TestGlyphRows(t *testing.T) {
	for _, g := range []hal.Glyph{{}, {0x1f, 0, 0x11, 0x0a, 0x04, 0x0a, 0x11, 0x1f}} {
		back, err := ParseGlyph(GlyphRows(g))
		if err != nil || back != g {
			t.Errorf("ParseGlyph(GlyphRows(%v)) = %v, %v; want %v", g, back, err, g)
		}
	}
	for _, rows := range [][]string{
		{"#####"},
		{"#####", "#####", "#####", "#####", "#####", "#####", "#####", "####"},
		{"#####", "#####", "#####", "#####", "#####", "#####", "#####", "####x"},
	} {
		if _, err := ParseGlyph(rows); err == nil {
			t.Errorf("ParseGlyph(%q) = nil error; want error", rows)
		}
	}
}

// event is a button event with the button's name, as tests compare them.
type event struct {
	button  string
	pressed bool
	at      time.Duration // since t0
}

// collect reads events from the panel's buttons until they are closed.
func collect(p *Panel, names ...string) <-chan []event {
	done := make(chan []event, 1)
	var mu sync.Mutex
	var all []event
	var wg sync.WaitGroup
	for _, n := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for e := range p.Button(n).Events() {
				mu.Lock()
				all = append(all, event{n, e.Pressed, e.Time.Sub(t0)})
				mu.Unlock()
			}
		}()
	}
	go func() {
		wg.Wait()
		done <- all
	}()
	return done
}

func TestButtons(t *testing.T) {
	tests := []struct {
		name   string
		input  string
		want   []event
		errors int
	}{
		{"raw", "@panel {\"button\":\"go\",\"pressed\":true}\n@panel {\"button\":\"go\",\"pressed\":false}\n",
			[]event{{"go", true, 0}, {"go", false, 0}}, 0},
		{"press holds on the clock", "@panel {\"press\":\"go\",\"ms\":2100}\n",
			[]event{{"go", true, 0}, {"go", false, 2100 * time.Millisecond}}, 0},
		{"press then press", "@panel {\"press\":\"info\",\"ms\":100}\n@panel {\"press\":\"info\",\"ms\":50}\n",
			[]event{{"info", true, 0}, {"info", false, 100 * time.Millisecond}, {"info", true, 100 * time.Millisecond}, {"info", false, 150 * time.Millisecond}}, 0},
		{"repeats ignored", "@panel {\"button\":\"go\",\"pressed\":false}\n@panel {\"button\":\"go\",\"pressed\":true}\n@panel {\"button\":\"go\",\"pressed\":true}\n",
			[]event{{"go", true, 0}}, 0},
		{"log lines, blanks and malformed", "boot: hello\n\n@panel\n@panel \n@panel {\"button\":\"go\"\n@panel {\"button\":\"stop\",\"pressed\":true}\n@panel {\"lcd\":[\"x\"]}\n@panel {\"press\":\"go\",\"ms\":-1}\n@panel {\"button\":\"go\",\"pressed\":true,\"press\":\"go\"}\n[    1.2] usb 1-1: new device\n@panel {\"button\":\"info\",\"pressed\":true}\n",
			[]event{{"info", true, 0}}, 5},
		{"no final newline", `@panel {"button":"go","pressed":true}`,
			[]event{{"go", true, 0}}, 0},
		{"a line over 64 KiB skipped, the next one read", "@panel {\"lcd\":[\"" + strings.Repeat("x", 70000) + "\"]}\n@panel {\"button\":\"go\",\"pressed\":true}\n",
			[]event{{"go", true, 0}}, 1},
		{"a press of more than a minute refused", "@panel {\"press\":\"go\",\"ms\":1000000000}\n@panel {\"press\":\"info\",\"ms\":60000}\n",
			[]event{{"info", true, 0}, {"info", false, time.Minute}}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			pr, pw := io.Pipe()
			var errs []error
			var mu sync.Mutex
			p := New(ctx, pr, io.Discard, 16, 2, 1, WithClock(&fakeClock{now: t0}), WithLog(func(err error) {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}))
			got := collect(p, "go", "info")
			io.WriteString(pw, tt.input)
			pw.Close()
			<-p.Done()
			cancel()
			events := <-got
			if fmt.Sprint(sortEvents(events)) != fmt.Sprint(sortEvents(tt.want)) {
				t.Errorf("events for %q = %v; want %v", tt.input, events, tt.want)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(errs) != tt.errors {
				t.Errorf("errors for %q = %v; want %d", tt.input, errs, tt.errors)
			}
		})
	}
}

// sortEvents orders events by button, keeping each button's order.
func sortEvents(es []event) []event {
	es = append([]event(nil), es...)
	sort.SliceStable(es, func(i, j int) bool { return es[i].button < es[j].button })
	return es
}

func TestConcurrentWrites(t *testing.T) {
	var out syncBuffer
	p := New(t.Context(), strings.NewReader(""), &out, 16, 2, 4)
	const n = 50
	var wg sync.WaitGroup
	for port := 1; port <= 4; port++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for i := range n {
				if err := p.LED(fmt.Sprintf("%d.green", port)).Set(i%2 == 0); err != nil {
					t.Errorf("LED(%d.green).Set = %v; want nil", port, err)
				}
			}
		}()
		go func() {
			defer wg.Done()
			for i := range n {
				if err := p.Display().Show([]string{fmt.Sprintf("port %d", port), fmt.Sprint(i)}); err != nil {
					t.Errorf("Show = %v; want nil", err)
				}
				p.Display().DefineGlyph(port, hal.Glyph{byte(i)})
			}
		}()
	}
	wg.Wait()
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 4*3*n {
		t.Fatalf("got %d lines; want %d", len(lines), 4*3*n)
	}
	for _, l := range lines {
		if _, ok, err := Decode([]byte(l)); !ok || err != nil {
			t.Fatalf("Decode(%q) = %v, %v; want a whole panel line", l, ok, err)
		}
	}
}

func TestStopClosesButtons(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	pr, pw := io.Pipe()
	defer pw.Close()
	p := New(ctx, pr, io.Discard, 16, 2, 1)
	before := p.Button("stop")
	cancel()
	for _, b := range []hal.Button{p.Button("go"), p.Button("info"), before} {
		if _, open := <-b.Events(); open {
			t.Errorf("Events() after cancel delivered an event; want closed")
		}
	}
	deadline := time.After(5 * time.Second)
	for {
		b := p.Button("late")
		select {
		case _, open := <-b.Events():
			if open {
				t.Fatalf("Button(late).Events() delivered an event; want closed")
			}
			return
		case <-deadline:
			t.Fatalf("Button(late) after cancel never closed")
		case <-time.After(time.Millisecond):
		}
	}
}

func TestLostEvents(t *testing.T) {
	var in strings.Builder
	for range eventBuffer + 4 {
		in.WriteString("@panel {\"press\":\"go\",\"ms\":1}\n")
	}
	var mu sync.Mutex
	var errs []error
	p := New(t.Context(), strings.NewReader(in.String()), io.Discard, 16, 2, 1, WithClock(&fakeClock{now: t0}), WithLog(func(err error) {
		mu.Lock()
		errs = append(errs, err)
		mu.Unlock()
	}))
	<-p.Done()
	mu.Lock()
	defer mu.Unlock()
	if len(errs) == 0 || !errors.Is(errs[0], errLost) {
		t.Errorf("errors with nobody reading = %v; want errLost", errs)
	}
	var got []bool
	for len(got) < eventBuffer {
		got = append(got, (<-p.Button("go").Events()).Pressed)
	}
	for i, pressed := range got {
		if pressed != (i%2 == 0) {
			t.Fatalf("event %d Pressed = %v; want alternating from a press: %v", i, pressed, got)
		}
	}
}

func TestSync(t *testing.T) {
	pr, pw := io.Pipe()
	var out syncBuffer
	var logged []error
	p := New(t.Context(), pr, &out, 4, 1, 2, WithLog(func(err error) { logged = append(logged, err) }))
	p.LED("2.red").Set(true)
	p.LED("1.green").Set(true)
	p.LED("2.red").Set(false)
	p.Display().Show([]string{"OK"})
	before := out.String()
	io.WriteString(pw, "@panel {\"sync\":true}\n")
	pw.Close()
	<-p.Done()
	want := `@panel {"lcd":["OK  "]}` + "\n" +
		`@panel {"led":"1.green","on":true}` + "\n" +
		`@panel {"led":"2.red","on":false}` + "\n"
	if got := strings.TrimPrefix(out.String(), before); got != want || len(logged) != 0 {
		t.Errorf("after a sync line the panel sent %q, logged %v; want %q, nothing", got, logged, want)
	}
}

// TestPressed: a button tells whether it is down now, for a kiosk that
// asks at start.
func TestPressed(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	pr, pw := io.Pipe()
	p := New(ctx, pr, io.Discard, 16, 2, 1)
	info := p.Button("info").(interface{ Pressed() bool })
	events := p.Button("info").Events()
	if info.Pressed() {
		t.Fatal("Pressed() before any input = true")
	}
	io.WriteString(pw, "@panel {\"button\":\"info\",\"pressed\":true}\n")
	<-events
	if !info.Pressed() {
		t.Error("Pressed() after the press = false")
	}
	io.WriteString(pw, "@panel {\"button\":\"info\",\"pressed\":false}\n")
	<-events
	if info.Pressed() {
		t.Error("Pressed() after the release = true")
	}
	pw.Close()
}
