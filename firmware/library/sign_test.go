package library

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// newKey makes a key pair in a fresh folder.
func newKey(t *testing.T) (ed25519.PrivateKey, ed25519.PublicKey) {
	t.Helper()
	name := filepath.Join(t.TempDir(), "key")
	pub, err := GenerateKey(name)
	if err != nil {
		t.Fatalf("GenerateKey(%s) = %v", name, err)
	}
	priv, err := ReadPrivateKey(name)
	if err != nil {
		t.Fatalf("ReadPrivateKey(%s) = %v", name, err)
	}
	readPub, err := ReadPublicKey(name + PublicKeySuffix)
	if err != nil {
		t.Fatalf("ReadPublicKey(%s.pub) = %v", name, err)
	}
	if !readPub.Equal(pub) || !priv.Public().(ed25519.PublicKey).Equal(pub) {
		t.Fatalf("key files of %s do not round-trip", name)
	}
	return priv, pub
}

func TestSignAndCheck(t *testing.T) {
	priv, pub := newKey(t)
	_, otherPub := newKey(t)
	tests := []struct {
		name   string
		sign   bool
		tamper func(t *testing.T, dir string) // before Open

		trusted []ed25519.PublicKey
		check   func(err error) bool
	}{
		{"valid", true, nil, []ed25519.PublicKey{pub}, func(err error) bool { return err == nil }},
		{"valid among several", true, nil, []ed25519.PublicKey{otherPub, pub}, func(err error) bool { return err == nil }},
		{"unsigned", false, nil, []ed25519.PublicKey{pub}, func(err error) bool { return errors.Is(err, ErrUnsigned) }},
		{"wrong key", true, nil, []ed25519.PublicKey{otherPub}, func(err error) bool {
			var e *UnknownKeyError
			return errors.As(err, &e) && e.Key == Fingerprint(pub) && len(e.Trusted) == 1 &&
				strings.Contains(err.Error(), "which is not trusted")
		}},
		{"no trusted key", true, nil, nil, func(err error) bool {
			var e *UnknownKeyError
			return errors.As(err, &e) && err.Error() == "valid signature by key "+Fingerprint(pub)+", not checked against a trusted key"
		}},
		{"manifest changed", true, func(t *testing.T, dir string) {
			file := filepath.Join(dir, ManifestFile)
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(file, append(data, ' '), 0o644); err != nil {
				t.Fatal(err)
			}
		}, []ed25519.PublicKey{pub}, func(err error) bool {
			var e *BadSignatureError
			return errors.As(err, &e) && e.Key == Fingerprint(pub) && strings.Contains(err.Error(), "the manifest changed after signing")
		}},
		{"signature damaged", true, func(t *testing.T, dir string) {
			if err := os.WriteFile(filepath.Join(dir, SignatureFile), []byte(`{"format":1}`), 0o644); err != nil {
				t.Fatal(err)
			}
		}, []ed25519.PublicKey{pub}, func(err error) bool {
			var e *BadSignatureError
			return errors.As(err, &e) && strings.Contains(err.Error(), `algorithm ""`)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := buildLib(t, verifyFiles)
			if tt.sign {
				if err := Sign(context.Background(), l.Dir, priv); err != nil {
					t.Fatalf("Sign(%s) = %v", l.Dir, err)
				}
			}
			if tt.tamper != nil {
				tt.tamper(t, l.Dir)
			}
			l, err := Open(l.Dir)
			if err != nil {
				t.Fatal(err)
			}
			if err := l.CheckSignature(tt.trusted...); !tt.check(err) {
				t.Errorf("CheckSignature() = %v; not the expected outcome", err)
			}
		})
	}
}

func TestTamperedManifestFailsSignature(t *testing.T) {
	priv, pub := newKey(t)
	l := buildLib(t, verifyFiles)
	if err := Sign(context.Background(), l.Dir, priv); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(l.Dir, ManifestFile)
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	data = []byte(strings.Replace(string(data), `"name": "test"`, `"name": "evil"`, 1))
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	l, err = Open(l.Dir)
	if err != nil {
		t.Fatal(err)
	}
	var e *BadSignatureError
	if err := l.CheckSignature(pub); !errors.As(err, &e) {
		t.Errorf("CheckSignature() after changing the manifest = %v; want a *BadSignatureError", err)
	}
}

