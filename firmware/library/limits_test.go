package library

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"flashkiosk/firmware/regfile"
)

// within runs f and fails the test if it has not returned after a few
// seconds: a read of a FIFO or of /dev/zero must not hang or run on.
func within(t *testing.T, what string, f func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-time.After(5 * time.Second):
		t.Fatalf("%s does not return", what)
		return nil
	}
}

// hostile puts something other than a small regular file at p.
type hostile func(t *testing.T, p string)

func fifo(t *testing.T, p string) {
	os.Remove(p)
	if err := syscall.Mkfifo(p, 0o644); err != nil {
		t.Fatal(err)
	}
}

func linkTo(target string) hostile {
	return func(t *testing.T, p string) {
		os.Remove(p)
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
	}
}

// linkToFile makes a link to a new file holding content.
func linkToFile(content string) hostile {
	return func(t *testing.T, p string) {
		target := filepath.Join(t.TempDir(), "target")
		if err := os.WriteFile(target, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		linkTo(target)(t, p)
	}
}

func sparse(size int64) hostile {
	return func(t *testing.T, p string) {
		os.Remove(p)
		if err := os.WriteFile(p, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Truncate(p, size); err != nil {
			t.Fatal(err)
		}
	}
}

func directory(t *testing.T, p string) {
	os.Remove(p)
	if err := os.Mkdir(p, 0o755); err != nil {
		t.Fatal(err)
	}
}

// TestOutsideFilesAreBounded puts FIFOs, links, devices, folders and huge
// sparse files where a library, a source or a key file is read: each read
// must end at once in an error of the right type that names the file.
func TestOutsideFilesAreBounded(t *testing.T) {
	priv, _ := newKey(t)
	var notRegular *regfile.NotRegularError
	var tooLarge *regfile.TooLargeError
	isNotRegular := func(kind string) func(error) bool {
		return func(err error) bool { return errors.As(err, &notRegular) && notRegular.Kind == kind }
	}
	isTooLarge := func(limit int64) func(error) bool {
		return func(err error) bool { return errors.As(err, &tooLarge) && tooLarge.Limit == limit }
	}
	var corrupt *CorruptManifestError
	var badSig *BadSignatureError
	var source *SourceError
	openLib := func(t *testing.T, l *Library, p string) error { _, err := Open(l.Dir); return err }
	checkSig := func(t *testing.T, l *Library, p string) error {
		l, err := Open(l.Dir) // the signature file is read as the library is opened
		if err != nil {
			return err
		}
		return l.CheckSignature()
	}
	build := func(t *testing.T, l *Library, p string) error {
		_, err := Build(context.Background(), filepath.Dir(p), filepath.Join(t.TempDir(), "out"), BuildOptions{Date: testDate})
		return err
	}
	readPub := func(t *testing.T, l *Library, p string) error { _, err := ReadPublicKey(p); return err }
	readPriv := func(t *testing.T, l *Library, p string) error { _, err := ReadPrivateKey(p); return err }
	tests := []struct {
		name  string
		file  func(l *Library) string // where the hostile file goes
		put   hostile
		do    func(t *testing.T, l *Library, p string) error
		typed func(error) bool // the error's types
		says  string           // part of its message, besides the file's name
	}{
		{"manifest FIFO", manifestOf, fifo, openLib,
			func(err error) bool { return errors.As(err, &corrupt) && isNotRegular("a FIFO")(err) }, "is a FIFO, not a regular file"},
		{"manifest link to /dev/zero", manifestOf, linkTo("/dev/zero"), openLib,
			func(err error) bool { return errors.As(err, &corrupt) && isNotRegular("a symbolic link")(err) }, "is a symbolic link"},
		{"manifest sparse 1 TiB", manifestOf, sparse(1 << 40), openLib,
			func(err error) bool { return errors.As(err, &corrupt) && isTooLarge(MaxManifestSize)(err) }, "is too large"},
		{"manifest a folder", manifestOf, directory, openLib,
			func(err error) bool { return errors.As(err, &corrupt) && isNotRegular("a directory")(err) }, "is a directory"},
		{"signature FIFO", signatureOf, fifo, checkSig,
			func(err error) bool { return errors.As(err, &badSig) && isNotRegular("a FIFO")(err) }, "a FIFO, not a regular file"},
		{"signature link to /dev/zero", signatureOf, linkTo("/dev/zero"), checkSig,
			func(err error) bool { return errors.As(err, &badSig) && isNotRegular("a symbolic link")(err) }, "a symbolic link"},
		{"signature sparse 4 GiB", signatureOf, sparse(4 << 30), checkSig,
			func(err error) bool { return errors.As(err, &badSig) && isTooLarge(MaxSignatureSize)(err) }, "4294967296 bytes"},
		{"signature a folder", signatureOf, directory, checkSig,
			func(err error) bool { return errors.As(err, &badSig) && isNotRegular("a directory")(err) }, "a directory"},
		{"tiers.toml FIFO", tiersOf, fifo, build,
			func(err error) bool { return errors.As(err, &source) && isNotRegular("a FIFO")(err) }, "is a FIFO"},
		{"tiers.toml link to /dev/zero", tiersOf, linkTo("/dev/zero"), build,
			func(err error) bool { return errors.As(err, &source) && isNotRegular("a symbolic link")(err) }, "is a symbolic link"},
		{"tiers.toml link to a good one", tiersOf, linkToFile("[[tier]]\npaths = [\"a.txt\"]\n"), build,
			func(err error) bool { return errors.As(err, &source) && isNotRegular("a symbolic link")(err) }, "is a symbolic link"},
		{"tiers.toml sparse 2 MiB", tiersOf, sparse(2 << 20), build,
			func(err error) bool { return errors.As(err, &source) && isTooLarge(MaxTiersSize)(err) }, "2097152 bytes"},
		{"public key /dev/zero", keyOf, linkTo("/dev/zero"), readPub, isNotRegular("a character device"), "is a character device"},
		{"private key /dev/zero", keyOf, linkTo("/dev/zero"), readPriv, isNotRegular("a character device"), "is a character device"},
		{"public key FIFO", keyOf, fifo, readPub, isNotRegular("a FIFO"), "is a FIFO"},
		{"private key sparse 1 GiB", keyOf, sparse(1 << 30), readPriv, isTooLarge(MaxKeySize), "is too large"},
		{"public key a folder", keyOf, directory, readPub, isNotRegular("a directory"), "is a directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := buildLib(t, verifyFiles)
			if err := Sign(context.Background(), l.Dir, priv); err != nil {
				t.Fatal(err)
			}
			p := tt.file(l)
			tt.put(t, p)
			err := within(t, tt.name, func() error { return tt.do(t, l, p) })
			if err == nil || !tt.typed(err) || !strings.Contains(err.Error(), tt.says) || !strings.Contains(err.Error(), p) {
				t.Fatalf("%s: error %v (%T); want one of the right types naming %s and saying %q", tt.name, err, err, p, tt.says)
			}
		})
	}
}

func manifestOf(l *Library) string  { return filepath.Join(l.Dir, ManifestFile) }
func signatureOf(l *Library) string { return filepath.Join(l.Dir, SignatureFile) }

// tiersOf puts a source folder beside the library and names its tiers.toml.
func tiersOf(l *Library) string {
	src := filepath.Join(filepath.Dir(l.Dir), "src")
	os.MkdirAll(src, 0o755)
	os.WriteFile(filepath.Join(src, "a.txt"), []byte("a"), 0o644)
	return filepath.Join(src, TiersFile)
}

func keyOf(l *Library) string { return filepath.Join(filepath.Dir(l.Dir), "key") }

// TestLoadVerifiedIgnoresHostileCache checks that a cache file that is a
// FIFO, a device or huge is ignored at once.
func TestLoadVerifiedIgnoresHostileCache(t *testing.T) {
	for _, tt := range []struct {
		name string
		put  hostile
	}{
		{"FIFO", fifo},
		{"link to /dev/zero", linkTo("/dev/zero")},
		{"sparse 1 TiB", sparse(1 << 40)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			l := buildLib(t, verifyFiles)
			p := filepath.Join(t.TempDir(), "verified.json")
			tt.put(t, p)
			within(t, "LoadVerified", func() error { l.LoadVerified(p); return nil })
			if len(l.verified.ids) != 0 {
				t.Errorf("LoadVerified(%s) remembered %d files; want none", tt.name, len(l.verified.ids))
			}
		})
	}
}

// TestSignRefusesIrregularSignature checks that Sign refuses, before it
// checks any file, to replace a manifest.sig that is not a regular file.
func TestSignRefusesIrregularSignature(t *testing.T) {
	priv, _ := newKey(t)
	for _, tt := range []struct {
		name string
		put  hostile
		want string
	}{
		{"folder", directory, "manifest.sig is a directory, not a regular file: remove it"},
		{"link", linkTo("/dev/null"), "manifest.sig is a symbolic link, not a regular file: remove it"},
		{"FIFO", fifo, "manifest.sig is a FIFO, not a regular file: remove it"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			l := buildLib(t, verifyFiles)
			p := signatureOf(l)
			tt.put(t, p)
			err := within(t, "Sign", func() error { return Sign(context.Background(), l.Dir, priv) })
			var nr *regfile.NotRegularError
			if !errors.As(err, &nr) || !strings.HasSuffix(err.Error(), tt.want) {
				t.Fatalf("Sign(%s as %s) = %v; want a *regfile.NotRegularError ending %q", SignatureFile, tt.name, err, tt.want)
			}
		})
	}
}
