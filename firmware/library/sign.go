package library

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"flashkiosk/firmware/regfile"
)

// The first lines of key files, saying what they hold.
const (
	privateKeyHeader = "flashkiosk ed25519 private key: keep secret"
	publicKeyHeader  = "flashkiosk ed25519 public key"
)

// PublicKeySuffix is added to a private key file's name for its public key.
const PublicKeySuffix = ".pub"

// Fingerprint names a public key: the first 8 bytes of its SHA-256, in hex.
func Fingerprint(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:8])
}

// GenerateKey makes a new signing key and writes it to the file name
// (private, mode 0600) and name+".pub" (public). It refuses to overwrite
// either file.
func GenerateKey(name string) (ed25519.PublicKey, error) {
	pubName := name + PublicKeySuffix
	for _, f := range []string{name, pubName} {
		if _, err := os.Lstat(f); !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("refusing to overwrite %s: choose another name", f)
		}
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	if err := writeKey(name, privateKeyHeader, priv.Seed(), 0o600); err != nil {
		return nil, err
	}
	if err := writeKey(pubName, publicKeyHeader, pub, 0o644); err != nil {
		os.Remove(name)
		return nil, err
	}
	return pub, nil
}

func writeKey(name, header string, key []byte, perm os.FileMode) error {
	text := header + "\n" + base64.StdEncoding.EncodeToString(key) + "\n"
	if err := writeFile(name, []byte(text), perm, false); err != nil {
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("refusing to overwrite %s: choose another name", name)
		}
		return fmt.Errorf("write key: %w", err)
	}
	return nil
}

// ReadPrivateKey reads a private key file written by GenerateKey. It
// refuses a file that others may read, and, as ReadPublicKey, anything but
// a regular file of at most MaxKeySize bytes.
func ReadPrivateKey(name string) (ed25519.PrivateKey, error) {
	seed, err := readKey(name, "private key", privateKeyHeader, ed25519.SeedSize)
	if err != nil {
		return nil, err
	}
	info, err := os.Stat(name)
	if err != nil {
		return nil, fmt.Errorf("read private key: %w", err)
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("private key %s may be read by others (mode %04o): run chmod 600 on it", name, perm)
	}
	return ed25519.NewKeyFromSeed(seed), nil
}

// ReadPublicKey reads a public key file written by GenerateKey. A link is
// followed, but what it names must be a regular file of at most
// MaxKeySize bytes.
func ReadPublicKey(name string) (ed25519.PublicKey, error) {
	data, err := readKeyFile(name)
	if err != nil {
		return nil, err
	}
	return ParsePublicKey(data, name)
}

// readKeyFile reads a key file named by a user: a link is followed, but
// only to a regular file. Errors are *regfile.NotRegularError,
// *regfile.TooLargeError or *fs.PathError, wrapped.
func readKeyFile(name string) ([]byte, error) {
	data, err := regfile.ReadFile(name, regfile.Follow, MaxKeySize)
	if err != nil {
		return nil, fmt.Errorf("read key: %w", err)
	}
	return data, nil
}

// ParsePublicKey reads a public key from data, the contents of a file
// GenerateKey wrote, such as a kiosk card's library.pub read off its FAT
// volume; name says in errors where data came from.
func ParsePublicKey(data []byte, name string) (ed25519.PublicKey, error) {
	key, err := parseKey(data, name, "public key", publicKeyHeader, ed25519.PublicKeySize)
	if err != nil {
		return nil, err
	}
	return ed25519.PublicKey(key), nil
}

// readKey reads a key file: its header line, then size bytes in base64.
func readKey(name, what, header string, size int) ([]byte, error) {
	data, err := readKeyFile(name)
	if err != nil {
		return nil, err
	}
	return parseKey(data, name, what, header, size)
}

