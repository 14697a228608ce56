package vm

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"flashkiosk/images/toolchain"
	"flashkiosk/tools/fakedrive"
	"flashkiosk/tools/fakenbd"
)

func TestNBDNode(t *testing.T) {
	v := &VM{}
	got, err := v.blockNode(context.Background(), "s", Stick{Image: "/ignored.img", NBD: "/run/n.sock", FailSectors: []int64{7}})
	if err != nil {
		t.Fatal(err)
	}
	want := `map[driver:raw file:map[driver:blkdebug image:map[driver:nbd server:map[path:/run/n.sock type:unix]] ` +
		`inject-error:[map[errno:5 event:read_aio immediately:true sector:7] map[errno:5 event:write_aio immediately:true sector:7]]] ` +
		`node-name:s-file read-only:false]`
	if s := fmt.Sprint(got); s != want {
		t.Errorf("blockNode(NBD stick) = %s; want %s", s, want)
	}
}

// TestNBDStick boots the arm64 VM with tools/fakenbd's stickcheck as
// uinit and hot-plugs fake sticks served by tools/fakenbd (64 MiB real,
// 1 GiB claimed): the guest must see a USB disk of the claimed size, the
// kiosk's probe must find the real size and the kind of fake, and a
// stamp the guest writes at the end of the disk must land where the fake
// puts it.
func TestNBDStick(t *testing.T) {
	const real, claimed = 64 << 20, 1 << 30
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dir := t.TempDir()
	kernel, err := Kernel(ctx, "arm64")
	if err != nil {
		t.Fatal(err)
	}
	initrd := filepath.Join(dir, "stickcheck.cpio")
	if err := toolchain.BuildInitramfs(ctx, initrd, toolchain.Initramfs{Arch: "arm64", Uinit: []string{"./tools/fakenbd/testdata/stickcheck"}}); err != nil {
		t.Fatal(err)
	}
	v, err := Start(ctx, Config{Kernel: kernel, Initrd: initrd})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	stamp := bytes.Repeat([]byte("STICKCHECK"), 4096/10+1)[:4096]
	for i, tc := range []struct {
		mode fakedrive.Mode
		kind string
	}{
		{fakedrive.Wrap, "wrap-around"},
		{fakedrive.Limbo, "limbo"},
	} {
		file := filepath.Join(dir, fmt.Sprintf("real%d.img", i))
		if err := SparseImage(file, real); err != nil {
			t.Fatal(err)
		}
		srv, err := fakenbd.Start(ctx, filepath.Join(dir, fmt.Sprintf("nbd%d.sock", i)), fakenbd.Config{File: file, Claimed: claimed, Mode: tc.mode})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { srv.Close() })
		id := fmt.Sprintf("fake%d", i)
		if err := v.PlugUSB(ctx, id, Stick{NBD: srv.Socket(), Port: fmt.Sprint(i + 1)}); err != nil {
			t.Fatal(err)
		}
		var size, reported, probed, off int64
		var name, kind string
		if l, err := v.WaitFor(ctx, "SIZE "); err != nil {
			t.Fatal(err)
		} else if _, err := fmt.Sscanf(l.Text, "SIZE %s %d", &name, &size); err != nil || size != claimed {
			t.Errorf("%s stick: guest said %q; want SIZE sdX %d", tc.kind, l.Text, claimed)
		}
		if l, err := v.WaitFor(ctx, "PROBE "); err != nil {
			t.Fatal(err)
		} else if _, err := fmt.Sscanf(l.Text, "PROBE %s %d %d %s", &name, &reported, &probed, &kind); err != nil ||
			reported != claimed || probed > real || probed < real-1<<20 || kind != tc.kind {
			t.Errorf("%s stick: guest said %q; want PROBE sdX %d %d %s (real size within 1 MiB)", tc.kind, l.Text, claimed, real, tc.kind)
		}
		if l, err := v.WaitFor(ctx, "STAMP "); err != nil {
			t.Fatal(err)
		} else if _, err := fmt.Sscanf(l.Text, "STAMP %s %d", &name, &off); err != nil || off != claimed-4096 {
			t.Errorf("%s stick: guest said %q; want STAMP sdX %d", tc.kind, l.Text, claimed-4096)
		}
		img, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		wrapped := bytes.Equal(img[real-4096:], stamp) // claimed-4096 wraps to real-4096
		if want := tc.mode == fakedrive.Wrap; wrapped != want || len(img) != real {
			t.Errorf("%s stick: stamp at the end of the backing file %v (file of %d bytes); want %v (%d bytes)", tc.kind, wrapped, len(img), want, real)
		}
		if st := srv.Stats(); st.PastReal == 0 || st.Dropped != 0 {
			t.Errorf("%s stick: server Stats() = %+v; want writes past the real size and no client dropped", tc.kind, st)
		}
		if err := v.UnplugUSB(ctx, id); err != nil {
			t.Fatal(err)
		}
		if err := srv.Close(); err != nil {
			t.Errorf("fakenbd Close() = %v", err)
		}
	}
}
