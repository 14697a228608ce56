package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeMachine makes a small machine root: a USB stick in port 1-1 (as a
// Pi 4's VL805 hub shows it), an SD card, and a mount table.
func fakeMachine(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	const usb = "sys/devices/platform/scb/fd500000.pcie/pci0000:00/0000:00:00.0/0000:01:00.0/usb1/1-1/1-1.1"
	const scsi = usb + "/1-1.1:1.0/host0/target0:0:0/0:0:0:0"
	const sd = "sys/devices/platform/emmc2bus/fe340000.mmc/mmc_host/mmc0/mmc0:aaaa"
	files := map[string]string{
		"proc/self/mountinfo": "1 1 0:2 / / rw - rootfs rootfs rw\n",
		usb + "/serial":       "4C530001230817105331\n",
		scsi + "/vendor":      "SanDisk \n",
		scsi + "/model":       "Ultra           \n",
		sd + "/name":          "SC32G\n",
	}
	disks := []struct{ dir, name, dev, sectors string }{
		{scsi + "/block/sda", "sda", "8:0", "60062500"},
		{sd + "/block/mmcblk0", "mmcblk0", "179:0", "62333952"},
	}
	for _, d := range disks {
		maj, min, _ := strings.Cut(d.dev, ":")
		files[d.dir+"/uevent"] = "MAJOR=" + maj + "\nMINOR=" + min + "\nDEVNAME=" + d.name + "\nDEVTYPE=disk\n"
		files[d.dir+"/size"] = d.sectors + "\n"
		files[d.dir+"/ro"] = "0\n"
		files[d.dir+"/queue/logical_block_size"] = "512\n"
	}
	writeFiles(t, root, files)
	for _, d := range disks {
		link := filepath.Join(root, "sys", "class", "block", d.name)
		if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(filepath.Join("..", "..", strings.TrimPrefix(d.dir, "sys/")), link); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(filepath.Join(root, filepath.Dir(filepath.Dir(d.dir))), filepath.Join(root, d.dir, "device")); err != nil {
			t.Fatal(err)
		}
	}
	// The stick's device file: blank (zeros), so no library on it.
	if err := os.MkdirAll(filepath.Join(root, "dev"), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(filepath.Join(root, "dev", "sda"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Truncate(60062500 * 512); err != nil {
		t.Fatal(err)
	}
	return root
}

func TestDrivesList(t *testing.T) {
	root := fakeMachine(t)
	runSteps(t, root, []step{
		{"drives --root DIR --ports 1-1.1=A,2-1=A", 0, []string{
			"NAME     SIZE     USB PORT   VENDOR MODEL   VERDICT\n" +
				"mmcblk0  31.9 GB  -          SC32G          no: not on USB\n" +
				"sda      30.8 GB  A (1-1.1)  SanDisk Ultra  yes\n",
		}, ""},
		{"drives --root DIR --ports 1-1.1", 2, nil, `--ports: "1-1.1" is not PATH=NAME`},
		{"drives --root DIR --ports 1-1=A,1-1=B", 2, nil, "--ports: 1-1 is given twice (A and B): a port path belongs to one port"},
		{"drives --root DIR --ports usb1=A", 2, nil, `--ports: "usb1" is not a USB port path like "1-1.2"`},
		{"drives --root DIR extra", 2, nil, "want 0 argument(s), got 1"},
		{"drives --root DIR/nothing", 1, nil, "scan block devices"},
	})
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"drives", "--json", "--root", root}, strings.NewReader(""), &out, &errOut); code != 0 {
		t.Fatalf("drives --json = %d: %s", code, errOut.String())
	}
	var recs []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var r map[string]any
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("drives --json line %q: %v", line, err)
		}
		recs = append(recs, r)
	}
	want := []map[string]any{
		{"name": "mmcblk0", "size": 62333952.0 * 512, "usb": false, "port": "", "eligible": false, "reason": "not on USB"},
		{"name": "sda", "size": 60062500.0 * 512, "usb": true, "port": "1-1.1", "eligible": true, "reason": "ok", "vendor": "SanDisk", "model": "Ultra"},
	}
	if len(recs) != len(want) {
		t.Fatalf("drives --json printed %d records; want %d:\n%s", len(recs), len(want), out.String())
	}
	for i, w := range want {
		for k, v := range w {
			if recs[i][k] != v {
				t.Errorf("drives --json record %d %s = %v; want %v", i, k, recs[i][k], v)
			}
		}
	}
	if strings.Contains(out.String(), "4C53") {
		t.Errorf("drives --json prints the serial number: %s", out.String())
	}
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestDrivesLoop lists and watches a real loop device.
func TestDrivesLoop(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("this test attaches loop devices and needs root (CI runs as root)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var watchOut, watchErr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"drives", "--watch", "--json"}, strings.NewReader(""), &watchOut, &watchErr)
	}()
	time.Sleep(300 * time.Millisecond) // past the start scan

	img := filepath.Join(t.TempDir(), "disk.img")
	if err := os.WriteFile(img, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(img, 300<<20); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("losetup", "-f", "--show", img).CombinedOutput()
	if err != nil {
		t.Fatalf("losetup: %v\n%s", err, out)
	}
	loop := strings.TrimSpace(string(out))
	name := filepath.Base(loop)
	attached := true
	defer func() {
		if attached {
			exec.Command("losetup", "-d", loop).Run()
		}
	}()

	runSteps(t, t.TempDir(), []step{
		{"drives", 0, []string{name + "  ", "315 MB", "no: not on USB"}, ""},
	})
	_, added := waitJSON(t, &watchOut, "added", name, 300<<20, -1)
	if out, err := exec.Command("losetup", "-d", loop).CombinedOutput(); err != nil {
		t.Fatalf("losetup -d: %v\n%s", err, out)
	}
	attached = false
	rec, _ := waitJSON(t, &watchOut, "removed", name, 300<<20, added)
	if rec["reason"] != "not on USB" || rec["usb"] != false {
		t.Errorf("drives --watch removed record %v; want size %d, not on USB", rec, 300<<20)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("drives --watch after interrupt = %d; want 0 (stderr %q)", code, watchErr.String())
	}
}

// waitJSON waits for a --watch --json line about event and name, of the
// given size, after line after (other tests' loop devices come and go
// meanwhile, and take the same names); it returns the record and its line.
func waitJSON(t *testing.T, out *syncBuffer, event, name string, size int64, after int) (map[string]any, int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		sc := bufio.NewScanner(strings.NewReader(out.String()))
		for line := 0; sc.Scan(); line++ {
			var r map[string]any
			if line > after && json.Unmarshal(sc.Bytes(), &r) == nil && r["event"] == event && r["name"] == name && r["size"] == float64(size) {
				return r, line
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("drives --watch --json printed no %s event for %s of %d bytes within 5s:\n%s", event, name, size, out.String())
	return nil, 0
}
