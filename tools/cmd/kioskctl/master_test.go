package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// mountTmpfs mounts a tmpfs at a new folder, the root of a volume as a
// drive mounted on a PC is, and unmounts it at cleanup.
func mountTmpfs(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("this test mounts a tmpfs and needs root (CI runs as root)")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=16m", "drive", dir).CombinedOutput(); err != nil {
		t.Fatalf("mount tmpfs: %v: %s", err, out)
	}
	// Detached: the commands ran in this process, whose opened
	// libraries keep a handle on their folder until collected.
	t.Cleanup(func() {
		if out, err := exec.Command("umount", "-l", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	return dir
}

// TestMasterOnDrive builds and signs a library straight onto a mounted
// drive holding only what Windows and macOS leave on a fresh one, and
// inspects it as a master drive: which library a kiosk would write beside
// its card's, under each setting, and that another key's kiosk never uses
// it. A drive holding other files is refused.
func TestMasterOnDrive(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"src/위키백과/대문.html": "<h1>대문</h1>", "card/src/a.txt": "card"})
	drv := mountTmpfs(t)
	writeFiles(t, drv, map[string]string{"System Volume Information/IndexerVolumeGuid": "x", ".Trashes/x": "", "._.Trashes": "x"})
	runSteps(t, dir, []step{
		{"library keygen --out DIR/k.key", 0, nil, ""},
		{"library keygen --out DIR/other.key", 0, nil, ""},
		{"library build --src DIR/card/src --out DIR/card/lib --name card --date 2026-11-01", 0, nil, ""},
		{"library build --src DIR/src --out " + drv + " --name master --date 2026-12-01", 0, []string{"built " + drv}, ""},
		{"library sign --key DIR/k.key " + drv, 0, nil, ""},
		{"library inspect --pub DIR/k.key.pub " + drv, 0, []string{
			`as a master drive: a kiosk with library = "newest" writes it if its card's library is older than 2026-12-01`}, ""},
		{"library inspect --pub DIR/k.key.pub --card DIR/card/lib " + drv, 0, []string{
			`as a master drive: a kiosk with library = "newest" whose card holds "card" of 2026-11-01 writes this one: it is newer`}, ""},
		{"library inspect --pub DIR/k.key.pub --card DIR/card/lib --choose card " + drv, 0, []string{
			`whose card holds "card" of 2026-11-01 writes its card's`}, ""},
		{"library inspect --pub DIR/other.key.pub --quick " + drv, 1, []string{
			"as a master drive: MASTER NOT TRUSTED: a kiosk trusting that key never uses it"}, "not trusted"},
		{"library inspect --choose usb " + drv, 2, nil, `--choose: "usb": want newest, card or master`},
	})
	for _, name := range []string{"manifest.json", "manifest.sig", "content/위키백과/대문.html", "System Volume Information/IndexerVolumeGuid"} {
		if _, err := os.Stat(filepath.Join(drv, name)); err != nil {
			t.Errorf("the drive lacks %s: %v", name, err)
		}
	}
	if _, err := os.Stat(filepath.Join(drv, ".flashkiosk-build")); err == nil {
		t.Errorf("the drive keeps the build's folder")
	}

	used := mountTmpfs(t)
	writeFiles(t, used, map[string]string{"photo.jpg": "jpeg"})
	runSteps(t, dir, []step{
		{"library build --src DIR/src --out " + used + " --date 2026-12-01", 1, nil, "holds photo.jpg: a master drive is built on a freshly formatted drive"},
	})
}

// TestDrivesMaster lists a master drive in a fake machine: its library,
// whether a kiosk trusts it, and which library a kiosk would write.
func TestDrivesMaster(t *testing.T) {
	root := fakeMachine(t)
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"src/a.txt": "master", "card/src/a.txt": "card"})
	runSteps(t, dir, []step{
		{"library keygen --out DIR/k.key", 0, nil, ""},
		{"library build --src DIR/card/src --out DIR/card/lib --name card --date 2026-11-01", 0, nil, ""},
		{"library build --src DIR/src --out DIR/lib --name master --date 2026-12-01", 0, nil, ""},
		{"library sign --key DIR/k.key DIR/lib", 0, nil, ""},
	})
	// The stick becomes a master drive: one FAT32 volume filling it, the
	// manifest and signature at its root.
	stick := filepath.Join(root, "dev", "sda")
	for _, c := range [][]string{
		{"mkfs.fat", "-F", "32", stick},
		{"mcopy", "-i", stick, filepath.Join(dir, "lib", "manifest.json"), filepath.Join(dir, "lib", "manifest.sig"), "::/"},
	} {
		cmd := exec.Command(c[0], c[1:]...)
		cmd.Env = append(os.Environ(), "PATH="+os.Getenv("PATH")+":/usr/sbin:/sbin", "MTOOLS_SKIP_CHECK=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%v: %v: %s", c, err, out)
		}
	}
	runSteps(t, dir, []step{
		{"drives --root " + root + " --pub DIR/k.key.pub --card DIR/card/lib", 0, []string{
			`no: master drive: library "master" of 2026-12-01, trusted; a kiosk with library = "newest" whose card holds "card" of 2026-11-01 writes this one: it is newer`}, ""},
		{"drives --root " + root + " --pub DIR/k.key.pub --card DIR/card/lib --choose card", 0, []string{
			`trusted; a kiosk with library = "card" whose card holds "card" of 2026-11-01 writes its card's`}, ""},
		{"drives --root " + root, 0, []string{
			`no: master drive: library "master" of 2026-12-01, not trusted; give --pub with the kiosk's key`}, ""},
	})
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"drives", "--json", "--root", root, "--pub", filepath.Join(dir, "k.key.pub")}, strings.NewReader(""), &out, &errOut); code != 0 {
		t.Fatalf("drives --json = %d: %s", code, errOut.String())
	}
	found := false
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var r struct {
			Name    string         `json:"name"`
			Library *libraryRecord `json:"library"`
		}
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("drives --json line %q: %v", line, err)
		}
		if r.Name == "sda" {
			found = true
			if r.Library == nil || r.Library.Name != "master" || r.Library.Date != "2026-12-01" || r.Library.Trust != "trusted" || !strings.Contains(r.Library.Written, "writes it if its card's library is older") {
				t.Errorf("drives --json sda library = %+v; want master of 2026-12-01, trusted, and what a kiosk writes", r.Library)
			}
		}
	}
	if !found {
		t.Errorf("drives --json listed no sda: %s", out.String())
	}
}
