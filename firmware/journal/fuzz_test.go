package journal

import (
	"bytes"
	"testing"
)

// FuzzOpen feeds device images to OpenReadOnly and Open. Neither may
// panic; every record either reports must be, byte for byte, CRC included,
// the sector its number puts it in; Open must recover what OpenReadOnly
// reads; and a journal Open accepts must take a new record that reads
// back.
func FuzzOpen(f *testing.F) {
	f.Add(journalImage(f, 4, 2, 6))
	f.Add(journalImage(f, 5, 1, 3))
	f.Add(image(6))
	f.Fuzz(func(t *testing.T, data []byte) {
		ro, roErr := OpenReadOnly(bytes.NewReader(data))
		if roErr == nil {
			checkSectors(t, "OpenReadOnly", ro, data)
			if d := ro.Damaged(); d < 0 || d > int(ro.slots) {
				t.Fatalf("OpenReadOnly().Damaged() = %d; want 0..%d, the ring's size", d, ro.slots)
			}
		}
		dev := newMemDevice(data)
		j, err := Open(dev)
		if err != nil {
			return
		}
		checkSectors(t, "Open", j, data)
		if roErr == nil {
			if !sameEntries(j.entries, ro.entries) {
				t.Fatalf("Open() recovered %d records; OpenReadOnly() read %d, or others", len(j.entries), len(ro.entries))
			}
			if j.Boot() != ro.Boot()+1 {
				t.Fatalf("Open().Boot() = %d; want %d, after OpenReadOnly().Boot()", j.Boot(), ro.Boot()+1)
			}
		}
		if err := j.Append(testRecord(1)); err != nil {
			t.Fatalf("Append() = %v; want nil", err)
		}
		again, err := OpenReadOnly(bytes.NewReader(dev.data))
		if err != nil {
			t.Fatalf("OpenReadOnly() after Append() = %v; want nil", err)
		}
		if !sameEntries(again.entries, j.entries) {
			t.Fatalf("OpenReadOnly() after Append() read %d records; want the %d Open held", len(again.entries), len(j.entries))
		}
	})
}

// checkSectors checks that every entry of j is exactly the sector of data
// that its number puts it in, and that they are in order.
func checkSectors(t *testing.T, open string, j *Journal, data []byte) {
	t.Helper()
	for i, e := range j.entries {
		at := (headerSectors + int64(e.seq%uint64(j.slots))) * sectorSize
		if e.slots != j.slots || !bytes.Equal(data[at:at+sectorSize], e.encode()) {
			t.Fatalf("%s() reported record %d, which is not what sector %d holds", open, e.seq, at/sectorSize)
		}
		if i > 0 && (e.seq <= j.entries[i-1].seq || e.seq-j.entries[0].seq >= uint64(j.slots)) {
			t.Fatalf("%s() reported record %d after %d in a ring of %d", open, e.seq, j.entries[i-1].seq, j.slots)
		}
	}
}

// sameEntries compares by encoding, which holds every field and treats
// NaN speeds as equal.
func sameEntries(a, b []entry) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i].encode(), b[i].encode()) {
			return false
		}
	}
	return true
}
