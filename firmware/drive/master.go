package drive

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"flashkiosk/firmware/exfat"
	"flashkiosk/firmware/fat"
)

// The files at a content library's root that make a drive a master drive.
const (
	manifestFile  = "manifest.json"
	signatureFile = "manifest.sig"
)

// Trust is what the check of a drive found at the root of its first FAT32
// or exFAT volume. A drive that holds any library (Trusted, Untrusted,
// BadSignature) is a master drive: it is never written.
type Trust int

// The verdicts on a drive's library.
const (
	NoLibrary    Trust = iota // no manifest and signature at the root, or no volume to hold them
	Trusted                   // a library signed by a trusted key: the kiosk may write from it
	Untrusted                 // a validly signed library, by a key the kiosk does not trust
	BadSignature              // a manifest and signature that do not check out
)

func (t Trust) String() string {
	switch t {
	case NoLibrary:
		return "no library"
	case Trusted:
		return "trusted"
	case Untrusted:
		return "not trusted"
	case BadSignature:
		return "bad signature"
	}
	return fmt.Sprintf("Trust(%d)", int(t))
}

// LibraryVerifier checks a content library's manifest against its
// signature, as found at a drive's root: Trusted, or Untrusted or
// BadSignature with the reason. The library package's checks provide it
// (see package source), so that this package does not depend on them.
type LibraryVerifier interface {
	VerifyManifest(manifest, signature []byte) (Trust, error)
}

// VerifierFunc adapts a function to LibraryVerifier.
type VerifierFunc func(manifest, signature []byte) (Trust, error)

// VerifyManifest calls f.
func (f VerifierFunc) VerifyManifest(manifest, signature []byte) (Trust, error) {
	return f(manifest, signature)
}

// Volume is where a drive's first FAT32 or exFAT volume lies: what the
// kiosk mounts to read a master drive's library.
type Volume struct {
	Partition int    // its MBR partition number, 1 to 4; 0 when the volume fills the drive
	Offset    int64  // its first byte on the drive
	Type      string // "vfat" or "exfat", as mount(2) names the file system
}

// What is read of a drive's manifest and signature at most, whatever its
// volume claims: a real manifest is far smaller than maxManifest, a
// signature (a small JSON object) far smaller than maxSignature. Larger
// files make a drive no master drive.
const (
	maxManifest  = 64 << 20
	maxSignature = 64 << 10
)

// library reads d's first FAT32 or exFAT volume, without mounting it, and
// reports what library its root holds, where the volume lies, and why a
// drive holds none. A drive without such a volume, or with a damaged one,
// holds none; a read error is an error.
func (h *Host) library(ctx context.Context, d Drive) (Trust, Volume, string, error) {
	if err := ctx.Err(); err != nil {
		return NoLibrary, Volume{}, "", err
	}
	f, err := os.Open(h.DevicePath(d.Name))
	if err != nil {
		return NoLibrary, Volume{}, "", fmt.Errorf("check %s for a library: %w", d.Name, err)
	}
	defer f.Close()
	t, vol, why, err := masterVolume(f, d.Size, int64(d.SectorSize), h.Library)
	if err != nil {
		return NoLibrary, Volume{}, "", fmt.Errorf("check %s for a library: %w", d.Name, err)
	}
	return t, vol, why, nil
}

// masterVolume reports what library the disk image r of size bytes, with
// sectors of sectorSize bytes (512 if 0), holds at the root of its first
// FAT32 or exFAT volume, where that volume lies, and, without a library,
// why not. What the volume claims is not trusted: a damaged or hostile
// one is read in bounded time and memory and holds no library.
func masterVolume(r io.ReaderAt, size uint64, sectorSize int64, v LibraryVerifier) (Trust, Volume, string, error) {
	if size > 1<<63-1 {
		return NoLibrary, Volume{}, "", fmt.Errorf("size %d too large", size)
	}
	if sectorSize <= 0 {
		sectorSize = 512
	}
	vol, fsys, why, err := firstVolume(r, int64(size), sectorSize)
	if fsys == nil || err != nil {
		return NoLibrary, Volume{}, why, err
	}
	t, why, err := holdsLibrary(fsys, v, damaged(vol.Type))
	return t, vol, why, err
}

