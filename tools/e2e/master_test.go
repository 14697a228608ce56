package e2e

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"flashkiosk/firmware/library"
	"flashkiosk/tools/vm"
)

// masterSource writes the files of a master test library into a new
// folder: a Korean page in tier 1 and, if film > 0, a film of film bytes
// in tier 2.
func masterSource(t *testing.T, film int64) string {
	t.Helper()
	src := filepath.Join(t.TempDir(), "src")
	files := map[string][]byte{"위키백과/" + koreanName: []byte("<h1>위키백과, 새 판</h1>")}
	if film > 0 {
		files["films/big.mp4"] = []byte(strings.Repeat("film frame ", int(film/11)+1)[:film])
		files["tiers.toml"] = []byte("[[tier]]\nname = \"wiki\"\npaths = [\"위키백과/**\"]\n[[tier]]\nname = \"films\"\npaths = [\"films/**\"]\n")
	}
	for name, body := range files {
		p := filepath.Join(src, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return src
}

// trustedLibrary builds a library named name and dated date from
// masterSource(film) and signs it with the key the fixture's kiosks
// trust; it returns the library folder.
func trustedLibrary(t *testing.T, f *fixture, name, date string, film int64) string {
	t.Helper()
	day, err := library.ParseDate(date)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	lib := filepath.Join(t.TempDir(), "library")
	if _, err := library.Build(ctx, masterSource(t, film), lib, library.BuildOptions{Name: name, Date: day}); err != nil {
		t.Fatal(err)
	}
	key, err := library.ReadPrivateKey(f.lib + ".key") // SignedLibrary's key, beside the fixture's library
	if err != nil {
		t.Fatal(err)
	}
	if err := library.Sign(ctx, lib, key); err != nil {
		t.Fatal(err)
	}
	return lib
}

// partitioned makes a sparse stick image of size bytes holding an MBR
// with one partition of type typ at 1 MiB, as Windows and macOS lay out
// a stick; it returns the image and the partition's offset.
func partitioned(t testing.TB, size int64, typ byte) (string, int64) {
	t.Helper()
	const part = 1 << 20
	img := stick(t, size, false)
	var mbr [512]byte
	e := mbr[446:462]
	e[4] = typ
	binary.LittleEndian.PutUint32(e[8:], part/512)
	binary.LittleEndian.PutUint32(e[12:], uint32((size-part)/512))
	mbr[510], mbr[511] = 0x55, 0xaa
	patch(t, img, 0, mbr[:])
	return img, part
}

// fatMaster makes a master drive of size bytes as a PC makes one: a
// FAT32 partition formatted by mkfs.fat, the library folder's contents
// copied to its root by mtools.
func fatMaster(t testing.TB, lib string, size int64) string {
	t.Helper()
	img, part := partitioned(t, size, 0x0c)
	mkfs := exec.Command("mkfs.fat", "-F", "32", "-n", "MASTER", "--offset", strconv.Itoa(int(part/512)), img, strconv.Itoa(int((size-part)/1024)))
	mkfs.Env = append(os.Environ(), "PATH="+os.Getenv("PATH")+":/usr/sbin:/sbin")
	if out, err := mkfs.CombinedOutput(); err != nil {
		t.Fatalf("mkfs.fat: %v: %s", err, out)
	}
	args := []string{"-s", "-i", fmt.Sprintf("%s@@%d", img, part)}
	for _, name := range []string{library.ManifestFile, library.SignatureFile, library.ContentDir} {
		args = append(args, filepath.Join(lib, name))
	}
	mtools(t, "mcopy", append(args, "::/")...)
	return img
}

// gptMaster makes a master drive of 128 MiB as macOS's Disk Utility
// lays one out on a GUID partition map: an EFI system partition (FAT32,
// empty) first, then the FAT32 volume holding the library's contents.
func gptMaster(t testing.TB, lib string) string {
	t.Helper()
	img := stick(t, 128<<20, false)
	cmd := exec.Command("sfdisk", "--no-reread", "--no-tell-kernel", img)
	cmd.Env = append(os.Environ(), "PATH="+os.Getenv("PATH")+":/usr/sbin:/sbin")
	cmd.Stdin = strings.NewReader("label: gpt\n" +
		"start=2048, size=81920, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B\n" + // EFI, 40 MiB
		"start=83968, size=165888, type=EBD0A0A2-B9E5-4433-87C0-68B6B72699C7\n") // basic data, 81 MiB
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sfdisk: %v: %s", err, out)
	}
	for _, p := range []struct {
		label         string
		start, blocks int
	}{{"EFI", 2048, 40960}, {"MASTER", 83968, 82944}} {
		mkfs := exec.Command("mkfs.fat", "-F", "32", "-n", p.label, "--offset", strconv.Itoa(p.start), img, strconv.Itoa(p.blocks))
		mkfs.Env = cmd.Env
		if out, err := mkfs.CombinedOutput(); err != nil {
			t.Fatalf("mkfs.fat: %v: %s", err, out)
		}
	}
	args := []string{"-s", "-i", fmt.Sprintf("%s@@%d", img, 83968*512)}
	for _, name := range []string{library.ManifestFile, library.SignatureFile, library.ContentDir} {
		args = append(args, filepath.Join(lib, name))
	}
	mtools(t, "mcopy", append(args, "::/")...)
	return img
}

// exfatMaster makes a master drive of size bytes formatted exFAT (as
// Windows formats sticks over 32 GB, and macOS on request): partition 1 of
// type 0x07 made by mkfs.exfat on a loop device, the library's contents
// copied to its root through the FUSE exFAT driver (the host kernel has
// no exFAT of its own).
func exfatMaster(t *testing.T, lib string, size int64) string {
	t.Helper()
	img, part := partitioned(t, size, 0x07)
	sbin := func(cmd string, args ...string) string {
		t.Helper()
		c := exec.Command(cmd, args...)
		c.Env = append(os.Environ(), "PATH="+os.Getenv("PATH")+":/usr/sbin:/sbin")
		out, err := c.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %s: %v: %s", cmd, strings.Join(args, " "), err, out)
		}
		return strings.TrimSpace(string(out))
	}
	loop := sbin("losetup", "-f", "--show", "-o", strconv.FormatInt(part, 10), img)
	defer exec.Command("losetup", "-d", loop).Run()
	sbin("mkfs.exfat", "-L", "MASTER", loop)
	dir := t.TempDir()
	sbin("mount.exfat-fuse", loop, dir)
	defer exec.Command("umount", dir).Run()
	sbin("cp", "-r", lib+"/.", dir)
	sbin("umount", dir)
	return img
}

