package fat

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestPlanPartition writes two FAT32 volumes and a raw partition into one
// sparse disk image and checks it with sfdisk, fsck.fat, mtools and the
// package's own reader.
func TestPlanPartition(t *testing.T) {
	const mib = 1 << 20
	boot := []testFile{{path: "config.txt", data: []byte("arm_64bit=1\n")}, {path: "overlays/a.dtbo", data: pattern(1, 5000)}}
	lib := []testFile{{path: "content/위키/대문.html", data: pattern(2, 70000)}, {path: "manifest.json", data: []byte("{}\n")}, {path: "empty", dir: true}}
	parts := []struct {
		files []testFile
		label string
		start int64 // MiB
		size  int64 // MiB
	}{
		{boot, "BOOT", 1, 40},
		{lib, "LIBRARY", 41, 300},
	}
	img := filepath.Join(t.TempDir(), "disk.img")
	f, err := os.Create(img)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	const diskBytes = 349 * mib
	if err := f.Truncate(diskBytes); err != nil {
		t.Fatal(err)
	}
	var table []Partition
	var layouts []*Layout
	for i, p := range parts {
		l, err := PlanPartition(p.start*mib/512, p.size*mib/512, entriesOf(p.files), Options{Label: p.label, Time: testDate, VolumeID: uint32(0x1000 + i), DiskID: 1})
		if err != nil {
			t.Fatalf("PlanPartition(%d MiB, %d MiB) = %v", p.start, p.size, err)
		}
		if err := l.WriteVolume(context.Background(), f, sourceOf(p.files)); err != nil {
			t.Fatalf("WriteVolume(%s) = %v", p.label, err)
		}
		layouts = append(layouts, l)
		table = append(table, Partition{Type: PartTypeFAT32, Start: p.start * mib / 512, Sectors: p.size * mib / 512})
	}
	table = append(table, Partition{Type: 0xDA, Start: 341 * mib / 512, Sectors: 8 * mib / 512})
	mbr, err := MBR(512, 0xC0FFEE, table)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt(mbr, 0); err != nil {
		t.Fatal(err)
	}

	id, got, err := ReadMBR(f)
	if err != nil || id != 0xC0FFEE || [3]Partition(got[:3]) != [3]Partition(table) || got[3] != (Partition{}) {
		t.Errorf("ReadMBR = %#x, %v, %v; want 0xc0ffee, %v", id, got, err, table)
	}
	out, err := exec.Command(need(t, "sfdisk"), "-d", img).CombinedOutput()
	if err != nil {
		t.Fatalf("sfdisk -d: %v\n%s", err, out)
	}
	for _, want := range []string{"label-id: 0x00c0ffee", "start=        2048, size=       81920, type=c", "start=       83968, size=      614400, type=c", "start=      698368, size=       16384, type=da"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("sfdisk -d = %s; want a line with %q", out, want)
		}
	}
	for i, l := range layouts {
		fsck(t, img, l)
		off := fmt.Sprintf("%s@@%dM", img, parts[i].start)
		cmd := exec.Command(need(t, "mdir"), "-i", off, "-/", "-b", "::/")
		cmd.Env = append(os.Environ(), "LC_ALL=C.UTF-8", "MTOOLS_SKIP_CHECK=1")
		listing, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("mdir %s: %v\n%s", off, err, listing)
		}
		for _, tf := range parts[i].files {
			if !strings.Contains(string(listing), "::/"+tf.path) {
				t.Errorf("mdir -/ %s = %s; want %s listed", off, listing, tf.path)
			}
		}
		g := l.Geometry()
		v, err := OpenVolume(io.NewSectionReader(f, g.PartStart*512, g.PartSectors*512), g.PartSectors*512)
		if err != nil {
			t.Fatalf("OpenVolume(partition %d) = %v", i+1, err)
		}
		if v.Label() != parts[i].label {
			t.Errorf("partition %d label = %q; want %q", i+1, v.Label(), parts[i].label)
		}
	}
	var st syscall.Stat_t
	if err := syscall.Stat(img, &st); err != nil {
		t.Fatal(err)
	}
	if used := st.Blocks * 512; used > 4*mib {
		t.Errorf("image of %d bytes uses %d bytes on disk; want at most 4 MiB (sparse)", int64(diskBytes), used)
	}
}

func TestPartitionRefuses(t *testing.T) {
	for _, tc := range []struct {
		start, sectors int64
		want           string
	}{
		{0, 1 << 17, "outside"},
		{2047, 1 << 17, "1 MiB boundary"},
		{2048, 1 << 32, "outside"},
		{2048, 2048, "too small"},
	} {
		if _, err := PlanPartition(tc.start, tc.sectors, nil, Options{Time: testDate}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("PlanPartition(%d, %d) = %v; want an error with %q", tc.start, tc.sectors, err, tc.want)
		}
	}
	for _, tc := range []struct {
		parts []Partition
		want  string
	}{
		{[]Partition{{0x0C, 2048, 100}, {0x0C, 2100, 100}}, "overlap"},
		{[]Partition{{0x0C, 0, 100}}, "outside"},
		{make([]Partition, 5), "holds 4"},
	} {
		if _, err := MBR(512, 1, tc.parts); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("MBR(%v) = %v; want an error with %q", tc.parts, err, tc.want)
		}
	}
}
