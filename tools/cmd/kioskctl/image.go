package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"

	"flashkiosk/board"
	"flashkiosk/firmware/fat"
	"flashkiosk/firmware/flash"
	"flashkiosk/firmware/journal"
	"flashkiosk/firmware/library"
	"flashkiosk/firmware/regfile"
	"flashkiosk/firmware/sysdisk"
	"flashkiosk/images"
)

func imageCommands() []command {
	return []command{
		{name: "inspect", args: "[--content] IMG", summary: "show a kiosk SD-card image or card: partitions, boot files, version, library and signature", run: imageInspect},
	}
}

// imageInspect shows what a system disk image (or a card in a reader)
// holds, reading it with firmware/fat, without mounting. It fails when the
// card would not work as a kiosk's: a partition missing, a kiosk.toml the
// kiosk refuses, a library that does not verify under the card's
// library.pub, or a library file missing or of the wrong size (with
// --content, of the wrong SHA-256).
func imageInspect(ctx context.Context, in *invocation, args []string) error {
	content := in.flags.Bool("content", false, "also read every library file and compare its SHA-256 with the manifest")
	pos, err := in.parse(args, 1)
	if err != nil {
		return err
	}
	f, err := regfile.OpenImage(pos[0])
	if err != nil {
		return err
	}
	defer f.Close()
	imgSize, err := f.Seek(0, io.SeekEnd) // Stat says 0 bytes for a card
	if err != nil {
		return fmt.Errorf("%s: size: %w", pos[0], err)
	}
	id, table, err := fat.ReadMBR(f)
	if err != nil {
		return fmt.Errorf("%s: %w", pos[0], err)
	}
	w := in.stdout
	fmt.Fprintf(w, "image %s: %s, disk signature %08x\n", pos[0], size(imgSize), id)
	var problems []string
	vols := map[int]*fat.Volume{}
	for i, p := range table {
		if p.Type == 0 {
			continue
		}
		start, n := p.Start*images.SectorSize, p.Sectors*images.SectorSize
		what := ""
		switch {
		case start+n > imgSize:
			what = "ends past the end of the image"
			problems = append(problems, fmt.Sprintf("partition %d ends past the image", i+1))
		case p.Type == fat.PartTypeFAT32:
			v, err := fat.OpenVolume(io.NewSectionReader(f, start, n), n)
			if err != nil {
				what = "FAT32: " + err.Error()
				problems = append(problems, fmt.Sprintf("partition %d: %v", i+1, err))
				break
			}
			vols[i+1] = v
			what = fmt.Sprintf("FAT32, label %s", v.Label())
		case p.Type == images.PartTypeJournal:
			what = "journal, " + journalState(io.NewSectionReader(f, start, n))
		}
		fmt.Fprintf(w, "partition %d: type 0x%02X, start %s (sector %d), size %s; %s\n", i+1, p.Type, size(start), p.Start, size(n), what)
	}
	boot, lib := vols[1], vols[2]
	if boot == nil || boot.Label() != images.BootLabel {
		return fmt.Errorf("%s: no boot partition (partition 1, FAT32, label %s): not a kiosk image", pos[0], images.BootLabel)
	}
	if p, err := printBoot(w, boot); err != nil {
		return err
	} else if p != "" {
		problems = append(problems, p)
	}
	pub, err := readPub(boot)
	if err != nil {
		problems = append(problems, err.Error())
		fmt.Fprintf(w, "trusted key: %v\n", err)
	} else {
		fmt.Fprintf(w, "trusted key: %s (%s)\n", library.Fingerprint(pub), images.PublicKeyFile)
	}
	if lib == nil || lib.Label() != images.LibraryLabel {
		problems = append(problems, "no library partition")
	} else {
		problems = append(problems, printImageLibrary(ctx, w, lib, pub, *content)...)
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s: %s", pos[0], strings.Join(problems, "; "))
	}
	return ctx.Err()
}

// journalState says whether a journal partition is blank or what it holds.
func journalState(r *io.SectionReader) string {
	buf := make([]byte, 1<<16)
	for off := int64(0); off < r.Size(); off += int64(len(buf)) {
		n, err := r.ReadAt(buf, off)
		if !isZero(buf[:n]) {
			j, err := journal.OpenReadOnly(r)
			if err != nil {
				return "unreadable: " + err.Error()
			}
			return fmt.Sprintf("boot %d, %s", j.Boot(), plural(len(j.Records()), "record", "records"))
		}
		if err != nil {
			break
		}
	}
	return "blank (the kiosk makes it a journal at its first start)"
}

func isZero(b []byte) bool {
	return len(bytes.Trim(b, "\x00")) == 0
}

