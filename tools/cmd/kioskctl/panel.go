package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"time"

	"flashkiosk/hal"
	"flashkiosk/hal/sim"
)

// Button presses sent for keys: a short press, and a long one held past
// the kiosk's two-second cancel gesture.
const (
	shortPress = 200 * time.Millisecond
	longPress  = 2100 * time.Millisecond
)

// panelCommand shows a simulated kiosk panel (hal/sim) live in the
// terminal and, over a connection, presses its buttons from the keyboard.
func panelCommand(ctx context.Context, in *invocation, args []string) error {
	connect := in.flags.String("connect", "", "where the kiosk's panel lines come from: - (stdin, view only), unix:PATH or tcp:HOST:PORT (keys press buttons)")
	if _, err := in.parse(args, 0, "connect"); err != nil {
		return err
	}
	color := false
	if f, ok := in.stdout.(*os.File); ok && isTerminal(f) {
		color = true
	}
	if *connect == "-" {
		return showPanel(ctx, in.stdin, nil, nil, "", in.stdout, in.stderr, color)
	}
	network, addr, ok := strings.Cut(*connect, ":")
	if !ok || addr == "" || network != "unix" && network != "tcp" {
		return &usageError{msg: fmt.Sprintf("--connect: %q is not -, unix:PATH or tcp:HOST:PORT", *connect), usage: in.usage()}
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	// The kiosk may have set up its panel long ago.
	if _, err := conn.Write(sim.Encode(sim.Message{Sync: true})); err != nil {
		return fmt.Errorf("ask the kiosk for its panel: %w", err)
	}
	help := "keys, then Enter: g GO  G GO (long)  i INFO  q quit"
	if f, ok := in.stdin.(*os.File); ok && isTerminal(f) {
		if restore, ok := rawKeys(f); ok {
			defer restore()
			help = "keys: g GO  G GO (long)  i INFO  q quit"
		}
	}
	return showPanel(ctx, conn, conn, in.stdin, help, in.stdout, in.stderr, color)
}

// rawKeys makes the terminal f pass on each key at once, unechoed, and
// returns how to undo that; ok is false if it could not. It runs stty(1)
// because golang.org/x/term is not among the module's dependencies.
func rawKeys(f *os.File) (restore func(), ok bool) {
	stty := func(args ...string) ([]byte, error) {
		cmd := exec.Command("stty", args...)
		cmd.Stdin = f
		return cmd.Output()
	}
	saved, err := stty("-g")
	if err != nil {
		return nil, false
	}
	if _, err := stty("-icanon", "-echo", "min", "1"); err != nil {
		return nil, false
	}
	return func() { stty(strings.TrimSpace(string(saved))) }, true
}

// showPanel draws a frame on out for each panel line read from src until
// src ends, ctx is done or the key q is read. When keys is not nil, its
// keys send button presses to dst: g presses GO, G holds GO for a long
// press, i presses INFO; help, if any, is shown under each frame.
// Malformed panel lines are reported on warn.
func showPanel(ctx context.Context, src io.Reader, dst io.Writer, keys io.Reader, help string, out, warn io.Writer, color bool) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	lines := make(chan []byte)
	readErr := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(src)
		sc.Buffer(make([]byte, 4096), 64*1024)
		for sc.Scan() {
			select {
			case lines <- append([]byte(nil), sc.Bytes()...):
			case <-ctx.Done():
				return
			}
		}
		readErr <- sc.Err()
	}()
	quit := make(chan struct{})
	if keys != nil {
		go readKeys(ctx, keys, dst, quit, warn, nil)
	}
	v := sim.NewView(16, 2)
	fmt.Fprint(out, frame(v, help, color))
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-quit:
			return nil
		case err := <-readErr:
			if err != nil && ctx.Err() == nil {
				return fmt.Errorf("read panel lines: %w", err)
			}
			return nil
		case line := <-lines:
			m, ok, err := sim.Decode(line)
			if err != nil {
				fmt.Fprintf(warn, "kioskctl: %s\n", oneLine(err.Error()))
				continue
			}
			if ok && v.Apply(m) {
				fmt.Fprint(out, frame(v, help, color))
			}
		}
	}
}

