package library

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// readAll reads a library file through Open, reporting whether the reader
// trusted a remembered block checksum rather than SHA-256.
func readAll(t *testing.T, l *Library, p string) (fast bool, err error) {
	t.Helper()
	r, err := l.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	_, err = io.Copy(io.Discard, r)
	return r.(*checkedReader).wantFast != nil, err
}

// reopen opens the library of l again, with the memory of verified files
// kept at path.
func reopen(t *testing.T, l *Library, path string) *Library {
	t.Helper()
	again, err := Open(l.Dir)
	if err != nil {
		t.Fatal(err)
	}
	again.LoadVerified(path)
	return again
}

func TestVerifiedFiles(t *testing.T) {
	files := map[string]string{"a.txt": "alpha", "위키/b.html": "beta beta"}
	t.Run("remembered after a SHA-256 pass", func(t *testing.T) {
		l := buildLib(t, files)
		for i, want := range []bool{false, true, true} {
			if fast, err := readAll(t, l, "a.txt"); err != nil || fast != want {
				t.Errorf("read %d of a.txt: fast %v, %v; want fast %v, nil", i+1, fast, err, want)
			}
		}
	})
	t.Run("a changed file is caught", func(t *testing.T) {
		l := buildLib(t, files)
		readAll(t, l, "a.txt")
		readAll(t, l, "위키/b.html")
		// Same size, same inode, other bytes: caught by SHA-256 if the change
		// time moved, by the remembered checksum if it fell in the same tick.
		f, err := os.OpenFile(l.ContentPath("a.txt"), os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		f.WriteAt([]byte("A"), 0)
		f.Close()
		var ce *ContentError
		if _, err := readAll(t, l, "a.txt"); !errors.As(err, &ce) {
			t.Errorf("read of a rewritten file: %v; want a *ContentError", err)
		}
		// Another size is another identity: back to SHA-256.
		if err := os.WriteFile(l.ContentPath("위키/b.html"), []byte("beta beta!"), 0o644); err != nil {
			t.Fatal(err)
		}
		if fast, err := readAll(t, l, "위키/b.html"); fast || !errors.As(err, &ce) {
			t.Errorf("read of a grown file: fast %v, %v; want the SHA-256 check to fail", fast, err)
		}
	})
	t.Run("a wrong remembered checksum is caught", func(t *testing.T) {
		l := buildLib(t, files)
		readAll(t, l, "a.txt")
		i, _ := l.Manifest.Lookup("a.txt")
		l.verified.files[i].sum ^= 1 // as if the bytes on disk had decayed since
		fast, err := readAll(t, l, "a.txt")
		var ce *ContentError
		if !fast || !errors.As(err, &ce) || ce.Path != "a.txt" {
			t.Errorf("read with a decayed file: fast %v, %v; want a *ContentError from the remembered checksum", fast, err)
		}
	})
	t.Run("Verify remembers, and the memory persists", func(t *testing.T) {
		t.Setenv("XDG_CACHE_HOME", t.TempDir())
		l := buildLib(t, files)
		if err := l.Verify(t.Context()); err != nil {
			t.Fatal(err)
		}
		path, err := VerifiedCachePath(l.Dir)
		if err != nil {
			t.Fatal(err)
		}
		if err := l.SaveVerified(path); err != nil {
			t.Fatal(err)
		}
		if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 || filepath.Dir(filepath.Dir(path)) != os.Getenv("XDG_CACHE_HOME") {
			t.Fatalf("cache file %s: %v, %v; want mode 0600 in the user's cache folder", path, st, err)
		}
		again := reopen(t, l, path)
		for p := range files {
			if fast, err := readAll(t, again, p); !fast || err != nil {
				t.Errorf("read of %q after LoadVerified: fast %v, %v; want fast", p, fast, err)
			}
		}
		// A cache written for another manifest is ignored.
		other := buildLib(t, map[string]string{"a.txt": "alpha"})
		other.LoadVerified(path)
		if fast, _ := readAll(t, other, "a.txt"); fast {
			t.Errorf("a cache of another library was trusted")
		}
		// So is one written with another checksum, and one cut short.
		data, err := os.ReadFile(path)
		if err != nil || !bytes.Contains(data, []byte(blockSumName)) {
			t.Fatalf("read %s: %v, or no checksum name in it", path, err)
		}
		otherSum := bytes.Replace(data, []byte(blockSumName), []byte(strings.Replace(blockSumName, "xxh3", "xxh4", 1)), 1)
		if bytes.Equal(otherSum, data) {
			t.Fatalf("the checksum name %q was not changed in the cache", blockSumName)
		}
		for _, bad := range [][]byte{
			otherSum,
			data[:len(data)-1],
		} {
			if err := os.WriteFile(path, bad, 0o600); err != nil {
				t.Fatal(err)
			}
			third := reopen(t, l, path)
			if fast, _ := readAll(t, third, "a.txt"); fast {
				t.Errorf("a cache of another checksum, or cut short, was trusted")
			}
		}
	})
	t.Run("the memory is written only when it changed", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "verified.json")
		l := buildLib(t, files)
		readAll(t, l, "a.txt")
		if err := l.SaveVerified(path); err != nil {
			t.Fatal(err)
		}
		again := reopen(t, l, path)
		os.Remove(path)
		readAll(t, again, "a.txt") // trusted: nothing new to remember
		if err := again.SaveVerified(path); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("SaveVerified with nothing new: stat = %v; want nothing written", err)
		}
		readAll(t, again, "위키/b.html")
		if err := again.SaveVerified(path); err != nil {
			t.Fatal(err)
		}
		third := reopen(t, l, path)
		for p := range files {
			if fast, err := readAll(t, third, p); !fast || err != nil {
				t.Errorf("read of %q after a second save: fast %v, %v; want fast", p, fast, err)
			}
		}
	})
}
