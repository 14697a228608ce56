package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"

	"flashkiosk/board"
	"flashkiosk/firmware/fat"
	"flashkiosk/firmware/journal"
	"flashkiosk/firmware/library"
	"flashkiosk/images"
)

func imageCommands() []command {
	return []command{
		{name: "inspect", args: "IMG", summary: "show a kiosk SD-card image: partitions, boot files, version, library and signature", run: imageInspect},
	}
}

// imageInspect shows what a system disk image holds, reading it with
// firmware/fat, without mounting. It fails when the image would not work
// as a kiosk's card: a partition missing, or a library that does not
// verify under the card's library.pub.
func imageInspect(ctx context.Context, in *invocation, args []string) error {
	pos, err := in.parse(args, 1)
	if err != nil {
		return err
	}
	f, err := os.Open(pos[0])
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	id, table, err := fat.ReadMBR(f)
	if err != nil {
		return fmt.Errorf("%s: %w", pos[0], err)
	}
	w := in.stdout
	fmt.Fprintf(w, "image %s: %s, disk signature %08x\n", pos[0], size(fi.Size()), id)
	var problems []string
	vols := map[int]*fat.Volume{}
	for i, p := range table {
		if p.Type == 0 {
			continue
		}
		start, n := p.Start*images.SectorSize, p.Sectors*images.SectorSize
		what := ""
		switch {
		case start+n > fi.Size():
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
	if err := printBoot(w, boot); err != nil {
		return err
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
	} else if p := printImageLibrary(w, lib, pub); p != "" {
		problems = append(problems, p)
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
// from by name, the rest by count, the kiosk version and board.
func printBoot(w io.Writer, boot *fat.Volume) error {
	var files []string
	sizes := map[string]int64{}
	total := int64(0)
	err := fs.WalkDir(boot, ".", func(p string, d fs.DirEntry, err error) error {
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
		return fmt.Errorf("boot partition: %w", err)
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
	if v, err := fs.ReadFile(boot, images.VersionFile); err == nil {
		version = strings.TrimSpace(string(v))
	}
	fmt.Fprintf(w, "kiosk version: %s\n", version)
	toml, err := fs.ReadFile(boot, images.ConfigFile)
	switch {
	case err != nil:
		fmt.Fprintf(w, "%s: missing (the kiosk uses its defaults)\n", images.ConfigFile)
	default:
		if c, err := board.Parse(images.ConfigFile, toml); err != nil {
			fmt.Fprintf(w, "%s: %v\n", images.ConfigFile, err)
		} else {
			fmt.Fprintf(w, "%s: board %s, start %s, fill %s\n", images.ConfigFile, c.Profile.Name, c.Start, c.Fill)
		}
	}
	return nil
}

// readPub reads library.pub from the boot partition.
func readPub(boot *fat.Volume) (ed25519.PublicKey, error) {
	data, err := fs.ReadFile(boot, images.PublicKeyFile)
	if err != nil {
		return nil, fmt.Errorf("no %s on the boot partition", images.PublicKeyFile)
	}
	return library.ParsePublicKey(data, images.PublicKeyFile+" on the boot partition")
}

// printImageLibrary shows the library partition and checks its signature
// against pub (nil when the card has none); it returns the problem, if any.
func printImageLibrary(w io.Writer, lib *fat.Volume, pub ed25519.PublicKey) string {
	data, err := fs.ReadFile(lib, library.ManifestFile)
	if err != nil {
		fmt.Fprintf(w, "library: no %s\n", library.ManifestFile)
		return "library partition without " + library.ManifestFile
	}
	m, err := library.ParseManifest(data)
	if err != nil {
		fmt.Fprintf(w, "library: %v\n", err)
		return err.Error()
	}
	total := m.Total()
	fmt.Fprintf(w, "library: %q, dated %s, %s in %s\n", m.Name, m.Date, countText(total), plural(len(m.Tiers), "tier", "tiers"))
	sig, err := fs.ReadFile(lib, library.SignatureFile)
	if err != nil {
		fmt.Fprintf(w, "signature: none\n")
		return "library not signed"
	}
	var trusted []ed25519.PublicKey
	if pub != nil {
		trusted = append(trusted, pub)
	}
	status, ok := signatureStatus(library.VerifyManifest(data, sig, trusted...), trusted)
	fmt.Fprintf(w, "signature: %s\n", status)
	if !ok || pub == nil {
		return "signature " + status
	}
	return ""
}
