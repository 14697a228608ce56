package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestDemo runs the scripted demo (`make demo`) as it is: it boots the
// real kiosk in qemu, writes three sticks and checks them on the host.
// Its run is the proof that the demo a partner tries first works.
func TestDemo(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	var out, errs bytes.Buffer
	if code := run(ctx, []string{"demo", "--dir", filepath.Join(t.TempDir(), "demo")}, nil, &out, &errs); code != 0 {
		t.Fatalf("kioskctl demo = %d\nstdout: %s\nstderr: %s", code, out.String(), errs.String())
	}
	for _, want := range []string{"signed with a DEMO key", "tier 1: 5 of 5, tier 2: 2 of 3", "== summary"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("kioskctl demo printed no %q:\n%s", want, out.String())
		}
	}
	if n := strings.Count(out.String(), "check passed"); n != 3 {
		t.Errorf("kioskctl demo's summary has %d passed checks; want 3:\n%s", n, out.String())
	}
}
