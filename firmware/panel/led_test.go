package panel

import (
	"fmt"
	"testing"
	"time"

	"flashkiosk/firmware/drive"
	"flashkiosk/firmware/flash"
)

const ms = time.Millisecond

func TestLEDsSlots(t *testing.T) {
	// Each pattern sampled at times that tell the three blink rates apart,
	// and at -100 ms to show negative times keep the rhythm.
	at := []time.Duration{0, 100 * ms, 200 * ms, 300 * ms, 600 * ms, 900 * ms, -100 * ms}
	const (
		off    = "0000000"
		steady = "1111111"
		slow   = "1111000" // 1 Hz: on for the first half second
		fast   = "1101100" // 4 Hz: on for the first 125 ms of each 250 ms
		mid    = "1110100" // 2 Hz: on for the first 250 ms of each 500 ms
	)
	tests := []struct {
		name       string
		slot       Slot
		green, red string
	}{
		{"empty", Slot{Status: Empty}, off, off},
		{"ready", Slot{Status: Ready}, slow, off},
		{"probing", Slot{Status: Probing}, fast, off},
		{"writing", Slot{Status: Writing, Percent: 50}, fast, off},
		{"verifying", Slot{Status: Verifying}, fast, off},
		{"done", Slot{Status: Done}, steady, off},
		{"io-error", Slot{Status: Failed, Outcome: flash.IOFailed}, off, steady},
		{"verify-err", Slot{Status: Failed, Outcome: flash.VerifyMismatch}, off, steady},
		{"content-err", Slot{Status: Failed, Outcome: flash.ContentCorrupt}, off, steady},
		{"cancelled", Slot{Status: Failed, Outcome: flash.Cancelled}, off, steady},
		{"failed", Slot{Status: Failed, Outcome: flash.Failed}, off, steady},
		{"removed", Slot{Status: Removed}, off, steady},
		{"write-prot", Slot{Status: Failed, Outcome: flash.ReadOnly}, off, mid},
		{"fake", Slot{Status: Failed, Outcome: flash.Fake}, off, mid},
		{"too-small", Slot{Status: Failed, Outcome: flash.TooSmall}, off, mid},
		{"ineligible", Slot{Status: Ineligible, Reason: drive.MasterDrive}, off, mid},
		{"ineligible-wp", Slot{Status: Ineligible, Reason: drive.WriteProtected}, off, mid},
		{"source-gone", Slot{Status: Failed, Outcome: flash.SourceGone}, off, steady},
		// A master drive is a source: green and red by turns, which no
		// target does; one that cannot be used is refused like a target.
		{"master", Slot{Status: Master, Library: Library{Signature: SigValid}}, slow, "0000111"},
		{"master-in-use", Slot{Status: Master, Library: Library{Signature: SigValid}, InUse: true}, slow, "0000111"},
		{"master-bad-sig", Slot{Status: Master, Library: Library{Signature: SigInvalid}}, off, mid},
		{"master-untrusted", Slot{Status: Master, Library: Library{Signature: SigUntrusted}}, off, mid},
		{"master-unreadable", Slot{Status: Master, Library: Library{Signature: SigUnreadable}}, off, mid},
	}
	for _, tt := range tests {
		s := State{Slots: []Slot{{Status: Done}, tt.slot}}
		var green, red []byte
		for _, d := range at {
			g, r, _ := LEDs(s, d)
			green = append(green, bit(g[1]))
			red = append(red, bit(r[1]))
			if !g[0] || r[0] {
				t.Errorf("LEDs(%s, %v) port 1 = %v, %v; want done's true, false", tt.name, d, g[0], r[0])
			}
		}
		if string(green) != tt.green || string(red) != tt.red {
			t.Errorf("LEDs(%s) at %v = green %s red %s; want green %s red %s", tt.name, at, green, red, tt.green, tt.red)
		}
	}
}

func bit(b bool) byte {
	if b {
		return '1'
	}
	return '0'
}

func TestLEDsStatus(t *testing.T) {
	at := []time.Duration{0, 50 * ms, 150 * ms, 300 * ms, 400 * ms, 1000 * ms, 2000 * ms, 2275 * ms}
	tests := []struct {
		name string
		s    State
		want string
	}{
		{"healthy", State{}, "11010011"},
		{"bad-config", State{Condition: BadConfig}, "11010111"},
		{"no-library", State{Condition: NoLibrary}, "11010111"},
		{"bad-signature", State{Condition: BadSignature}, "11010111"},
		{"confirm", State{Confirm: true}, "11010011"},
		{"healthy-no-display", State{NoDisplay: true}, "11111011"},
		{"bad-config-no-display", State{Condition: BadConfig, NoDisplay: true}, "11010111"},
		{"shutting-down", State{Power: ShuttingDown, Condition: BadConfig}, "11111111"},
		{"safe-to-unplug", State{Power: SafeToUnplug}, "00000000"},
	}
	for _, tt := range tests {
		var got []byte
		for _, d := range at {
			_, _, st := LEDs(tt.s, d)
			got = append(got, bit(st))
		}
		if string(got) != tt.want {
			t.Errorf("LEDs(%s) status at %v = %s; want %s", tt.name, at, got, tt.want)
		}
	}
}

// TestSourcePatternUnique: the port LEDs of a usable master drive follow
// a pattern no other slot shows, whatever its status, outcome or reason.
func TestSourcePatternUnique(t *testing.T) {
	pattern := func(sl Slot) string {
		var b []byte
		for d := time.Duration(0); d < 2*time.Second; d += 25 * ms {
			g, r, _ := LEDs(State{Slots: []Slot{sl}}, d)
			b = append(b, bit(g[0]), bit(r[0]), ' ')
		}
		return string(b)
	}
	source := pattern(Slot{Status: Master, Library: Library{Signature: SigValid}})
	for st := Empty; st <= Master; st++ {
		for o := flash.Done; o <= flash.Failed; o++ {
			for r := drive.OK; r.String() != fmt.Sprintf("Reason(%d)", int(r)); r++ {
				for sig := SigUnchecked; sig <= SigUnreadable; sig++ {
					sl := Slot{Status: st, Outcome: o, Reason: r, Library: Library{Signature: sig}}
					if st == Master && sig == SigValid {
						continue
					}
					if pattern(sl) == source {
						t.Fatalf("slot %+v blinks as a master drive does", sl)
					}
				}
			}
		}
	}
}

func TestLEDsShutdownPortsOff(t *testing.T) {
	slots := []Slot{{Status: Done}, {Status: Failed, Outcome: flash.IOFailed}, {Status: Writing}}
	for _, p := range []Power{ShuttingDown, SafeToUnplug} {
		for _, d := range []time.Duration{0, 100 * ms, 600 * ms} {
			g, r, _ := LEDs(State{Slots: slots, Power: p}, d)
			if fmt.Sprint(g, r) != "[false false false] [false false false]" {
				t.Errorf("LEDs(power %d, %v) = %v, %v; want all off", p, d, g, r)
			}
		}
	}
}
