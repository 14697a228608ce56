package images

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestWritePi writes the Pi image twice from the real pinned firmware and
// kernel modules (with a stand-in initramfs; toolchain's tests build a
// real one) and checks that the two are byte-identical and hold what the
// Pi's firmware needs to boot.
func TestWritePi(t *testing.T) {
	d := demo(t)
	cpio := filepath.Join(t.TempDir(), InitramfsFile)
	if err := os.WriteFile(cpio, []byte("070701 stand-in"), 0o644); err != nil {
		t.Fatal(err)
	}
	p := Pi{Library: d.Library, PublicKey: d.PublicKey, Version: "test", Initramfs: cpio}
	var hashes []string
	var img string
	var w *Written
	for range 2 {
		img = filepath.Join(t.TempDir(), "pi.img")
		var err error
		if w, err = WritePi(context.Background(), img, p); err != nil {
			t.Fatalf("WritePi: %v", err)
		}
		hashes = append(hashes, fileHash(t, img))
	}
	if hashes[0] != hashes[1] {
		t.Errorf("two WritePi from the same inputs: sha256 %s and %s; want equal", hashes[0], hashes[1])
	}
	boot := fmt.Sprintf("%s@@%d", img, w.Partitions[0].Start*SectorSize)
	listing := command(t, "mdir", "-/", "-b", "-i", boot, "::/")
	for _, name := range []string{"bootcode.bin", "start.elf", "start4.elf", "fixup.dat", "fixup4.dat", "vmlinuz",
		"bcm2710-rpi-3-b.dtb", "bcm2710-rpi-zero-2-w.dtb", "bcm2711-rpi-4-b.dtb", "bcm2712-rpi-5-b.dtb",
		"overlays/disable-bt.dtbo", "config.txt", "cmdline.txt", InitramfsFile, ConfigFile, PublicKeyFile, VersionFile} {
		if !strings.Contains(listing, "::/"+name+"\n") {
			t.Errorf("mdir of the Pi boot partition lacks %s", name)
		}
	}
	out := command(t, "fsck.fat", "-n", extract(t, img, w.Partitions[0]))
	if strings.Count(strings.TrimSpace(out), "\n") != 1 {
		t.Errorf("fsck.fat -n of the Pi boot partition says:\n%s", out)
	}
}
