package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

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
	return writeKioskImageAs(t, dir, "card.img", board.DefaultTOML())
}

// writeKioskImageAs is writeKioskImage with the image's name and its
// kiosk.toml given.
func writeKioskImageAs(t *testing.T, dir, name string, config []byte) string {
	t.Helper()
	d, err := images.WriteDemo(context.Background(), filepath.Join(dir, "demo-"+name), nil)
	if err != nil {
		t.Fatal(err)
	}
	boot := []images.File{
		{Name: "start4.elf", Data: make([]byte, 3000)},
		{Name: "vmlinuz", Data: []byte("kernel")},
		{Name: "bcm2711-rpi-4-b.dtb", Data: []byte("dtb")},
		{Name: "overlays/disable-bt.dtbo", Data: []byte("overlay")},
	}
	_, err = images.WriteDisk(context.Background(), filepath.Join(dir, name), images.Disk{
		Boot: boot, Config: config, PublicKey: d.PublicKey, Version: "v9.8.7", Library: d.Library,
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

// TestImageInspectRefuses checks that image inspect fails (exit 1) for
// every card the kiosk would not work from, names what is wrong, reads a
// card through its block device, and does not hang on a FIFO.
func TestImageInspectRefuses(t *testing.T) {
	dir := t.TempDir()
	writeKioskImage(t, dir)
	writeKioskImageAs(t, dir, "pi2.img", []byte("board = \"pi2\"\n"))
	card := filepath.Join(dir, "card.img")
	data, err := os.ReadFile(card)
	if err != nil {
		t.Fatal(err)
	}
	// changed.img: one byte of a content file flipped, size unchanged.
	// deleted.img: one content file deleted with mtools.
	changed, deleted := filepath.Join(dir, "changed.img"), filepath.Join(dir, "deleted.img")
	for _, p := range []string{changed, deleted} {
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	_, table, err := fat.ReadMBR(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	part := table[1]
	v, err := fat.OpenVolume(io.NewSectionReader(bytes.NewReader(data), part.Start*512, part.Sectors*512), part.Sectors*512)
	if err != nil {
		t.Fatal(err)
	}
	m, err := library.ParseManifest(mustRead(t, v, library.ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	victim := path.Join(library.ContentDir, m.File(m.NumFiles()-1).Path)
	ext, err := v.Extents(victim)
	if err != nil || len(ext) == 0 {
		t.Fatalf("Extents(%s) = %v, %v", victim, ext, err)
	}
	f, err := os.OpenFile(changed, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	b := []byte{data[part.Start*512+ext[0].Offset] ^ 0xFF}
	if _, err := f.WriteAt(b, part.Start*512+ext[0].Offset); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if out, err := exec.Command("mdel", "-i", fmt.Sprintf("%s@@%d", deleted, part.Start*512), "::"+victim).CombinedOutput(); err != nil {
		t.Fatalf("mdel (package mtools): %v\n%s", err, out)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("losetup", "-f", "--show", "-r", card).Output()
	if err != nil {
		t.Fatalf("losetup (needs root and loop devices): %v", err)
	}
	loop := strings.TrimSpace(string(out))
	t.Cleanup(func() { exec.Command("losetup", "-d", loop).Run() })

	done := make(chan struct{})
	go func() {
		defer close(done)
		runSteps(t, dir, []step{
			{"image inspect DIR/card.img", 0, []string{"content: all 7 files present with the manifest's sizes (not read; --content reads them)"}, ""},
			{"image inspect --content DIR/card.img", 0, []string{"content: all 7 files match the manifest's sizes and SHA-256"}, ""},
			{"image inspect --content " + loop, 0, []string{"image " + loop + ": 144 MB", "content: all 7 files match"}, ""},
			{"image inspect DIR/pi2.img", 1, []string{`kiosk.toml:1: board: unknown board "pi2"`},
				`kiosk.toml:1: board: unknown board "pi2" (auto or one of pi3b, pi3bplus, pi4b, pi5, pizero2w, vm) (the kiosk would show a configuration error and not start)`},
			{"image inspect DIR/changed.img", 0, []string{"content: all 7 files present"}, ""},
			{"image inspect --content DIR/changed.img", 1, []string{"content: 1 of 7 files missing or changed:\n  " + victim + ": SHA-256 differs from the library's"},
				"1 library file missing or changed (" + victim + ": SHA-256 differs from the library's): the kiosk would fail the jobs that reach them"},
			{"image inspect DIR/deleted.img", 1, []string{"  " + victim + ": missing"}, "1 library file missing or changed (" + victim + ": missing)"},
			{"image inspect DIR/fifo", 1, nil, "kioskctl: " + filepath.Join(dir, "fifo") + " is a FIFO, not an image file or a block device"},
			{"image inspect /dev/zero", 1, nil, "/dev/zero is a character device, not an image file or a block device"},
		})
	}()
	select {
	case <-done:
	case <-time.After(2 * time.Minute):
		t.Fatal("image inspect still blocked after 2 minutes")
	}
}

// mustRead reads a whole file of a volume.
func mustRead(t *testing.T, fsys fs.FS, name string) []byte {
	t.Helper()
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