// parseKey parses the contents of a key file read from name.
func parseKey(data []byte, name, what, header string, size int) ([]byte, error) {
	first, rest, _ := strings.Cut(string(data), "\n")
	if first != header {
		hint := ""
		if first == privateKeyHeader {
			hint = " (this is a private key; give the " + PublicKeySuffix + " file)"
		} else if first == publicKeyHeader {
			hint = " (this is a public key; give the private key file)"
		}
		return nil, fmt.Errorf("%s: not a flashkiosk %s file: its first line should be %q%s", name, what, header, hint)
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(rest))
	if err != nil || len(key) != size {
		return nil, fmt.Errorf("%s: the second line must be %d bytes in base64", name, size)
	}
	return key, nil
}

// signature is the content of manifest.sig.
type signature struct {
	Format    int    `json:"format"`    // FormatVersion
	Algorithm string `json:"algorithm"` // "ed25519"
	Key       []byte `json:"key"`       // the signer's public key, to name it; trust comes from the caller
	Signature []byte `json:"signature"` // over the exact bytes of manifest.json
}

// Sign checks every file of the library in dir against its manifest, and
// only then signs the manifest with key, writing manifest.sig atomically.
func Sign(ctx context.Context, dir string, key ed25519.PrivateKey) error {
	if len(key) != ed25519.PrivateKeySize {
		return fmt.Errorf("BUG: private key of %d bytes", len(key))
	}
	sigFile := filepath.Join(dir, SignatureFile)
	// Checked first, as checking every file takes long; the rename at the
	// end would fail on a folder with a message that does not say what
	// to do.
	if err := regfile.Check(sigFile, regfile.Refuse); err != nil {
		return fmt.Errorf("refusing to sign %s: %w: remove it", dir, err)
	}
	l, err := Open(dir)
	if err != nil {
		return err
	}
	if err := l.Verify(ctx); err != nil {
		return fmt.Errorf("refusing to sign %s: %w", dir, err)
	}
	// The manifest is read twice more, as Ed25519 hashes it twice, and
	// signed only if both times it holds the bytes Open checked.
	sig, err := signStream(key, l.rereadManifest)
	if err != nil {
		return err
	}
	data, err := marshalSignature(key.Public().(ed25519.PublicKey), sig)
	if err != nil {
		return err
	}
	return writeFile(sigFile, data, 0o644, true)
}

// rereadManifest writes the manifest's bytes to w, failing if they are not
// those Open read.
func (l *Library) rereadManifest(w io.Writer) error {
	file := filepath.Join(l.Dir, ManifestFile)
	f, err := regfile.Open(file, regfile.Refuse)
	if err != nil {
		return err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(w, h), io.LimitReader(f, MaxManifestSize+1)); err != nil {
		return fmt.Errorf("read %s: %w", file, err)
	}
	if !bytes.Equal(h.Sum(nil), l.sum[:]) {
		return fmt.Errorf("%s changed while it was signed: sign it again", file)
	}
	return nil
}

// marshalSignature returns the contents of a signature file holding the
// signature sig by key pub.
func marshalSignature(pub ed25519.PublicKey, sig []byte) ([]byte, error) {
	s := signature{
		Format:    FormatVersion,
		Algorithm: "ed25519",
		Key:       pub,
		Signature: sig,
	}
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(data, '\n'), nil
}

// readSignature reads and checks the form of a signature file. A file that
// is not regular (a link included: Sign writes none) or is larger than
// MaxSignatureSize is a *BadSignatureError wrapping the *regfile error; a
// missing one an error wrapping fs.ErrNotExist.
func readSignature(file string) (*signature, error) {
	data, err := regfile.ReadFile(file, regfile.Refuse, MaxSignatureSize)
	var notRegular *regfile.NotRegularError
	var tooLarge *regfile.TooLargeError
	switch {
	case errors.As(err, &notRegular):
		return nil, &BadSignatureError{File: file, Reason: notRegular.Kind + ", not a regular file", Err: err}
	case errors.As(err, &tooLarge):
		return nil, &BadSignatureError{File: file, Err: err,
			Reason: fmt.Sprintf("%d bytes; a signature file has at most %d", tooLarge.Size, tooLarge.Limit)}
	case err != nil:
		return nil, err
	}
	return parseSignature(data, file)
}

