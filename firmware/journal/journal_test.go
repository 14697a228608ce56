package journal

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
)

var _ Device = (*os.File)(nil)

// journalImage returns the image of a journal of the given ring size that
// was opened in boots times and given records 0..n-1 in the last boot.
func journalImage(t testing.TB, slots, boots, n int) []byte {
	t.Helper()
	dev := newMemDevice(image(headerSectors + slots))
	for range boots {
		j, err := Open(dev)
		if err != nil {
			t.Fatalf("Open() = %v; want nil", err)
		}
		if j.Boot() == uint32(boots) {
			for i := range n {
				if err := j.Append(testRecord(i)); err != nil {
					t.Fatalf("Append(%d) = %v; want nil", i, err)
				}
			}
		}
		j.Close()
	}
	return dev.data
}

// records returns testRecord(from..to-1) as made in boot.
func records(boot uint32, from, to int) []Record {
	var recs []Record
	for i := from; i < to; i++ {
		r := testRecord(i)
		r.Boot = boot
		recs = append(recs, r)
	}
	return recs
}

func TestOpenFormats(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	garbage := image(40)
	for i := range garbage {
		garbage[i] = byte(rng.Uint32())
	}
	ones := bytes.Repeat([]byte{0xFF}, 40*sectorSize)
	torn := image(40) // a first Open cut short: half a header
	copy(torn[sectorSize:], header{boot: 1, slots: 38}.encode()[:300])
	odd := image(40)
	odd = append(odd, 1, 2, 3) // not a whole number of sectors
	tests := []struct {
		name  string
		image []byte
	}{{"zeros", image(40)}, {"garbage", garbage}, {"erased flash", ones}, {"torn header", torn}, {"odd size", odd}}
	for _, tt := range tests {
		dev := newMemDevice(tt.image)
		j, err := Open(dev)
		if err != nil {
			t.Errorf("Open(%s) = %v; want a new journal", tt.name, err)
			continue
		}
		if j.Boot() != 1 || len(j.Records()) != 0 || j.Counters() != (Counters{}) || j.slots != 38 {
			t.Errorf("Open(%s) = boot %d, %d records, %+v, ring %d; want boot 1, no records, zero counters, ring 38", tt.name, j.Boot(), len(j.Records()), j.Counters(), j.slots)
		}
		if err := j.Append(testRecord(0)); err != nil {
			t.Errorf("Open(%s).Append() = %v; want nil", tt.name, err)
		}
		ro, err := OpenReadOnly(newMemDevice(dev.data))
		if err != nil || ro.Boot() != 1 || !reflect.DeepEqual(ro.Records(), records(1, 0, 1)) {
			t.Errorf("OpenReadOnly(%s after a format and an append) = %v; want boot 1 and the record", tt.name, err)
		}
	}
}

func TestOpenRefuses(t *testing.T) {
	future := journalImage(t, 8, 1, 3)
	copy(future[sectorSize:], restamp(future[sectorSize:2*sectorSize], 2))
	futureRecord := journalImage(t, 8, 1, 3)
	r := futureRecord[(headerSectors+1)*sectorSize:][:sectorSize]
	copy(r, restamp(r, 7))
	tests := []struct {
		name  string
		image []byte
		want  error  // matched with errors.Is, when set
		text  string // in the error
	}{
		{"future header", future, ErrNewerVersion, "header version 2; this program reads version 1"},
		{"future record", futureRecord, ErrNewerVersion, "record version 7"},
		{"too small", image(headerSectors + minSlots - 1), nil, "a journal needs at least 3072 bytes; the device has 2560"},
		{"empty", nil, nil, "needs at least"},
		{"truncated", journalImage(t, 8, 2, 5)[:9*sectorSize], nil, "journal of 8 records needs 5120 bytes but its device has 4608: truncated?"},
	}
	for _, tt := range tests {
		dev := newMemDevice(tt.image)
		_, err := Open(dev)
		if err == nil || tt.want != nil && !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.text) {
			t.Errorf("Open(%s) = %v; want an error with %q", tt.name, err, tt.text)
		}
		if len(dev.writes) > 0 {
			t.Errorf("Open(%s) wrote %d sectors; want none", tt.name, len(dev.writes))
		}
	}
}