// damaged is how a reason starts for a damaged volume of type typ.
func damaged(typ string) string {
	if typ == "exfat" {
		return "damaged exFAT volume: "
	}
	return "damaged FAT32 volume: "
}

// firstVolume opens the drive's first FAT32 or exFAT volume: the whole
// drive if sector 0 is the boot sector of one ("superfloppy"), else the
// first MBR partition of a FAT type (0x0B, 0x0C, or 0x0E and 0x06 holding
// FAT32) or of type 0x07 holding exFAT. Without one it returns a nil
// file system and why.
func firstVolume(r io.ReaderAt, size, sectorSize int64) (Volume, fs.FS, string, error) {
	sec := make([]byte, 512)
	if size < 512 {
		return Volume{}, nil, fmt.Sprintf("a device of %d bytes holds no volume", size), nil
	}
	if err := readAt(r, sec, 0); err != nil {
		return Volume{}, nil, "", err
	}
	if isExFAT(sec) {
		return openExFAT(r, Volume{Offset: 0, Type: "exfat"}, size)
	}
	_, parts, err := fat.ReadMBR(r)
	if err != nil {
		return openFAT32(r, Volume{Offset: 0, Type: "vfat"}, size)
	}
	for i, p := range parts {
		switch p.Type {
		case 0xEE:
			return Volume{}, nil, "a GPT disk (only MBR partitions are read)", nil
		case 0x0B, 0x0C, 0x0E, 0x06, 0x07:
		default:
			continue
		}
		typ := "vfat"
		if p.Type == 0x07 {
			typ = "exfat"
		}
		start, n := p.Start*sectorSize, p.Sectors*sectorSize
		switch {
		case p.Start == 0 || p.Sectors == 0:
			return Volume{}, nil, damaged(typ) + fmt.Sprintf("partition %d (type %#02x) starts at sector %d with %d sectors", i+1, p.Type, p.Start, p.Sectors), nil
		case start+n > size || start+n < start:
			return Volume{}, nil, damaged(typ) + fmt.Sprintf("partition %d ends at byte %d, past the device's end at %d", i+1, start+n, size), nil
		}
		if err := readAt(r, sec, start); err != nil {
			return Volume{}, nil, "", err
		}
		vol := Volume{Partition: i + 1, Offset: start, Type: typ}
		part := io.NewSectionReader(r, start, n)
		if isExFAT(sec) {
			vol.Type = "exfat"
			return openExFAT(part, vol, n)
		}
		if p.Type == 0x07 {
			continue // NTFS, most likely
		}
		fat32 := p.Type == 0x0B || p.Type == 0x0C
		if _, _, err := fat.ReadMBR(part); err == nil || binary.LittleEndian.Uint16(sec[510:]) != 0xAA55 {
			if fat32 {
				return Volume{}, nil, damaged(typ) + fmt.Sprintf("partition %d (type %#02x) does not start with a FAT boot sector", i+1, p.Type), nil
			}
			continue
		}
		vol, fsys, why, err := openFAT32(part, vol, n)
		if fsys == nil && err == nil && !fat32 && !strings.HasPrefix(why, "damaged") {
			continue // a FAT12 or FAT16 partition of type 0x0E or 0x06
		}
		return vol, fsys, why, err
	}
	return Volume{}, nil, "no FAT32 or exFAT partition in the MBR", nil
}

// isExFAT reports whether sec is an exFAT boot sector.
func isExFAT(sec []byte) bool { return string(sec[3:11]) == "EXFAT   " }

// openFAT32 opens the FAT32 volume at the start of r.
func openFAT32(r io.ReaderAt, vol Volume, size int64) (Volume, fs.FS, string, error) {
	v, err := fat.OpenVolume(r, size)
	var corrupt *fat.CorruptError
	switch {
	case errors.Is(err, fat.ErrNotFAT32):
		return Volume{}, nil, err.Error(), nil
	case errors.As(err, &corrupt):
		return Volume{}, nil, damaged(vol.Type) + err.Error(), nil
	case err != nil:
		return Volume{}, nil, "", err
	}
	return vol, v, "", nil
}

