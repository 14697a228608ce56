package vm

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"flashkiosk/images"
	"flashkiosk/images/toolchain"
)

// piBootFS is a boot partition with config and cmdline, the real Pi 3 B
// device tree of the pinned kernel, and stand-ins for the kernel and the
// initramfs.
func piBootFS(t *testing.T, config, cmdline string) fstest.MapFS {
	t.Helper()
	dir, err := toolchain.ModuleDir(context.Background(), images.KernelModule)
	if err != nil {
		t.Fatal(err)
	}
	dtb, err := os.ReadFile(filepath.Join(dir, "bcm2710-rpi-3-b.dtb"))
	if err != nil {
		t.Fatal(err)
	}
	return fstest.MapFS{
		"config.txt":          {Data: []byte(config)},
		"cmdline.txt":         {Data: []byte(cmdline)},
		"bcm2710-rpi-3-b.dtb": {Data: dtb},
		"vmlinuz":             {Data: []byte("kernel")},
		"kernel8.img":         {Data: []byte("default kernel")},
		"kiosk.cpio":          {Data: []byte("initramfs")},
	}
}

func fdtGet(t *testing.T, dtb, node, prop string) string {
	t.Helper()
	out, err := exec.Command("fdtget", "-t", "s", dtb, node, prop).CombinedOutput()
	if err != nil {
		t.Fatalf("fdtget %s %s: %v: %s", node, prop, err, out)
	}
	return strings.TrimSpace(string(out))
}

// TestPiFirmware applies the image's own config.txt and cmdline.txt to
// the real device tree, then other configurations.
func TestPiFirmware(t *testing.T) {
	const (
		i2c1  = "/soc/i2c@7e804000"
		mini  = "/soc/serial@7e215040"
		boot  = "arm_64bit=1\nkernel=vmlinuz\ninitramfs kiosk.cpio followkernel\n"
		dtArg = "coherent_pool=1M snd_bcm2835.enable_headphones=0 cgroup_disable=memory"
	)
	for _, tc := range []struct {
		name, config, cmdline string
		wantCmdline           string   // "" for any
		wantArgs              []string // in the command line
		i2c, uart             string   // the status of i2c1 and the mini UART
		wantSkipped           []string // nil for any (the image's other boards)
	}{
		// The image's own files: its kernel and initramfs, the console on
		// the mini UART.
		{name: "the image's", config: images.ConfigTxt, cmdline: images.CmdlineTxt, i2c: "okay", uart: "okay",
			wantArgs: []string{"8250.nr_uarts=1", "console=ttyS0,115200"}},
		{"sections", boot + "[pi4]\ndtparam=uart0=on\nfancy_option=3\n[pi3]\nenable_uart=1\n[pi5]\ndtoverlay=x\n[all]\ndtparam=i2c_arm=on\n",
			"console=serial0,115200 console=serial1 quiet\n",
			dtArg + " 8250.nr_uarts=1 console=ttyS0,115200 console=ttyAMA1 quiet", nil, "okay", "okay",
			[]string{"dtparam=uart0=on", "fancy_option=3", "dtoverlay=x"}},
		{"no uart", "arm_64bit=1\nkernel=vmlinuz\ndtparam=i2c_arm=off\n", "console=tty1",
			dtArg + " 8250.nr_uarts=0 console=tty1", nil, "disabled", "disabled", []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			pb, err := PiFirmware(piBootFS(t, tc.config, tc.cmdline), "pi3", dir)
			if err != nil {
				t.Fatalf("PiFirmware() = %v", err)
			}
			if tc.wantCmdline != "" && pb.Cmdline != tc.wantCmdline {
				t.Errorf("PiFirmware() command line = %q; want %q", pb.Cmdline, tc.wantCmdline)
			}
			for _, want := range tc.wantArgs {
				if !strings.Contains(" "+pb.Cmdline+" ", " "+want+" ") {
					t.Errorf("PiFirmware() command line = %q; want it to hold %q", pb.Cmdline, want)
				}
			}
			if strings.Contains(pb.Cmdline, "serial0") || strings.Contains(pb.Cmdline, "serial1") {
				t.Errorf("PiFirmware() command line = %q; want serial0 and serial1 replaced", pb.Cmdline)
			}
			if got := fdtGet(t, pb.DTB, i2c1, "status"); got != tc.i2c {
				t.Errorf("i2c1 status = %q; want %q", got, tc.i2c)
			}
			if got := fdtGet(t, pb.DTB, mini, "status"); got != tc.uart {
				t.Errorf("mini UART status = %q; want %q", got, tc.uart)
			}
			if got, want := fdtGet(t, pb.DTB, "/", "model"), "Raspberry Pi 3 Model B Rev 1.2"; got != want || pb.Model != want {
				t.Errorf("model = %q, PiBoot.Model %q; want %q", got, pb.Model, want)
			}
			if tc.wantSkipped != nil && strings.Join(pb.Skipped, "|") != strings.Join(tc.wantSkipped, "|") {
				t.Errorf("PiFirmware() skipped %q; want %q", pb.Skipped, tc.wantSkipped)
			}
			if filepath.Base(pb.Kernel) != "vmlinuz" {
				t.Errorf("PiFirmware() kernel = %s; want vmlinuz, as config.txt says", pb.Kernel)
			}
			for _, f := range []string{pb.Kernel, pb.Initrd, pb.DTB} {
				if _, err := os.Stat(f); f != "" && (err != nil || filepath.Dir(f) != dir) {
					t.Errorf("boot file %s: %v; want it copied into %s", f, err, dir)
				}
			}
		})
	}

	// Without kernel=, a 64-bit Pi 3 boots kernel8.img.
	if pb, err := PiFirmware(piBootFS(t, "arm_64bit=1\n", ""), "pi3", t.TempDir()); err != nil || filepath.Base(pb.Kernel) != "kernel8.img" || pb.Initrd != "" {
		t.Errorf("PiFirmware(no kernel=) = %+v, %v; want kernel8.img and no initramfs", pb, err)
	}

	for _, tc := range []struct{ name, board, config, cmdline, want string }{
		{"unknown key", "pi3", boot + "hdmi_force_hotplug=1\n", "", `line 4 "hdmi_force_hotplug=1": not emulated`},
		{"unknown key in [pi3]", "pi3", boot + "[pi3]\ndtoverlay=disable-bt\n", "", "not emulated"},
		{"unknown dtparam", "pi3", boot + "dtparam=i2c_arm=on,spi=on\n", "", `dtparam "spi=on"`},
		{"dtparam value", "pi3", boot + "dtparam=i2c_arm=1\n", "", `dtparam "i2c_arm=1"`},
		{"unknown filter", "pi3", boot + "[gpio4=1]\n", "", "section filter"},
		{"32-bit", "pi3", "kernel=vmlinuz\n", "", "arm_64bit=1"},
		{"initramfs address", "pi3", "arm_64bit=1\ninitramfs kiosk.cpio 0x2000000\n", "", "followkernel"},
		{"missing kernel", "pi3", "arm_64bit=1\nkernel=none.img\n", "", "none.img"},
		{"console on a disabled UART", "pi3", boot + "enable_uart=0\n", "console=serial0,115200", "serial0 (/soc/serial@7e215040) is not enabled"},
		{"two lines", "pi3", boot, "quiet\nsplash\n", "more than one line"},
		{"board", "pi4", boot, "", `board "pi4"`},
	} {
		_, err := PiFirmware(piBootFS(t, tc.config, tc.cmdline), tc.board, t.TempDir())
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: PiFirmware() = %v; want an error saying %q", tc.name, err, tc.want)
		}
	}
}
