package library

import (
	"errors"
	"fmt"
	"strings"
)

// SourceError says why Build refuses a source folder: a file FAT cannot
// hold, a bad tiers.toml, a name clash and the like.
type SourceError struct {
	Path   string // the file or folder on the build machine
	Line   int    // the line in Path, when Path is a text file; 0 otherwise
	Reason string // what is wrong and, where it helps, what to do
	Err    error  // the error behind Reason, if any, such as a *regfile.NotRegularError
}

func (e *SourceError) Unwrap() error { return e.Err }

func (e *SourceError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.Path, e.Line, e.Reason)
	}
	return fmt.Sprintf("%s: %s", e.Path, e.Reason)
}

// CorruptManifestError says that a manifest cannot be trusted to describe a
// library: it is not valid JSON, of an unknown format, or breaks a rule.
type CorruptManifestError struct {
	File string // the manifest file; empty when parsed from memory
	Err  error  // what is wrong
}

func (e *CorruptManifestError) Error() string {
	// An error from reading the file (a *regfile.NotRegularError, say)
	// names it already.
	if msg := e.Err.Error(); e.File == "" || strings.HasPrefix(msg, e.File+" ") {
		return "corrupt manifest: " + msg
	}
	return fmt.Sprintf("corrupt manifest %s: %v", e.File, e.Err)
}

func (e *CorruptManifestError) Unwrap() error { return e.Err }

// ContentError says that a library file is missing or differs from what the
// manifest says: the library is corrupt and must not be written to drives.
type ContentError struct {
	Path   string // the file, as named in the manifest
	Reason string // what differs
	Err    error  // the I/O error behind it, if any
}

func (e *ContentError) Error() string {
	return fmt.Sprintf("content corrupt: %q: %s", e.Path, e.Reason)
}

func (e *ContentError) Unwrap() error { return e.Err }

// ErrUnsigned is returned (wrapped) for a library without manifest.sig.
var ErrUnsigned = errors.New("library is not signed (no " + SignatureFile + ")")

// BadSignatureError says that manifest.sig is damaged or does not match the
// manifest: the manifest changed after signing, or the signature is forged.
type BadSignatureError struct {
	File   string // the signature file
	Key    string // fingerprint of the key the signature file names, if readable
	Reason string
	Err    error // the error behind Reason, if any, such as a *regfile.TooLargeError
}

func (e *BadSignatureError) Unwrap() error { return e.Err }

func (e *BadSignatureError) Error() string {
	if e.Key == "" {
		return fmt.Sprintf("bad signature %s: %s", e.File, e.Reason)
	}
	return fmt.Sprintf("bad signature %s (key %s): %s", e.File, e.Key, e.Reason)
}

// UnknownKeyError says that the manifest carries a valid signature, but by
// a key that is not among the trusted ones.
type UnknownKeyError struct {
	Key     string   // fingerprint of the signing key
	Trusted []string // fingerprints of the trusted keys; none when none were given
}

func (e *UnknownKeyError) Error() string {
	if len(e.Trusted) == 0 {
		return fmt.Sprintf("valid signature by key %s, not checked against a trusted key", e.Key)
	}
	return fmt.Sprintf("signed by key %s, which is not trusted (trusted: %s)", e.Key, strings.Join(e.Trusted, ", "))
}

// TooSmallError says that a drive cannot hold all of tier 1.
type TooSmallError struct {
	Need int64 // bytes of tier 1's files, before FAT's cluster and folder overhead
	Have int64 // bytes the drive had free for content; 0 when it cannot even be formatted, -1 when unknown
}

func (e *TooSmallError) Error() string {
	if e.Have < 0 {
		return fmt.Sprintf("drive too small: tier 1 needs %d bytes plus FAT overhead", e.Need)
	}
	return fmt.Sprintf("drive too small: tier 1 needs %d bytes plus FAT overhead; the drive has %d bytes free", e.Need, e.Have)
}
