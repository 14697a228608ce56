package library

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var verifyFiles = map[string]string{
	"a.txt":      "alpha",
	"위키/문서.html": "본문",
	"z/last.bin": "zzz",
}

func TestVerifyFindsDamage(t *testing.T) {
	tests := []struct {
		name   string
		damage func(t *testing.T, l *Library)
		path   string // the file the error names
		reason string
	}{
		{"changed content", func(t *testing.T, l *Library) {
			rewrite(t, l.ContentPath("위키/문서.html"), "본몬") // same size
		}, "위키/문서.html", "SHA-256 "},
		{"truncated", func(t *testing.T, l *Library) {
			rewrite(t, l.ContentPath("z/last.bin"), "zz")
		}, "z/last.bin", "size 2 bytes; the manifest says 3"},
		{"missing", func(t *testing.T, l *Library) {
			if err := os.Remove(l.ContentPath("a.txt")); err != nil {
				t.Fatal(err)
			}
		}, "a.txt", "missing"},
		{"replaced by a link", func(t *testing.T, l *Library) {
			p := l.ContentPath("a.txt")
			os.Remove(p)
			if err := os.Symlink("/dev/zero", p); err != nil {
				t.Fatal(err)
			}
		}, "a.txt", "is a symbolic link; a library holds none"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := buildLib(t, verifyFiles)
			tt.damage(t, l)
			err := l.Verify(context.Background())
			var ce *ContentError
			if !errors.As(err, &ce) || ce.Path != tt.path || !strings.Contains(ce.Reason, tt.reason) {
				t.Fatalf("Verify() = %v; want a *ContentError for %q saying %q", err, tt.path, tt.reason)
			}
			if !strings.Contains(err.Error(), tt.path) {
				t.Errorf("Verify() = %q; want the message to name %q", err, tt.path)
			}
			if tt.reason != "SHA-256 " {
				if err := l.CheckSizes(); !errors.As(err, &ce) || ce.Path != tt.path {
					t.Errorf("CheckSizes() = %v; want a *ContentError for %q", err, tt.path)
				}
			}
		})
	}
}

// rewrite replaces a library file's content in place; the file may be
// hard-linked to the source, so it is rewritten through a new inode.
func rewrite(t *testing.T, p, content string) {
	t.Helper()
	os.Remove(p)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestVerifyCancel(t *testing.T) {
	l := buildLib(t, verifyFiles)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := l.Verify(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Verify(cancelled) = %v; want context.Canceled", err)
	}
}

func TestLibraryOpen(t *testing.T) {
	l := buildLib(t, verifyFiles)
	read := func(p string) (string, error) {
		r, err := l.Open(p)
		if err != nil {
			return "", err
		}
		defer r.Close()
		b, err := io.ReadAll(r)
		return string(b), err
	}
	if got, err := read("위키/문서.html"); got != "본문" || err != nil {
		t.Errorf("read(위키/문서.html) = %q, %v; want 본문", got, err)
	}
	if _, err := read("nope.txt"); err == nil || !strings.Contains(err.Error(), `"nope.txt" is not a file of library`) {
		t.Errorf("Open(nope.txt) = %v; want not a file of the library", err)
	}
	tests := []struct {
		content string
		reason  string
	}{
		{"alphA", "SHA-256 "},
		{"alph", "size 4 bytes; the manifest says 5"},
		{"alphabet", "larger than the 5 bytes the manifest says"},
	}
	for _, tt := range tests {
		rewrite(t, l.ContentPath("a.txt"), tt.content)
		_, err := read("a.txt")
		var ce *ContentError
		if !errors.As(err, &ce) || ce.Path != "a.txt" || !strings.Contains(ce.Reason, tt.reason) {
			t.Errorf("read(a.txt holding %q) = %v; want a *ContentError saying %q", tt.content, err, tt.reason)
		}
	}
}

func TestBuildCopiesAcrossFileSystems(t *testing.T) {
	// /dev/shm is another file system than the test's temporary folder on
	// most machines, so Build must copy instead of linking.
	shm, err := os.MkdirTemp("/dev/shm", "library-test-")
	if err != nil {
		t.Fatal("no /dev/shm, which this test needs as a second file system:", err)
	}
	t.Cleanup(func() { os.RemoveAll(shm) })
	writeTree(t, shm, verifyFiles)
	out := filepath.Join(t.TempDir(), "lib")
	l, err := Build(context.Background(), shm, out, BuildOptions{Date: testDate})
	if err != nil {
		t.Fatalf("Build(%s) = %v", shm, err)
	}
	if err := l.Verify(context.Background()); err != nil {
		t.Errorf("Verify() = %v; want no error", err)
	}
}
