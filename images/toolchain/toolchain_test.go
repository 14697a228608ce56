package toolchain

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestBuildInitramfs builds an initramfs as the kiosk image has it, with
// a stand-in uinit, and lists it with cpio.
func TestBuildInitramfs(t *testing.T) {
	cpioPath, err := exec.LookPath("cpio")
	if err != nil {
		t.Fatalf("cpio not found: run `make test`, which installs it")
	}
	out := filepath.Join(t.TempDir(), "kiosk.cpio")
	spec := Initramfs{Arch: "arm64", Uinit: []string{"./images/testdata/hello", "-x"}}
	if err := BuildInitramfs(context.Background(), out, spec); err != nil {
		t.Fatalf("BuildInitramfs: %v", err)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cmd := exec.Command(cpioPath, "-it", "--quiet")
	cmd.Stdin = f
	list, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("cpio -it: %v\n%s", err, list)
	}
	for _, want := range []string{"init", "bin/uinit", "bin/hello", "etc/uinit.flags"} {
		if !strings.Contains("\n"+string(list), "\n"+want+"\n") {
			t.Errorf("cpio -it = %s; want %s", list, want)
		}
	}
	for _, shell := range []string{"bin/defaultsh", "bin/gosh", "bbin/gosh", "bin/sh"} {
		if strings.Contains("\n"+string(list), "\n"+shell+"\n") {
			t.Errorf("cpio -it lists %s; want no shell in a kiosk's initramfs", shell)
		}
	}
}

func TestModuleDir(t *testing.T) {
	dir, err := ModuleDir(context.Background(), "github.com/gokrazy/kernel.rpi")
	if err != nil {
		t.Fatalf("ModuleDir(kernel.rpi) = %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "vmlinuz")); err != nil {
		t.Errorf("ModuleDir(kernel.rpi) = %s, without vmlinuz: %v", dir, err)
	}
	if _, err := ModuleDir(context.Background(), "example.com/not/pinned"); err == nil {
		t.Errorf("ModuleDir(a module go.mod does not pin) = nil error; want one")
	}
}