// openExFAT opens the exFAT volume at the start of r.
func openExFAT(r io.ReaderAt, vol Volume, size int64) (Volume, fs.FS, string, error) {
	v, err := exfat.Open(r, size)
	var corrupt *exfat.CorruptError
	switch {
	case errors.Is(err, exfat.ErrNotExFAT):
		return Volume{}, nil, err.Error(), nil
	case errors.As(err, &corrupt):
		return Volume{}, nil, damaged(vol.Type) + err.Error(), nil
	case err != nil:
		return Volume{}, nil, "", err
	}
	return vol, v, "", nil
}

// holdsLibrary reports what library the volume's root holds, and without
// one, why not; prefix starts the reason for a damaged volume. The small
// signature is read first, and the manifest only if there is one. Without
// a verifier, a manifest with a signature file is Untrusted: a master
// drive must never be mistaken for a blank one.
func holdsLibrary(vol fs.FS, v LibraryVerifier, prefix string) (Trust, string, error) {
	sig, why, err := readSmall(vol, signatureFile, maxSignature, prefix)
	if sig == nil || err != nil {
		return NoLibrary, why, err
	}
	manifest, why, err := readSmall(vol, manifestFile, maxManifest, prefix)
	if manifest == nil || err != nil {
		return NoLibrary, why, err
	}
	if v == nil {
		return Untrusted, "no key to check its signature with", nil
	}
	t, err := v.VerifyManifest(manifest, sig)
	switch {
	case t == Trusted:
		return Trusted, "", nil
	case t == NoLibrary:
		return BadSignature, fmt.Sprintf("BUG: the verifier found no library in a manifest and signature (%v)", err), nil
	case err == nil:
		return t, t.String(), nil
	}
	return t, err.Error(), nil
}

// readSmall reads the regular file name of at most limit bytes. It returns
// nil and why not when there is none that can be read: missing, not a
// regular file, larger than limit, or damaged on the volume (the reason
// then starts with prefix); an error when the device cannot be read, and
// for a manifest over limit.
func readSmall(vol fs.FS, name string, limit int64, prefix string) ([]byte, string, error) {
	st, err := fs.Stat(vol, name)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, "no " + name, nil
	case isCorrupt(err):
		return nil, prefix + err.Error(), nil
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
	case isCorrupt(err):
		return nil, prefix + err.Error(), nil
	case err != nil:
		return nil, "", fmt.Errorf("read %s: %w", name, err)
	}
	return b, "", nil
}

// isCorrupt reports whether err says a volume's structure is broken.
func isCorrupt(err error) bool {
	var f *fat.CorruptError
	var x *exfat.CorruptError
	return errors.As(err, &f) || errors.As(err, &x)
}

// readAt fills p from r at off.
func readAt(r io.ReaderAt, p []byte, off int64) error {
	n, err := r.ReadAt(p, off)
	if n == len(p) {
		return nil
	}
	if err == nil || err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("read %d bytes at %d: %w", len(p), off, err)
}

// VolumeDevice is the device node that holds vol, a volume of d as Facts
// found it: d's own node when the volume fills the drive, else the node of
// d's partition of that number, which must start where the volume does.
func (h *Host) VolumeDevice(d Drive, vol Volume) (string, error) {
	if vol.Partition == 0 {
		return h.DevicePath(d.Name), nil
	}
	names, err := h.family(d.Name)
	if err != nil {
		return "", err
	}
	for _, name := range names[1:] {
		p, err := h.Drive(name)
		if err != nil || p.PartNum != vol.Partition {
			continue
		}
		start, err := readUint(h.path("sys", "class", "block", name, "start"))
		if err != nil {
			return "", wrapGone(name, err)
		}
		if int64(start)*512 != vol.Offset { // sysfs counts 512-byte units
			return "", fmt.Errorf("partition %s starts at byte %d, the volume found at byte %d", name, start*512, vol.Offset)
		}
		return h.DevicePath(name), nil
	}
	return "", fmt.Errorf("%s has no partition %d: %w", d.Name, vol.Partition, ErrNoDevice)
}
