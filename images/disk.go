package images

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"flashkiosk/firmware/fat"
	"flashkiosk/firmware/library"
	"flashkiosk/firmware/sysdisk"
)

// The system disk's layout: the contract with kioskd.
const (
	SectorSize   = 512
	BootLabel    = "FLASHKIOSK"
	LibraryLabel = "LIBRARY"
	// PartTypeJournal is the MBR type of the journal partition: 0xDA,
	// "non-file-system data", which no PC offers to mount or format.
	PartTypeJournal byte = 0xDA
	JournalBytes         = 8 << 20
	// The files of the boot partition the kiosk reads, named where the
	// kiosk reads them.
	ConfigFile    = sysdisk.ConfigFile
	PublicKeyFile = sysdisk.KeyFile
	VersionFile   = "VERSION"
)

const mib = 1 << 20

// File is one file of the boot partition.
type File struct {
	Name string // slash path inside the partition
	Path string // where its contents lie on this machine; "" when Data holds them
	Data []byte
}

// Disk is what a system disk holds.
type Disk struct {
	// Boot are the boot partition's files besides kiosk.toml, library.pub
	// and VERSION: for the Pi, the firmware, kernel, DTBs, overlays,
	// config.txt, cmdline.txt and kiosk.cpio; none for the VM, which boots
	// its kernel and initramfs directly.
	Boot      []File
	Config    []byte // kiosk.toml
	PublicKey string // the public key file the library is signed with, as library.GenerateKey writes it
	Version   string // the kiosk version for the VERSION file; none if ""
	Library   string // a built and signed library folder
}

// Written is what WriteDisk put on the disk.
type Written struct {
	Partitions []fat.Partition
	DiskID     uint32
	Library    *library.Library
}

// WriteDisk writes the system disk d to the new file out, sparse. The
// library must verify under PublicKey (its files are checked against their
// hashes while they are written); every timestamp is the library's date.
func WriteDisk(ctx context.Context, out string, d Disk) (*Written, error) {
	lib, pubData, err := openLibrary(d.Library, d.PublicKey)
	if err != nil {
		return nil, err
	}
	return writeOpened(ctx, out, d, lib, pubData)
}

