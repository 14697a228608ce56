package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestDriveCommands(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", filepath.Join(dir, "cache"))
	writeFiles(t, dir, map[string]string{
		"src/index.html":      "<h1>위키</h1>",
		"src/위키/대문.html":      strings.Repeat("대한민국", 1000),
		"src/films/다큐 1.mkv":  strings.Repeat("film", 100000),
		"src/tiers.toml":      "[[tier]]\npaths = [\"index.html\", \"위키\"]\n",
		"src/empty/.DS_Store": "junk",
	})
	for name, size := range map[string]int64{"stick.img": 64 << 20, "tiny.img": 10 << 20} {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Truncate(filepath.Join(dir, name), size); err != nil {
			t.Fatal(err)
		}
	}
	runSteps(t, dir, []step{
		{"library build --src DIR/src --out DIR/lib --date 2026-11-25", 0, nil, ""},
		{"library keygen --out DIR/key", 0, nil, ""},
		{"write --library DIR/lib --label KOREA DIR/stick.img", 0, []string{"done: " + filepath.Join(dir, "stick.img"), "67.1 MB genuine", "tier 1 complete, tier 2 complete", "volume ID "}, ""},
		{"write --library DIR/lib --json --wipe random DIR/stick.img", 0, []string{`"outcome": "done"`, `"written_bytes": 67108864`, `"complete": true`}, ""},
		{"write --library DIR/lib --pub DIR/key.pub DIR/stick.img", 1, nil, "not signed"},
		{"write --library DIR/lib DIR/tiny.img", 1, nil, "kioskctl: " + filepath.Join(dir, "tiny.img") + ": too-small: "},
		{"write --library DIR/lib --json DIR/tiny.img", 1, []string{`"outcome": "too-small"`}, "too small"},
		{"write --library DIR/lib DIR/missing.img", 1, nil, "no such file or directory"},
		{"write --library DIR/src DIR/stick.img", 1, nil, "is not a library"},
		{"write --library DIR/lib --fake maybe DIR/stick.img", 2, nil, `--fake "maybe": want use-real or reject`},
		{"write DIR/stick.img", 2, nil, "missing --library"},
	})
	// mcopy reads back what the last write put there.
	cmd := exec.Command("mdir", "-/", "-b", "-i", filepath.Join(dir, "stick.img")+"@@1M", "::/")
	cmd.Env = append(os.Environ(), "LC_ALL=C.UTF-8", "MTOOLS_SKIP_CHECK=1")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "::/films/다큐 1.mkv") || !strings.Contains(string(out), "::/위키/대문.html") {
		t.Errorf("mdir of the written image: %v\n%s", err, out)
	}
	runSteps(t, dir, []step{
		{"check --library DIR/lib DIR/stick.img", 0, []string{"3 files intact", "tier 1: 2 of 2, tier 2: 1 of 1", "OK: the drive holds the library faithfully"}, ""},
		{"check --library DIR/lib --json DIR/stick.img", 0, []string{`"ok": true`, `"good_files": 3`}, ""},
		{"check --library DIR/lib DIR/tiny.img", 1, nil, "no FAT32 volume"},
		{"check DIR/stick.img", 2, nil, "missing --library"},
	})
	extra := filepath.Join(dir, "extra.txt")
	os.WriteFile(extra, []byte("x"), 0o644)
	mcopy := exec.Command("mcopy", "-i", filepath.Join(dir, "stick.img")+"@@1M", extra, "::/extra.txt")
	mcopy.Env = append(os.Environ(), "MTOOLS_SKIP_CHECK=1")
	if out, err := mcopy.CombinedOutput(); err != nil {
		t.Fatalf("mcopy: %v\n%s", err, out)
	}
	runSteps(t, dir, []step{
		{"check --library DIR/lib DIR/stick.img", 1, []string{"not in the library: extra.txt"}, "\": 2 differences\n"},
	})
	runSteps(t, dir, []step{ // the probe overwrites test blocks: last
		{"probe DIR/stick.img", 0, []string{"stick.img: genuine, 67.1 MB"}, ""},
		{"probe --json DIR/stick.img", 0, []string{`"fake": false`, `"real_bytes": 67108864`}, ""},
	})
}

// TestWriteRefusesHostDisks attaches real loop devices: one not on USB,
// one with a mounted file system, and a partition path.
func TestWriteRefusesHostDisks(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("this test attaches loop devices and needs root (CI runs as root)")
	}
	dir := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", filepath.Join(dir, "cache"))
	writeFiles(t, dir, map[string]string{"src/a.txt": "a"})
	img := filepath.Join(dir, "disk.img")
	if err := os.WriteFile(img, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(img, 64<<20); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mkfs.ext4", "-q", "-F", img).CombinedOutput(); err != nil {
		t.Fatalf("mkfs.ext4: %v\n%s", err, out)
	}
	out, err := exec.Command("losetup", "-f", "--show", img).CombinedOutput()
	if err != nil {
		t.Fatalf("losetup: %v\n%s", err, out)
	}
	loop := strings.TrimSpace(string(out))
	defer exec.Command("losetup", "-d", loop).Run()
	runSteps(t, dir, []step{
		{"library build --src DIR/src --out DIR/lib", 0, nil, ""},
		{"write --library DIR/lib " + loop, 1, nil, "kioskctl: " + loop + " is not a USB disk: refused (give --allow-any-disk if you are sure)"},
		{"probe " + loop, 1, nil, "is not a USB disk"},
	})
	mnt := filepath.Join(dir, "mnt")
	os.Mkdir(mnt, 0o755)
	if out, err := exec.Command("mount", "-o", "ro", loop, mnt).CombinedOutput(); err != nil {
		t.Fatalf("mount %s: %v\n%s", loop, err, out)
	}
	defer exec.Command("umount", mnt).Run()
	runSteps(t, dir, []step{
		{"write --allow-any-disk --library DIR/lib " + loop, 1, nil, "kioskctl: " + loop + " is in use (a file system on it is mounted, or it is swap or part of another device): refused"},
	})
}