// restamp returns a copy of sector b that claims format version v.
func restamp(b []byte, v uint16) []byte {
	b = append([]byte(nil), b...)
	binary.LittleEndian.PutUint16(b[4:], v)
	binary.LittleEndian.PutUint32(b[crcAt:], crc32.Checksum(b[:crcAt], castagnoli))
	return b
}

func TestRecovery(t *testing.T) {
	full := journalImage(t, 8, 3, 20)
	noHeaders := append([]byte(nil), full...)
	clear(noHeaders[:headerSectors*sectorSize])
	oneHeader := append([]byte(nil), full...)
	clear(oneHeader[sectorSize : 2*sectorSize])
	bitrot := append([]byte(nil), full...)
	bitrot[(headerSectors+5)*sectorSize+40] ^= 1 // record 13
	torn := append([]byte(nil), full...)
	clear(torn[(headerSectors+3)*sectorSize+200 : (headerSectors+4)*sectorSize]) // record 19, the newest, half written
	blanked := append([]byte(nil), bitrot...)
	clear(blanked[(headerSectors+7)*sectorSize:][:sectorSize]) // record 15 as well
	tests := []struct {
		name         string
		img          []byte
		boot         uint32 // Open starts this boot
		want         []Record
		wantCounters Counters
		damaged      int
	}{
		{"intact", full, 4, records(3, 12, 20), tally(records(3, 0, 20)), 0},
		{"both headers lost", noHeaders, 4, records(3, 12, 20), tally(records(3, 0, 20)), 0},
		{"newest header lost", oneHeader, 4, records(3, 12, 20), tally(records(3, 0, 20)), 0},
		{"a record rotted", bitrot, 4, append(records(3, 12, 13), records(3, 14, 20)...), tally(records(3, 0, 20)), 1},
		{"the newest record torn", torn, 4, records(3, 12, 19), tally(records(3, 0, 19)), 1},
		{"a record rotted and one blanked", blanked, 4, slices.Concat(records(3, 12, 13), records(3, 14, 15), records(3, 16, 20)), tally(records(3, 0, 20)), 2},
	}
	for _, tt := range tests {
		ro, err := OpenReadOnly(bytes.NewReader(tt.img))
		if err != nil {
			t.Errorf("OpenReadOnly(%s) = %v; want nil", tt.name, err)
			continue
		}
		if !reflect.DeepEqual(ro.Records(), tt.want) || ro.Counters() != tt.wantCounters {
			t.Errorf("OpenReadOnly(%s) = %v, %+v; want %v, %+v", tt.name, ro.Records(), ro.Counters(), tt.want, tt.wantCounters)
		}
		if ro.Damaged() != tt.damaged {
			t.Errorf("OpenReadOnly(%s).Damaged() = %d; want %d", tt.name, ro.Damaged(), tt.damaged)
		}
		j, err := Open(newMemDevice(tt.img))
		if err != nil {
			t.Errorf("Open(%s) = %v; want nil", tt.name, err)
			continue
		}
		if j.Boot() != tt.boot || !reflect.DeepEqual(j.Records(), tt.want) || j.Counters() != tt.wantCounters {
			t.Errorf("Open(%s) = boot %d, %v, %+v; want boot %d, %v, %+v", tt.name, j.Boot(), j.Records(), j.Counters(), tt.boot, tt.want, tt.wantCounters)
		}
	}
}

func TestReadOnly(t *testing.T) {
	if _, err := OpenReadOnly(bytes.NewReader(image(16))); !errors.Is(err, ErrNotJournal) {
		t.Errorf("OpenReadOnly(zeros) = %v; want ErrNotJournal", err)
	}
	img := journalImage(t, 8, 2, 5)
	truncated := img[:6*sectorSize] // the header and records 0..3
	j, err := OpenReadOnly(bytes.NewReader(truncated))
	if err != nil {
		t.Fatalf("OpenReadOnly(truncated) = %v; want nil", err)
	}
	if j.Boot() != 2 || !reflect.DeepEqual(j.Records(), records(2, 0, 4)) {
		t.Errorf("OpenReadOnly(truncated) = boot %d, %v; want boot 2 and records 0..3", j.Boot(), j.Records())
	}
	if err := j.Append(testRecord(9)); err == nil || !strings.Contains(err.Error(), "read-only") {
		t.Errorf("Append() on a read-only journal = %v; want a read-only error", err)
	}
}

