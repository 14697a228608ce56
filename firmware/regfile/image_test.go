package regfile

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestOpenImage(t *testing.T) {
	dir := t.TempDir()
	img := filepath.Join(dir, "card.img")
	if err := os.WriteFile(img, make([]byte, 1<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(img, link); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("losetup", "-f", "--show", img).Output()
	if err != nil {
		t.Fatalf("losetup (needs root and loop devices): %v", err)
	}
	loop := strings.TrimSpace(string(out))
	t.Cleanup(func() { exec.Command("losetup", "-d", loop).Run() })
	for _, tc := range []struct {
		name, path string
		kind       string // of the *NotImageError wanted; "" for success
	}{
		{"image file", img, ""},
		{"link to an image file", link, ""},
		{"block device", loop, ""},
		{"FIFO does not block", fifo, "a FIFO"},
		{"character device", "/dev/zero", "a character device"},
		{"directory", dir, "a directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			done := make(chan error, 1)
			go func() {
				f, err := OpenImage(tc.path)
				if err == nil {
					f.Close()
				}
				done <- err
			}()
			var err error
			select {
			case err = <-done:
			case <-time.After(10 * time.Second):
				t.Fatalf("OpenImage(%s) still blocked after 10 s", tc.path)
			}
			var ni *NotImageError
			switch {
			case tc.kind == "" && err != nil:
				t.Fatalf("OpenImage: %v", err)
			case tc.kind != "" && (!errors.As(err, &ni) || ni.Kind != tc.kind):
				t.Fatalf("OpenImage = %v; want *NotImageError of kind %q", err, tc.kind)
			case tc.kind != "" && !strings.Contains(err.Error(), "not an image file or a block device"):
				t.Fatalf("message %q does not name the rule", err)
			}
		})
	}
}
