package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"flashkiosk/board"
	"flashkiosk/firmware/fat"
	"flashkiosk/firmware/library"
	"flashkiosk/images"
)

// writeKioskImage writes a system disk with a few stand-in boot files and
// the demo library into dir/card.img, and returns the demo key's
// fingerprint.
func writeKioskImage(t *testing.T, dir string) string {
	t.Helper()
	d, err := images.WriteDemo(context.Background(), filepath.Join(dir, "demo"), nil)
	if err != nil {
		t.Fatal(err)
	}
	boot := []images.File{
		{Name: "start4.elf", Data: make([]byte, 3000)},
		{Name: "vmlinuz", Data: []byte("kernel")},
		{Name: "bcm2711-rpi-4-b.dtb", Data: []byte("dtb")},
		{Name: "overlays/disable-bt.dtbo", Data: []byte("overlay")},
	}
	_, err = images.WriteDisk(context.Background(), filepath.Join(dir, "card.img"), images.Disk{
		Boot: boot, Config: board.DefaultTOML(), PublicKey: d.PublicKey, Version: "v9.8.7", Library: d.Library,
	})
	if err != nil {
		t.Fatal(err)
	}
	pub, err := library.ReadPublicKey(d.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return library.Fingerprint(pub)
}

func TestImageInspect(t *testing.T) {
	dir := t.TempDir()
	fp := writeKioskImage(t, dir)
	writeFiles(t, dir, map[string]string{"junk.img": strings.Repeat("not an image ", 100)})
	runSteps(t, dir, []step{
		{"image", 2, nil, "usage: kioskctl image COMMAND"},
		{"image inspect", 2, nil, "kioskctl: want 1 argument(s), got 0"},
		{"image inspect DIR/card.img", 0, []string{
			"disk signature ",
			"partition 1: type 0x0C, start 1.05 MB (sector 2048), size 67.1 MB; FAT32, label FLASHKIOSK",
			"partition 2: type 0x0C, start 68.2 MB (sector 133120), size 67.1 MB; FAT32, label LIBRARY",
			"partition 3: type 0xDA, start 135 MB (sector 264192), size 8.39 MB; journal, blank",
			"boot files: 7 files, ", "start4.elf (3.00 kB)", "vmlinuz (6 bytes)", "1 DTB, 1 overlay",
			"kiosk version: v9.8.7",
			"kiosk.toml: board pi4b",
			"trusted key: " + fp + " (library.pub)",
			`library: "flashkiosk demo", dated 2026-11-01, 7 files, `, "in 2 tiers",
			"signature: valid, by trusted key " + fp,
		}, ""},
		{"image inspect DIR/junk.img", 1, nil, "holds no MBR"},
		{"image inspect DIR/missing.img", 1, nil, "no such file"},
	})

	// A card whose manifest was changed after signing is refused.
	img := filepath.Join(dir, "card.img")
	f, err := os.OpenFile(img, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, table, err := fat.ReadMBR(f)
	if err != nil {
		t.Fatal(err)
	}
	p := table[1]
	v, err := fat.OpenVolume(io.NewSectionReader(f, p.Start*512, p.Sectors*512), p.Sectors*512)
	if err != nil {
		t.Fatal(err)
	}
	ext, err := v.Extents(library.ManifestFile)
	if err != nil || len(ext) == 0 {
		t.Fatalf("Extents(manifest.json) = %v, %v", ext, err)
	}
	// Extents are relative to the partition: the volume was opened on it.
	if _, err := f.WriteAt([]byte("{ "), p.Start*512+ext[0].Offset); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	runSteps(t, dir, []step{
		{"image inspect DIR/card.img", 1, []string{"signature: "}, "signature"},
	})
}
