package journal

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
)

// Device is the partition a journal lives on. *os.File satisfies it, for
// an image file and a block device alike; the size is found by seeking to
// the end because Stat reports 0 bytes for a block device.
type Device interface {
	io.ReaderAt
	io.WriterAt
	io.Seeker
	Sync() error
}

// Source is a journal to read with OpenReadOnly.
type Source interface {
	io.ReaderAt
	io.Seeker
}

var (
	// ErrNewerVersion is returned for a journal written in a format newer
	// than this program reads; it is left as it is.
	ErrNewerVersion = errors.New("journal written in a newer format")
	// ErrNotJournal is returned by OpenReadOnly when the source holds no
	// intact header and no intact record.
	ErrNotJournal = errors.New("not a journal: no intact header or record")
)

// Journal is an open journal. Its methods are safe for concurrent use.
type Journal struct {
	mu      sync.Mutex
	dev     Device // nil when opened read-only
	slots   uint32
	boot    uint32
	entries []entry // the ring's intact records, oldest first
	damaged int     // ring slots found holding a damaged record when opened
	closed  bool
}

// Open opens the journal on dev, recovering what was committed before any
// crash, and starts a new boot. A device holding no intact header and no
// intact record (all zeros, garbage, another use) is made into an empty
// journal; one that holds a journal is never reformatted, and one from a
// newer format is refused with ErrNewerVersion.
func Open(dev Device) (*Journal, error) {
	j, found, sectors, err := load(dev)
	if err != nil {
		return nil, err
	}
	ring := sectors - headerSectors
	if !found {
		j.slots = uint32(min(ring, maxSlots))
	}
	if int64(j.slots) > ring {
		return nil, fmt.Errorf("journal of %d records needs %d bytes but its device has %d: truncated? refusing to write to it",
			j.slots, (headerSectors+int64(j.slots))*sectorSize, sectors*sectorSize)
	}
	j.boot++
	h := header{boot: j.boot, slots: j.slots}
	if err := write(dev, int64(j.boot%headerSectors), h.encode()); err != nil {
		return nil, fmt.Errorf("journal header for boot %d: %w", j.boot, err)
	}
	j.dev = dev
	return j, nil
}

// OpenReadOnly reads the journal in src without writing anything. Boot
// reports the last boot the journal knows of, and Append fails. Unlike
// Open, it reads what it can of a truncated journal.
func OpenReadOnly(src Source) (*Journal, error) {
	j, found, _, err := load(src)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, ErrNotJournal
	}
	return j, nil
}

// load reads the header copies and the ring. found is false when neither
// holds anything intact; the journal then has no ring size. sectors is
// the size of src.
func load(src Source) (j *Journal, found bool, sectors int64, err error) {
	size, err := src.Seek(0, io.SeekEnd)
	if err != nil {
		return nil, false, 0, fmt.Errorf("journal size: %w", err)
	}
	sectors = size / sectorSize
	if sectors < headerSectors+minSlots {
		return nil, false, 0, fmt.Errorf("a journal needs at least %d bytes; the device has %d", (headerSectors+minSlots)*sectorSize, size)
	}
	j = &Journal{}
	var haveHeader bool
	hb := make([]byte, headerSectors*sectorSize)
	if err := read(src, hb, 0); err != nil {
		return nil, false, 0, err
	}
	for i := range headerSectors {
		b := hb[i*sectorSize:][:sectorSize]
		switch v := version(b, headerMagic); {
		case v > formatVersion:
			return nil, false, 0, fmt.Errorf("%w (header version %d; this program reads version %d)", ErrNewerVersion, v, formatVersion)
		case v == formatVersion:
			if h, ok := decodeHeader(b); ok && (!haveHeader || h.boot > j.boot) {
				j.slots, j.boot, haveHeader = h.slots, h.boot, true
			}
		}
	}

	// Without a header, look for records over the largest ring there can
	// be; each one names the ring size it was written for.
	scan := min(sectors-headerSectors, maxSlots)
	if haveHeader {
		scan = min(scan, int64(j.slots))
	}
	var intact []entry
	var marked []int64 // sectors with a record's mark that hold no intact record in its place
	buf := make([]byte, min(scan, 128)*sectorSize)
	for first := int64(0); first < scan; first += int64(len(buf) / sectorSize) {
		b := buf[:min(int64(len(buf)), (scan-first)*sectorSize)]
		if err := read(src, b, headerSectors+first); err != nil {
			return nil, false, 0, err
		}
		for i := range int64(len(b) / sectorSize) {
			s := b[i*sectorSize:][:sectorSize]
			switch v := version(s, recordMagic); {
			case v > formatVersion:
				return nil, false, 0, fmt.Errorf("%w (record version %d; this program reads version %d)", ErrNewerVersion, v, formatVersion)
			case v == formatVersion:
				// A record is only valid in the sector its number puts it
				// in, which also makes every number appear at most once.
				if e, ok := decodeEntry(s); ok && e.seq%uint64(e.slots) == uint64(first+i) {
					intact = append(intact, e)
				} else {
					marked = append(marked, first+i)
				}
			case [4]byte(s[:4]) == recordMagic:
				marked = append(marked, first+i) // its checksum does not match: torn or damaged
			}
		}
	}
	if !haveHeader {
		if len(intact) == 0 {
			return j, false, sectors, nil
		}
		newest := intact[0]
		for _, e := range intact {
			if e.seq > newest.seq {
				newest = e
			}
		}
		j.slots = newest.slots
	}
	j.entries = ring(intact, j.slots)
	j.damaged = damaged(j.entries, marked, j.slots)
	for _, e := range j.entries {
		j.boot = max(j.boot, e.rec.Boot)
	}
	return j, true, sectors, nil
}

