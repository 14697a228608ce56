package images

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"flashkiosk/board"
	"flashkiosk/firmware/fat"
	"flashkiosk/firmware/journal"
	"flashkiosk/firmware/library"
)

// fakeBoot is a small stand-in for the Pi's boot files, so that tests
// that are about the disk need not read 100 MB of firmware.
var fakeBoot = []File{
	{Name: "bootcode.bin", Data: bytes.Repeat([]byte{0xB0}, 5000)},
	{Name: "start4.elf", Data: bytes.Repeat([]byte{0x45}, 70000)},
	{Name: "fixup4.dat", Data: []byte("fixup")},
	{Name: "vmlinuz", Data: bytes.Repeat([]byte("kernel"), 20000)},
	{Name: "bcm2711-rpi-4-b.dtb", Data: []byte("dtb")},
	{Name: "overlays/disable-bt.dtbo", Data: []byte("overlay")},
	{Name: "config.txt", Data: []byte(ConfigTxt)},
	{Name: "cmdline.txt", Data: []byte(CmdlineTxt)},
}

// demo makes the demo library in a test folder, once per test.
func demo(t *testing.T) *Demo {
	t.Helper()
	d, err := WriteDemo(context.Background(), t.TempDir(), nil)
	if err != nil {
		t.Fatalf("WriteDemo: %v", err)
	}
	return d
}

func writeDisk(t *testing.T, d Disk) (string, *Written) {
	t.Helper()
	img := filepath.Join(t.TempDir(), "disk.img")
	w, err := WriteDisk(context.Background(), img, d)
	if err != nil {
		t.Fatalf("WriteDisk: %v", err)
	}
	return img, w
}

