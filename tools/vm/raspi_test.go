package vm

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"flashkiosk/images"
	"flashkiosk/images/toolchain"
)

// TestRaspiDTB edits the real Pi 3 B device tree of the pinned kernel and
// reads the result back with fdtget.
func TestRaspiDTB(t *testing.T) {
	dir, err := toolchain.ModuleDir(context.Background(), images.KernelModule)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "pi3.dtb")
	if err := RaspiDTB(filepath.Join(dir, "bcm2710-rpi-3-b.dtb"), out); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-t", "s", out, "/soc/serial@7e201000/bluetooth", "status"}, "disabled"},
	} {
		got, err := exec.Command("fdtget", tc.args...).CombinedOutput()
		if err != nil || strings.TrimSpace(string(got)) != tc.want {
			t.Errorf("fdtget %q = %q, %v; want %q", tc.args, got, err, tc.want)
		}
	}
	if err := RaspiDTB(filepath.Join(t.TempDir(), "none.dtb"), out); err == nil {
		t.Errorf("RaspiDTB(missing file) = nil; want an error")
	}
}

// TestInsertSD boots the Pi's kernel on raspi3b with an empty SD slot,
// inserts a card and waits for the kernel to find it and read it.
func TestInsertSD(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dir := t.TempDir()
	kdir, err := toolchain.ModuleDir(ctx, images.KernelModule)
	if err != nil {
		t.Fatal(err)
	}
	dtb := filepath.Join(dir, "pi3.dtb")
	if err := RaspiDTB(filepath.Join(kdir, "bcm2710-rpi-3-b.dtb"), dtb); err != nil {
		t.Fatal(err)
	}
	initrd := disksInitramfs(t)
	card := filepath.Join(dir, "card.img")
	if err := SparseImage(card, 64<<20); err != nil {
		t.Fatal(err)
	}
	v, err := Start(ctx, Config{Machine: "raspi3b", Kernel: filepath.Join(kdir, "vmlinuz"), DTB: dtb, Initrd: initrd, EmptySD: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	if l, err := v.WaitFor(ctx, "DISKS"); err != nil {
		t.Fatal(err)
	} else if strings.Contains(l.Text, "mmcblk0") {
		t.Fatalf("with the slot empty the guest says %q; want no mmcblk0", l.Text)
	}
	odd := filepath.Join(dir, "odd.img")
	if err := SparseImage(odd, 3<<20); err != nil {
		t.Fatal(err)
	}
	if err := v.InsertSD(ctx, Disk{Path: odd}); err == nil {
		t.Errorf("InsertSD(a 3 MiB image) = nil; want an error (qemu takes powers of two)")
	}
	inserted := time.Now()
	if err := v.InsertSD(ctx, Disk{Path: card}); err != nil {
		t.Fatal(err)
	}
	l, err := v.WaitFor(ctx, "DISKS mmcblk0")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("the guest found the card %v after it was inserted", l.Time.Sub(inserted).Round(10*time.Millisecond))
	if l, err := v.WaitFor(ctx, "READ mmcblk0"); err != nil || !strings.HasPrefix(l.Text, "READ mmcblk0 ok") {
		t.Errorf("reading the card: %q, %v; want READ mmcblk0 ok", l.Text, err)
	}
}
