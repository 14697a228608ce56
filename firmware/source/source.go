// Package source holds the content libraries a kiosk writes from: the SD
// card's, and those of master drives, USB drives with a FAT32 or exFAT
// volume holding at its root a library signed by the trusted key. It
// judges a drive's library against the trusted key (Verifier), mounts a
// master drive's volume read-only and opens its library (OpenMaster), and
// says which library new jobs get (Pick).
//
// It does not find drives (package drive), run jobs (package kiosk) or
// show anything (package panel).
package source

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"

	"flashkiosk/firmware/drive"
	"flashkiosk/firmware/library"
	"flashkiosk/firmware/sysdisk"
)

// Choice is kiosk.toml's library setting: which library new jobs get.
type Choice string

// The choices.
const (
	Newest Choice = "newest" // the newest usable library, the card's or a master drive's; the card's on a tie
	Card   Choice = "card"   // always the card's; master drives are shown but not used
	Master Choice = "master" // the newest usable master drive's; no job starts without one
)

// Library is a library the kiosk may write from, or a master drive's
// that it may not (Library nil, Problem saying why).
type Library struct {
	// Library is the opened, checked library; nil when it cannot be
	// written from.
	*library.Library
	// Name and Date are the manifest's, when it could be read.
	Name, Date string
	// Size is the whole library's size in bytes.
	Size int64
	// Key is the fingerprint of the key that signed it, when known.
	Key string
	// Trust is the verdict on its signature: Trusted for a usable
	// library.
	Trust drive.Trust
	// Problem says why a library cannot be used (its signature, its
	// volume or manifest unreadable), and for a usable one, a defect
	// jobs will meet (a file missing or of the wrong size); "" if none.
	Problem string
	// Drive is the master drive it is on; the zero Drive for the card.
	Drive drive.Drive

	unmount func() error
}

// Usable reports whether jobs may write l: it is opened and checked.
func (l *Library) Usable() bool { return l != nil && l.Library != nil }

// OnMaster reports whether l is a master drive's.
func (l *Library) OnMaster() bool { return l != nil && l.Drive.Name != "" }

// Close unmounts a master drive's volume, detached: a job still reading a
// file of it fails at its next read rather than holding the mount. It
// does nothing for the card's library (kioskd unmounts it at shutdown).
func (l *Library) Close() error {
	if l == nil || l.unmount == nil {
		return nil
	}
	u := l.unmount
	l.unmount = nil
	return u()
}

// String names l for logs: its name, date and key, and where it is.
func (l *Library) String() string {
	where := "the card"
	if l.OnMaster() {
		where = fmt.Sprintf("master drive %s in port %s", l.Drive.Name, l.Drive.Port)
	}
	if l.Name == "" {
		return where
	}
	s := fmt.Sprintf("library %q of %s on %s", l.Name, l.Date, where)
	if l.Key != "" {
		s += ", signed by " + l.Key
	}
	return s
}

// FromCard describes the card's opened library lib, signed by key (nil
// when not known).
func FromCard(lib *library.Library, key ed25519.PublicKey) *Library {
	l := described(lib)
	l.Trust = drive.Trusted
	if key != nil {
		l.Key = library.Fingerprint(key)
	}
	return l
}

// described is lib with its manifest's name, date and size.
func described(lib *library.Library) *Library {
	m := lib.Manifest
	return &Library{Library: lib, Name: m.Name, Date: m.Date, Size: m.Total().Bytes}
}

// Verifier judges a library found at a drive's root: Trusted if one of
// keys signed it; Untrusted if its signature is valid under the key it
// names, which is not one of keys (or no keys are given); BadSignature
// if the signature is damaged or does not match the manifest.
func Verifier(keys ...ed25519.PublicKey) drive.LibraryVerifier {
	return drive.VerifierFunc(func(manifest, sig []byte) (drive.Trust, error) {
		if len(keys) == 0 {
			if err := library.VerifyManifest(manifest, sig); err != nil {
				return drive.BadSignature, err
			}
			return drive.Untrusted, errors.New("no trusted key given to check it against")
		}
		return trustOf(library.VerifyManifest(manifest, sig, keys...))
	})
}

// trustOf turns the error of a signature check into a verdict.
func trustOf(err error) (drive.Trust, error) {
	var unknown *library.UnknownKeyError
	switch {
	case err == nil:
		return drive.Trusted, nil
	case errors.As(err, &unknown):
		return drive.Untrusted, err
	}
	return drive.BadSignature, err
}

// OpenMaster makes the library of drive d, whose facts f say it holds one
// at its root. A trusted one's volume is mounted read-only at dir (made
// if missing) and its library opened and checked against key; if any of
// that fails, or the library is not trusted, the Library returned is not
// usable and says why. Mounting and opening read the drive: ctx bounds
// nothing the kernel does, but a drive pulled meanwhile fails them.
func OpenMaster(ctx context.Context, h *drive.Host, d drive.Drive, f drive.Facts, key ed25519.PublicKey, dir string) *Library {
	l := &Library{Drive: d, Trust: f.Library, Problem: f.NotMaster}
	if f.Library != drive.Trusted {
		return l
	}
	fail := func(t drive.Trust, format string, args ...any) *Library {
		l.Close()
		l.Library, l.Trust, l.Problem = nil, t, fmt.Sprintf(format, args...)
		return l
	}
	if err := ctx.Err(); err != nil {
		return fail(drive.Trusted, "%v", err)
	}
	dev, err := h.VolumeDevice(d, f.Volume)
	if err != nil {
		return fail(drive.Trusted, "its volume: %v", err)
	}
	if l.unmount, err = sysdisk.MountReadOnly(dev, dir, f.Volume.Type); err != nil {
		return fail(drive.Trusted, "%v", err)
	}
	lib, err := library.Open(dir)
	var corrupt *library.CorruptManifestError
	switch {
	case errors.As(err, &corrupt):
		return fail(drive.BadSignature, "%v", err)
	case err != nil:
		return fail(drive.Trusted, "%v", err)
	}
	opened := described(lib)
	l.Library, l.Name, l.Date, l.Size = lib, opened.Name, opened.Date, opened.Size
	// The manifest was checked as read off the device; it is checked again
	// as the mounted volume gives it, which is what jobs will read.
	if t, err := trustOf(lib.CheckSignature(key)); err != nil {
		return fail(t, "%v", err)
	}
	l.Key = library.Fingerprint(key)
	l.Problem = ""
	if err := lib.CheckSizes(); err != nil {
		l.Problem = fmt.Sprintf("%v: jobs that reach it fail as LIBRARY ERR", err)
	}
	return l
}

// Pick returns the library new jobs get under choice, from the card's and
// the master drives' (in port order), or nil if none may be used: only a
// usable library counts. Newest takes the latest date (the manifests'
// dates compare as text, YYYY-MM-DD); on a tie the card's, and between
// masters the first.
func Pick(choice Choice, card *Library, masters []*Library) *Library {
	var best *Library
	consider := func(l *Library) {
		if l.Usable() && (best == nil || l.Date > best.Date) {
			best = l
		}
	}
	switch choice {
	case Card:
		consider(card)
	case Master:
		for _, m := range masters {
			consider(m)
		}
	default:
		consider(card)
		for _, m := range masters {
			consider(m)
		}
	}
	return best
}

// CleanMounts detaches whatever is mounted on the folders in dir, left by
// a kiosk that died with master drives mounted: their drives would
// otherwise count as in use, and be refused as system disks.
func CleanMounts(dir string) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		sysdisk.Unmount(dir + "/" + e.Name())
	}
}
