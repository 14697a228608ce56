package journal

import (
	"bytes"
	"math/rand/v2"
	"reflect"
	"testing"
)

// step is one thing the kiosk does to its journal: open it (a boot) or
// append a record.
type step struct {
	open bool
	rec  Record
}

// cut describes the write a power cut interrupts, as the kiosk saw it.
type cut struct {
	w         write1
	committed []Record // appended before this write began, Append returned nil
	lastBoot  uint32   // the boot the last completed Open started
	header    bool     // this write is Open's header; else it is rec's
	rec       Record
}

// TestPowerCut runs a scenario of several boots in which the ring wraps
// several times, logs every write, then cuts the power at every write and
// every byte of it: for each write, the states where it landed not at
// all, a prefix of it (old bytes after), a suffix (old bytes before), all
// of it, or the sector became garbage. After each cut the journal must
// open without error, hold exactly the committed records the ring can hold
// (the oldest may be gone when the cut write was replacing it; the one
// being written may be there if it fully landed), count exactly those
// records (and the one being written only if it landed), start a later
// boot, and take a new record.
func TestPowerCut(t *testing.T) {
	const slots = 8
	var scenario []step
	n := 0
	for _, appends := range []int{7, 12, 0, 10, 3, 9} {
		scenario = append(scenario, step{open: true})
		for range appends {
			scenario = append(scenario, step{rec: testRecord(n)})
			n++
		}
	}
	rng := rand.New(rand.NewPCG(5, 5))
	garbage := image(headerSectors + slots)
	for i := range garbage {
		garbage[i] = byte(rng.Uint32())
	}
	for _, start := range []struct {
		name  string
		image []byte
	}{{"zeros", image(headerSectors + slots)}, {"garbage", garbage}} {
		t.Run(start.name, func(t *testing.T) {
			cuts := runScenario(t, start.image, scenario)
			states := 0
			base := append([]byte(nil), start.image...)
			for i, c := range cuts {
				for _, torn := range tornSectors(c.w, rng) {
					states++
					state := append([]byte(nil), base...)
					copy(state[c.w.off:], torn)
					checkCut(t, i, c, state, torn, slots)
					if t.Failed() {
						t.Fatalf("stopped at the first failing cut (write %d, %d states checked)", i, states)
					}
				}
				copy(base[c.w.off:], c.w.new)
			}
			t.Logf("%d writes, %d power-cut states checked", len(cuts), states)
		})
	}
}

// runScenario runs the steps on a logging device and returns one cut per
// write, checking on the way that every write is one aligned sector,
// synced before the next, that never overwrites a record the ring still
// holds.
func runScenario(t *testing.T, start []byte, scenario []step) []cut {
	t.Helper()
	dev := newMemDevice(start)
	var (
		j         *Journal
		committed []Record
		lastBoot  uint32
		cuts      []cut
	)
	for _, s := range scenario {
		before := len(dev.writes)
		c := cut{committed: committed, lastBoot: lastBoot, header: s.open, rec: s.rec}
		if s.open {
			if j != nil {
				if err := j.Close(); err != nil {
					t.Fatalf("Close() = %v; want nil", err)
				}
			}
			var err error
			if j, err = Open(dev); err != nil {
				t.Fatalf("Open() = %v; want nil", err)
			}
			lastBoot = j.Boot()
		} else {
			if err := j.Append(s.rec); err != nil {
				t.Fatalf("Append(%v) = %v; want nil", s.rec, err)
			}
			c.rec.Boot = lastBoot
			committed = append(committed[:len(committed):len(committed)], c.rec)
		}
		if got := len(dev.writes) - before; got != 1 {
			t.Fatalf("step %+v made %d writes; want 1", s, got)
		}
		c.w = dev.writes[before]
		if c.w.off%sectorSize != 0 || len(c.w.new) != sectorSize || c.w.unsynced != 0 {
			t.Fatalf("write of %d bytes at %d after %d unsynced writes; want one sector, aligned, after a Sync", len(c.w.new), c.w.off, c.w.unsynced)
		}
		if !s.open {
			seq := uint64(len(committed) - 1)
			if version(c.w.prev, recordMagic) != 0 {
				if old, ok := decodeEntry(c.w.prev); ok && seq-old.seq < uint64(old.slots) {
					t.Fatalf("record %d overwrote record %d, which the ring still holds", seq, old.seq)
				}
			}
		}
		cuts = append(cuts, c)
	}
	if err := j.Close(); err != nil {
		t.Fatalf("Close() = %v; want nil", err)
	}
	return cuts
}

