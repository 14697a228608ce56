package library

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestOpenRegular(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, []byte("content"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("file", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "dir"), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		want string // part of the error; "" for none
	}{
		{"file", ""},
		{"link", "is not a regular file (L"},
		{"fifo", "is not a regular file (p"},
		{"dir", "is not a regular file (d"},
		{"missing", "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, id, known, err := openRegular(filepath.Join(dir, tt.name))
			if tt.want != "" {
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("openRegular(%s) = %v; want an error saying %q", tt.name, err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatalf("openRegular(%s) = %v; want nil", tt.name, err)
			}
			defer f.Close()
			data, err := io.ReadAll(f)
			if err != nil || string(data) != "content" {
				t.Errorf("read of openRegular(%s) = %q, %v; want %q", tt.name, data, err, "content")
			}
			var st syscall.Stat_t
			if err := syscall.Stat(file, &st); err != nil {
				t.Fatal(err)
			}
			if want := (identity{Dev: uint64(st.Dev), Ino: uint64(st.Ino), Size: st.Size, Mtime: st.Mtim.Nano(), Ctime: st.Ctim.Nano()}); !known || id != want {
				t.Errorf("openRegular(%s) identity = %+v, %v; want %+v, true", tt.name, id, known, want)
			}
		})
	}
}

func TestOpenRefusesAPipe(t *testing.T) {
	l := buildLib(t, map[string]string{"a.txt": "alpha"})
	p := l.ContentPath("a.txt")
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(p, 0o644); err != nil {
		t.Fatal(err)
	}
	var ce *ContentError
	if _, err := l.Open("a.txt"); !errors.As(err, &ce) || ce.Path != "a.txt" {
		t.Errorf("Open(a.txt) of a pipe = %v; want a *ContentError", err)
	}
}

// TestOpenContent checks both ways of opening beneath a folder without
// links, openat2 and the walk one folder at a time for kernels before it.
func TestOpenContent(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{"a/b/file": "content", "a/empty/": ""})
	for _, l := range []struct{ from, to string }{
		{"a/link", "b"}, {"a/b/filelink", "file"}, {"top", "a"}, {"a/out", "/etc"},
	} {
		if err := os.Symlink(l.to, filepath.Join(root, l.from)); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		rel  string
		want string // part of the error; "" for none
	}{
		{"a/b/file", ""},
		{"a/link/file", filepath.Join(root, "a/link") + " is a symbolic link"},
		{"a/b/filelink", filepath.Join(root, "a/b/filelink") + " is a symbolic link"},
		{"top/b/file", filepath.Join(root, "top") + " is a symbolic link"},
		{"a/out/passwd", filepath.Join(root, "a/out") + " is a symbolic link"},
		{"a/empty", "is not a regular file (d"},
		{"a/b/file/x", "not a directory"},
		{"a/missing", "no such file"},
	}
	d, err := openRoot(root)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	for _, openat2 := range []bool{true, false} {
		for _, tt := range tests {
			f, _, _, err := openBeneath(d, root, tt.rel, openat2)
			if tt.want == "" {
				if err != nil {
					t.Errorf("openBeneath(%s, openat2 %v) = %v; want no error", tt.rel, openat2, err)
					continue
				}
				data, err := io.ReadAll(f)
				f.Close()
				if string(data) != "content" || err != nil {
					t.Errorf("read of openBeneath(%s, openat2 %v) = %q, %v; want %q", tt.rel, openat2, data, err, "content")
				}
				continue
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("openBeneath(%s, openat2 %v) = %v; want an error saying %q", tt.rel, openat2, err, tt.want)
			}
			if err == nil {
				f.Close()
			}
		}
	}
}
