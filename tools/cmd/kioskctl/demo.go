package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"flashkiosk/firmware/flash"
	"flashkiosk/hal/sim"
	"flashkiosk/images"
	"flashkiosk/tools/e2e"
	"flashkiosk/tools/vm"
)

// demoStick is a virtual stick of the scripted demo.
type demoStick struct {
	port string
	size int64
	note string
}

// The scripted demo's sticks, plugged one after another; the first is
// too small for the library's second tier.
var demoSticks = []demoStick{
	{"1", 64 << 20, "too small for the tier-2 film: gets tier 1 and what else fits"},
	{"2", 192 << 20, "room for both tiers"},
	{"3", 256 << 20, "room for both tiers"},
}

// demoFilm is the size of the demo library's second tier.
const demoFilm = 80 << 20

// demoConfig is the demo kiosk's kiosk.toml: the simulated panel and
// the small sticks of a VM, and a label a person would choose (never the
// project's name: sticks must not carry it).
const demoConfig = "board = \"vm\"\nmin_size = \"32MiB\"\nlabel = \"WIKI\"\n"

// demoCommand boots the real kiosk in qemu with virtual USB sticks and
// shows its panel live: scripted (three sticks, GO, a check of each on
// the host, a summary) or, with --interactive, on the keyboard.
func demoCommand(ctx context.Context, in *invocation, args []string) error {
	interactive := in.flags.Bool("interactive", false, "leave the kiosk running with its panel on the keyboard; keys 1-4 plug and pull sticks")
	dir := in.flags.String("dir", filepath.Join("out", "demo-vm"), "`folder` for the demo's kiosk build, library, disks and sticks")
	if _, err := in.parse(args, 0); err != nil {
		return err
	}
	d := &demo{out: in.stdout, dir: *dir, started: time.Now()}
	if f, ok := in.stdout.(*os.File); ok && isTerminal(f) {
		d.color = true
	}
	if err := d.prepare(ctx); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	d.step("booting the kiosk in qemu (arm64, software emulation)")
	k, err := e2e.Boot(ctx, e2e.Config{Build: d.build, Disk: d.disk})
	if err != nil {
		return err
	}
	d.k = k
	defer k.Close()
	showCtx, stopShow := context.WithCancel(ctx)
	shown := make(chan struct{})
	go func() { d.show(showCtx); close(shown) }()
	d.stopShow = func() {
		stopShow()
		<-shown
	}
	defer d.stopShow()
	if err := d.wait(ctx, "the kiosk to start", func(_ sim.View, logs []string) bool { return e2e.Count(logs, "kioskd: ready") > 0 }); err != nil {
		return err
	}
	if *interactive {
		return d.interactive(ctx, in.stdin)
	}
	return d.script(ctx, in)
}

// demo is one run of the demo.
type demo struct {
	out     io.Writer
	dir     string
	color   bool
	started time.Time
	build   e2e.Build
	lib     string
	disk    string
	k       *e2e.Kiosk
	// stopShow ends the live view and waits until it has.
	stopShow func()

	mu    sync.Mutex
	now   string // the step under way
	help  string
	plugs int
}

// step tells what the demo does now.
func (d *demo) step(format string, args ...any) {
	s := fmt.Sprintf(format, args...)
	d.mu.Lock()
	d.now = s
	d.mu.Unlock()
	if !d.color || d.k == nil {
		fmt.Fprintf(d.out, "== %s (%s)\n", s, time.Since(d.started).Round(time.Second))
	}
}

// prepare builds the kiosk, the demo library and the system disk.
func (d *demo) prepare(ctx context.Context) error {
	if err := os.MkdirAll(d.dir, 0o755); err != nil {
		return err
	}
	d.step("building the kiosk: kioskd for arm64 in a u-root initramfs, board vm")
	var err error
	if d.build, err = e2e.BuildKiosk(ctx, d.dir); err != nil {
		return err
	}
	d.step("making the demo library: Korean and English pages in tier 1, an %s film in tier 2", flash.Bytes(demoFilm))
	film := bytes.NewBuffer(make([]byte, 0, demoFilm))
	rng := rand.NewChaCha8([32]byte{'f', 'i', 'l', 'm'})
	if _, err := io.CopyN(film, rng, demoFilm); err != nil {
		return err
	}
	demo, err := images.WriteDemo(ctx, filepath.Join(d.dir, "demo"), map[string][]byte{"extra/documentary.mp4": film.Bytes()})
	if err != nil {
		return err
	}
	d.lib = demo.Library
	fmt.Fprintf(d.out, "   signed with a DEMO key (%s): never use it for a real library\n", demo.Key)
	d.disk = filepath.Join(d.dir, "system.img")
	if err := os.Remove(d.disk); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	_, err = e2e.SystemDisk(ctx, d.disk, d.lib, demo.PublicKey, []byte(demoConfig))
	return err
}

