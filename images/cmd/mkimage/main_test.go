package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"flashkiosk/firmware/library"
	"flashkiosk/images"
)

// TestRunRefuses checks the command lines mkimage refuses before it
// builds anything: a partner's library needs the key that signed it.
func TestRunRefuses(t *testing.T) {
	dir := t.TempDir()
	d, err := images.WriteDemo(context.Background(), filepath.Join(dir, "demo"), nil)
	if err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "other.key")
	if _, err := library.GenerateKey(other); err != nil {
		t.Fatal(err)
	}
	img := filepath.Join(dir, "card.img")
	for _, tc := range []struct {
		args string
		want string
	}{
		{"-library " + d.Library, "LIBRARY given without KEY"},
		{"-key " + d.Key, "KEY given without LIBRARY"},
		{"-library " + d.Library + " -key " + other, "does not verify under " + other + ".pub"},
		{"-library " + dir + " -key " + d.Key, "manifest.json"},
		{"extra", "unexpected arguments"},
	} {
		var out bytes.Buffer
		err := run(context.Background(), append(strings.Fields(tc.args), "-o", img), &out)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("run(%s) = %v; want an error with %q", tc.args, err, tc.want)
		}
	}
}
