package drive

import (
	"errors"
	"testing"
)

func TestReasonString(t *testing.T) {
	seen := map[string]Reason{}
	for r := OK; r < numReasons; r++ {
		s := r.String()
		if s == "" || s[0] == 'R' {
			t.Errorf("Reason(%d).String() = %q; want a word for the panel", int(r), s)
		}
		if other, dup := seen[s]; dup {
			t.Errorf("Reason(%d).String() = %q, as Reason(%d); want distinct", int(r), s, int(other))
		}
		seen[s] = r
		if b, _ := r.MarshalText(); string(b) != s {
			t.Errorf("Reason(%d).MarshalText() = %q; want %q", int(r), b, s)
		}
	}
	for _, r := range []Reason{-1, numReasons, 99} {
		if got, want := r.String(), "Reason("+itoa(int(r))+")"; got != want {
			t.Errorf("Reason(%d).String() = %q; want %q", int(r), got, want)
		}
	}
}

func itoa(n int) string {
	if n < 0 {
		return "-" + itoa(-n)
	}
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + itoa(n%10)
}

func TestEligibleCases(t *testing.T) {
	const gib = 1 << 30
	stick := Drive{Name: "sda", USB: true, Size: 16 * gib, SectorSize: 512}
	with := func(f func(*Drive)) Drive { d := stick; f(&d); return d }
	for _, tc := range []struct {
		name string
		p    Policy
		d    Drive
		f    Facts
		want Reason
	}{
		{"blank stick", Policy{}, stick, Facts{}, OK},
		{"partition", Policy{}, with(func(d *Drive) { d.Partition = true }), Facts{}, NotWholeDisk},
		{"SD card", Policy{}, with(func(d *Drive) { d.USB = false }), Facts{}, NotUSB},
		{"mounted", Policy{}, stick, Facts{InUse: true}, SystemDisk},
		{"booted from", Policy{}, stick, Facts{Boot: true}, SystemDisk},
		{"unreadable", Policy{}, stick, Facts{Err: errors.New("EIO")}, CannotCheck},
		{"master", Policy{}, stick, Facts{Library: Trusted}, MasterDrive},
		{"master of another key", Policy{}, stick, Facts{Library: Untrusted}, MasterDrive},
		{"master with a bad signature", Policy{}, stick, Facts{Library: BadSignature}, MasterDrive},
		{"empty slot", Policy{}, with(func(d *Drive) { d.Size = 0 }), Facts{}, NoMedium},
		{"write-protected", Policy{}, with(func(d *Drive) { d.ReadOnly = true }), Facts{}, WriteProtected},
		{"just too small", Policy{}, with(func(d *Drive) { d.Size = DefaultMinSize - 512 }), Facts{}, TooSmall},
		{"smallest", Policy{}, with(func(d *Drive) { d.Size = DefaultMinSize }), Facts{}, OK},
		{"largest", Policy{}, with(func(d *Drive) { d.Size = DefaultMaxSize }), Facts{}, OK},
		{"just too large", Policy{}, with(func(d *Drive) { d.Size = DefaultMaxSize + 512 }), Facts{}, TooLarge},
		{"own bounds, small", Policy{MinSize: 32 * gib, MaxSize: 64 * gib}, stick, Facts{}, TooSmall},
		{"own bounds, large", Policy{MinSize: gib, MaxSize: 8 * gib}, stick, Facts{}, TooLarge},
		{"own bounds, fits", Policy{MinSize: 16 * gib, MaxSize: 16 * gib}, stick, Facts{}, OK},
		{"bounds crossed", Policy{MinSize: 64 * gib, MaxSize: gib}, stick, Facts{}, TooSmall},
		{"master mounted", Policy{}, stick, Facts{InUse: true, Library: Trusted}, SystemDisk},
		{"master write-protected", Policy{}, with(func(d *Drive) { d.ReadOnly = true }), Facts{Library: Trusted}, MasterDrive},
		{"loop device in use", Policy{}, with(func(d *Drive) { d.USB = false }), Facts{InUse: true}, NotUSB},
	} {
		ok, got := tc.p.Eligible(tc.d, tc.f)
		if got != tc.want || ok != (tc.want == OK) {
			t.Errorf("%s: %+v.Eligible(%v, %+v) = %v, %v; want %v, %v", tc.name, tc.p, tc.d, tc.f, ok, got, tc.want == OK, tc.want)
		}
	}
}

// TestEligibleExhaustive walks every combination of the policy's inputs
// and checks the rules themselves: a drive is eligible only if every
// safety condition holds, and otherwise the reason is the first rule, in
// the documented order, that the drive breaks.
func TestEligibleExhaustive(t *testing.T) {
	p := Policy{MinSize: 1 << 30, MaxSize: 64 << 30}
	sizes := []uint64{0, 512, p.MinSize - 512, p.MinSize, 8 << 30, p.MaxSize, p.MaxSize + 512, 1 << 62}
	rules := []struct {
		r     Reason
		broke func(Drive, Facts) bool
	}{
		{NotWholeDisk, func(d Drive, f Facts) bool { return d.Partition }},
		{NotUSB, func(d Drive, f Facts) bool { return !d.USB }},
		{SystemDisk, func(d Drive, f Facts) bool { return f.InUse || f.Boot }},
		{CannotCheck, func(d Drive, f Facts) bool { return f.Err != nil }},
		{MasterDrive, func(d Drive, f Facts) bool { return f.Library != NoLibrary }},
		{NoMedium, func(d Drive, f Facts) bool { return d.Size == 0 }},
		{WriteProtected, func(d Drive, f Facts) bool { return d.ReadOnly }},
		{TooSmall, func(d Drive, f Facts) bool { return d.Size < p.MinSize }},
		{TooLarge, func(d Drive, f Facts) bool { return d.Size > p.MaxSize }},
	}
	if len(rules) != int(numReasons)-1 {
		t.Fatalf("%d rules for %d reasons; want one rule per reason but OK", len(rules), numReasons)
	}
	reached := map[Reason]int{}
	bit := func(mask, i int) bool { return mask&(1<<i) != 0 }
	for mask := 0; mask < 1<<7; mask++ {
		for _, size := range sizes {
			d := Drive{Name: "sdx", Partition: bit(mask, 0), USB: bit(mask, 1), ReadOnly: bit(mask, 2), Size: size, SectorSize: 512}
			f := Facts{InUse: bit(mask, 3), Boot: bit(mask, 4)}
			if bit(mask, 5) {
				f.Library = Trust(1 + size%3) // trusted, untrusted or badly signed by turns
			}
			if bit(mask, 6) {
				f.Err = errors.New("cannot read")
			}
			want := OK
			for _, rule := range rules {
				if rule.broke(d, f) {
					want = rule.r
					break
				}
			}
			ok, got := p.Eligible(d, f)
			if got != want || ok != (want == OK) {
				t.Errorf("Eligible(%+v, %+v) = %v, %v; want %v, %v", rawDrive(d), f, ok, got, want == OK, want)
			}
			reached[got]++
		}
	}
	for r := OK; r < numReasons; r++ {
		if reached[r] == 0 {
			t.Errorf("no combination gives %v; want every reason reachable", r)
		}
	}
}
