package sysdisk

import (
	"encoding/binary"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"flashkiosk/firmware/fat"
)

// run runs a command and fails the test with its output if it fails.
func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), "PATH="+os.Getenv("PATH")+":/usr/sbin:/sbin", "MTOOLS_SKIP_CHECK=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v: %s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// kioskImage makes a disk image laid out like a kiosk's card, with
// sfdisk, mkfs.fat and mcopy; boot holds the files of partition 1.
func kioskImage(t *testing.T, boot map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	img := filepath.Join(dir, "card.img")
	if err := os.WriteFile(img, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(img, 120<<20); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("sfdisk", "--no-reread", "--no-tell-kernel", img)
	cmd.Stdin = strings.NewReader("label: dos\nstart=2048, size=69632, type=c\nstart=71680, size=40960, type=c\nstart=112640, size=16384, type=da\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sfdisk: %v: %s", err, out)
	}
	run(t, "mkfs.fat", "-F", "32", "-n", "FLASHKIOSK", "--offset", "2048", img, "34816")
	for name, body := range boot {
		f := filepath.Join(dir, name)
		if err := os.WriteFile(f, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		run(t, "mcopy", "-i", img+"@@1M", f, "::"+name)
	}
	return img
}

// TestReadFile reads kiosk.toml off a card image made by the real tools,
// without mounting. Find needs a kernel that reads partition tables (this
// machine's does not): the end-to-end tests in tools/e2e boot kioskd in
// qemu from such a card, which Find must find for the kiosk to start.
func TestReadFile(t *testing.T) {
	const toml = "board = \"vm\"\n"
	card := kioskImage(t, map[string]string{ConfigFile: toml, KeyFile: "key\n"})
	if b, err := ReadFile(card, ConfigFile); err != nil || string(b) != toml {
		t.Errorf("ReadFile(card, %s) = %q, %v; want %q", ConfigFile, b, err, toml)
	}
	if _, err := ReadFile(card, "missing.txt"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("ReadFile(card, missing.txt) = %v; want not exist", err)
	}
	if _, err := ReadFile(filepath.Join(t.TempDir(), "none.img"), ConfigFile); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("ReadFile(missing image) = %v; want not exist", err)
	}
}

// TestReadFileHostile checks that a card whose FAT claims a huge or broken
// kiosk.toml gives a typed error at once, allocating little.
func TestReadFileHostile(t *testing.T) {
	for _, tc := range []struct {
		desc string
		size uint32
		want any // the error type wanted
	}{
		{"4 GiB claimed", 0xFFFFFFFF, new(*fat.TooLargeError)},
		{"just over the limit", MaxFileSize + 1, new(*fat.TooLargeError)},
		{"more than its chain holds", MaxFileSize, new(*fat.CorruptError)},
	} {
		card := kioskImage(t, map[string]string{ConfigFile: "board = \"vm\"\n"})
		f, err := os.OpenFile(card, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		st, _ := f.Stat()
		v, err := fat.OpenVolume(f, st.Size())
		if err != nil {
			t.Fatalf("OpenVolume(card) = %v", err)
		}
		info, err := v.Stat(ConfigFile)
		if err != nil {
			t.Fatalf("Stat(%s) = %v", ConfigFile, err)
		}
		if _, err := f.WriteAt(binary.LittleEndian.AppendUint32(nil, tc.size), info.Sys().(*fat.DirEntry).Offset+28); err != nil {
			t.Fatal(err)
		}
		f.Close()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		b, err := ReadFile(card, ConfigFile)
		runtime.ReadMemStats(&after)
		if !errors.As(err, tc.want) {
			t.Errorf("%s: ReadFile(card, %s) = %d bytes, %v; want a %T", tc.desc, ConfigFile, len(b), err, tc.want)
		}
		if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
			t.Errorf("%s: ReadFile allocated %d bytes; want at most 1 MiB", tc.desc, n)
		}
	}
}