// checkTiers runs kioskctl check --json on a produced stick against lib
// and returns how many files of each tier it holds intact.
func checkTiers(t *testing.T, f *fixture, lib, img string) []int {
	t.Helper()
	out, err := exec.Command(f.kioskctl, "check", "--json", "--library", lib, img).Output()
	if err != nil {
		t.Fatalf("kioskctl check --json %s: %v: %s", filepath.Base(img), err, out)
	}
	var rep struct {
		Tiers []int `json:"tiers"`
	}
	if err := json.Unmarshal(out, &rep); err != nil {
		t.Fatalf("kioskctl check --json: %v: %s", err, out)
	}
	return rep.Tiers
}

// TestMasterDrives runs a kiosk (library = "newest") through master
// drives in one boot:
//  1. beside a master older than the card's library (on a GUID partition
//     map behind an EFI partition, as a Mac makes one), one signed by
//     another key and one formatted exFAT (which the VM's kernel cannot
//     mount), a stick gets the card's library; the untrusted and exFAT
//     ones are named and never written;
//  2. a newer master is used: a 64 MiB stick gets the tier that fits of
//     it, a 192 MiB stick all of it, each checked against the master's
//     library;
//  3. the master pulled while a slow stick is written from it: that stick
//     ends as SOURCE GONE, is never reported done, and the next stick gets
//     the card's library again.
func TestMasterDrives(t *testing.T) {
	f := setup(t)
	older := trustedLibrary(t, f, "old master", "2026-10-01", 0)
	newer := trustedLibrary(t, f, "new master", "2026-12-01", 80<<20)
	untrustedLib := filepath.Join(t.TempDir(), "untrusted")
	if _, err := SignedLibrary(context.Background(), masterSource(t, 0), untrustedLib, library.BuildOptions{Name: "other", Date: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	masters := map[string]string{
		"older":     gptMaster(t, older),
		"newer":     fatMaster(t, newer, 256<<20),
		"untrusted": fatMaster(t, untrustedLib, 64<<20),
		"exfat":     exfatMaster(t, newer, 256<<20),
	}
	hashes := map[string]string{}
	for id, img := range masters {
		hashes[id] = hash(t, img)
	}
	b := boot(t, f, baseConfig, f.lib, f.pub)

	// Round 1: the card's library beats an older master.
	t1 := stick(t, 64<<20, true)
	b.plug("older", vm.Stick{Image: masters["older"], Port: "1"})
	b.plug("untrusted", vm.Stick{Image: masters["untrusted"], Port: "2"})
	b.plug("exfat", vm.Stick{Image: masters["exfat"], Port: "4"})
	b.logged(`: master drive: library "old master" of 2026-10-01 on master drive sd`, 1)
	b.logged(": master drive, never used: not trusted: ", 1)
	// exFAT: not in the VM's kernel.
	b.logged(": master drive, never used: cannot read it: mount /dev/sd", 1)
	// The idle screen: the card's library is next.
	b.shows("CARD ")
	b.plug("t1", vm.Stick{Image: t1, Port: "3"})
	b.shows("P1 MASTER old master", "P2 MASTER UNTRUSTED", "P3 READY", "P4 MASTER CANT READ")
	b.press("go")
	b.shows("P3 DONE")
	b.logged(`: job started: writing library "시험 라이브러리" of 2026-11-01 on the card`, 1)
	for _, id := range []string{"t1", "older", "exfat"} {
		b.unplug(id)
	}

	// Round 2: a newer master is used; a 64 MiB stick holds what fits.
	b.plug("newer", vm.Stick{Image: masters["newer"], Port: "1"})
	b.shows("MASTER new master", "2026-12-01 ") // the idle screen: the master's library next
	t2, t3 := stick(t, 64<<20, true), stick(t, 192<<20, true)
	b.plug("t2", vm.Stick{Image: t2, Port: "3"})
	b.plug("t3", vm.Stick{Image: t3, Port: "4"})
	b.shows("P3 READY", "P4 READY")
	b.press("go")
	b.shows("P3 DONE", "P4 DONE")
	b.logged(`: job started: writing library "new master" of 2026-12-01 on master drive sd`, 2)
	b.unplug("t2")
	b.unplug("t3")

	// Round 3: the master pulled while a slow stick is written from it.
	t4, t5 := stick(t, 192<<20, false), stick(t, 64<<20, false)
	b.plug("t4", vm.Stick{Image: t4, Port: "3", Throttle: 4 << 20})
	b.shows("P3 READY")
	b.press("go")
	b.shows("P3 W")
	b.unplug("newer")
	b.shows("P3 SOURCE GONE")
	b.logged(": source-removed: ", 1)
	b.plug("t5", vm.Stick{Image: t5, Port: "4"})
	b.shows("P4 READY")
	b.press("go")
	b.shows("P4 DONE")
	b.logged(`: job started: writing library "시험 라이브러리" of 2026-11-01 on the card`, 2)

	_, logs := b.Console.Snapshot()
	b.Close()
	for _, l := range logs {
		if strings.Contains(l, "master drive") || strings.Contains(l, "source-removed") {
			t.Logf("%s", l)
		}
	}
	if n := Count(logs, ": done: "); n != 4 {
		t.Errorf("%d sticks reported done; want 4 (the one whose master was pulled is not)", n)
	}
	for id, img := range masters {
		if hash(t, img) != hashes[id] {
			t.Errorf("the %s master drive was written", id)
		}
	}
	hostCheck(t, f, t1)
	hostCheck(t, f, t5)
	for _, img := range []string{t2, t3} {
		hostCheckLib(t, f, newer, img)
		if n := markers(t, img); n != 0 {
			t.Errorf("%s holds %d donor markers; want none", filepath.Base(img), n)
		}
	}
	if got := checkTiers(t, f, newer, t2); len(got) != 2 || got[0] != 1 || got[1] != 0 {
		t.Errorf("the 64 MiB stick holds %v files of the master's tiers; want [1 0]: tier 1, not the 80 MiB film", got)
	}
	if got := checkTiers(t, f, newer, t3); len(got) != 2 || got[0] != 1 || got[1] != 1 {
		t.Errorf("the 192 MiB stick holds %v files of the master's tiers; want [1 1]", got)
	}
}
