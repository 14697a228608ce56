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

// Trust is what the check of a drive found at the root of its FAT32 and
// exFAT volumes. A drive that holds any library (Trusted, Untrusted,
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

// Volume is where the FAT32 or exFAT volume holding a drive's library
// lies: what the kiosk mounts to read a master drive's library.
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

// library reads d's FAT32 and exFAT volumes, without mounting them, and
// reports what library the root of one holds, where that volume lies, and
// why a drive holds none. A drive without such a volume, or with damaged
// ones, holds none; a read error is an error.
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
// sectors of sectorSize bytes (512 if 0), holds at the root of a FAT32 or
// exFAT volume, the first such volume that holds one, and without a
// library, why not. Every volume is looked at, not just the first: a
// drive formatted on a Mac may have an EFI system partition (FAT32)
// before the one that holds the library, and a master drive must never be
// mistaken for a blank one. What the volumes claim is not trusted: a
// damaged or hostile one is read in bounded time and memory and holds no
// library.
func masterVolume(r io.ReaderAt, size uint64, sectorSize int64, v LibraryVerifier) (Trust, Volume, string, error) {
	if size > 1<<63-1 {
		return NoLibrary, Volume{}, "", fmt.Errorf("size %d too large", size)
	}
	if sectorSize <= 0 {
		sectorSize = 512
	}
	var whys []string
	trust, found := NoLibrary, Volume{}
	err := eachVolume(r, int64(size), sectorSize, func(vol Volume, fsys fs.FS, why string) (bool, error) {
		if fsys == nil {
			whys = append(whys, why)
			return true, nil
		}
		t, why, err := holdsLibrary(fsys, v, damaged(vol.Type))
		if err != nil {
			return false, err
		}
		if t != NoLibrary {
			trust, found, whys = t, vol, []string{why}
			return false, nil
		}
		if vol.Partition > 0 {
			why = fmt.Sprintf("partition %d: %s", vol.Partition, why)
		}
		whys = append(whys, why)
		return true, nil
	})
	if err != nil {
		return NoLibrary, Volume{}, "", err
	}
	return trust, found, strings.Join(whys, "; "), nil
}

// damaged is how a reason starts for a damaged volume of type typ, or
// with typ "", a partition whose type is not known.
func damaged(typ string) string {
	switch typ {
	case "exfat":
		return "damaged exFAT volume: "
	case "vfat":
		return "damaged FAT32 volume: "
	}
	return "damaged partition table: "
}

// maxGPTEntries is how many GPT partition entries are looked at: 128 is
// what every tool makes room for.
const maxGPTEntries = 128

// eachVolume calls visit with each FAT32 and exFAT volume of the drive,
// in order, until visit says to stop or fails: the whole drive if sector
// 0 is the boot sector of one ("superfloppy"), else the MBR partitions
// of a FAT type (0x0B, 0x0C, or 0x0E and 0x06 holding FAT32) or of type
// 0x07 holding exFAT, or on a GPT disk, its partitions holding either. A
// volume that cannot be opened is visited with a nil file system and why;
// so is the drive when it has no volume at all.
func eachVolume(r io.ReaderAt, size, sectorSize int64, visit func(Volume, fs.FS, string) (bool, error)) error {
	visited := false
	counted := func(vol Volume, fsys fs.FS, why string) (bool, error) {
		visited = true
		return visit(vol, fsys, why)
	}
	err := volumes(r, size, sectorSize, counted)
	if err == nil && !visited {
		_, err = visit(Volume{}, nil, "no FAT32 or exFAT partition")
	}
	return err
}

// volumes is eachVolume, but visits nothing for a partition table that
// lists no FAT32 or exFAT volume.
func volumes(r io.ReaderAt, size, sectorSize int64, visit func(Volume, fs.FS, string) (bool, error)) error {
	if size < 512 {
		_, err := visit(Volume{}, nil, fmt.Sprintf("a device of %d bytes holds no volume", size))
		return err
	}
	sec := make([]byte, 512)
	if err := readAt(r, sec, 0); err != nil {
		return err
	}
	if isExFAT(sec) {
		_, err := visitOpened(visit)(openExFAT(r, Volume{Type: "exfat"}, size))
		return err
	}
	_, parts, err := fat.ReadMBR(r)
	if err != nil {
		_, err := visitOpened(visit)(openFAT32(r, Volume{Type: "vfat"}, size))
		return err
	}
	for _, p := range parts {
		if p.Type == 0xEE {
			return eachGPTVolume(r, size, sectorSize, visit)
		}
	}
	for i, p := range parts {
		switch p.Type {
		case 0x0B, 0x0C, 0x0E, 0x06, 0x07:
		default:
			continue
		}
		typ := "vfat"
		if p.Type == 0x07 {
			typ = "exfat"
		}
		more, err := visitPartition(r, size, i+1, p.Start*sectorSize, p.Sectors*sectorSize, typ, p.Type == 0x0B || p.Type == 0x0C, visit)
		if err != nil || !more {
			return err
		}
	}
	return nil
}

// visitOpened passes what openFAT32 or openExFAT returned to visit.
func visitOpened(visit func(Volume, fs.FS, string) (bool, error)) func(Volume, fs.FS, string, error) (bool, error) {
	return func(vol Volume, fsys fs.FS, why string, err error) (bool, error) {
		if err != nil {
			return false, err
		}
		return visit(vol, fsys, why)
	}
}