func TestSignRefusesChangedFiles(t *testing.T) {
	priv, _ := newKey(t)
	l := buildLib(t, verifyFiles)
	rewrite(t, l.ContentPath("a.txt"), "alphA")
	err := Sign(context.Background(), l.Dir, priv)
	var ce *ContentError
	if !errors.As(err, &ce) || ce.Path != "a.txt" || !strings.HasPrefix(err.Error(), "refusing to sign") {
		t.Errorf("Sign(changed library) = %v; want a refusal naming a.txt", err)
	}
	if _, err := os.Stat(filepath.Join(l.Dir, SignatureFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Sign(changed library) wrote %s; want none", SignatureFile)
	}
}

func TestKeyFiles(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "key")
	if _, err := GenerateKey(name); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(name)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("private key mode = %v, %v; want 0600", info.Mode(), err)
	}
	if _, err := GenerateKey(name); err == nil || !strings.Contains(err.Error(), "refusing to overwrite "+name) {
		t.Errorf("GenerateKey(existing) = %v; want a refusal", err)
	}
	lone := filepath.Join(dir, "lone")
	writeTree(t, dir, map[string]string{"lone.pub": "x"})
	if _, err := GenerateKey(lone); err == nil || !strings.Contains(err.Error(), "refusing to overwrite "+lone+".pub") {
		t.Errorf("GenerateKey(existing .pub) = %v; want a refusal", err)
	}
	if _, err := os.Stat(lone); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("GenerateKey(existing .pub) wrote the private key; want nothing")
	}
	tests := []struct {
		name string
		read func(string) error
		file string
		want string
	}{
		{"public as private", readPriv, name + ".pub", "this is a public key; give the private key file"},
		{"private as public", readPub, name, "this is a private key; give the .pub file"},
		{"garbage", readPub, filepath.Join(dir, "lone.pub"), "not a flashkiosk public key file"},
		{"bad base64", readPub, writeText(t, dir, "bad.pub", publicKeyHeader+"\n!!!\n", 0o644), "the second line must be 32 bytes in base64"},
		{"readable private key", readPriv, writeText(t, dir, "open", privateKeyHeader+"\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n", 0o644), "may be read by others (mode 0644): run chmod 600"},
	}
	for _, tt := range tests {
		if err := tt.read(tt.file); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: read(%s) = %v; want %q", tt.name, tt.file, err, tt.want)
		}
	}
}

// TestParsePublicKey reads a key from bytes, as a kiosk reads it off its
// card, and names the given place in errors.
func TestParsePublicKey(t *testing.T) {
	name := filepath.Join(t.TempDir(), "key")
	want, err := GenerateKey(name)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(name + PublicKeySuffix)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := ParsePublicKey(data, "library.pub on /dev/vda1"); err != nil || !got.Equal(want) {
		t.Errorf("ParsePublicKey(key file) = %x, %v; want %x", got, err, want)
	}
	_, err = ParsePublicKey([]byte("x"), "library.pub on /dev/vda1")
	if err == nil || !strings.HasPrefix(err.Error(), "library.pub on /dev/vda1: not a flashkiosk public key file") {
		t.Errorf("ParsePublicKey(garbage) = %v; want it named library.pub on /dev/vda1", err)
	}
}

func readPriv(name string) error { _, err := ReadPrivateKey(name); return err }
func readPub(name string) error  { _, err := ReadPublicKey(name); return err }

func writeText(t *testing.T, dir, name, text string, perm os.FileMode) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), perm); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestFingerprint(t *testing.T) {
	pub := make(ed25519.PublicKey, ed25519.PublicKeySize)
	// SHA-256 of 32 zero bytes starts 66687aadf862bd77.
	if got := Fingerprint(pub); got != "66687aadf862bd77" {
		t.Errorf("Fingerprint(zero key) = %s; want 66687aadf862bd77", got)
	}
}

func TestVerifyManifest(t *testing.T) {
	l := buildLib(t, map[string]string{"a.txt": "a"})
	priv, pub := newKey(t)
	_, other := newKey(t)
	if err := Sign(t.Context(), l.Dir, priv); err != nil {
		t.Fatal(err)
	}
	manifest, err := os.ReadFile(filepath.Join(l.Dir, ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	sig, err := os.ReadFile(filepath.Join(l.Dir, SignatureFile))
	if err != nil {
		t.Fatal(err)
	}
	tampered := bytes.Replace(manifest, []byte(`"a.txt"`), []byte(`"b.txt"`), 1)
	var unknown *UnknownKeyError
	var bad *BadSignatureError
	for _, tc := range []struct {
		name     string
		manifest []byte
		sig      []byte
		trusted  []ed25519.PublicKey
		ok       func(error) bool
	}{
		{"valid, any signer", manifest, sig, nil, func(err error) bool { return err == nil }},
		{"valid, trusted signer", manifest, sig, []ed25519.PublicKey{pub}, func(err error) bool { return err == nil }},
		{"valid, other signer", manifest, sig, []ed25519.PublicKey{other}, func(err error) bool { return errors.As(err, &unknown) }},
		{"tampered manifest", tampered, sig, nil, func(err error) bool { return errors.As(err, &bad) }},
		{"garbage signature", manifest, []byte("{}"), nil, func(err error) bool { return errors.As(err, &bad) }},
		{"not JSON", manifest, []byte("\x00\x01"), nil, func(err error) bool { return errors.As(err, &bad) }},
		{"key twice", manifest, bytes.Replace(sig, []byte(`"format": 1,`), []byte(`"format": 1, "format": 1,`), 1), nil, func(err error) bool {
			return errors.As(err, &bad) && strings.Contains(err.Error(), `key "format" at offset 17 is in its object twice`)
		}},
		{"key of another case", manifest, bytes.Replace(sig, []byte(`"key"`), []byte(`"Key"`), 1), nil, func(err error) bool {
			return errors.As(err, &bad) && strings.Contains(err.Error(), `key "Key" at offset`)
		}},
	} {
		if err := VerifyManifest(tc.manifest, tc.sig, tc.trusted...); !tc.ok(err) {
			t.Errorf("VerifyManifest(%s) = %v", tc.name, err)
		}
	}
}
