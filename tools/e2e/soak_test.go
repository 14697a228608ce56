//go:build soak

package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"testing"

	"flashkiosk/firmware/journal"
	"flashkiosk/images"
	"flashkiosk/tools/vm"
)

// Soak parameters: rounds of one stick per port, every pullEvery-th round
// with one stick pulled mid-job, and a journal ring small enough to wrap.
const (
	soakRounds = 50
	soakPorts  = 4
	soakStick  = 36 << 20
	pullEvery  = 5
	soakSlots  = 64
)

// TestSoak plugs, writes and pulls soakRounds*soakPorts sticks in a row
// across the four ports of one kiosk (make soak; not in make test: about
// ten minutes). Every stick done must pass kioskctl check; kioskd's
// resident memory, descriptors and goroutines after the last round must
// not have grown beyond noise from those after the third; and the
// journal, made with a ring of soakSlots records, must hold exactly its
// newest soakSlots records after wrapping, with totals that count every
// job.
func TestSoak(t *testing.T) {
	f := setup(t)
	disk := t.TempDir() + "/system.img"
	w, err := SystemDisk(context.Background(), disk, f.lib, f.pub, []byte(baseConfig+"start = \"insert\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	jpart := w.Partitions[len(w.Partitions)-1]
	if jpart.Type != images.PartTypeJournal {
		t.Fatalf("the system disk's last partition is of type %#x; want the journal", jpart.Type)
	}
	if err := smallJournal(disk, jpart.Start*images.SectorSize, soakSlots); err != nil {
		t.Fatal(err)
	}
	b := bootDisk(t, f, disk)

	imgs := make([]string, soakPorts)
	for i := range imgs {
		imgs[i] = fmt.Sprintf("%s/stick%d.img", t.TempDir(), i+1)
	}
	done, pulled := 0, 0
	var first, last resourceLine
	for round := 1; round <= soakRounds; round++ {
		pull := -1 // the port index whose stick is pulled mid-job this round
		if round%pullEvery == 0 {
			pull = (round / pullEvery) % soakPorts
		}
		for i, img := range imgs {
			// A fresh, blank image each time: a stick the kiosk produced
			// holds the signed library, and the kiosk never writes a master.
			os.Remove(img)
			if err := vm.SparseImage(img, soakStick); err != nil {
				t.Fatal(err)
			}
			s := vm.Stick{Image: img, Port: strconv.Itoa(i + 1)}
			if i == pull {
				s.Throttle = 2 << 20
			}
			b.plug(fmt.Sprintf("r%dp%d", round, i+1), s)
		}
		for i := range imgs {
			p := fmt.Sprintf("P%d ", i+1)
			if i == pull {
				b.shows(p + "W")
				b.unplug(fmt.Sprintf("r%dp%d", round, i+1))
				b.shows(p + "REMOVED")
				pulled++
				continue
			}
			b.shows(p + "DONE")
		}
		b.logged("kioskd: resources after "+strconv.Itoa(round*soakPorts)+" jobs", 1)
		for i := range imgs {
			if i == pull {
				continue
			}
			b.unplug(fmt.Sprintf("r%dp%d", round, i+1))
		}
		if pull < 0 {
			b.shows("CARD ") // the idle screen: every port empty
		}
		for i := range imgs {
			if pull >= 0 && i != pull { // a pulled stick's port says REMOVED until the next
				b.shows(fmt.Sprintf("P%d empty", i+1))
			}
		}
		for i, img := range imgs {
			if i == pull {
				continue
			}
			if out, err := exec.Command(f.kioskctl, "check", "--library", f.lib, "--wipe", "zero", img).CombinedOutput(); err != nil {
				t.Errorf("round %d, port %d: kioskctl check: %v\n%s", round, i+1, err, out)
			}
			done++
		}
		_, logs := b.Console.Snapshot()
		r, err := resourcesAfter(logs, round*soakPorts)
		if err != nil {
			t.Fatal(err)
		}
		if round == 3 {
			first = r
		}
		last = r
		if round%10 == 0 {
			t.Logf("round %d: %d done, %d pulled; kioskd: %s", round, done, pulled, r.text)
		}
	}
	b.Close()

	t.Logf("after round 3: %s; after round %d: %s", first.text, soakRounds, last.text)
	if last.fds > first.fds {
		t.Errorf("open descriptors grew from %d to %d", first.fds, last.fds)
	}
	if last.goroutines > first.goroutines+2 {
		t.Errorf("goroutines grew from %d to %d", first.goroutines, last.goroutines)
	}
	if limit := first.rssKB + max(8<<10, first.rssKB/4); last.rssKB > limit {
		t.Errorf("resident memory grew from %d kB to %d kB; want at most %d kB", first.rssKB, last.rssKB, limit)
	}

	jf, err := os.Open(disk)
	if err != nil {
		t.Fatal(err)
	}
	defer jf.Close()
	j, err := journal.OpenReadOnly(section(jf, jpart.Start*images.SectorSize, jpart.Sectors*images.SectorSize))
	if err != nil {
		t.Fatal(err)
	}
	recs, c := j.Records(), j.Counters()
	t.Logf("journal: %d records held, %d damaged; totals %d done, %d failed, %d fake, %d rejected", len(recs), j.Damaged(), c.Done, c.Failed, c.Fake, c.Rejected)
	if len(recs) != soakSlots || j.Damaged() != 0 {
		t.Errorf("the journal holds %d records (%d damaged); want its ring's %d, none damaged", len(recs), j.Damaged(), soakSlots)
	}
	if c.Done != int64(done) {
		t.Errorf("the journal counts %d done; want the %d sticks done", c.Done, done)
	}
	removed := 0
	for _, r := range recs {
		if r.Outcome == "removed" {
			removed++
		}
	}
	if want := soakSlots / (pullEvery * soakPorts); removed < want-1 {
		t.Errorf("the journal's last %d records hold %d removed; want about %d", soakSlots, removed, want)
	}
}

// resourceLine is kioskd's line on what it holds after a job.
type resourceLine struct {
	text                   string
	rssKB, fds, goroutines int
}

var resourceRE = regexp.MustCompile(`kioskd: resources after (\d+) jobs: (rss (\d+) kB, (\d+) fds, (\d+) goroutines)`)

// resourcesAfter finds the line kioskd logged after job n.
func resourcesAfter(logs []string, n int) (resourceLine, error) {
	for _, l := range logs {
		m := resourceRE.FindStringSubmatch(l)
		if m == nil || m[1] != strconv.Itoa(n) {
			continue
		}
		var r resourceLine
		r.text = m[2]
		r.rssKB, _ = strconv.Atoi(m[3])
		r.fds, _ = strconv.Atoi(m[4])
		r.goroutines, _ = strconv.Atoi(m[5])
		return r, nil
	}
	return resourceLine{}, fmt.Errorf("kioskd logged no resources line after job %d", n)
}

// smallJournal makes the journal partition at off of disk a journal of
// slots records, which the kiosk then keeps.
func smallJournal(disk string, off int64, slots int64) error {
	f, err := os.OpenFile(disk, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	j, err := journal.Open(section(f, off, (2+slots)*512))
	if err != nil {
		return err
	}
	return j.Close()
}

// sectionFile is a part of a file as a journal device.
type sectionFile struct {
	f         *os.File
	off, size int64
	pos       int64
}

func section(f *os.File, off, size int64) *sectionFile {
	return &sectionFile{f: f, off: off, size: size}
}

func (s *sectionFile) ReadAt(p []byte, off int64) (int, error) {
	if off >= s.size {
		return 0, fmt.Errorf("read at %d past the section's %d bytes", off, s.size)
	}
	return s.f.ReadAt(p[:min(int64(len(p)), s.size-off)], s.off+off)
}

func (s *sectionFile) WriteAt(p []byte, off int64) (int, error) {
	if off+int64(len(p)) > s.size {
		return 0, fmt.Errorf("write at %d past the section's %d bytes", off, s.size)
	}
	return s.f.WriteAt(p, s.off+off)
}

func (s *sectionFile) Seek(off int64, whence int) (int64, error) {
	switch whence {
	case 0:
		s.pos = off
	case 1:
		s.pos += off
	case 2:
		s.pos = s.size + off
	}
	return s.pos, nil
}

func (s *sectionFile) Sync() error { return s.f.Sync() }
