package main

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"flashkiosk/firmware/journal"
)

// makeJournal writes an image file at path holding a journal that was
// opened once per element of boots and given its records.
func makeJournal(t *testing.T, path string, boots [][]journal.Record) {
	t.Helper()
	if err := os.WriteFile(path, make([]byte, 64*512), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, recs := range boots {
		j, err := journal.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			if err := j.Append(r); err != nil {
				t.Fatal(err)
			}
		}
		if err := j.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// sampleBoots is a small journal: two boots, every kind of outcome, and
// a vendor name that a spreadsheet would run as a formula.
func sampleBoots() [][]journal.Record {
	lib := "위키 2026-11"
	return [][]journal.Record{
		{
			{SinceBoot: 95500 * time.Millisecond, Port: "P1", Vendor: "SanDisk", Model: "Cruzer Blade", Reported: 16008609792, Real: 16008609792, Library: lib, Outcome: "done", WriteMBps: 12.43, VerifyMBps: 31},
			{SinceBoot: 130250 * time.Millisecond, Port: "P2", Vendor: "Generic", Model: "Flash Disk", Reported: 64000000000, Real: 8001000000, Library: lib, Outcome: "fake"},
		},
		{},
		{
			{SinceBoot: 12 * time.Second, Port: "P1", Vendor: "Kingston", Model: "DataTraveler 3.0", Reported: 32000000000, Real: 32000000000, Library: lib, Outcome: "io-error", WriteMBps: 8.26},
			{SinceBoot: 40 * time.Second, Port: "P3", Vendor: "=1+1", Model: "Mass, \"Storage\"", Reported: 2000000000, Real: 2000000000, Library: lib, Outcome: "too-small"},
			{SinceBoot: 700 * time.Second, Port: "P2", Vendor: "Samsung", Model: "Type-C <USB & 3>", Reported: 64000000000, Real: 64000000000, Library: lib, Outcome: "done", WriteMBps: 20, VerifyMBps: 88.55},
		},
	}
}

func TestReportCSV(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "journal.img")
	makeJournal(t, path, sampleBoots())
	tests := []struct {
		args   string
		stdout string
		stderr string
	}{
		{"report DIR/journal.img", `boot,seconds,port,vendor,model,reported_bytes,real_bytes,library,outcome,write_mb_s,verify_mb_s
1,95.500,P1,SanDisk,Cruzer Blade,16008609792,16008609792,위키 2026-11,done,12.4,31.0
1,130.250,P2,Generic,Flash Disk,64000000000,8001000000,위키 2026-11,fake,0.0,0.0
3,12.000,P1,Kingston,DataTraveler 3.0,32000000000,32000000000,위키 2026-11,io-error,8.3,0.0
3,40.000,P3,'=1+1,"Mass, ""Storage""",2000000000,2000000000,위키 2026-11,too-small,0.0,0.0
3,700.000,P2,Samsung,Type-C <USB & 3>,64000000000,64000000000,위키 2026-11,done,20.0,88.5
`, "5 records shown of the 5 the journal holds; last boot 3; totals over all boots: 2 done, 1 failed, 1 fake, 1 rejected, 80.0 GB written\n"},
		{"report --since-boot 2 DIR/journal.img", `boot,seconds,port,vendor,model,reported_bytes,real_bytes,library,outcome,write_mb_s,verify_mb_s
3,12.000,P1,Kingston,DataTraveler 3.0,32000000000,32000000000,위키 2026-11,io-error,8.3,0.0
3,40.000,P3,'=1+1,"Mass, ""Storage""",2000000000,2000000000,위키 2026-11,too-small,0.0,0.0
3,700.000,P2,Samsung,Type-C <USB & 3>,64000000000,64000000000,위키 2026-11,done,20.0,88.5
`, "3 records shown of the 5 the journal holds; last boot 3; totals over all boots: 2 done"},
	}
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		var stdout, stderr bytes.Buffer
		args := strings.Fields(strings.ReplaceAll(tt.args, "DIR", dir))
		if code := run(context.Background(), args, strings.NewReader(""), &stdout, &stderr); code != 0 {
			t.Fatalf("run(%s) = %d; want 0\nstderr: %s", tt.args, code, stderr.String())
		}
		if stdout.String() != tt.stdout {
			t.Errorf("run(%s) stdout =\n%s\nwant\n%s", tt.args, stdout.String(), tt.stdout)
		}
		if !strings.HasPrefix(stderr.String(), tt.stderr) {
			t.Errorf("run(%s) stderr = %q; want it to start %q", tt.args, stderr.String(), tt.stderr)
		}
	}
	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Errorf("report changed the journal it read")
	}
}