// writeOpened is WriteDisk with d's library opened and checked, and the
// bytes of its public key file.
func writeOpened(ctx context.Context, out string, d Disk, lib *library.Library, pubData []byte) (*Written, error) {
	boot := append([]File{{Name: ConfigFile, Data: d.Config}, {Name: PublicKeyFile, Data: pubData}}, d.Boot...)
	if d.Version != "" {
		boot = append(boot, File{Name: VersionFile, Data: []byte(d.Version + "\n")})
	}
	sort.Slice(boot, func(i, j int) bool { return boot[i].Name < boot[j].Name })
	bootVol, err := newVolume(boot, nil)
	if err != nil {
		return nil, fmt.Errorf("boot partition: %w", err)
	}
	libVol, err := newVolume(libraryFiles(lib), lib)
	if err != nil {
		return nil, fmt.Errorf("library partition: %w", err)
	}
	for e := range lib.Manifest.Folders() {
		libVol.entries = append(libVol.entries, fat.Entry{Path: path.Join(library.ContentDir, e.Path), Dir: true})
	}

	// The IDs are a hash of everything on the disk, so equal inputs give
	// equal bytes and different ones different IDs.
	h := sha256.New()
	for _, v := range []*volume{bootVol, libVol} {
		if err := v.hash(h); err != nil {
			return nil, err
		}
	}
	sum := h.Sum(nil)
	id := func(i int) uint32 {
		v := binary.LittleEndian.Uint32(sum[4*i:])
		if v == 0 {
			v = 1
		}
		return v
	}
	opts := fat.Options{SectorSize: SectorSize, Time: lib.Time(), DiskID: id(0)}

	f, err := os.OpenFile(out, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		f.Close()
		if !ok {
			os.Remove(out)
		}
	}()
	w := &Written{DiskID: id(0), Library: lib}
	start := int64(mib / SectorSize)
	for i, v := range []*volume{bootVol, libVol} {
		opts.Label, opts.VolumeID = []string{BootLabel, LibraryLabel}[i], id(1+i)
		l, err := v.plan(start, opts)
		if err != nil {
			return nil, fmt.Errorf("%s partition: %w", opts.Label, err)
		}
		if err := l.WriteVolume(ctx, f, v.source()); err != nil {
			return nil, fmt.Errorf("%s partition: %w", opts.Label, err)
		}
		g := l.Geometry()
		w.Partitions = append(w.Partitions, fat.Partition{Type: fat.PartTypeFAT32, Start: g.PartStart, Sectors: g.PartSectors})
		start += g.PartSectors
	}
	w.Partitions = append(w.Partitions, fat.Partition{Type: PartTypeJournal, Start: start, Sectors: JournalBytes / SectorSize})
	mbr, err := fat.MBR(SectorSize, w.DiskID, w.Partitions)
	if err != nil {
		return nil, err
	}
	if _, err := f.WriteAt(mbr, 0); err != nil {
		return nil, err
	}
	if err := f.Truncate((start + JournalBytes/SectorSize) * SectorSize); err != nil {
		return nil, err
	}
	if err := f.Sync(); err != nil {
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	ok = true
	return w, nil
}

// openLibrary opens the library in dir and checks that it is signed by
// the key in the public key file pubFile, whose bytes it returns.
func openLibrary(dir, pubFile string) (*library.Library, []byte, error) {
	pubData, err := os.ReadFile(pubFile)
	if err != nil {
		return nil, nil, fmt.Errorf("read key: %w", err)
	}
	pub, err := library.ParsePublicKey(pubData, pubFile)
	if err != nil {
		return nil, nil, err
	}
	lib, err := library.Open(dir)
	if err != nil {
		return nil, nil, err
	}
	if err := lib.CheckSignature(pub); err != nil {
		return nil, nil, fmt.Errorf("the library in %s does not verify under %s (key %s): %w", dir, pubFile, library.Fingerprint(pub), err)
	}
	return lib, pubData, nil
}

// libraryFiles lists the library folder as it goes on its partition:
// manifest, signature, then the content in manifest order.
func libraryFiles(lib *library.Library) []File {
	files := []File{
		{Name: library.ManifestFile, Path: filepath.Join(lib.Dir, library.ManifestFile)},
		{Name: library.SignatureFile, Path: filepath.Join(lib.Dir, library.SignatureFile)},
	}
	for _, mf := range lib.Manifest.Files() {
		files = append(files, File{Name: path.Join(library.ContentDir, mf.Path), Path: lib.ContentPath(mf.Path)})
	}
	return files
}

// volume is the files of one FAT partition.
type volume struct {
	files   []File
	entries []fat.Entry
	bytes   int64
	// lib, if set, serves the files below content/, checking every byte
	// against its manifest; the manifest then stands for them in the hash.
	lib *library.Library
}

func newVolume(files []File, lib *library.Library) (*volume, error) {
	v := &volume{files: files, lib: lib}
	for _, f := range files {
		size := int64(len(f.Data))
		if f.Path != "" {
			fi, err := os.Stat(f.Path)
			if err != nil {
				return nil, err
			}
			size = fi.Size()
		}
		v.entries = append(v.entries, fat.Entry{Path: f.Name, Size: size})
		v.bytes += size
	}
	return v, nil
}

// content is the manifest path of the volume's file name if the library
// serves it.
func (v *volume) content(name string) (string, bool) {
	if v.lib == nil {
		return "", false
	}
	rel, ok := strings.CutPrefix(name, library.ContentDir+"/")
	return rel, ok
}

// hash adds the volume's names and contents to h.
func (v *volume) hash(h hash.Hash) error {
	for i, f := range v.files {
		fmt.Fprintf(h, "%s\x00%d\x00", f.Name, v.entries[i].Size)
		if _, ok := v.content(f.Name); ok {
			continue
		}
		if f.Path == "" {
			h.Write(f.Data)
			continue
		}
		r, err := os.Open(f.Path)
		if err != nil {
			return err
		}
		_, err = io.Copy(h, r)
		r.Close()
		if err != nil {
			return fmt.Errorf("read %s: %w", f.Path, err)
		}
	}
	return nil
}

// plan lays the volume out in the smallest partition from sector start,
// in whole MiB, that holds it with room to spare: a partner who edits a
// file on the card should not find it full.
func (v *volume) plan(start int64, opts fat.Options) (*fat.Layout, error) {
	size := max(64*mib, (v.bytes+v.bytes/8+int64(len(v.entries))*4096+16*mib+mib-1)/mib*mib)
	for {
		l, err := fat.PlanPartition(start, size/SectorSize, v.entries, opts)
		if !errors.Is(err, fat.ErrNoSpace) {
			return l, err
		}
		size = (size + size/4 + mib - 1) / mib * mib
	}
}

// source serves the volume's files to a fat.Stream.
func (v *volume) source() fat.Source {
	return func(i int, p string) (io.ReadCloser, error) {
		if rel, ok := v.content(p); ok {
			return v.lib.Open(rel)
		}
		if f := v.files[i]; f.Path != "" {
			return os.Open(f.Path)
		}
		return io.NopCloser(bytes.NewReader(v.files[i].Data)), nil
	}
}
