package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"flashkiosk/hal"
	"flashkiosk/hal/sim"
)

// kioskLines is what a kiosk with a sim panel writes when it shows a
// progress bar, mixed with its log.
func kioskLines(t *testing.T) string {
	t.Helper()
	var out bytes.Buffer
	io.WriteString(&out, "kioskd: starting\n")
	p := sim.New(t.Context(), strings.NewReader(""), &out, 16, 2, 2)
	full := hal.Glyph{0x1f, 0x1f, 0x1f, 0x1f, 0x1f, 0x1f, 0x1f, 0x1f}
	half := hal.Glyph{0x1c, 0x1c, 0x1c, 0x1c, 0x1c, 0x1c, 0x1c, 0x1c}
	steps := []func() error{
		func() error { return p.LED("status").Set(true) },
		func() error { return p.Display().DefineGlyph(0, full) },
		func() error { return p.Display().DefineGlyph(1, half) },
		func() error {
			return p.Display().Show([]string{"COPYING 1 of 2", "\ue000\ue000\ue001\ue002 42%"})
		},
		func() error { return p.LED("1.green").Set(true) },
		func() error { return p.LED("2.green").Set(true) },
		func() error { return p.LED("2.red").Set(true) },
	}
	for _, s := range steps {
		if err := s(); err != nil {
			t.Fatal(err)
		}
	}
	io.WriteString(&out, "@panel {\"lcd\":\n")
	return out.String()
}

func TestFrame(t *testing.T) {
	v := sim.NewView(16, 2)
	for _, l := range strings.Split(kioskLines(t), "\n") {
		if m, ok, _ := sim.Decode([]byte(l)); ok {
			v.Apply(m)
		}
	}
	tests := []struct {
		color bool
		help  string
		want  string
	}{
		{false, "", "" +
			"┌────────────────┐\n" +
			"│COPYING 1 of 2  │\n" +
			"│██▒? 42%        │\n" +
			"└────────────────┘\n" +
			"status on  1 green  2 amber\n" +
			"\n"},
		{true, "keys", "\x1b[H\x1b[2J" +
			"┌────────────────┐\n" +
			"│COPYING 1 of 2  │\n" +
			"│██▒? 42%        │\n" +
			"└────────────────┘\n" +
			"status \x1b[97m●\x1b[0m  1 \x1b[32m●\x1b[0m  2 \x1b[33m●\x1b[0m\n" +
			"keys\n"},
	}
	for _, tt := range tests {
		if got := frame(v, tt.help, tt.color); got != tt.want {
			t.Errorf("frame(v, %q, %v) =\n%s; want\n%s", tt.help, tt.color, got, tt.want)
		}
	}
	v.LEDs["2.red"], v.LEDs["2.green"], v.LEDs["1.green"] = false, false, false
	v.LEDs["1.red"] = true
	if got, want := frame(v, "", false), "status on  1 red  2 off\n"; !strings.Contains(got, want) {
		t.Errorf("frame(v, \"\", false) = %q; want it to contain %q", got, want)
	}
	if got, want := frame(v, "", true), "2 \x1b[2m○\x1b[0m"; !strings.Contains(got, want) {
		t.Errorf("frame(v, \"\", true) = %q; want it to contain %q", got, want)
	}
}

func TestGlyphBlock(t *testing.T) {
	tests := []struct {
		g    hal.Glyph
		want rune
	}{
		{hal.Glyph{}, ' '},
		{hal.Glyph{0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10}, '░'},
		{hal.Glyph{0x1c, 0x1c, 0x1c, 0x1c, 0, 0, 0, 0}, '░'},
		{hal.Glyph{0x1e, 0x1e, 0x1e, 0x1e, 0x1e, 0x1e, 0x1e, 0x1e}, '▓'},
		{hal.Glyph{0x1c, 0x1c, 0x1c, 0x1c, 0x1c, 0x1c, 0x1c, 0x1c}, '▒'},
		{hal.Glyph{0x1f, 0x1f, 0x1f, 0x1f, 0x1f, 0x1f, 0x1f, 0x1f}, '█'},
	}
	for _, tt := range tests {
		if got := glyphBlock(sim.GlyphRows(tt.g)); got != tt.want {
			t.Errorf("glyphBlock(%v) = %q; want %q", tt.g, got, tt.want)
		}
	}
	if got := glyphBlock(nil); got != '?' {
		t.Errorf("glyphBlock(nil) = %q; want '?'", got)
	}
}

