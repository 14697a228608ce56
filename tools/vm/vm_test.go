package vm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"flashkiosk/images/toolchain"
)

// disks is the initramfs with testdata/disks as uinit, built once for
// the tests that boot it (a u-root build takes half a minute).
var disks struct {
	once      sync.Once
	dir, path string
	err       error
}

func disksInitramfs(t *testing.T) string {
	t.Helper()
	disks.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		if disks.dir, disks.err = os.MkdirTemp("", "vmtest"); disks.err != nil {
			return
		}
		disks.path = filepath.Join(disks.dir, "disks.cpio")
		disks.err = toolchain.BuildInitramfs(ctx, disks.path, toolchain.Initramfs{Arch: "arm64", Uinit: []string{"./tools/vm/testdata/disks"}})
	})
	if disks.err != nil {
		t.Fatal(disks.err)
	}
	return disks.path
}

func TestMain(m *testing.M) {
	code := m.Run()
	if disks.dir != "" {
		os.RemoveAll(disks.dir)
	}
	os.Exit(code)
}

func TestQEMUArgs(t *testing.T) {
	for _, tc := range []struct {
		cfg     Config
		bin     string
		want    []string
		wantErr bool
	}{
		{Config{Kernel: "k", Initrd: "i"}, "qemu-system-aarch64",
			[]string{"-M virt", "-accel tcg", "-m 512", "console=ttyAMA0 panic=-1", "-device qemu-xhci,id=xhci", "-qmp unix:/s,server=on,wait=off"}, false},
		{Config{Arch: "amd64", Kernel: "k", Initrd: "i", Memory: 1024, Append: "x=1"}, "qemu-system-x86_64",
			[]string{"-M q35", "-m 1024", "console=ttyS0", "usb_storage.delay_use=0 x=1"}, false},
		{Config{Kernel: "k", Initrd: "i", Disks: []Disk{{Path: "/a.img"}, {Path: "/b.img", ReadOnly: true}}}, "qemu-system-aarch64",
			[]string{"-drive if=none,id=disk0,format=raw,file=/a.img -device virtio-blk-pci,drive=disk0",
				"-drive if=none,id=disk1,format=raw,file=/b.img,readonly=on -device virtio-blk-pci,drive=disk1"}, false},
		{Config{Kernel: "k", Initrd: "i", Disks: []Disk{{Path: "/a.img", Throttle: 40e6}}}, "qemu-system-aarch64",
			[]string{"-drive if=none,id=disk0,format=raw,file=/a.img,throttling.bps-total=40000000,throttling.group=disk0-throttle -device virtio-blk-pci,drive=disk0"}, false},
		{Config{Machine: "raspi3b", DTB: "d.dtb", Disks: []Disk{{Path: "/sd.img", Throttle: 40e6}}}, "", nil, true},
		{Config{Arch: "riscv64"}, "", nil, true},
		{Config{Machine: "raspi3b", Kernel: "k", DTB: "d.dtb", Initrd: "i", Append: "x=1", Disks: []Disk{{Path: "/sd.img"}}}, "qemu-system-aarch64",
			[]string{"-M raspi3b -accel tcg,thread=single -m 1024", "-dtb d.dtb", "console=ttyAMA1,115200 panic=-1",
				"x=1 initcall_blacklist=bcm2835_wdt_driver_init dwc_otg.fiq_fsm_enable=0",
				"-drive if=sd,id=sd0,format=raw,file=/sd.img", "-qmp unix:/s,server=on,wait=off", "-serial stdio"}, false},
		// The firmware's command line, the console on the mini UART, no card.
		{Config{Machine: "raspi3b", Kernel: "k", DTB: "d.dtb", Initrd: "i", Cmdline: "a=1 console=ttyS0,115200", MiniUART: true, EmptySD: true}, "qemu-system-aarch64",
			[]string{"-append a=1 console=ttyS0,115200 initcall_blacklist=", "-serial null -serial stdio", "-drive if=sd,id=sd0"}, false},
		{Config{Machine: "raspi3b", Arch: "amd64", DTB: "d.dtb"}, "", nil, true},
		{Config{Machine: "raspi3b", DTB: "d.dtb", Disks: []Disk{{Path: "/a.img"}, {Path: "/b.img"}}}, "", nil, true},
		{Config{Machine: "raspi3b", DTB: "d.dtb", EmptySD: true, Disks: []Disk{{Path: "/a.img"}}}, "", nil, true},
		{Config{Machine: "raspi3b"}, "", nil, true},
		{Config{MiniUART: true}, "", nil, true},
		{Config{EmptySD: true}, "", nil, true},
		{Config{Machine: "pc"}, "", nil, true},
	} {
		bin, args, err := qemuArgs(tc.cfg, "/s")
		if (err != nil) != tc.wantErr {
			t.Errorf("qemuArgs(%+v) error %v; want error %v", tc.cfg, err, tc.wantErr)
			continue
		}
		line := strings.Join(args, " ")
		if bin != tc.bin {
			t.Errorf("qemuArgs(%+v) binary = %q; want %q", tc.cfg, bin, tc.bin)
		}
		for _, w := range tc.want {
			if !strings.Contains(line, w) {
				t.Errorf("qemuArgs(%+v) = %s; want it to hold %q", tc.cfg, line, w)
			}
		}
		// raspi3b has no xHCI controller: its own USB controller takes
		// the sticks.
		if xhci := strings.Contains(line, "qemu-xhci"); !tc.wantErr && xhci == (tc.cfg.Machine == "raspi3b") {
			t.Errorf("qemuArgs(%+v) = %s; want qemu-xhci only off raspi3b", tc.cfg, line)
		}
	}
}

