package kiosk

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"flashkiosk/firmware/drive"
	"flashkiosk/firmware/flash"
	"flashkiosk/firmware/library"
	"flashkiosk/firmware/source"
)

// TestDriveFlasher writes real loop devices through the kiosk's flasher:
// loop devices are not USB, so only a test's eligibility rule lets them be
// written; every refusal must leave the disk untouched.
func TestDriveFlasher(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("this test attaches loop devices and needs root (CI runs as root)")
	}
	src := filepath.Join(t.TempDir(), "src")
	os.MkdirAll(filepath.Join(src, "위키"), 0o755)
	os.WriteFile(filepath.Join(src, "위키", "대문.html"), bytes.Repeat([]byte("대한민국 "), 5000), 0o644)
	lib, err := library.Build(context.Background(), src, filepath.Join(t.TempDir(), "lib"), library.BuildOptions{Name: "t", Date: time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	host := &drive.Host{Root: "/"}
	anyDisk := func(d drive.Drive, f drive.Facts) (bool, drive.Reason) {
		if f.InUse || f.Err != nil {
			return false, drive.SystemDisk
		}
		return true, drive.OK
	}
	marker := bytes.Repeat([]byte("DONOR!"), 1<<10)
	for _, tc := range []struct {
		name     string
		eligible func(drive.Drive, drive.Facts) (bool, drive.Reason)
		change   func(d *drive.Drive, loop string)
		refused  string // "" when the write must succeed
	}{
		{"eligible", anyDisk, nil, ""},
		{"not USB under the real policy", drive.Policy{}.Eligible, nil, "not on USB"},
		{"another disk under the same name", anyDisk, func(d *drive.Drive, _ string) { d.DiskSeq++ }, "not the drive that was checked"},
		// A detached loop device keeps its node, empty: another medium.
		{"detached", anyDisk, func(_ *drive.Drive, loop string) { exec.Command("losetup", "-d", loop).Run() }, "not the drive that was checked"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			img := filepath.Join(t.TempDir(), "disk.img")
			if err := os.WriteFile(img, bytes.Repeat(marker, (64<<20)/len(marker)), 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command("losetup", "-f", "--show", img).CombinedOutput()
			if err != nil {
				t.Fatalf("losetup: %v\n%s", err, out)
			}
			loop := strings.TrimSpace(string(out))
			defer exec.Command("losetup", "-d", loop).Run()
			d, err := host.Drive(filepath.Base(loop))
			if err != nil {
				t.Fatal(err)
			}
			if tc.change != nil {
				tc.change(&d, loop)
			}
			f := &DriveFlasher{Host: host, Eligible: tc.eligible}
			res, err := f.Flash(context.Background(), d, &source.Library{Library: lib}, func(flash.Progress) {})
			var re *RefusedError
			switch {
			case tc.refused == "" && err != nil:
				t.Fatalf("Flash(%s) = %v; want it written", loop, err)
			case tc.refused == "":
				if st, _ := os.Stat(img); res.Bytes != st.Size() {
					t.Errorf("Flash(%s) wrote %d bytes; want all %d", loop, res.Bytes, st.Size())
				}
			case !errors.As(err, &re) || !strings.Contains(re.Reason, tc.refused):
				t.Fatalf("Flash(%s) = %v; want a refusal: %s", loop, err, tc.refused)
			default:
				data, err := os.ReadFile(img)
				if err != nil || !bytes.Equal(data[:len(marker)], marker) || !bytes.Equal(data[len(data)-len(marker):], marker) {
					t.Errorf("a refused drive was written: its first bytes are %q", data[:16])
				}
			}
		})
	}
}

// TestGone: a failed job's drive counts as pulled when it goes away or
// changes, here a loop device detached or another medium under the name;
// a drive that stays is not gone.
func TestGone(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("this test attaches loop devices and needs root (CI runs as root)")
	}
	host := &drive.Host{Root: "/"}
	for _, tc := range []struct {
		name   string
		change func(d *drive.Drive, loop string)
		gone   bool
	}{
		{"stays", nil, false},
		{"detached", func(_ *drive.Drive, loop string) { exec.Command("losetup", "-d", loop).Run() }, true},
		{"another medium", func(d *drive.Drive, _ string) { d.DiskSeq++ }, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			img := filepath.Join(t.TempDir(), "disk.img")
			if err := os.WriteFile(img, make([]byte, 1<<20), 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command("losetup", "-f", "--show", img).CombinedOutput()
			if err != nil {
				t.Fatalf("losetup: %v\n%s", err, out)
			}
			loop := strings.TrimSpace(string(out))
			defer exec.Command("losetup", "-d", loop).Run()
			d, err := host.Drive(filepath.Base(loop))
			if err != nil {
				t.Fatal(err)
			}
			if tc.change != nil {
				tc.change(&d, loop)
			}
			f := &DriveFlasher{Host: host}
			if got := f.gone(context.Background(), d) == 0; got != tc.gone {
				t.Errorf("gone(%s) = %v; want %v", tc.name, got, tc.gone)
			}
		})
	}
}