// printBoot lists the boot partition: the files the Pi's firmware starts
// from by name, the rest by count, the kiosk version and board. problem
// is a kiosk.toml the kiosk would refuse.
func printBoot(w io.Writer, boot *fat.Volume) (problem string, err error) {
	var files []string
	sizes := map[string]int64{}
	total := int64(0)
	err = fs.WalkDir(boot, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		files = append(files, p)
		sizes[p] = info.Size()
		total += info.Size()
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("boot partition: %w", err)
	}
	sort.Strings(files)
	var named []string
	dtbs, overlays := 0, 0
	for _, p := range files {
		switch {
		case strings.HasPrefix(p, "overlays/"):
			overlays++
		case path.Ext(p) == ".dtb":
			dtbs++
		default:
			named = append(named, fmt.Sprintf("%s (%s)", p, size(sizes[p])))
		}
	}
	fmt.Fprintf(w, "boot files: %s, %s: %s; %s, %s\n", plural(len(files), "file", "files"), size(total),
		strings.Join(named, ", "), plural(dtbs, "DTB", "DTBs"), plural(overlays, "overlay", "overlays"))
	version := "none recorded"
	if v, err := fat.ReadFile(boot, images.VersionFile, 4<<10); err == nil {
		version = strings.TrimSpace(string(v))
	}
	fmt.Fprintf(w, "kiosk version: %s\n", version)
	toml, err := fat.ReadFile(boot, images.ConfigFile, sysdisk.MaxFileSize)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		fmt.Fprintf(w, "%s: missing (the kiosk uses its defaults)\n", images.ConfigFile)
	case err != nil:
		fmt.Fprintf(w, "%s: %v\n", images.ConfigFile, err)
		problem = fmt.Sprintf("%s: %v (the kiosk would show a configuration error and not start)", images.ConfigFile, err)
	default:
		if c, err := board.Parse(images.ConfigFile, toml); err != nil {
			fmt.Fprintf(w, "%v\n", err)
			problem = err.Error() + " (the kiosk would show a configuration error and not start)"
		} else {
			fmt.Fprintf(w, "%s: board %s, start %s, fill %s\n", images.ConfigFile, c.Profile.Name, c.Start, c.Fill)
		}
	}
	return problem, nil
}

// readPub reads library.pub from the boot partition.
func readPub(boot *fat.Volume) (ed25519.PublicKey, error) {
	data, err := fat.ReadFile(boot, images.PublicKeyFile, library.MaxKeySize)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no %s on the boot partition", images.PublicKeyFile)
	}
	if err != nil {
		return nil, fmt.Errorf("%s on the boot partition: %w", images.PublicKeyFile, err)
	}
	return library.ParsePublicKey(data, images.PublicKeyFile+" on the boot partition")
}

// printImageLibrary shows the library partition, checks its signature
// against pub (nil when the card has none) and that every file of the
// manifest is there with its size (and, if content, its SHA-256); it
// returns the problems found.
func printImageLibrary(ctx context.Context, w io.Writer, lib *fat.Volume, pub ed25519.PublicKey, content bool) []string {
	data, err := fat.ReadFile(lib, library.ManifestFile, library.MaxManifestSize)
	if errors.Is(err, fs.ErrNotExist) {
		fmt.Fprintf(w, "library: no %s\n", library.ManifestFile)
		return []string{"library partition without " + library.ManifestFile}
	}
	if err != nil {
		fmt.Fprintf(w, "library: %v\n", err)
		return []string{"library partition: " + err.Error()}
	}
	m, err := library.ParseManifest(data)
	if err != nil {
		fmt.Fprintf(w, "library: %v\n", err)
		return []string{err.Error()}
	}
	total := m.Total()
	fmt.Fprintf(w, "library: %q, dated %s, %s in %s\n", m.Name, m.Date, countText(total), plural(len(m.Tiers), "tier", "tiers"))
	var problems []string
	sig, err := fat.ReadFile(lib, library.SignatureFile, library.MaxSignatureSize)
	if err != nil {
		fmt.Fprintf(w, "signature: none\n")
		problems = append(problems, "library not signed")
	} else {
		var trusted []ed25519.PublicKey
		if pub != nil {
			trusted = append(trusted, pub)
		}
		status, ok := signatureStatus(library.VerifyManifest(data, sig, trusted...), trusted)
		fmt.Fprintf(w, "signature: %s\n", status)
		if !ok || pub == nil {
			problems = append(problems, "signature "+status)
		}
	}
	bad, err := checkImageContent(ctx, lib, m, content)
	if err != nil {
		return append(problems, "library partition: "+err.Error())
	}
	what := "present with the manifest's sizes (not read; --content reads them)"
	if content {
		what = "match the manifest's sizes and SHA-256"
	}
	if len(bad) == 0 {
		fmt.Fprintf(w, "content: all %d files %s\n", m.NumFiles(), what)
		return problems
	}
	fmt.Fprintf(w, "content: %d of %d files missing or changed:\n", len(bad), m.NumFiles())
	for _, b := range bad {
		fmt.Fprintf(w, "  %s\n", b)
	}
	shown := bad[:min(len(bad), 3)]
	more := ""
	if len(bad) > len(shown) {
		more = fmt.Sprintf(" and %d more", len(bad)-len(shown))
	}
	return append(problems, fmt.Sprintf("%s missing or changed (%s%s): the kiosk would fail the jobs that reach them",
		plural(len(bad), "library file", "library files"), strings.Join(shown, "; "), more))
}

// checkImageContent checks each file of m below content/ on the library
// partition: present with its size, and if hash, with its SHA-256. It
// returns one line per file that is not.
func checkImageContent(ctx context.Context, lib *fat.Volume, m *library.Manifest, hash bool) ([]string, error) {
	var bad []string
	buf := make([]byte, 64<<10)
	for _, f := range m.Files() {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		name := path.Join(library.ContentDir, f.Path)
		info, err := fs.Stat(lib, name)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			bad = append(bad, name+": missing")
			continue
		case err != nil:
			return nil, err
		case info.IsDir():
			bad = append(bad, name+": a folder, not a file")
			continue
		case info.Size() != f.Size:
			bad = append(bad, fmt.Sprintf("%s: %d bytes; the manifest has %d", name, info.Size(), f.Size))
			continue
		}
		if !hash {
			continue
		}
		why, err := flash.CompareFile(lib, name, f, buf)
		if err != nil {
			return nil, err
		}
		if why != "" {
			bad = append(bad, name+": "+why)
		}
	}
	return bad, nil
}
