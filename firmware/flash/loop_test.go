package flash

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"flashkiosk/tools/fakedrive"
)

// needRoot fails the test when not root: loop devices and FUSE need it,
// and CI runs as root. A check that cannot run must not pass.
func needRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("this test attaches loop devices and needs root (CI runs as root)")
	}
}

// attachLoop attaches path as a loop device for the test's lifetime.
func attachLoop(t testing.TB, path string, direct bool) string {
	t.Helper()
	needRoot(t)
	args := []string{"-f", "--show"}
	if direct {
		args = append(args, "--direct-io=on")
	}
	out, err := exec.Command("losetup", append(args, path)...).CombinedOutput()
	if err != nil {
		t.Fatalf("losetup %s: %v\n%s", path, err, out)
	}
	dev := strings.TrimSpace(string(out))
	t.Cleanup(func() {
		if out, err := exec.Command("losetup", "-d", dev).CombinedOutput(); err != nil {
			t.Errorf("losetup -d %s: %v\n%s", dev, err, out)
		}
	})
	return dev
}

// sparseFile creates a sparse file of size bytes.
func sparseFile(t testing.TB, size int64) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "disk.img")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	return p
}

// loopDisk is a loop device with direct I/O over a sparse file.
func loopDisk(t testing.TB, size int64) string {
	return attachLoop(t, sparseFile(t, size), true)
}

// fakeDisk is a loop device over a mounted fake drive.
func fakeDisk(t testing.TB, opts fakedrive.Options) string {
	t.Helper()
	needRoot(t)
	mnt := filepath.Join(t.TempDir(), "mnt")
	if err := os.Mkdir(mnt, 0o700); err != nil {
		t.Fatal(err)
	}
	d, err := fakedrive.Mount(mnt, opts)
	if err != nil {
		t.Fatalf("fakedrive.Mount: %v", err)
	}
	t.Cleanup(func() {
		if err := d.Close(); err != nil {
			t.Errorf("unmount fake drive: %v", err)
		}
	})
	return attachLoop(t, d.Path(), false)
}