// ring keeps the entries written for a ring of the given size that are
// among its newest, and sorts them oldest first. They are found in ring
// order, so sorting is one rotation.
func ring(intact []entry, slots uint32) []entry {
	var newest uint64
	for _, e := range intact {
		if e.slots == slots {
			newest = max(newest, e.seq)
		}
	}
	kept := make([]entry, 0, len(intact))
	wrap := 0 // entries up to the newest's sector are this lap's, the rest the last lap's
	for _, e := range intact {
		// A record older than the ring can hold survives only where the
		// one that replaced it was damaged since: it is history the ring
		// has dropped.
		if e.slots != slots || newest-e.seq >= uint64(slots) {
			continue
		}
		kept = append(kept, e)
		if e.seq%uint64(slots) <= newest%uint64(slots) {
			wrap = len(kept)
		}
	}
	return slices.Concat(kept[wrap:], kept[:wrap])
}

// damaged counts the ring slots whose record is lost to damage: those
// holding a record's mark but no intact record, and those the numbers of
// the kept entries skip (a record blanked or overwritten with something
// else).
func damaged(kept []entry, marked []int64, slots uint32) int {
	lost := map[int64]bool{}
	for _, s := range marked {
		if s < int64(slots) {
			lost[s] = true
		}
	}
	for i := 1; i < len(kept); i++ {
		for seq := kept[i-1].seq + 1; seq < kept[i].seq; seq++ {
			lost[int64(seq%uint64(slots))] = true
		}
	}
	return len(lost)
}

// Append adds r to the journal, numbered with the current boot. When it
// returns nil the record is on the medium. When the ring is full, the
// oldest record is dropped (the counters still count it). Text fields
// longer than the format holds (port 16 bytes, vendor and model 64,
// library 200, outcome 32) are cut.
func (j *Journal) Append(r Record) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	switch {
	case j.closed:
		return errors.New("journal append: the journal is closed")
	case j.dev == nil:
		return errors.New("journal append: the journal is open read-only")
	}
	e := entry{slots: j.slots, rec: r, totals: j.counters()}
	if n := len(j.entries); n > 0 {
		e.seq = j.entries[n-1].seq + 1
	}
	e.rec.Boot = j.boot
	for _, f := range e.texts() {
		*f.s = clip(*f.s, f.max)
	}
	e.totals.add(e.rec)
	if err := write(j.dev, headerSectors+int64(e.seq%uint64(j.slots)), e.encode()); err != nil {
		return fmt.Errorf("journal record %d: %w", e.seq, err)
	}
	for len(j.entries) > 0 && e.seq-j.entries[0].seq >= uint64(j.slots) {
		j.entries = j.entries[1:]
	}
	j.entries = append(j.entries, e)
	return nil
}

// Records returns the records the journal holds, oldest first.
func (j *Journal) Records() []Record {
	j.mu.Lock()
	defer j.mu.Unlock()
	recs := make([]Record, len(j.entries))
	for i, e := range j.entries {
		recs[i] = e.rec
	}
	return recs
}

// Damaged returns how many records the journal held damaged when it was
// opened (a checksum that does not match, as a power cut during a write
// or a failing card leaves it, or a record blanked between others).
// Records leaves them out; the counters of later records still count
// them.
func (j *Journal) Damaged() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.damaged
}

// Counters returns the totals over every record ever appended.
func (j *Journal) Counters() Counters {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.counters()
}

func (j *Journal) counters() Counters {
	if len(j.entries) == 0 {
		return Counters{}
	}
	return j.entries[len(j.entries)-1].totals
}

// Boot returns the number of the boot Open started, counted from 1 over
// the journal's life; for a journal opened read-only, the last boot it
// records.
func (j *Journal) Boot() uint32 {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.boot
}

// Close flushes the device and makes later Appends fail. It does not close
// the device, which belongs to the caller.
func (j *Journal) Close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return nil
	}
	j.closed = true
	if j.dev == nil {
		return nil
	}
	if err := j.dev.Sync(); err != nil {
		return fmt.Errorf("journal close: %w", err)
	}
	return nil
}

// read fills b from the sector at index sector.
func read(src io.ReaderAt, b []byte, sector int64) error {
	n, err := src.ReadAt(b, sector*sectorSize)
	if n < len(b) {
		if err == nil {
			err = io.ErrUnexpectedEOF
		}
		return fmt.Errorf("read journal sector %d: %w", sector+int64(n/sectorSize), err)
	}
	return nil
}

// write puts one sector at index sector and waits until it is on the
// medium.
func write(dev Device, sector int64, b []byte) error {
	if _, err := dev.WriteAt(b, sector*sectorSize); err != nil {
		return fmt.Errorf("write sector %d: %w", sector, err)
	}
	if err := dev.Sync(); err != nil {
		return fmt.Errorf("sync sector %d: %w", sector, err)
	}
	return nil
}
