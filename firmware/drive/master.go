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

// What is read of a drive's manifest and signature at most, whatever its
// FAT claims: a real manifest is far smaller than maxManifest, a
// signature (a small JSON object) far smaller than maxSignature. Larger
// files make a drive no master drive.
const (
	maxManifest  = 64 << 20
	maxSignature = 64 << 10
)

// isMaster reads d's first FAT32 volume, without mounting it, and reports
// whether its root holds a validly signed library, and if not, why not. A
// drive without a FAT32 volume, or with a damaged one, is not a master
// drive; a read error is an error.
func (h *Host) isMaster(ctx context.Context, d Drive) (bool, string, error) {
	if err := ctx.Err(); err != nil {
		return false, "", err
	}
	f, err := os.Open(h.DevicePath(d.Name))
	if err != nil {
		return false, "", fmt.Errorf("check %s for a library: %w", d.Name, err)
	}
	defer f.Close()
	master, why, err := masterVolume(f, d.Size, h.Library)
	if err != nil {
		return false, "", fmt.Errorf("check %s for a library: %w", d.Name, err)
	}
	return master, why, nil
}

// masterVolume reports whether the disk image r of size bytes holds a
// validly signed library in its first FAT32 volume, and if not, why not.
// What the volume claims is not trusted: a damaged or hostile one is read
// in bounded time and memory and is not a master drive.
func masterVolume(r io.ReaderAt, size uint64, v LibraryVerifier) (master bool, why string, err error) {
	if size > 1<<63-1 {
		return false, "", fmt.Errorf("size %d too large", size)
	}
	vol, err := fat.OpenVolume(r, int64(size))
	var corrupt *fat.CorruptError
	switch {
	case errors.Is(err, fat.ErrNotFAT32):
		return false, err.Error(), nil
	case errors.As(err, &corrupt):
		return false, "damaged FAT32 volume: " + err.Error(), nil
	case err != nil:
		return false, "", err
	}
	return holdsLibrary(vol, v)
}

// holdsLibrary reports whether the volume's root holds a validly signed
// library, and if not, why not. The small signature is read first, and the
// manifest only if there is one. Without a verifier, any manifest with a
// signature file counts: a master drive must never be mistaken for a
// blank one.
func holdsLibrary(vol fs.FS, v LibraryVerifier) (bool, string, error) {
	sig, why, err := readSmall(vol, signatureFile, maxSignature)
	if sig == nil || err != nil {
		return false, why, err
	}
	manifest, why, err := readSmall(vol, manifestFile, maxManifest)
	if manifest == nil || err != nil {
		return false, why, err
	}
	if v == nil {
		return true, "", nil
	}
	if err := v.VerifyManifest(manifest, sig); err != nil {
		return false, "the library's signature does not verify: " + err.Error(), nil
	}
	return true, "", nil
}

// readSmall reads the regular file name of at most limit bytes. It returns
// nil and why not when there is none that can be read: missing, not a
// regular file, larger than limit, or damaged on the volume; an error
// when the device cannot be read, and for a manifest over limit.
func readSmall(vol fs.FS, name string, limit int64) ([]byte, string, error) {
	st, err := fs.Stat(vol, name)
	var corrupt *fat.CorruptError
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, "no " + name, nil
	case errors.As(err, &corrupt):
		return nil, "damaged FAT32 volume: " + err.Error(), nil
	case err != nil:
		return nil, "", fmt.Errorf("stat %s: %w", name, err)
	case !st.Mode().IsRegular():
		return nil, name + " is not a file", nil
	}
	b, err := fat.ReadFile(vol, name, limit)
	var large *fat.TooLargeError
	switch {
	case errors.As(err, &large) && name == manifestFile:
		// Read after a signature: a manifest too large to check may be a
		// real library of many files, and a master drive must never be
		// written. It is an error, so the drive is refused as one that
		// cannot be checked.
		return nil, "", fmt.Errorf("%w: refused, as it may be a master drive", err)
	case errors.As(err, &large):
		return nil, err.Error(), nil
	case errors.As(err, &corrupt):
		return nil, "damaged FAT32 volume: " + err.Error(), nil
	case err != nil:
		return nil, "", fmt.Errorf("read %s: %w", name, err)
	}
	return b, "", nil
}