// visitPartition visits partition number n, of n bytes from byte start,
// whose table entry says it holds a volume of type typ ("vfat" for any
// FAT type, "exfat" for 0x07, which NTFS shares; "" for a GPT partition,
// told by its boot sector); fat32 says the entry claims FAT32. A
// partition that holds neither is passed over silently (unless fat32):
// NTFS, FAT12/16, Apple's file systems.
func visitPartition(r io.ReaderAt, size int64, n int, start, length int64, typ string, fat32 bool, visit func(Volume, fs.FS, string) (bool, error)) (bool, error) {
	switch {
	case start == 0 || length == 0:
		return visit(Volume{}, nil, damaged(typ)+fmt.Sprintf("partition %d starts at byte %d with %d bytes", n, start, length))
	case start+length > size || start+length < start:
		return visit(Volume{}, nil, damaged(typ)+fmt.Sprintf("partition %d ends at byte %d, past the device's end at %d", n, start+length, size))
	}
	sec := make([]byte, 512)
	if err := readAt(r, sec, start); err != nil {
		return false, err
	}
	vol := Volume{Partition: n, Offset: start, Type: "exfat"}
	part := io.NewSectionReader(r, start, length)
	if isExFAT(sec) {
		return visitOpened(visit)(openExFAT(part, vol, length))
	}
	if typ == "exfat" {
		return true, nil // NTFS, most likely
	}
	vol.Type = "vfat"
	if _, _, err := fat.ReadMBR(part); err == nil || binary.LittleEndian.Uint16(sec[510:]) != 0xAA55 {
		if fat32 {
			return visit(Volume{}, nil, damaged("vfat")+fmt.Sprintf("partition %d does not start with a FAT boot sector", n))
		}
		return true, nil
	}
	vol, fsys, why, err := openFAT32(part, vol, length)
	if fsys == nil && err == nil && !fat32 && !strings.HasPrefix(why, "damaged") {
		return true, nil // a FAT12 or FAT16 partition
	}
	return visitOpened(visit)(vol, fsys, why, err)
}

// eachGPTVolume visits the FAT32 and exFAT volumes of a GPT disk's
// partitions, in the order of their entries (the kernel numbers them so).
// The header's and entries' checksums are not checked: a damaged table
// can only hide a volume from the check if the kernel would not find it
// either, and what is found is read as bounded as any volume.
func eachGPTVolume(r io.ReaderAt, size, sectorSize int64, visit func(Volume, fs.FS, string) (bool, error)) error {
	le := binary.LittleEndian
	hdr := make([]byte, 92)
	if err := readAt(r, hdr, sectorSize); err != nil {
		return err
	}
	lba, count, entrySize := int64(le.Uint64(hdr[72:])), int64(le.Uint32(hdr[80:])), int64(le.Uint32(hdr[84:]))
	switch {
	case string(hdr[:8]) != "EFI PART":
		_, err := visit(Volume{}, nil, "a protective MBR without a GPT header")
		return err
	case entrySize < 128 || entrySize > 4096 || entrySize%8 != 0 || lba < 2 || lba > size/sectorSize ||
		lba*sectorSize+min(count, maxGPTEntries)*entrySize > size:
		_, err := visit(Volume{}, nil, fmt.Sprintf("damaged GPT: %d entries of %d bytes at sector %d", count, entrySize, lba))
		return err
	}
	count = min(count, maxGPTEntries)
	table := make([]byte, count*entrySize)
	if err := readAt(r, table, lba*sectorSize); err != nil {
		return err
	}
	for i := range count {
		e := table[i*entrySize : (i+1)*entrySize]
		if allZero(e[:16]) {
			continue // unused
		}
		first, last := le.Uint64(e[32:]), le.Uint64(e[40:])
		sectors := uint64(size / sectorSize)
		if last < first || first >= sectors {
			continue
		}
		n := min(last-first+1, sectors+1) // one past the end is enough to say so
		more, err := visitPartition(r, size, int(i)+1, int64(first)*sectorSize, int64(n)*sectorSize, "", false, visit)
		if err != nil || !more {
			return err
		}
	}
	return nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// isExFAT reports whether sec is an exFAT boot sector.
func isExFAT(sec []byte) bool { return string(sec[3:11]) == "EXFAT   " }

// openFAT32 opens the FAT32 volume at the start of r.
func openFAT32(r io.ReaderAt, vol Volume, size int64) (Volume, fs.FS, string, error) {
	v, err := fat.OpenVolume(r, size)
	return opened(vol, v, err, fat.ErrNotFAT32)
}

// openExFAT opens the exFAT volume at the start of r.
func openExFAT(r io.ReaderAt, vol Volume, size int64) (Volume, fs.FS, string, error) {
	v, err := exfat.Open(r, size)
	return opened(vol, v, err, exfat.ErrNotExFAT)
}

// opened turns what opening vol gave, the file system v or err, into the
// volume and its file system, or why there is none (err wrapping notThis,
// or a damaged volume), or a read error.
func opened[V fs.FS](vol Volume, v V, err, notThis error) (Volume, fs.FS, string, error) {
	switch {
	case errors.Is(err, notThis):
		return Volume{}, nil, err.Error(), nil
	case isCorrupt(err):
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
	if _, err := io.ReadFull(io.NewSectionReader(r, off, int64(len(p))), p); err != nil {
		return fmt.Errorf("read %d bytes at %d: %w", len(p), off, err)
	}
	return nil
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