// fakeQMP serves QMP on a unix socket: it greets, answers every command
// with reply(cmd), and after device_del sends DEVICE_DELETED.
func fakeQMP(t *testing.T, reply func(cmd string) string) string {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "qmp.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		c.Write([]byte(`{"QMP": {"version": {}, "capabilities": []}}` + "\n"))
		dec := json.NewDecoder(c)
		for {
			var m struct {
				Execute   string         `json:"execute"`
				ID        string         `json:"id"`
				Arguments map[string]any `json:"arguments"`
			}
			if dec.Decode(&m) != nil {
				return
			}
			if m.Execute == "device_del" {
				// The event may come before the reply, as in qemu.
				c.Write([]byte(`{"event": "DEVICE_DELETED", "data": {"device": "other"}}` + "\n"))
				c.Write([]byte(`{"event": "DEVICE_DELETED", "data": {"device": "` + m.Arguments["id"].(string) + `"}}` + "\n"))
			}
			c.Write([]byte(`{"id": "` + m.ID + `", ` + reply(m.Execute) + "}\n"))
		}
	}()
	return sock
}

func TestQMP(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	failing := true
	sock := fakeQMP(t, func(cmd string) string {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, cmd)
		if cmd == "device_add" && failing {
			return `"error": {"class": "GenericError", "desc": "Bus 'xhci.0' not found"}`
		}
		return `"return": {}`
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	q, err := dialQMP(ctx, sock, make(chan struct{}))
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	v := &VM{qmp: q}
	err = v.PlugUSB(ctx, "s", Stick{Image: "/x.img", Throttle: 1 << 20})
	var qe *qmpError
	if !errors.As(err, &qe) || qe.Class != "GenericError" {
		t.Errorf("PlugUSB with a failing device_add = %v; want the QMP error", err)
	}
	mu.Lock()
	failing = false
	mu.Unlock()
	if err := v.PlugUSB(ctx, "s", Stick{Image: "/x.img", Throttle: 1 << 20}); err != nil {
		t.Errorf("PlugUSB() = %v; want nil", err)
	}
	if err := v.UnplugUSB(ctx, "s"); err != nil {
		t.Errorf("UnplugUSB() = %v; want nil", err)
	}
	mu.Lock()
	defer mu.Unlock()
	want := "qmp_capabilities object-add blockdev-add device_add blockdev-del object-del " +
		"object-add blockdev-add device_add device_del blockdev-del object-del"
	if got := strings.Join(seen, " "); got != want {
		t.Errorf("QMP commands = %s; want %s (the block node removed again when device_add fails)", got, want)
	}
}

// TestBoot boots the real arm64 kernel with a virtio disk and checks the
// console, a stick plugged and pulled, and that Close and a cancelled
// context kill qemu.
func TestBoot(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := t.TempDir()
	kernel, err := Kernel(ctx, "arm64")
	if err != nil {
		t.Fatal(err)
	}
	initrd := disksInitramfs(t)
	img := func(name string, size int64) string {
		p := filepath.Join(dir, name)
		if err := SparseImage(p, size); err != nil {
			t.Fatal(err)
		}
		return p
	}
	vmCtx, vmCancel := context.WithCancel(ctx)
	defer vmCancel()
	var console strings.Builder
	v, err := Start(vmCtx, Config{Kernel: kernel, Initrd: initrd, Disks: []Disk{{Path: img("boot.img", 8<<20), ReadOnly: true}}, Console: &console})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	if _, err := v.WaitFor(ctx, "DISKS vda"); err != nil {
		t.Fatal(err)
	}
	if err := v.PlugUSB(ctx, "stick", Stick{Image: img("stick.img", 32<<20), ReadOnly: true, Port: "1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := v.WaitFor(ctx, "DISKS sda vda"); err != nil {
		t.Fatal(err)
	}
	if _, err := v.WaitFor(ctx, "READ sda ok"); err != nil {
		t.Fatal(err)
	}
	if st, err := v.StickStats(ctx, "stick"); err != nil || st.ReadBytes < 1<<20 || st.WriteBytes != 0 {
		t.Errorf("StickStats(stick) = %+v, %v; want at least the 1 MiB read, nothing written", st, err)
	}
	if err := v.UnplugUSB(ctx, "stick"); err != nil {
		t.Fatal(err)
	}
	if _, err := v.WaitFor(ctx, "DISKS vda"); err != nil {
		t.Fatal(err)
	}
	// A slow stick (1 MiB at 2 MiB/s) and a dying one.
	if err := v.PlugUSB(ctx, "slow", Stick{Image: img("slow.img", 32<<20), Throttle: 2 << 20, Port: "2"}); err != nil {
		t.Fatal(err)
	}
	l, err := v.WaitFor(ctx, "READ sda")
	if err != nil {
		t.Fatal(err)
	}
	var secs float64
	if _, err := fmt.Sscanf(l.Text, "READ sda ok %f", &secs); err != nil || secs < 0.3 {
		t.Errorf("throttled stick: %q; want a good read of 1 MiB taking about 0.5 s", l.Text)
	}
	if err := v.UnplugUSB(ctx, "slow"); err != nil {
		t.Fatal(err)
	}
	if err := v.PlugUSB(ctx, "dying", Stick{Image: img("dying.img", 32<<20), FailSectors: []int64{1000}, Port: "3"}); err != nil {
		t.Fatal(err)
	}
	if l, err := v.WaitFor(ctx, "READ sda"); err != nil || !strings.HasPrefix(l.Text, "READ sda error") {
		t.Errorf("stick failing at sector 1000: %q, %v; want a read error", l.Text, err)
	}
	if err := v.UnplugUSB(ctx, "dying"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(console.String(), "DISKS sda vda") {
		t.Errorf("console copy %q; want the DISKS lines", console.String())
	}

	vmCancel() // the VM dies with its context
	select {
	case <-v.exited:
	case <-time.After(10 * time.Second):
		t.Fatal("qemu still running 10s after its context ended")
	}
	for i := 0; ; i++ { // lines received before the end are still there
		_, err := v.Next(ctx)
		if err != nil {
			if !errors.Is(err, ErrExited) {
				t.Errorf("Next() after qemu exited = %v; want ErrExited", err)
			}
			break
		}
		if i > 100 {
			t.Fatal("Next() after qemu exited keeps returning lines")
		}
	}
	if err := v.PlugUSB(ctx, "late", Stick{Image: "/x"}); err == nil {
		t.Errorf("PlugUSB() after qemu exited = nil; want an error")
	}
	v.Close()
	v.Close()
}