// parseSignature checks the form of a signature file's bytes; file names
// it in errors.
func parseSignature(data []byte, file string) (*signature, error) {
	bad := func(why string) error { return &BadSignatureError{File: file, Reason: why} }
	if len(data) > MaxSignatureSize {
		return nil, bad(fmt.Sprintf("%d bytes; a signature file has at most %d", len(data), MaxSignatureSize))
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var s signature
	if err := dec.Decode(&s); err != nil {
		return nil, bad("not a signature file: " + err.Error())
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, bad("data after the signature")
	}
	if err := checkStrict(data); err != nil {
		return nil, bad(err.Error())
	}
	switch {
	case s.Format != FormatVersion:
		return nil, bad(fmt.Sprintf("format %d; this program reads format %d", s.Format, FormatVersion))
	case s.Algorithm != "ed25519":
		return nil, bad(fmt.Sprintf("algorithm %q; only ed25519 is used", s.Algorithm))
	case len(s.Key) != ed25519.PublicKeySize:
		return nil, bad(fmt.Sprintf("key of %d bytes; ed25519 keys have %d", len(s.Key), ed25519.PublicKeySize))
	case len(s.Signature) != ed25519.SignatureSize:
		return nil, bad(fmt.Sprintf("signature of %d bytes; ed25519 signatures have %d", len(s.Signature), ed25519.SignatureSize))
	}
	return &s, nil
}

// CheckSignature checks that the manifest, exactly as Open read it, was
// signed by one of the trusted keys, with the signature file as Open read
// it. It returns an error wrapping ErrUnsigned for a library without
// signature, a *BadSignatureError for a damaged signature or one that does
// not match the manifest, and an *UnknownKeyError for a valid signature by
// a key not among trusted (with no trusted keys, that is the answer for any
// valid signature, naming its key). A signature counts for the key its file
// names: Sign writes the signer's.
func (l *Library) CheckSignature(trusted ...ed25519.PublicKey) error {
	if errors.Is(l.sigErr, os.ErrNotExist) {
		return fmt.Errorf("%s: %w", l.Dir, ErrUnsigned)
	}
	if l.sigErr != nil {
		return l.sigErr
	}
	s := l.sig
	valid := verifyDigest(s.Key, s.Signature, l.sigHash)
	if valid {
		for _, k := range trusted {
			if bytes.Equal(k, s.Key) {
				return nil
			}
		}
	}
	return signatureError(s, filepath.Join(l.Dir, SignatureFile), valid, trusted)
}

// VerifyManifest checks a manifest's exact bytes against the bytes of its
// signature file, as found on a drive: nil if the signature is valid and by
// one of the trusted keys, or, with no trusted keys given, valid under the
// key it names itself (a drive that carries a validly signed library,
// whoever signed it).
func VerifyManifest(manifest, sig []byte, trusted ...ed25519.PublicKey) error {
	s, err := parseSignature(sig, SignatureFile)
	if err != nil {
		return err
	}
	if len(trusted) == 0 {
		trusted = []ed25519.PublicKey{s.Key}
	}
	return checkSignature(manifest, s, SignatureFile, trusted)
}

// checkSignature checks a parsed signature of raw against trusted keys.
func checkSignature(raw []byte, s *signature, file string, trusted []ed25519.PublicKey) error {
	for _, k := range trusted {
		if len(k) == ed25519.PublicKeySize && ed25519.Verify(k, raw, s.Signature) {
			return nil
		}
	}
	return signatureError(s, file, ed25519.Verify(s.Key, raw, s.Signature), trusted)
}

// signatureError says why signature s, in file, is no trusted key's: it
// does not verify under the key it names (valid false), or that key is
// not among trusted.
func signatureError(s *signature, file string, valid bool, trusted []ed25519.PublicKey) error {
	signer := Fingerprint(s.Key)
	if !valid {
		return &BadSignatureError{File: file, Key: signer,
			Reason: "does not match " + ManifestFile + ": the manifest changed after signing, or the signature is damaged"}
	}
	e := &UnknownKeyError{Key: signer}
	for _, k := range trusted {
		e.Trusted = append(e.Trusted, Fingerprint(k))
	}
	return e
}