func TestReportSVG(t *testing.T) {
	dir := t.TempDir()
	makeJournal(t, filepath.Join(dir, "journal.img"), sampleBoots())
	runSteps(t, dir, []step{
		{"report --svg DIR/chart.svg DIR/journal.img", 0, []string{"boot,seconds"}, "5 records shown of the 5"},
	})
	data, err := os.ReadFile(filepath.Join(dir, "chart.svg"))
	if err != nil {
		t.Fatal(err)
	}
	// Every bar segment and point has a title that says what it shows.
	var titles []string
	elements := map[string]int{}
	d := xml.NewDecoder(bytes.NewReader(data))
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("chart.svg is not well-formed XML: %v", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			for _, a := range tok.Attr {
				if a.Name.Local == "class" {
					elements[a.Value]++
				}
			}
			if tok.Name.Local == "title" {
				var title string
				if err := d.DecodeElement(&title, &tok); err != nil {
					t.Fatalf("chart.svg: title: %v", err)
				}
				titles = append(titles, title)
			}
		}
	}
	wantElements := map[string]int{"bar-done": 2, "bar-fake": 1, "bar-failed": 1, "bar-rejected": 1, "speed": 3}
	for class, n := range wantElements {
		if elements[class] != n {
			t.Errorf("chart.svg has %d elements of class %s; want %d", elements[class], class, n)
		}
	}
	for _, want := range []string{
		"boot 1: 1 done", "boot 1: 1 fake", "boot 3: 1 done", "boot 3: 1 failed", "boot 3: 1 rejected",
		"drive 1 (P1, SanDisk Cruzer Blade), boot 1, done: 12.4 MB/s",
		"drive 5 (P2, Samsung Type-C <USB & 3>), boot 3, done: 20.0 MB/s",
	} {
		if !slices.Contains(titles, want) {
			t.Errorf("chart.svg titles = %q; want one %q", titles, want)
		}
	}
}

func TestReportErrors(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"zeros.img": string(make([]byte, 8192)), "tiny.img": "journal"})
	makeJournal(t, filepath.Join(dir, "journal.img"), sampleBoots())
	runSteps(t, dir, []step{
		{"report", 2, nil, "kioskctl: want 1 argument(s), got 0\nusage: kioskctl report [--svg FILE] [--since-boot N] JOURNAL"},
		{"report --since-boot -1 DIR/journal.img", 2, nil, "kioskctl: invalid value \"-1\" for flag -since-boot"},
		{"report DIR/missing.img", 1, nil, "kioskctl: open " + filepath.Join(dir, "missing.img") + ": no such file or directory"},
		{"report DIR/zeros.img", 1, nil, "kioskctl: " + filepath.Join(dir, "zeros.img") + ": not a journal: no intact header or record"},
		{"report DIR/tiny.img", 1, nil, "a journal needs at least 3072 bytes; the device has 7"},
		{"report --svg DIR/no/such/chart.svg DIR/journal.img", 1, nil, "kioskctl: write chart: open " + filepath.Join(dir, "no/such/chart.svg")},
	})
}

// TestReportRefuses feeds report what a careless or hostile user would: a
// chart path that is the journal itself (by name, by link, by hard link),
// a FIFO or a device where the journal or the chart belongs. None may
// hang, and the journal must come out unchanged.
func TestReportRefuses(t *testing.T) {
	dir := t.TempDir()
	journalPath := filepath.Join(dir, "journal.img")
	makeJournal(t, journalPath, sampleBoots())
	before, err := os.ReadFile(journalPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(journalPath, filepath.Join(dir, "link.svg")); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(journalPath, filepath.Join(dir, "hard.svg")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		runSteps(t, dir, []step{
			{"report --svg DIR/journal.img DIR/journal.img", 2, nil, "kioskctl: --svg: " + journalPath + " is the journal being read: it would be overwritten"},
			{"report --svg DIR/link.svg DIR/journal.img", 2, nil, "is the journal being read"},
			{"report --svg DIR/hard.svg DIR/journal.img", 2, nil, "is the journal being read"},
			{"report --svg DIR/fifo DIR/journal.img", 2, nil, "kioskctl: --svg: " + filepath.Join(dir, "fifo") + " is a FIFO, not a regular file"},
			{"report --svg /dev/null DIR/journal.img", 2, nil, "/dev/null is a character device, not a regular file"},
			{"report DIR/fifo", 1, nil, "kioskctl: " + filepath.Join(dir, "fifo") + " is a FIFO, not an image file or a block device"},
			{"report /dev/zero", 1, nil, "kioskctl: /dev/zero is a character device, not an image file or a block device"},
			{"report DIR", 1, nil, "is a directory, not an image file or a block device"},
		})
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("report still blocked after 30 s")
	}
	after, err := os.ReadFile(journalPath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Errorf("report changed the journal it read")
	}
}

// TestReportDamaged damages one record in the middle of the ring and
// blanks another: report must say that two records are not shown.
func TestReportDamaged(t *testing.T) {
	dir := t.TempDir()
	journalPath := filepath.Join(dir, "journal.img")
	makeJournal(t, journalPath, sampleBoots())
	data, err := os.ReadFile(journalPath)
	if err != nil {
		t.Fatal(err)
	}
	runSteps(t, dir, []step{{"report DIR/journal.img", 0, []string{"boot,seconds"}, "5 records shown of the 5 the journal holds"}})
	data[3*512+40] ^= 1       // the second record (sector 3, after the two header sectors)
	clear(data[5*512:][:512]) // the fourth
	if err := os.WriteFile(journalPath, data, 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"report", journalPath}, strings.NewReader(""), &stdout, &stderr); code != 0 {
		t.Fatalf("report = %d; want 0\nstderr: %s", code, stderr.String())
	}
	for _, want := range []string{
		"3 records shown of the 3 the journal holds",
		"WARNING: 2 records damaged (checksum wrong, torn by a power cut, or blanked) and not shown; the totals include them",
	} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("report stderr = %q; want it to contain %q", stderr.String(), want)
		}
	}
	if n := strings.Count(stdout.String(), "\n"); n != 4 {
		t.Errorf("report printed %d CSV lines; want the header and 3 records:\n%s", n, stdout.String())
	}
}
