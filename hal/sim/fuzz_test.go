package sim

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"flashkiosk/hal"
)

// FuzzPanelInput feeds any byte stream to a panel as its input, followed
// by a sync line. Whatever comes before, the panel must not panic, must
// read to the end within a bounded time (a press holds a fake clock, so
// no real time passes), and must answer the sync: one bad line never
// stops it. Every line it reports must be short enough for a log.
func FuzzPanelInput(f *testing.F) {
	f.Add([]byte("@panel {\"press\":\"go\",\"ms\":2100}\n@panel {\"button\":\"info\",\"pressed\":true}\n"))
	f.Add([]byte("boot: hello\n@panel {\"button\":\"go\"\n@panel {\"lcd\":[\"x\"]}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var out syncBuffer
		var longest int
		in := io.MultiReader(bytes.NewReader(data), strings.NewReader("\n@panel {\"sync\":true}\n"))
		p := New(ctx, in, &out, 16, 2, 1, WithClock(&fakeClock{now: t0}), WithLog(func(err error) {
			longest = max(longest, len(err.Error()))
		}))
		for _, name := range buttonNames { // drain, so that no event waits
			go func(ch <-chan hal.ButtonEvent) {
				for range ch {
				}
			}(p.Button(name).Events())
		}
		select {
		case <-p.Done():
		case <-time.After(10 * time.Second):
			t.Fatalf("panel still reading %d bytes of input after 10 s", len(data))
		}
		if !strings.Contains(out.String(), Prefix+"{\"lcd\":") {
			t.Fatalf("panel did not answer the sync line after %q; wrote %q", data, out.String())
		}
		if longest > 400 {
			t.Fatalf("panel logged an error of %d bytes; want at most 400", longest)
		}
	})
}
