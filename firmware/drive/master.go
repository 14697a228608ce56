package drive

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"flashkiosk/firmware/fat"
)

// The files at a content library's root that make a drive a master drive.
const (
	manifestFile  = "manifest.json"
	signatureFile = "manifest.sig"
)

// LibraryVerifier checks a content library's manifest against its
// signature; nil error means the library is validly signed. The library
// package provides it, so that this package does not depend on it.
type LibraryVerifier interface {
	VerifyManifest(manifest, signature []byte) error
}

// VerifierFunc adapts a function to LibraryVerifier.
type VerifierFunc func(manifest, signature []byte) error

// VerifyManifest calls f.
func (f VerifierFunc) VerifyManifest(manifest, signature []byte) error { return f(manifest, signature) }

// maxManifest bounds what is read of a donor's file that happens to be
// called manifest.json: a real manifest is far smaller.
const maxManifest = 64 << 20

// isMaster reads d's first FAT32 volume, without mounting it, and reports
// whether its root holds a validly signed library. A drive without a FAT32
// volume, or with a damaged one, is not a master drive; a read error is an
// error.
func (h *Host) isMaster(ctx context.Context, d Drive) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	f, err := os.Open(h.DevicePath(d.Name))
	if err != nil {
		return false, fmt.Errorf("check %s for a library: %w", d.Name, err)
	}
	defer f.Close()
	master, err := masterVolume(f, d.Size, h.Library)
	if err != nil {
		return false, fmt.Errorf("check %s for a library: %w", d.Name, err)
	}
	return master, nil
}

// masterVolume reports whether the disk image r of size bytes holds a
// validly signed library in its first FAT32 volume.
func masterVolume(r io.ReaderAt, size uint64, v LibraryVerifier) (bool, error) {
	if size > 1<<63-1 {
		return false, fmt.Errorf("size %d too large", size)
	}
	vol, err := fat.OpenVolume(r, int64(size))
	var corrupt *fat.CorruptError
	switch {
	case errors.Is(err, fat.ErrNotFAT32), errors.As(err, &corrupt):
		return false, nil
	case err != nil:
		return false, err
	}
	master, err := holdsLibrary(vol, v)
	if errors.As(err, &corrupt) {
		return false, nil
	}
	return master, err
}

// holdsLibrary reports whether the volume's root holds a validly signed
// library. Without a verifier, any manifest with a signature file counts:
// a master drive must never be mistaken for a blank one.
func holdsLibrary(vol fs.FS, v LibraryVerifier) (bool, error) {
	manifest, err := readSmall(vol, manifestFile)
	if manifest == nil || err != nil {
		return false, err
	}
	sig, err := readSmall(vol, signatureFile)
	if sig == nil || err != nil {
		return false, err
	}
	if v == nil {
		return true, nil
	}
	return v.VerifyManifest(manifest, sig) == nil, nil
}

// readSmall reads a regular file of at most maxManifest bytes; nil without
// error when there is none.
func readSmall(vol fs.FS, name string) ([]byte, error) {
	st, err := fs.Stat(vol, name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("stat %s: %w", name, err)
	}
	if !st.Mode().IsRegular() || st.Size() > maxManifest {
		return nil, nil
	}
	b, err := fs.ReadFile(vol, name)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	return b, nil
}
