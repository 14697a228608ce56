package journal

import (
	"fmt"
	"io"
	"time"
)

// memDevice is a Device in memory that logs its writes and syncs, so that
// tests can replay any prefix of them.
type memDevice struct {
	data     []byte
	writes   []write1
	unsynced int   // writes since the last Sync
	fail     error // returned by WriteAt when set
}

// write1 is one logged WriteAt: where, what, and what it overwrote.
type write1 struct {
	off       int64
	new, prev []byte
	unsynced  int // writes not yet synced before this one
}

func newMemDevice(image []byte) *memDevice {
	return &memDevice{data: append([]byte(nil), image...)}
}

func (d *memDevice) ReadAt(b []byte, off int64) (int, error) {
	if off >= int64(len(d.data)) {
		return 0, io.EOF
	}
	n := copy(b, d.data[off:])
	if n < len(b) {
		return n, io.EOF
	}
	return n, nil
}

func (d *memDevice) WriteAt(b []byte, off int64) (int, error) {
	if d.fail != nil {
		return 0, d.fail
	}
	if off < 0 || off+int64(len(b)) > int64(len(d.data)) {
		return 0, fmt.Errorf("write of %d bytes at %d: beyond the end of a %d-byte device", len(b), off, len(d.data))
	}
	end := off + int64(len(b))
	d.writes = append(d.writes, write1{off: off, new: append([]byte(nil), b...), prev: append([]byte(nil), d.data[off:end]...), unsynced: d.unsynced})
	d.unsynced++
	copy(d.data[off:], b)
	return len(b), nil
}

func (d *memDevice) Sync() error {
	d.unsynced = 0
	return nil
}

func (d *memDevice) Seek(off int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
		return off, nil
	case io.SeekEnd:
		return int64(len(d.data)) + off, nil
	}
	return 0, fmt.Errorf("memDevice: seek whence %d not supported", whence)
}

// image returns a device image of the given number of sectors.
func image(sectors int) []byte { return make([]byte, sectors*sectorSize) }

// testRecord returns a record that differs from testRecord(j) for j != i
// in every field, and whose outcome cycles through the kinds Counters
// sorts.
func testRecord(i int) Record {
	outcomes := []string{"done", "done", "fake", "io-error", "write-protected", "done", "removed", "verify-mismatch", "too-small", "cancelled", "rejected", "content-corrupt"}
	r := Record{
		SinceBoot: time.Duration(i+1) * 7 * time.Second,
		Port:      fmt.Sprintf("P%d", i%4+1),
		Vendor:    fmt.Sprintf("Vendor%d", i),
		Model:     fmt.Sprintf("Model 한국 %d", i),
		Reported:  int64(i+1) << 30,
		Real:      int64(i+1) << 30,
		Library:   "위키 2026-11",
		Outcome:   outcomes[i%len(outcomes)],
		WriteMBps: 10 + float64(i)/4, VerifyMBps: 30 + float64(i)/8,
	}
	if i%5 == 2 {
		r.Real = r.Reported / 8 // a fake, used or rejected
	}
	return r
}

// tally adds up recs as the journal counts them.
func tally(recs []Record) Counters {
	var c Counters
	for _, r := range recs {
		c.add(r)
	}
	return c
}
