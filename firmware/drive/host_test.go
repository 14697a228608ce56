package drive

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// pi4Ports is a Pi 4 board's port map: each socket's USB 2 path (through
// the VL805's hub) and USB 3 path name one port.
var pi4Ports = map[string]string{
	"1-1.1": "A", "2-1": "A",
	"1-1.2": "B", "2-2": "B",
	"1-1.3": "C", "2-3": "C",
	"1-1.4": "D", "2-4": "D",
}

func TestHostDrive(t *testing.T) {
	appeared := time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)
	const xhci = "/devices/platform/scb/fd500000.pcie/pci0000:00/0000:00:00.0/0000:01:00.0"
	trees := map[string]string{"pi4.txt": buildTree(t, "pi4.txt"), "pc.txt": buildTree(t, "pc.txt")}
	for _, tc := range []struct {
		tree, name string
		want       Drive
	}{
		{"pi4.txt", "sda", Drive{Name: "sda", Dev: DevNum{8, 0}, DiskSeq: 11,
			SysPath: xhci + "/usb1/1-1/1-1.3/1-1.3.2/1-1.3.2:1.0/host0/target0:0:0/0:0:0:0/block/sda",
			USB:     true, PortPath: "1-1.3.2", Port: "C.2", Vendor: "SanDisk", Model: "Ultra",
			Size: 60062500 * 512, SectorSize: 512}},
		{"pi4.txt", "sda1", Drive{Name: "sda1", Dev: DevNum{8, 1}, Partition: true, PartNum: 1,
			SysPath: xhci + "/usb1/1-1/1-1.3/1-1.3.2/1-1.3.2:1.0/host0/target0:0:0/0:0:0:0/block/sda/sda1",
			USB:     true, PortPath: "1-1.3.2", Port: "C.2", Vendor: "SanDisk", Model: "Ultra",
			Size: 60060452 * 512, SectorSize: 512}},
		{"pi4.txt", "sdb", Drive{Name: "sdb", Dev: DevNum{8, 16}, DiskSeq: 12,
			SysPath: xhci + "/usb1/1-1/1-1.4/1-1.4:1.0/host1/target1:0:0/1:0:0:0/block/sdb",
			USB:     true, PortPath: "1-1.4", Port: "D", Vendor: "Generic-", Model: "SD/MMC",
			Size: 15523840 * 512, SectorSize: 512}},
		{"pi4.txt", "sdc", Drive{Name: "sdc", Dev: DevNum{8, 32}, DiskSeq: 13,
			SysPath: xhci + "/usb1/1-1/1-1.4/1-1.4:1.0/host1/target1:0:0/1:0:0:1/block/sdc",
			USB:     true, PortPath: "1-1.4", Port: "D", LUN: 1, Vendor: "Generic-", Model: "Micro SD/M2",
			SectorSize: 512}},
		{"pi4.txt", "sdd", Drive{Name: "sdd", Dev: DevNum{8, 48}, DiskSeq: 14,
			SysPath: xhci + "/usb2/2-1/2-1:1.0/host2/target2:0:0/2:0:0:0/block/sdd",
			USB:     true, PortPath: "2-1", Port: "A", Vendor: "ASMT", Model: "2115",
			Size: 1953525168 * 512, SectorSize: 512}},
		{"pi4.txt", "sde", Drive{Name: "sde", Dev: DevNum{8, 64}, DiskSeq: 15,
			SysPath: xhci + "/usb2/2-2/2-2:1.0/host3/target3:0:0/3:0:0:0/block/sde",
			USB:     true, PortPath: "2-2", Port: "B", Vendor: "Kingston", Model: "DataTraveler 3.0",
			Size: 30277632 * 512, SectorSize: 512, ReadOnly: true}},
		{"pi4.txt", "sdg", Drive{Name: "sdg", Dev: DevNum{8, 96}, DiskSeq: 17,
			SysPath: xhci + "/usb2/2-3/2-3:1.0/host5/target5:0:0/5:0:0:0/block/sdg",
			USB:     true, PortPath: "2-3", Port: "C", Size: 62914560 * 512, SectorSize: 4096}},
		{"pi4.txt", "mmcblk0", Drive{Name: "mmcblk0", Dev: DevNum{179, 0}, DiskSeq: 1,
			SysPath: "/devices/platform/emmc2bus/fe340000.mmc/mmc_host/mmc0/mmc0:aaaa/block/mmcblk0",
			Model:   "SC32G", Size: 62333952 * 512, SectorSize: 512}},
		{"pi4.txt", "loop0", Drive{Name: "loop0", Dev: DevNum{7, 0}, DiskSeq: 3,
			SysPath: "/devices/virtual/block/loop0", Size: 614400 * 512, SectorSize: 512}},
		{"pc.txt", "nvme0n1", Drive{Name: "nvme0n1", Dev: DevNum{259, 0}, DiskSeq: 1,
			SysPath: "/devices/pci0000:00/0000:00:1d.0/0000:3d:00.0/nvme/nvme0/nvme0n1",
			Model:   "Samsung SSD 980 PRO 1TB", Size: 1953525168 * 512, SectorSize: 512}},
		{"pc.txt", "sdb", Drive{Name: "sdb", Dev: DevNum{8, 16}, DiskSeq: 21,
			SysPath: "/devices/pci0000:00/0000:00:14.0/usb3/3-6/3-6.1/3-6.1:1.0/host7/target7:0:0/7:0:0:0/block/sdb",
			USB:     true, PortPath: "3-6.1", Port: "3-6.1", Vendor: "SanDisk", Model: "Cruzer Blade",
			Size: 30031872 * 512, SectorSize: 512}},
		{"pc.txt", "dm-1", Drive{Name: "dm-1", Dev: DevNum{252, 1}, DiskSeq: 3,
			SysPath: "/devices/virtual/block/dm-1", Size: 1950000000 * 512, SectorSize: 512}},
	} {
		h := &Host{Root: trees[tc.tree], Ports: pi4Ports, Now: func() time.Time { return appeared }}
		got, err := h.Drive(tc.name)
		if err != nil {
			t.Errorf("%s: Drive(%q) error %v", tc.tree, tc.name, err)
			continue
		}
		if got.Appeared != appeared {
			t.Errorf("%s: Drive(%q).Appeared = %v; want %v", tc.tree, tc.name, got.Appeared, appeared)
		}
		want := tc.want
		want.Appeared, want.serialTag = got.Appeared, got.serialTag
		if got != want {
			t.Errorf("%s: Drive(%q) =\n%+v; want\n%+v", tc.tree, tc.name, fields(got), fields(want))
		}
	}
}