func TestPanelCommand(t *testing.T) {
	runSteps(t, t.TempDir(), []step{
		{"panel", 2, nil, "kioskctl: missing --connect\nusage: kioskctl panel --connect"},
		{"panel --connect serial:/dev/ttyS0", 2, nil, `kioskctl: --connect: "serial:/dev/ttyS0" is not -, unix:PATH or tcp:HOST:PORT`},
		{"panel --connect - extra", 2, nil, "kioskctl: want 0 argument(s), got 1"},
		{"panel --connect unix:DIR/none.sock", 1, nil, "kioskctl: dial unix"},
	})
	runStepsIn(t, t.TempDir(), kioskLines(t), []step{
		{"panel --connect -", 0, []string{
			"│                │\n", // the blank first frame
			"│COPYING 1 of 2  │\n│██▒? 42%        │\n",
			"status on  1 green  2 amber\n\n",
		}, "kioskctl: panel line \"@panel {\\\"lcd\\\":\": unexpected EOF\n"},
	})
}

// TestPanelConnect runs kioskctl panel against a kiosk on a unix socket:
// it shows what the kiosk sends and its keys press the kiosk's buttons.
func TestPanelConnect(t *testing.T) {
	dir := t.TempDir()
	l, err := net.Listen("unix", filepath.Join(dir, "panel.sock"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	got := make(chan []string, 1)
	go func() {
		conn, err := l.Accept()
		if err != nil {
			got <- []string{err.Error()}
			return
		}
		defer conn.Close()
		io.WriteString(conn, "@panel {\"lcd\":[\"READY\"]}\n")
		var lines []string
		sc := bufio.NewScanner(conn)
		for sc.Scan() {
			lines = append(lines, sc.Text())
		}
		got <- lines
	}()
	// The key q ends kioskctl; the keys before it are sent first.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var stdout, stderr bytes.Buffer
	var code int
	code = run(ctx, []string{"panel", "--connect", "unix:" + filepath.Join(dir, "panel.sock")}, strings.NewReader("g G\ni x q g\n"), &stdout, &stderr)
	if code != 0 || stderr.Len() != 0 {
		t.Errorf("run(panel --connect unix:…) = %d, stderr %q; want 0, none", code, stderr.String())
	}
	want := []string{
		`@panel {"sync":true}`,
		`@panel {"press":"go","ms":200}`,
		`@panel {"press":"go","ms":2100}`,
		`@panel {"press":"info","ms":200}`,
	}
	if lines := <-got; strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("kiosk received %q; want %q", lines, want)
	}
	if !strings.Contains(stdout.String(), "keys, then Enter: g GO") {
		t.Errorf("run(panel --connect unix:…) stdout = %q; want the key help", stdout.String())
	}
}

// waitWriter collects output and closes found once it contains want.
type waitWriter struct {
	mu    sync.Mutex
	b     bytes.Buffer
	want  string
	found chan struct{}
}

func (w *waitWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	had := strings.Contains(w.b.String(), w.want)
	w.b.Write(p)
	if !had && strings.Contains(w.b.String(), w.want) {
		close(w.found)
	}
	return len(p), nil
}

// TestPanelWithSim joins kioskctl panel and a kiosk's sim.Panel over a
// unix socket: the viewer joins after the kiosk set up its panel, shows
// it, and its key g reaches the kiosk as a press and a release of GO.
func TestPanelWithSim(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "panel.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	pressed := make(chan []bool, 1)
	go func() {
		conn, err := l.Accept()
		if err != nil {
			pressed <- nil
			return
		}
		defer conn.Close()
		p := sim.New(ctx, conn, conn, 16, 2, 1)
		p.Display().Show([]string{"READY"})
		p.LED("1.green").Set(true)
		var got []bool
		for e := range p.Button("go").Events() {
			if got = append(got, e.Pressed); len(got) == 2 {
				break
			}
		}
		pressed <- got
	}()
	stdout := &waitWriter{want: "│READY           │\n│                │\n└────────────────┘\n1 green\n", found: make(chan struct{})}
	var stderr bytes.Buffer
	code := make(chan int, 1)
	go func() {
		code <- run(ctx, []string{"panel", "--connect", "unix:" + sock}, strings.NewReader("g\n"), stdout, &stderr)
	}()
	if got := <-pressed; fmt.Sprint(got) != "[true false]" {
		t.Errorf("GO events after key g = %v; want [true false]", got)
	}
	select {
	case <-stdout.found:
	case <-ctx.Done():
		stdout.mu.Lock()
		t.Errorf("run(panel --connect unix:…) stdout = %q; want a frame with READY and port 1 green", stdout.b.String())
		stdout.mu.Unlock()
	}
	cancel()
	if c := <-code; c != 0 || stderr.Len() != 0 {
		t.Errorf("run(panel --connect unix:…) = %d, stderr %q; want 0, none", c, stderr.String())
	}
}
