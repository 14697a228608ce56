package drive

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestParseRecorded parses datagrams recorded from real kernels: loop
// devices attached and detached on an amd64 host (Linux 6.18), a USB stick
// plugged and pulled in the arm64 test VM (gokrazy's kernel).
func TestParseRecorded(t *testing.T) {
	const vmUSB = "/devices/platform/4010000000.pcie/pci0000:00/0000:00:01.0/usb2/2-2"
	for _, tc := range []struct {
		file                        string
		action, devpath, sys        string
		subsystem, devtype, diskseq string
		mediaChange                 bool
	}{
		{"loop-1.uevent", "change", "/devices/virtual/block/loop1", "loop1", "block", "disk", "136", false},
		{"loop-2.uevent", "change", "/devices/virtual/block/loop1", "loop1", "block", "disk", "136", false},
		{"loop-3.uevent", "change", "/devices/virtual/block/loop1", "loop1", "block", "disk", "136", true},
		{"usb-usb_device-add.uevent", "add", vmUSB, "2-2", "usb", "usb_device", "", false},
		{"usb-usb_device-remove.uevent", "remove", vmUSB[:len(vmUSB)-1] + "3", "2-3", "usb", "usb_device", "", false},
		{"usb-disk-add.uevent", "add", vmUSB + "/2-2:1.0/host0/target0:0:0/0:0:0:0/block/sda", "sda", "block", "disk", "10", false},
		{"usb-disk-remove.uevent", "remove", vmUSB[:len(vmUSB)-1] + "3/2-3:1.0/host1/target1:0:0/1:0:0:0/block/sdb", "sdb", "block", "disk", "11", false},
	} {
		b, err := os.ReadFile(filepath.Join("testdata", "uevents", tc.file))
		if err != nil {
			t.Fatal(err)
		}
		ev, err := parseUevent(b)
		if err != nil {
			t.Errorf("parseUevent(%s) error %v", tc.file, err)
			continue
		}
		got := []string{ev.Action, ev.DevPath, ev.sysName(), ev.Env["SUBSYSTEM"], ev.Env["DEVTYPE"], ev.Env["DISKSEQ"]}
		want := []string{tc.action, tc.devpath, tc.sys, tc.subsystem, tc.devtype, tc.diskseq}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("parseUevent(%s) = %q; want %q", tc.file, got, want)
		}
		if (ev.Env["DISK_MEDIA_CHANGE"] == "1") != tc.mediaChange {
			t.Errorf("parseUevent(%s) DISK_MEDIA_CHANGE = %q; want set %v", tc.file, ev.Env["DISK_MEDIA_CHANGE"], tc.mediaChange)
		}
	}
	// Every recorded datagram parses, and survives a round trip.
	files, _ := filepath.Glob(filepath.Join("testdata", "uevents", "*.uevent"))
	if len(files) < 6 {
		t.Fatalf("%d recorded uevents; want at least 6", len(files))
	}
	for _, f := range files {
		b, _ := os.ReadFile(f)
		checkRoundTrip(t, b)
	}
}

func TestParseUevent(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		ok   bool
	}{
		{"minimal", "add@/devices/x\x00ACTION=add\x00DEVPATH=/devices/x\x00", true},
		{"no trailing NUL", "add@/devices/x\x00ACTION=add\x00DEVPATH=/devices/x", true},
		{"value with =", "add@/devices/x\x00ACTION=add\x00DEVPATH=/devices/x\x00A=b=c\x00", true},
		{"empty", "", false},
		{"udev's rebroadcast", "libudev\x00\xfe\xed\xca\xfe(\x00\x00\x00", false},
		{"no @", "add/devices/x\x00ACTION=add\x00DEVPATH=/devices/x\x00", false},
		{"no action", "@/devices/x\x00ACTION=\x00DEVPATH=/devices/x\x00", false},
		{"relative path", "add@devices/x\x00ACTION=add\x00DEVPATH=devices/x\x00", false},
		{"header and keys disagree", "add@/devices/x\x00ACTION=remove\x00DEVPATH=/devices/x\x00", false},
		{"other path in keys", "add@/devices/x\x00ACTION=add\x00DEVPATH=/devices/y\x00", false},
		{"keys missing (truncated)", "add@/devices/x\x00", false},
		{"field without =", "add@/devices/x\x00ACTION=add\x00DEVPATH=/devices/x\x00JUNK\x00", false},
		{"empty key", "add@/devices/x\x00ACTION=add\x00DEVPATH=/devices/x\x00=v\x00", false},
		{"repeated key", "add@/devices/x\x00ACTION=add\x00DEVPATH=/devices/x\x00MAJOR=8\x00MAJOR=9\x00", false},
		{"empty field inside", "add@/devices/x\x00\x00ACTION=add\x00DEVPATH=/devices/x\x00", false},
	} {
		ev, err := parseUevent([]byte(tc.in))
		if (err == nil) != tc.ok {
			t.Errorf("%s: parseUevent(%q) = %+v, %v; want ok %v", tc.name, tc.in, ev, err, tc.ok)
		}
		if tc.name == "udev's rebroadcast" && !errors.Is(err, errNotKernelUevent) {
			t.Errorf("%s: parseUevent error %v; want errNotKernelUevent", tc.name, err)
		}
	}
}

// checkRoundTrip checks that a datagram that parses renders back to one
// that parses to the same uevent.
func checkRoundTrip(t *testing.T, b []byte) {
	t.Helper()
	ev, err := parseUevent(b)
	if err != nil {
		return
	}
	again, err := parseUevent(ev.bytes())
	if err != nil {
		t.Fatalf("parseUevent(%q) = %+v, whose bytes %q do not parse: %v", b, ev, ev.bytes(), err)
	}
	if !reflect.DeepEqual(ev, again) {
		t.Fatalf("round trip of %q: %+v, then %+v", b, ev, again)
	}
	if name := ev.sysName(); strings.Contains(name, "/") {
		t.Fatalf("parseUevent(%q).sysName() = %q; want no slash", b, name)
	}
}

// FuzzParseUevent feeds the parser arbitrary datagrams, seeded with the
// recorded ones: it must never panic, and what it accepts must round-trip.
func FuzzParseUevent(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "uevents", "*.uevent"))
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		f.Add(b[:len(b)/2])
		f.Add(bytes.ReplaceAll(b, []byte{0}, []byte("\n")))
	}
	f.Add([]byte("libudev\x00\xfe\xed\xca\xfe"))
	f.Fuzz(func(t *testing.T, b []byte) {
		checkRoundTrip(t, b)
	})
}