func TestAppend(t *testing.T) {
	dev := newMemDevice(image(headerSectors + 4))
	j, err := Open(dev)
	if err != nil {
		t.Fatal(err)
	}
	long := testRecord(1)
	long.Library = strings.Repeat("위", 70) // 210 bytes: cut to 66 characters, 198 bytes
	long.Port = "P1234567890123456789"
	dev.fail = errors.New("gone")
	if err := j.Append(long); err == nil || !strings.Contains(err.Error(), "journal record 0: write sector 2: gone") {
		t.Errorf("Append() on a failing device = %v; want the write error", err)
	}
	dev.fail = nil
	if err := j.Append(long); err != nil {
		t.Fatalf("Append() = %v; want nil", err)
	}
	want := long
	want.Boot, want.Library, want.Port = 1, strings.Repeat("위", 66), "P123456789012345"
	if got := j.Records(); !reflect.DeepEqual(got, []Record{want}) {
		t.Errorf("Records() = %+v; want %+v", got, []Record{want})
	}
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := j.Append(testRecord(i)); err != nil {
				t.Errorf("Append(%d) = %v; want nil", i, err)
			}
		}()
	}
	wg.Wait()
	if got := len(j.Records()); got != 4 {
		t.Errorf("len(Records()) after 11 appends to a ring of 4 = %d; want 4", got)
	}
	if got, want := j.Counters(), tally(append(records(1, 0, 10), want)); got != want {
		t.Errorf("Counters() = %+v; want %+v", got, want)
	}
	if err := j.Close(); err != nil {
		t.Errorf("Close() = %v; want nil", err)
	}
	if err := j.Append(testRecord(0)); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Errorf("Append() after Close() = %v; want a closed error", err)
	}
}

func TestCounters(t *testing.T) {
	const g = 1 << 30
	tests := []struct {
		outcome        string
		reported, real int64
		want           Counters
	}{
		{"done", 8 * g, 8 * g, Counters{Done: 1, Bytes: 8 * g}},
		{"done", 64 * g, 8 * g, Counters{Done: 1, Fake: 1, Bytes: 8 * g}},
		{"fake", 64 * g, 8 * g, Counters{Fake: 1}},
		{"too-small", 2 * g, 2 * g, Counters{Rejected: 1}},
		{"write-protected", 2 * g, 0, Counters{Rejected: 1}},
		{"rejected", 2 * g, 2 * g, Counters{Rejected: 1}},
		{"io-error", 8 * g, 8 * g, Counters{Failed: 1}},
		{"verify-mismatch", 8 * g, 8 * g, Counters{Failed: 1}},
		{"content-corrupt", 8 * g, 8 * g, Counters{Failed: 1}},
		{"failed", 8 * g, 8 * g, Counters{Failed: 1}},
		{"exploded", 8 * g, 8 * g, Counters{Failed: 1}},
		{"cancelled", 8 * g, 8 * g, Counters{}},
		{"removed", 8 * g, 8 * g, Counters{}},
		{"source-removed", 8 * g, 8 * g, Counters{}},
	}
	for _, tt := range tests {
		var c Counters
		c.add(Record{Outcome: tt.outcome, Reported: tt.reported, Real: tt.real})
		if c != tt.want {
			t.Errorf("add(%s, %d, %d) = %+v; want %+v", tt.outcome, tt.reported, tt.real, c, tt.want)
		}
	}
}

// TestFile runs the journal on an image file, as the kiosk runs it on its
// partition.
func TestFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.img")
	if err := os.WriteFile(path, image(64), 0o644); err != nil {
		t.Fatal(err)
	}
	for boot := 1; boot <= 2; boot++ {
		f, err := os.OpenFile(path, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		j, err := Open(f)
		if err != nil {
			t.Fatalf("Open(%s) = %v; want nil", path, err)
		}
		if err := j.Append(testRecord(boot)); err != nil {
			t.Fatalf("Append() = %v; want nil", err)
		}
		if err := j.Close(); err != nil {
			t.Fatalf("Close() = %v; want nil", err)
		}
		f.Close()
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	j, err := OpenReadOnly(f)
	if err != nil {
		t.Fatalf("OpenReadOnly(%s) = %v; want nil", path, err)
	}
	want := append(records(1, 1, 2), records(2, 2, 3)...)
	if got := j.Records(); !reflect.DeepEqual(got, want) {
		t.Errorf("Records() = %+v; want %+v", got, want)
	}
}
