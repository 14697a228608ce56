package regfile

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"
)

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	put := func(name string, data string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	small := put("small", "hello")
	big := put("big", "0123456789")
	sparse := filepath.Join(dir, "sparse")
	if err := os.WriteFile(sparse, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(sparse, 4<<30); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(small, link); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		path  string
		links Links
		want  string
		kind  string // of the *NotRegularError wanted
		large bool   // a *TooLargeError wanted
		other bool   // some other error wanted
	}{
		{name: "small", path: small, want: "hello"},
		{name: "at the limit", path: big, want: "0123456789"},
		{name: "link followed", path: link, links: Follow, want: "hello"},
		{name: "link refused", path: link, kind: "a symbolic link"},
		{name: "directory", path: dir, links: Follow, kind: "a directory"},
		{name: "FIFO does not block", path: fifo, links: Follow, kind: "a FIFO"},
		{name: "device", path: "/dev/zero", links: Follow, kind: "a character device"},
		{name: "sparse 4 GiB", path: sparse, large: true},
		{name: "missing", path: filepath.Join(dir, "none"), other: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			done := make(chan struct{})
			var got []byte
			var err error
			go func() { got, err = ReadFile(tc.path, tc.links, 10); close(done) }()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatalf("ReadFile(%s) hangs", tc.path)
			}
			var nr *NotRegularError
			var tl *TooLargeError
			switch {
			case tc.kind != "":
				if !errors.As(err, &nr) || nr.Kind != tc.kind {
					t.Fatalf("ReadFile(%s) = %q, %v; want a NotRegularError of %s", tc.path, got, err, tc.kind)
				}
			case tc.large:
				if !errors.As(err, &tl) || tl.Limit != 10 {
					t.Fatalf("ReadFile(%s) = %v; want a TooLargeError", tc.path, err)
				}
			case tc.other:
				if err == nil || errors.As(err, &nr) || errors.As(err, &tl) {
					t.Fatalf("ReadFile(%s) = %v; want a plain error", tc.path, err)
				}
			case err != nil || string(got) != tc.want:
				t.Fatalf("ReadFile(%s) = %q, %v; want %q", tc.path, got, err, tc.want)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path string
		bad  bool
	}{
		{file, false},
		{filepath.Join(dir, "new"), false},
		{dir, true},
	} {
		if err := Check(tc.path, Refuse); (err != nil) != tc.bad {
			t.Errorf("Check(%s) = %v; want an error: %v", tc.path, err, tc.bad)
		}
	}
}

// TestReadFileAllocatesOnce checks that a large file is read into a buffer
// sized from its stat size, not one grown by doubling.
func TestReadFileAllocatesOnce(t *testing.T) {
	const size = 16 << 20
	name := filepath.Join(t.TempDir(), "big")
	if err := os.WriteFile(name, make([]byte, size), 0o644); err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	data, err := ReadFile(name, Refuse, 64<<20)
	runtime.ReadMemStats(&after)
	if err != nil || len(data) != size {
		t.Fatalf("ReadFile(%s) = %d bytes, %v; want %d bytes", name, len(data), err, size)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > size+size/8 {
		t.Errorf("ReadFile(%d-byte file) allocated %d bytes; want at most %d", size, got, size+size/8)
	}
}