// tornSectors returns every state a power cut can leave w's sector in.
func tornSectors(w write1, rng *rand.Rand) [][]byte {
	var states [][]byte
	for p := 0; p <= len(w.new); p++ {
		states = append(states, append(append([]byte(nil), w.new[:p]...), w.prev[p:]...))
		if p > 0 && p < len(w.new) {
			states = append(states, append(append([]byte(nil), w.prev[:p]...), w.new[p:]...))
		}
	}
	junk := make([]byte, len(w.new))
	for i := range junk {
		junk[i] = byte(rng.Uint32())
	}
	return append(states, junk)
}

// checkCut opens the state a power cut during cuts[i] left and checks it.
func checkCut(t *testing.T, i int, c cut, state, torn []byte, slots int) {
	t.Helper()
	landed := bytes.Equal(torn, c.w.new)
	k := len(c.committed) // the number the record being written has
	var want []Record
	wantBoot := c.lastBoot + 1
	switch {
	case c.header:
		want = c.committed[max(0, k-slots):]
		if landed {
			wantBoot++
		}
	default:
		want = c.committed[max(0, k-slots+1):]
		if k >= slots && bytes.Equal(torn, c.w.prev) {
			want = c.committed[k-slots:]
		}
		if landed {
			want = append(want[:len(want):len(want)], c.rec)
		}
	}
	counted := c.committed
	if landed && !c.header {
		counted = append(counted[:k:k], c.rec)
	}

	dev := newMemDevice(state)
	j, err := Open(dev)
	if err != nil {
		t.Errorf("cut in write %d (%d bytes as written): Open() = %v; want nil", i, countSame(torn, c.w.new), err)
		return
	}
	if got := j.Records(); !reflect.DeepEqual(got, want) && len(got)+len(want) > 0 {
		t.Errorf("cut in write %d: Records() = %d records %v; want %d records %v", i, len(got), got, len(want), want)
	}
	if got, want := j.Counters(), tally(counted); got != want {
		t.Errorf("cut in write %d: Counters() = %+v; want %+v", i, got, want)
	}
	if got := j.Boot(); got != wantBoot {
		t.Errorf("cut in write %d: Boot() = %d; want %d", i, got, wantBoot)
	}
	next := testRecord(1000)
	if err := j.Append(next); err != nil {
		t.Errorf("cut in write %d: Append() after reopening = %v; want nil", i, err)
		return
	}
	ro, err := OpenReadOnly(newMemDevice(dev.data))
	if err != nil {
		t.Errorf("cut in write %d: OpenReadOnly() after an Append = %v; want nil", i, err)
		return
	}
	recs := ro.Records()
	next.Boot = wantBoot
	if len(recs) == 0 || recs[len(recs)-1] != next {
		t.Errorf("cut in write %d: Records() after Append(%v) = %v; want it last", i, next, recs)
	}
	if got, want := ro.Counters(), j.Counters(); got != want {
		t.Errorf("cut in write %d: Counters() read back = %+v; want %+v", i, got, want)
	}
}

// countSame counts the bytes a and b have in common at the same offsets.
func countSame(a, b []byte) int {
	n := 0
	for i := range a {
		if a[i] == b[i] {
			n++
		}
	}
	return n
}