func fileHash(t *testing.T, name string) string {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// need fails the test when an outside tool is missing: `make test`
// installs them, and a check that cannot run must not pass.
func need(t *testing.T, tool string) string {
	t.Helper()
	if p, err := exec.LookPath(tool); err == nil {
		return p
	}
	for _, dir := range []string{"/usr/sbin", "/sbin"} {
		if _, err := os.Stat(filepath.Join(dir, tool)); err == nil {
			return filepath.Join(dir, tool)
		}
	}
	t.Fatalf("%s not found: run `make test`, which installs it", tool)
	return ""
}

func command(t *testing.T, tool string, args ...string) string {
	t.Helper()
	cmd := exec.Command(need(t, tool), args...)
	cmd.Env = append(os.Environ(), "LC_ALL=C.UTF-8", "MTOOLS_SKIP_CHECK=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", tool, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// extract copies partition p of img into a file of its own.
func extract(t *testing.T, img string, p fat.Partition) string {
	t.Helper()
	in, err := os.Open(img)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out := filepath.Join(t.TempDir(), "part.img")
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := io.Copy(f, io.NewSectionReader(in, p.Start*SectorSize, p.Sectors*SectorSize)); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestWriteDisk(t *testing.T) {
	d := demo(t)
	disk := Disk{Boot: fakeBoot, Config: board.DefaultTOML(), PublicKey: d.PublicKey, Version: "v1.2.3", Library: d.Library}
	img, w := writeDisk(t, disk)
	img2, _ := writeDisk(t, disk)
	if a, b := fileHash(t, img), fileHash(t, img2); a != b {
		t.Errorf("two WriteDisk from the same inputs: sha256 %s and %s; want equal", a, b)
	}

	fi, err := os.Stat(img)
	if err != nil {
		t.Fatal(err)
	}
	if used := fi.Sys().(*syscall.Stat_t).Blocks * 512; used > fi.Size()/20 {
		t.Errorf("image of %d bytes uses %d on disk; want it sparse (at most 5%%)", fi.Size(), used)
	}
	if want := (w.Partitions[2].Start + w.Partitions[2].Sectors) * SectorSize; fi.Size() != want {
		t.Errorf("image size = %d; want %d, the end of the journal", fi.Size(), want)
	}

	dump := command(t, "sfdisk", "-d", img)
	for i, want := range []string{"type=c", "type=c", "type=da"} {
		p := w.Partitions[i]
		line := fmt.Sprintf("%s%d : start=%12d, size=%12d, %s", img, i+1, p.Start, p.Sectors, want)
		if !strings.Contains(dump, line) {
			t.Errorf("sfdisk -d = %s; want the line %q", dump, line)
		}
		if p.Start%(1<<20/SectorSize) != 0 {
			t.Errorf("partition %d starts at sector %d; want it 1 MiB aligned", i+1, p.Start)
		}
	}
	if p := w.Partitions[2]; p.Sectors*SectorSize != JournalBytes {
		t.Errorf("journal partition = %d bytes; want %d", p.Sectors*SectorSize, JournalBytes)
	}

	for i := range 2 {
		part := extract(t, img, w.Partitions[i])
		out := command(t, "fsck.fat", "-n", part)
		if !strings.Contains(out, " files, ") || strings.Count(strings.TrimSpace(out), "\n") != 1 {
			t.Errorf("fsck.fat -n partition %d says:\n%s\nwant only the banner and summary", i+1, out)
		}
	}

	boot := fmt.Sprintf("%s@@%d", img, w.Partitions[0].Start*SectorSize)
	listing := command(t, "mdir", "-/", "-b", "-i", boot, "::/")
	for _, name := range []string{"bootcode.bin", "start4.elf", "vmlinuz", "overlays/disable-bt.dtbo", "config.txt", "cmdline.txt", ConfigFile, PublicKeyFile, VersionFile} {
		if !strings.Contains(listing, "::/"+name+"\n") {
			t.Errorf("mdir of the boot partition = %s; want %s", listing, name)
		}
	}
	if got := command(t, "mtype", "-i", boot, "::/"+PublicKeyFile); got != readFile(t, d.PublicKey) {
		t.Errorf("library.pub on the image = %q; want the key file %q", got, readFile(t, d.PublicKey))
	}
	if got := command(t, "mtype", "-i", boot, "::/"+ConfigFile); got != string(board.DefaultTOML()) {
		t.Errorf("kiosk.toml on the image differs from board.DefaultTOML()")
	}

	// The library partition, copied back by mtools, is the library folder.
	libPart := fmt.Sprintf("%s@@%d", img, w.Partitions[1].Start*SectorSize)
	back := t.TempDir()
	command(t, "mcopy", "-s", "-n", "-m", "-i", libPart, "::/", back)
	checkSameTree(t, d.Library, back)
	lib, err := library.Open(back)
	if err != nil {
		t.Fatalf("library.Open(copied back) = %v", err)
	}
	if err := lib.Verify(context.Background()); err != nil {
		t.Errorf("Verify(copied back) = %v", err)
	}
	pub, err := library.ReadPublicKey(d.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	if err := lib.CheckSignature(pub); err != nil {
		t.Errorf("CheckSignature(copied back) = %v", err)
	}

	// The journal is blank, and the kiosk's first Open makes it a journal.
	jf, err := os.OpenFile(extract(t, img, w.Partitions[2]), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer jf.Close()
	data, err := io.ReadAll(jf)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(data, make([]byte, JournalBytes)) {
		t.Errorf("journal partition is not all zeros")
	}
	j, err := journal.Open(jf)
	if err != nil {
		t.Fatalf("journal.Open(blank journal partition) = %v", err)
	}
	if j.Boot() != 1 || len(j.Records()) != 0 {
		t.Errorf("journal.Open(blank) = boot %d with %d records; want boot 1, none", j.Boot(), len(j.Records()))
	}
	j.Close()
}

// checkSameTree compares two folders name by name and byte by byte.
func checkSameTree(t *testing.T, want, got string) {
	t.Helper()
	list := func(root string) map[string]string {
		m := map[string]string{}
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || p == root {
				return err
			}
			rel, _ := filepath.Rel(root, p)
			if d.IsDir() {
				m[rel] = "/"
				return nil
			}
			m[rel] = readFile(t, p)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	w, g := list(want), list(got)
	for name, data := range w {
		if gd, ok := g[name]; !ok {
			t.Errorf("copied-back library lacks %q", name)
		} else if gd != data {
			t.Errorf("copied-back %q differs", name)
		}
	}
	for name := range g {
		if _, ok := w[name]; !ok {
			t.Errorf("copied-back library has %q, which the library does not", name)
		}
	}
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestWriteDiskRefuses(t *testing.T) {
	d := demo(t)
	other := filepath.Join(t.TempDir(), "other.key")
	if _, err := library.GenerateKey(other); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		disk Disk
		want string
	}{
		{"other key", Disk{PublicKey: other + ".pub", Library: d.Library}, "which is not trusted"},
		{"no library", Disk{PublicKey: d.PublicKey, Library: t.TempDir()}, "manifest.json"},
		{"boot file twice", Disk{Boot: []File{{Name: ConfigFile}}, PublicKey: d.PublicKey, Library: d.Library}, "listed twice"},
	} {
		img := filepath.Join(t.TempDir(), "disk.img")
		_, err := WriteDisk(context.Background(), img, tc.disk)
		if err == nil || !strings.Contains(strings.ToLower(err.Error()), tc.want) {
			t.Errorf("WriteDisk(%s) = %v; want an error with %q", tc.name, err, tc.want)
		}
		if _, err := os.Stat(img); err == nil {
			t.Errorf("WriteDisk(%s) failed but left %s", tc.name, img)
		}
	}
	if _, err := PublicKeyOf(d.Key); err != nil {
		t.Errorf("PublicKeyOf(demo key) = %v", err)
	}
	if err := os.Rename(other+".pub", d.Key+".pub"); err != nil {
		t.Fatal(err)
	}
	if _, err := PublicKeyOf(d.Key); err == nil || !strings.Contains(err.Error(), "is not the public key of") {
		t.Errorf("PublicKeyOf(key with another's .pub) = %v; want a mismatch", err)
	}
}

// TestWriteDiskWithoutBootFiles writes a disk as the VM gets it (tools/e2e):
// no Pi boot files, so the boot partition holds kiosk.toml and the key.
func TestWriteDiskWithoutBootFiles(t *testing.T) {
	d := demo(t)
	img := filepath.Join(t.TempDir(), "vm.img")
	w, err := WriteDisk(context.Background(), img, Disk{Config: []byte("board = \"vm\"\n"), PublicKey: d.PublicKey, Library: d.Library})
	if err != nil {
		t.Fatalf("WriteDisk: %v", err)
	}
	f, err := os.Open(img)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p := w.Partitions[0]
	v, err := fat.OpenVolume(io.NewSectionReader(f, p.Start*SectorSize, p.Sectors*SectorSize), p.Sectors*SectorSize)
	if err != nil {
		t.Fatalf("OpenVolume(boot partition) = %v", err)
	}
	entries, err := fs.ReadDir(v, ".")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if got, want := strings.Join(names, " "), ConfigFile+" "+PublicKeyFile; got != want {
		t.Errorf("VM boot partition holds %s; want %s", got, want)
	}
	toml, err := fs.ReadFile(v, ConfigFile)
	if err != nil {
		t.Fatal(err)
	}
	c, err := board.Parse(ConfigFile, toml)
	if err != nil {
		t.Fatalf("board.Parse(VM kiosk.toml) = %v", err)
	}
	if c.Profile.Name != "vm" {
		t.Errorf("VM kiosk.toml selects board %q; want vm", c.Profile.Name)
	}
}
