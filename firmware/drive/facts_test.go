package drive

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// TestTrees checks identity, facts and the verdict for every device of the
// fake machines: what the panel and kioskctl would show.
func TestTrees(t *testing.T) {
	type want struct {
		inUse, boot bool
		reason      Reason
	}
	for _, tree := range []struct {
		file    string
		cmdline string // replaces proc/cmdline when not ""
		devices map[string]want
	}{
		{file: "pi4.txt", devices: map[string]want{
			"mmcblk0":   {boot: true, reason: NotUSB},
			"mmcblk0p1": {boot: true, reason: NotWholeDisk},
			"mmcblk0p2": {boot: true, reason: NotWholeDisk},
			"sda":       {reason: OK},
			"sda1":      {reason: NotWholeDisk},
			"sdb":       {reason: OK},
			"sdc":       {reason: NoMedium},
			"sdd":       {reason: TooLarge},
			"sde":       {reason: WriteProtected},
			"sdf":       {reason: TooSmall},
			"sdg":       {reason: OK},
			"loop0":     {reason: NotUSB},
			"loop1":     {reason: NotUSB},
		}},
		{file: "pi4.txt", cmdline: "console=ttyS0 root=/dev/sdb rootwait", devices: map[string]want{
			"mmcblk0": {reason: NotUSB},
			"sda":     {reason: OK},
			"sdb":     {boot: true, reason: SystemDisk},
		}},
		{file: "pc.txt", devices: map[string]want{
			"nvme0n1":   {inUse: true, boot: true, reason: NotUSB},
			"nvme0n1p1": {inUse: true, boot: true, reason: NotWholeDisk},
			"dm-0":      {inUse: true, boot: true, reason: NotUSB},
			"dm-1":      {inUse: true, boot: true, reason: NotUSB},
			"sda":       {inUse: true, reason: SystemDisk},
			"sda1":      {inUse: true, reason: NotWholeDisk},
			"sdb":       {reason: OK},
			"sdc":       {inUse: true, reason: SystemDisk},
			"loop0":     {inUse: true, reason: NotUSB},
			"loop1":     {reason: NotUSB},
		}},
	} {
		root := buildTree(t, tree.file)
		if tree.cmdline != "" {
			if err := os.WriteFile(filepath.Join(root, "proc", "cmdline"), []byte(tree.cmdline+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		h := &Host{Root: root, Ports: pi4Ports}
		for name, w := range tree.devices {
			d, err := h.Drive(name)
			if err != nil {
				t.Errorf("%s: Drive(%q) error %v", tree.file, name, err)
				continue
			}
			f := h.Facts(context.Background(), d)
			if f.Err != nil || f.InUse != w.inUse || f.Boot != w.boot || f.Library != NoLibrary {
				t.Errorf("%s %s: Facts(%s) = %+v; want {InUse:%v Boot:%v Library:no library Err:<nil>}", tree.file, tree.cmdline, name, f, w.inUse, w.boot)
			}
			if ok, r := (Policy{}).Eligible(d, f); r != w.reason || ok != (r == OK) {
				t.Errorf("%s %s: Eligible(%s) = %v, %v; want %v", tree.file, tree.cmdline, name, ok, r, w.reason)
			}
		}
	}
}

func TestFactsMountTables(t *testing.T) {
	root := buildTree(t, "pc.txt")
	h := &Host{Root: root}
	sda, err := h.Drive("sda")
	if err != nil {
		t.Fatal(err)
	}
	// Without mountinfo, /proc/mounts still shows sda1 mounted (by its
	// device file, its name escaped).
	if err := os.Remove(filepath.Join(root, "proc", "self", "mountinfo")); err != nil {
		t.Fatal(err)
	}
	mounts := "/dev/sda1 /media/user/KINGSTON\\040USB vfat rw 0 0\nproc /proc proc rw 0 0\n"
	if err := os.WriteFile(filepath.Join(root, "proc", "mounts"), []byte(mounts), 0o644); err != nil {
		t.Fatal(err)
	}
	if f := h.Facts(context.Background(), sda); f.Err != nil || !f.InUse {
		t.Errorf("Facts(sda) from /proc/mounts = %+v; want InUse", f)
	}
	// Without either table, nothing can be known: the drive is refused.
	if err := os.Remove(filepath.Join(root, "proc", "mounts")); err != nil {
		t.Fatal(err)
	}
	f := h.Facts(context.Background(), sda)
	if f.Err == nil {
		t.Errorf("Facts(sda) without mount tables = %+v; want an error", f)
	}
	if _, r := (Policy{}).Eligible(sda, f); r != CannotCheck {
		t.Errorf("Eligible(sda) without mount tables = %v; want %v", r, CannotCheck)
	}
	// A vanished drive cannot be checked either.
	if f := h.Facts(context.Background(), Drive{Name: "sdz", USB: true, Size: 1 << 30}); f.Err == nil {
		t.Errorf("Facts(sdz) = %+v; want an error", f)
	}
}

// TestFactsChanged: facts are refused for a drive that changed since it was
// read (another card in the reader slot under the same name), so they
// cannot be pinned on the wrong medium.
func TestFactsChanged(t *testing.T) {
	root := buildTree(t, "pi4.txt")
	h := &Host{Root: root}
	sdb, err := h.Drive("sdb")
	if err != nil {
		t.Fatal(err)
	}
	if f := h.Facts(context.Background(), sdb); f.Err != nil {
		t.Fatalf("Facts(sdb) = %+v; want no error", f)
	}
	if err := os.WriteFile(filepath.Join(root, "sys", "class", "block", "sdb", "size"), []byte("1000\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if f := h.Facts(context.Background(), sdb); f.Err == nil {
		t.Errorf("Facts(sdb) after its size changed = %+v; want an error", f)
	}
}

func TestUnescapeOctal(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`/dev/sda1`, `/dev/sda1`},
		{`/media/a\040b`, `/media/a b`},
		{`\134x`, `\x`},
		{`tail\04`, `tail\04`},
		{`\999`, `\999`},
	} {
		if got := unescapeOctal(tc.in); got != tc.want {
			t.Errorf("unescapeOctal(%q) = %q; want %q", tc.in, got, tc.want)
		}
	}
}
