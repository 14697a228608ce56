package flash

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"flashkiosk/firmware/fat"
)

func TestCheck(t *testing.T) {
	lib := testLibrary(t)
	img := sparseFile(t, 64*mib)
	res, err := Write(context.Background(), openDev(t, img), Options{Library: lib})
	if err != nil {
		t.Fatal(err)
	}
	check := func() *CheckReport {
		dev, err := Open(img, true)
		if err != nil {
			t.Fatal(err)
		}
		defer dev.Close()
		r, release, err := dev.Reader()
		if err != nil {
			t.Fatal(err)
		}
		defer release()
		rep, err := Check(context.Background(), r, dev.Size(), lib)
		if err != nil {
			t.Fatalf("Check: %v", err)
		}
		return rep
	}
	rep := check()
	if n := res.Selection.Included().Files; !rep.OK() || rep.Good != n || rep.Tiers[0] != res.Selection.Tiers[0].Included.Files {
		t.Fatalf("Check of a fresh drive = %+v; want OK with %d files", rep, n)
	}

	// Flip one byte of a file on the drive.
	victim := "위키백과/문서/서울특별시.html"
	f, err := os.OpenFile(img, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	v, err := fat.OpenVolume(f, 64*mib)
	if err != nil {
		t.Fatal(err)
	}
	exts, err := v.Extents(victim)
	if err != nil || len(exts) != 1 {
		t.Fatalf("Extents(%q) = %v, %v", victim, exts, err)
	}
	b := make([]byte, 1)
	f.ReadAt(b, exts[0].Offset+100)
	b[0] ^= 0x40
	f.WriteAt(b, exts[0].Offset+100)
	f.Close()

	mtools := func(args ...string) {
		cmd := exec.Command(args[0], append([]string{"-i", img + "@@1M"}, args[1:]...)...)
		cmd.Env = append(os.Environ(), "LC_ALL=C.UTF-8", "MTOOLS_SKIP_CHECK=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	extra := filepath.Join(t.TempDir(), "donor notes.txt")
	os.WriteFile(extra, []byte("left behind"), 0o644)
	mtools("mcopy", extra, "::/donor notes.txt")
	mtools("mdel", "::/index.html")

	rep = check()
	got := fmt.Sprintf("missing %q differ %q extra %q stamps %d", rep.Missing, rep.Differ, rep.Extra, len(rep.Stamps))
	want := fmt.Sprintf("missing %q differ %q extra %q stamps 1", []string{"index.html"},
		[]string{victim + ": SHA-256 differs from the library's"}, []string{"donor notes.txt"})
	if got != want || rep.OK() {
		t.Errorf("Check of a tampered drive: %s; want %s", got, want)
	}
}