// wait waits up to three minutes for ok.
func (d *demo) wait(ctx context.Context, what string, ok func(v sim.View, logs []string) bool) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	if err := d.k.Until(ctx, ok); err != nil {
		return fmt.Errorf("waiting for %s: %w", what, err)
	}
	return nil
}

// show draws the panel and the kiosk's log as they change, until ctx
// ends: on a terminal as one live screen, elsewhere as log lines and a
// plain frame when the display's text changes (at most every 2 s).
func (d *demo) show(ctx context.Context) {
	var last sim.View
	seen, printed := 0, time.Time{}
	for ctx.Err() == nil {
		err := d.k.Until(ctx, func(v sim.View, logs []string) bool {
			return len(logs) != seen || !slices.Equal(v.LCD, last.LCD) || !maps.Equal(v.LEDs, last.LEDs)
		})
		if err != nil {
			return
		}
		v, logs := d.k.Console.Snapshot()
		if d.color {
			d.mu.Lock()
			now, help := d.now, d.help
			d.mu.Unlock()
			var b strings.Builder
			b.WriteString(frame(&v, help, true))
			fmt.Fprintf(&b, "\n== %s (%s)\n\n", now, time.Since(d.started).Round(time.Second))
			for _, l := range logs[max(0, len(logs)-12):] {
				b.WriteString(l + "\n")
			}
			fmt.Fprint(d.out, b.String())
		} else {
			for _, l := range logs[seen:] {
				fmt.Fprintf(d.out, "   kiosk| %s\n", l)
			}
			if !slices.Equal(v.LCD, last.LCD) && time.Since(printed) > 2*time.Second {
				fmt.Fprint(d.out, frame(&v, "", false))
				printed = time.Now()
			}
		}
		last, seen = v, len(logs)
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// script plugs the demo's sticks, presses GO, waits for all of them,
// checks each on the host and prints a summary.
func (d *demo) script(ctx context.Context, in *invocation) error {
	var imgs []string
	for i, s := range demoSticks {
		img := filepath.Join(d.dir, fmt.Sprintf("stick%d.img", i+1))
		if err := vm.SparseImage(img, s.size); err != nil {
			return err
		}
		imgs = append(imgs, img)
		d.step("plugging a %s stick into port %s (%s)", flash.Bytes(s.size), s.port, s.note)
		if err := d.k.VM.PlugUSB(ctx, "stick"+s.port, vm.Stick{Image: img, Port: s.port}); err != nil {
			return err
		}
		if err := d.wait(ctx, "port "+s.port+" ready", func(v sim.View, _ []string) bool { return v.Has("P" + s.port + " READY") }); err != nil {
			return err
		}
	}
	d.step("pressing GO")
	if err := d.k.Press("go", 200*time.Millisecond); err != nil {
		return err
	}
	d.step("the kiosk probes, writes and verifies the three sticks at once")
	var done []string
	for _, s := range demoSticks {
		done = append(done, "P"+s.port+" DONE")
	}
	if err := d.wait(ctx, "all sticks done", func(v sim.View, _ []string) bool { return v.Has(done...) }); err != nil {
		return err
	}
	v, logs := d.k.Console.Snapshot()
	time.Sleep(300 * time.Millisecond) // let the live view show the end
	d.step("pulling the sticks and shutting the VM down")
	for _, s := range demoSticks {
		if err := d.k.VM.UnplugUSB(ctx, "stick"+s.port); err != nil {
			return err
		}
	}
	if err := d.wait(ctx, "the ports empty", func(v sim.View, _ []string) bool { return v.Has("CARD ") }); err != nil {
		return err
	}
	d.stopShow()
	d.k.Close()
	if !d.color {
		fmt.Fprint(d.out, frame(&v, "", false))
	}
	fmt.Fprintf(d.out, "\n== checking every stick on this PC with kioskctl check\n")
	failed := 0
	var summary []string
	for i, s := range demoSticks {
		var out bytes.Buffer
		code := run(ctx, []string{"check", "--library", d.lib, imgs[i]}, nil, &out, &out)
		fmt.Fprintf(d.out, "$ kioskctl check --library %s %s\n%s", d.lib, imgs[i], out.String())
		verdict := "check passed"
		if code != 0 {
			verdict, failed = "CHECK FAILED", failed+1
		}
		summary = append(summary, fmt.Sprintf("  port %s  %-8s  %-24s  %s  %s", s.port, flash.Bytes(s.size), lcdRow(v, "P"+s.port), verdict, loggedSpeeds(logs, s.port)))
	}
	fmt.Fprintf(d.out, "\n== summary (%s in all)\n%s\n", time.Since(d.started).Round(time.Second), strings.Join(summary, "\n"))
	if failed > 0 {
		return fmt.Errorf("%d of %d sticks failed their check", failed, len(demoSticks))
	}
	fmt.Fprintln(d.out, "every stick holds the library and nothing else; see `make demo-interactive` to try the panel yourself")
	return nil
}

// lcdRow is the display row of a port, trimmed.
func lcdRow(v sim.View, prefix string) string {
	for _, l := range v.LCD {
		if strings.HasPrefix(l, prefix+" ") {
			return strings.TrimSpace(l)
		}
	}
	return "?"
}

// loggedSpeeds is the write and verify speed the kiosk logged for a port.
func loggedSpeeds(logs []string, port string) string {
	for _, l := range logs {
		if strings.HasPrefix(l, "port "+port+": ") && strings.Contains(l, ": done: ") {
			if _, s, ok := strings.Cut(l, "), "); ok {
				return s
			}
		}
	}
	return ""
}

// interactive puts the panel on the keyboard and plugs and pulls sticks
// on keys 1 to 4, until q or ctx ends.
func (d *demo) interactive(ctx context.Context, keys io.Reader) error {
	help := "keys: g GO  G GO held (cancel)  i INFO  1-4 plug/pull a stick  q quit"
	if f, ok := keys.(*os.File); ok && isTerminal(f) {
		if restore, ok := rawKeys(f); ok {
			defer restore()
		} else {
			help = "keys, then Enter: g GO  G GO held (cancel)  i INFO  1-4 plug/pull a stick  q quit"
		}
	}
	d.mu.Lock()
	d.help = help
	d.mu.Unlock()
	d.step("the kiosk is yours: %s", help)
	plugged := map[rune]string{}
	sizes := map[rune]int64{'1': 64 << 20, '2': 128 << 20, '3': 256 << 20, '4': 512 << 20}
	other := func(k rune) {
		size, ok := sizes[k]
		if !ok {
			return
		}
		port := string(k)
		if id, ok := plugged[k]; ok {
			delete(plugged, k)
			if err := d.k.VM.UnplugUSB(ctx, id); err != nil {
				d.step("pull from port %s: %v", port, err)
				return
			}
			d.step("pulled the stick out of port %s", port)
			return
		}
		d.mu.Lock()
		d.plugs++
		id := fmt.Sprintf("s%d", d.plugs)
		d.mu.Unlock()
		img := filepath.Join(d.dir, fmt.Sprintf("port%s-%s.img", port, id))
		if err := vm.SparseImage(img, size); err != nil {
			d.step("make a stick: %v", err)
			return
		}
		if err := d.k.VM.PlugUSB(ctx, id, vm.Stick{Image: img, Port: port}); err != nil {
			d.step("plug into port %s: %v", port, err)
			return
		}
		plugged[k] = id
		d.step("plugged a %s stick (%s) into port %s", flash.Bytes(size), img, port)
	}
	quit := make(chan struct{})
	go readKeys(ctx, keys, consoleWriter{d.k}, quit, d.out, other)
	select {
	case <-quit:
	case <-ctx.Done():
	}
	return nil
}

// consoleWriter sends panel lines to the kiosk's serial console.
type consoleWriter struct{ k *e2e.Kiosk }

func (w consoleWriter) Write(p []byte) (int, error) {
	for _, line := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
		if err := w.k.VM.Send(line); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}