// readKeys turns keys into button lines on dst until keys ends, q is read
// (then it closes quit) or ctx is done; other keys go to other, if set.
func readKeys(ctx context.Context, keys io.Reader, dst io.Writer, quit chan<- struct{}, warn io.Writer, other func(rune)) {
	r := bufio.NewReader(keys)
	for ctx.Err() == nil {
		k, _, err := r.ReadRune()
		if err != nil {
			return
		}
		var m sim.Message
		switch k {
		case 'g':
			m = sim.Message{Press: "go", MS: int(shortPress / time.Millisecond)}
		case 'G':
			m = sim.Message{Press: "go", MS: int(longPress / time.Millisecond)}
		case 'i':
			m = sim.Message{Press: "info", MS: int(shortPress / time.Millisecond)}
		case 'q':
			close(quit)
			return
		default:
			if other != nil {
				other(k)
			}
			continue
		}
		if _, err := dst.Write(sim.Encode(m)); err != nil {
			fmt.Fprintf(warn, "kioskctl: send button press: %s\n", oneLine(err.Error()))
			return
		}
	}
}

// ANSI colours of the LED dots.
const (
	ansiReset = "\x1b[0m"
	ansiGreen = "\x1b[32m"
	ansiRed   = "\x1b[31m"
	ansiAmber = "\x1b[33m"
	ansiWhite = "\x1b[97m"
	ansiDim   = "\x1b[2m"
	ansiClear = "\x1b[H\x1b[2J"
)

// frame renders v as text: the LCD in a box, then the LEDs, then help.
// With color it clears the terminal first and draws LEDs as coloured
// dots; without, it names their colours and ends with a blank line, so a
// pipe or a log gets one plain frame after another.
func frame(v *sim.View, help string, color bool) string {
	var b strings.Builder
	if color {
		b.WriteString(ansiClear)
	}
	width := 0
	for _, l := range v.LCD {
		width = max(width, len([]rune(l)))
	}
	bar := strings.Repeat("─", width)
	b.WriteString("┌" + bar + "┐\n")
	for _, l := range v.LCD {
		b.WriteString("│")
		n := 0
		for _, r := range l {
			if slot, ok := hal.GlyphSlot(r); ok {
				r = glyphBlock(v.Glyphs[strconv.Itoa(slot)])
			}
			b.WriteRune(r)
			n++
		}
		b.WriteString(strings.Repeat(" ", width-n) + "│\n")
	}
	b.WriteString("└" + bar + "┘\n")
	var leds []string
	if on, ok := v.LEDs["status"]; ok {
		leds = append(leds, "status "+ledText(on, ansiWhite, "on", color))
	}
	for _, p := range ports(v.LEDs) {
		g, r := v.LEDs[p+".green"], v.LEDs[p+".red"]
		switch {
		case g && r:
			leds = append(leds, p+" "+ledText(true, ansiAmber, "amber", color))
		case g:
			leds = append(leds, p+" "+ledText(true, ansiGreen, "green", color))
		case r:
			leds = append(leds, p+" "+ledText(true, ansiRed, "red", color))
		default:
			leds = append(leds, p+" "+ledText(false, "", "", color))
		}
	}
	if len(leds) > 0 {
		b.WriteString(strings.Join(leds, "  ") + "\n")
	}
	if help != "" {
		b.WriteString(help + "\n")
	}
	if !color {
		b.WriteString("\n")
	}
	return b.String()
}

// ledText draws one LED: a dot in colour, or the name of its colour.
func ledText(on bool, ansi, name string, color bool) string {
	switch {
	case !on && color:
		return ansiDim + "○" + ansiReset
	case !on:
		return "off"
	case color:
		return ansi + "●" + ansiReset
	}
	return name
}

// ports lists the port numbers named by "N.green" and "N.red" LEDs, in
// numeric order.
func ports(leds map[string]bool) []string {
	seen := map[int]bool{}
	for name := range leds {
		p, _, ok := strings.Cut(name, ".")
		if n, err := strconv.Atoi(p); ok && err == nil {
			seen[n] = true
		}
	}
	var ns []int
	for n := range seen {
		ns = append(ns, n)
	}
	sort.Ints(ns)
	var out []string
	for _, n := range ns {
		out = append(out, strconv.Itoa(n))
	}
	return out
}

// glyphBlock stands for a 5x8 custom glyph in one terminal cell: a shade
// as dark as the glyph is full, or '?' for a glyph never defined.
func glyphBlock(rows []string) rune {
	g, err := sim.ParseGlyph(rows)
	if err != nil {
		return '?'
	}
	lit := 0
	for _, row := range g {
		for bit := 0; bit < 5; bit++ {
			if row&(1<<bit) != 0 {
				lit++
			}
		}
	}
	shades := []rune(" ░▒▓█")
	return shades[(lit*(len(shades)-1)+20)/40]
}