// loopDevice attaches a new zero-filled image of size bytes to a loop
// device and returns its drive; the device is detached at cleanup.
func loopDevice(t *testing.T, host *drive.Host, size int64) (drive.Drive, string) {
	t.Helper()
	img := filepath.Join(t.TempDir(), "disk.img")
	if err := os.WriteFile(img, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(img, size); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("losetup", "-f", "--show", img).CombinedOutput()
	if err != nil {
		t.Fatalf("losetup: %v\n%s", err, out)
	}
	loop := strings.TrimSpace(string(out))
	t.Cleanup(func() { exec.Command("losetup", "-d", loop).Run() })
	d, err := host.Drive(filepath.Base(loop))
	if err != nil {
		t.Fatal(err)
	}
	return d, loop
}

// TestSourceGone: a job that fails (here on a library file that cannot be
// opened) while its master drive goes away ends as SOURCE GONE; while the
// master stays, or from the card, the same failure is the library's.
func TestSourceGone(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("this test attaches loop devices and needs root (CI runs as root)")
	}
	src := filepath.Join(t.TempDir(), "src")
	os.MkdirAll(src, 0o755)
	os.WriteFile(filepath.Join(src, "film.mp4"), bytes.Repeat([]byte("frame "), 100000), 0o644)
	lib, err := library.Build(context.Background(), src, filepath.Join(t.TempDir(), "lib"), library.BuildOptions{Name: "t", Date: time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(lib.ContentPath("film.mp4")); err != nil {
		t.Fatal(err)
	}
	host := &drive.Host{Root: "/"}
	anyDisk := func(d drive.Drive, f drive.Facts) (bool, drive.Reason) { return !f.InUse && f.Err == nil, drive.OK }
	for _, tc := range []struct {
		name   string
		master bool
		pull   bool
		want   flash.Outcome
	}{
		{"master pulled", true, true, flash.SourceGone},
		{"master stays", true, false, flash.ContentCorrupt},
		{"the card", false, false, flash.ContentCorrupt},
	} {
		t.Run(tc.name, func(t *testing.T) {
			target, _ := loopDevice(t, host, 64<<20)
			l := &source.Library{Library: lib}
			if tc.master {
				m, loop := loopDevice(t, host, 1<<20)
				l.Drive = m
				if tc.pull {
					exec.Command("losetup", "-d", loop).Run()
				}
			}
			f := &DriveFlasher{Host: host, Eligible: anyDisk}
			_, err := f.Flash(context.Background(), target, l, func(flash.Progress) {})
			if got := flash.Classify(err); got != tc.want {
				t.Errorf("Flash() = %v (%v); want %v", err, got, tc.want)
			}
		})
	}
}