// rawDrive has Drive's fields but not its String method, so failure
// messages show every field.
type rawDrive Drive

func fields(d Drive) string { return fmt.Sprintf("%+v", rawDrive(d)) }

func TestHostDriveErrors(t *testing.T) {
	h := &Host{Root: buildTree(t, "pi4.txt")}
	for _, name := range []string{"sdz", "", ".", "..", "../sda", "a/b"} {
		_, err := h.Drive(name)
		if err == nil {
			t.Errorf("Drive(%q) = nil error; want an error", name)
		}
		if name == "sdz" && !errors.Is(err, ErrNoDevice) {
			t.Errorf("Drive(%q) error = %v; want ErrNoDevice", name, err)
		}
	}
}

func TestSerialTag(t *testing.T) {
	root := buildTree(t, "pi4.txt")
	h1, h2 := &Host{Root: root}, &Host{Root: root}
	a1, _ := h1.Drive("sda")
	b1, _ := h1.Drive("sdb")
	a1again, _ := h1.Drive("sda")
	a2, _ := h2.Drive("sda")
	noSerial, _ := h1.Drive("sdg")
	if noSerial.serialTag != 0 {
		t.Errorf("sdg (USB device without serial) has serial tag %x; want 0", noSerial.serialTag)
	}
	if a1.serialTag == b1.serialTag {
		t.Errorf("sda and sdb have the same serial tag %x; want different", a1.serialTag)
	}
	if a1.serialTag != a1again.serialTag {
		t.Errorf("sda read twice by one Host: tags %x, %x; want equal", a1.serialTag, a1again.serialTag)
	}
	if a1.serialTag == a2.serialTag {
		t.Errorf("sda read by two Hosts: tags both %x; want different (per-session key)", a1.serialTag)
	}
	const serial = "4C530001230817105331"
	for _, s := range []string{a1.String(), a1.GoString()} {
		if strings.Contains(s, serial) || strings.Contains(s, "4C53") {
			t.Errorf("sda printed as %q: holds the serial number", s)
		}
	}
}

func TestPortName(t *testing.T) {
	h := &Host{Ports: pi4Ports}
	for _, tc := range []struct{ path, want string }{
		{"1-1.1", "A"}, {"2-1", "A"}, {"2-4", "D"},
		{"1-1.3.2", "C.2"}, {"2-3.2.4", "C.2.4"},
		{"1-1", "1-1"}, {"3-1", "3-1"}, {"1-1.5", "1-1.5"}, {"2-10", "2-10"},
	} {
		if got := h.portName(tc.path); got != tc.want {
			t.Errorf("portName(%q) = %q; want %q", tc.path, got, tc.want)
		}
	}
}

func TestScan(t *testing.T) {
	h := &Host{Root: buildTree(t, "pc.txt")}
	drives, err := h.Scan()
	if err != nil {
		t.Fatalf("Scan() error %v", err)
	}
	var names []string
	for _, d := range drives {
		names = append(names, d.Name)
	}
	const want = "dm-0 dm-1 loop0 loop1 nvme0n1 nvme0n1p1 nvme0n1p2 sda sda1 sdb sdc sdc1 sdc2"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("Scan() names = %s; want %s", got, want)
	}
}
