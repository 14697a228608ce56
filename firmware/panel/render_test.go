package panel

import (
	"flag"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"flashkiosk/firmware/drive"
	"flashkiosk/firmware/flash"
	"flashkiosk/hal"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from Render's output")

const gb = 1_000_000_000

var sandisk = DriveInfo{Vendor: "SanDisk", Model: "Cruzer Blade", Size: 64 * gb, Tiers: "T1+T2 12/40"}

// samsung is a master drive, an SSD on USB.
var samsung = DriveInfo{Vendor: "Samsung", Model: "PSSD T7", Size: 500 * gb}

// cardLib and masterLib are the card's library and a newer one on a
// master drive in port 2.
var (
	cardLib   = Library{Name: "Library 2026 spring", Date: "2026-05-01", Size: 14_200_000_000, Signature: SigValid}
	masterLib = Library{Name: "Library 2026 autumn", Date: "2026-11-01", Size: 31_200_000_000, Signature: SigValid, Port: "2"}
)

// ports returns four slots named 1 to 4 with the given statuses filled in
// from first on.
func ports(first ...Slot) []Slot {
	s := []Slot{{Port: "1"}, {Port: "2"}, {Port: "3"}, {Port: "4"}}
	for i, sl := range first {
		sl.Port = s[i].Port
		s[i] = sl
	}
	return s
}

// slotCases is one slot in every status and outcome.
var slotCases = map[string]Slot{
	"empty":       {Status: Empty},
	"ready":       {Status: Ready, Drive: sandisk},
	"probing":     {Status: Probing, Drive: sandisk},
	"writing":     {Status: Writing, Percent: 45, MBps: 12.4, ETA: 3*time.Minute + 10*time.Second, Drive: sandisk},
	"writing-0":   {Status: Writing, Percent: 0, Drive: sandisk},
	"writing-100": {Status: Writing, Percent: 100, MBps: 9, ETA: 2 * time.Second, Drive: sandisk},
	"verifying":   {Status: Verifying, Percent: 73, MBps: 31, Drive: sandisk},
	"done":        {Status: Done, Elapsed: 7*time.Minute + 12*time.Second, Drive: sandisk},
	"removed":     {Status: Removed, Drive: sandisk},
	"fake":        {Status: Failed, Outcome: flash.Fake, Drive: DriveInfo{Vendor: "Generic", Model: "Flash Disk", Size: 64 * gb, RealSize: 8 * gb}},
	"cancelled":   {Status: Failed, Outcome: flash.Cancelled, Drive: sandisk},
	"write-prot":  {Status: Failed, Outcome: flash.ReadOnly, Drive: sandisk},
	"too-small":   {Status: Failed, Outcome: flash.TooSmall, Drive: DriveInfo{Vendor: "Kingston", Model: "DT50", Size: 512_000_000}},
	"io-error":    {Status: Failed, Outcome: flash.IOFailed, Offset: 1_234_567_890, Drive: sandisk},
	"verify-err":  {Status: Failed, Outcome: flash.VerifyMismatch, Offset: 7_800_000_000, Drive: sandisk},
	"content-err": {Status: Failed, Outcome: flash.ContentCorrupt, Drive: sandisk},
	"source-gone": {Status: Failed, Outcome: flash.SourceGone, Drive: sandisk},
	"master":      {Status: Master, Library: masterLib, InUse: true, Drive: samsung},
	"master-spare": {Status: Master, Library: Library{Name: "Library 2026 winter", Date: "2026-01-10", Size: 9_100_000_000, Signature: SigValid},
		Drive: samsung},
	"master-bad-sig":    {Status: Master, Library: Library{Signature: SigInvalid}, Drive: samsung},
	"master-untrusted":  {Status: Master, Library: Library{Signature: SigUntrusted}, Drive: samsung},
	"master-unreadable": {Status: Master, Library: Library{Signature: SigUnreadable}, Drive: samsung},
	"failed":            {Status: Failed, Outcome: flash.Failed, Drive: sandisk},
}

func init() {
	for r := drive.Reason(0); r.String() != "Reason("+itoa(int(r))+")"; r++ {
		slotCases["inel-"+strings.ReplaceAll(r.String(), " ", "-")] = Slot{Status: Ineligible, Reason: r, Drive: sandisk}
	}
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + itoa(n%10)
}

// goldenStates is every screen, and every slot status on the overview and
// the detail screen.
func goldenStates() map[string]State {
	lib := cardLib
	count := Count{Done: 128, Failed: 3, Fake: 7, Rejected: 11, Written: 2_345_000_000_000}
	mixed := ports(slotCases["done"], slotCases["fake"], slotCases["writing"], slotCases["write-prot"])
	m := map[string]State{
		"overview-mixed":   {Slots: mixed, Count: count},
		"overview-mixed-2": {Slots: ports(slotCases["io-error"], slotCases["verifying"], slotCases["removed"], slotCases["too-small"]), Count: count},
		"overview-empty":   {Slots: ports(), Library: lib},
		"overview-master": {Slots: ports(slotCases["writing"], slotCases["master"], slotCases["master-untrusted"], slotCases["ready"]),
			Library: masterLib, Count: count},
		"idle-master":       {Slots: ports(Slot{}, slotCases["master"]), Library: masterLib},
		"idle-master-spare": {Slots: ports(Slot{}, slotCases["master-spare"], slotCases["master-bad-sig"]), Library: lib},
		"idle-need-master":  {Slots: ports(slotCases["master-untrusted"]), NeedMaster: true},
		"library-master":    {Slots: ports(slotCases["writing"], slotCases["master"]), Screen: LibraryInfo, Library: masterLib},
		"overview-insert":   {Slots: ports(slotCases["ready"], slotCases["ready"]), StartOnInsert: true},
		"overview-2ports":   {Slots: ports(slotCases["writing"], slotCases["done"])[:2], Count: count},
		"overview-8ports": {Slots: append(mixed, Slot{Port: "5", Status: Ready}, Slot{Port: "6", Status: Verifying, Percent: 10},
			Slot{Port: "7"}, Slot{Port: "8", Status: Failed, Outcome: flash.IOFailed})},
		"overview-noports":    {},
		"detail-ready-insert": {Slots: ports(slotCases["ready"]), Screen: Detail, StartOnInsert: true},
		"totals":              {Slots: mixed, Screen: Totals, Count: count},
		"library":             {Slots: mixed, Screen: LibraryInfo, Library: lib},
		"library-korean":      {Slots: mixed, Screen: LibraryInfo, Library: Library{Name: "도서관 2026", Date: "2026-05-01", Signature: SigUnchecked}},
		"library-badsig":      {Slots: mixed, Screen: LibraryInfo, Library: Library{Name: "Library 2026", Date: "2026-05-01", Signature: SigInvalid}},
		"detail-bad-port":     {Slots: mixed, Screen: Detail, Port: 9},
		"fatal-config":        {Slots: mixed, Condition: BadConfig, Message: "line 12: go_pin: pin 14 is the UART"},
		"fatal-config-empty":  {Slots: mixed, Condition: BadConfig},
		"fatal-nolibrary":     {Slots: mixed, Condition: NoLibrary},
		"fatal-badsig":        {Slots: mixed, Condition: BadSignature},
		"confirm-cancel":      {Slots: mixed, Confirm: true},
		"low-power":           {Slots: mixed, LowPower: true, PowerDips: 1},
		"low-power-confirm":   {Slots: mixed, LowPower: true, Confirm: true},
		"totals-low-power":    {Slots: mixed, Screen: Totals, Count: count, PowerDips: 3},
		"shutting-down":       {Slots: mixed, Power: ShuttingDown, Confirm: true},
		"safe-to-unplug":      {Slots: mixed, Power: SafeToUnplug},
	}
	for name, sl := range slotCases {
		m["slot-"+name] = State{Slots: ports(sl, sl, sl, sl)[:1], Count: count, Library: lib}
		m["detail-"+name] = State{Slots: ports(slotCases["done"], sl), Screen: Detail, Port: 1}
	}
	return m
}

// frame draws lines in a box, with the custom glyphs shown as look-alike
// characters so that golden files read like the LCD.
func frame(lines []string, cols int) string {
	look := []rune{'·', '▏', '▎', '▍', '▌', '█', '✓', '✗'}
	var b strings.Builder
	edge := "+" + strings.Repeat("-", cols) + "+\n"
	b.WriteString(edge)
	for _, l := range lines {
		b.WriteByte('|')
		for _, r := range l {
			if slot, ok := hal.GlyphSlot(r); ok {
				r = look[slot]
			}
			b.WriteRune(r)
		}
		b.WriteString("|\n")
	}
	b.WriteString(edge)
	return b.String()
}

var sizes = [][2]int{{16, 2}, {20, 4}}

func TestRenderGolden(t *testing.T) {
	for name, s := range goldenStates() {
		t.Run(name, func(t *testing.T) {
			var b strings.Builder
			for _, sz := range sizes {
				b.WriteString(frame(Render(s, sz[0], sz[1]), sz[0]))
			}
			got := b.String()
			path := filepath.Join("testdata", name+".golden")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if got != string(want) {
				t.Errorf("Render(%s) =\n%s\nwant\n%s", name, got, want)
			}
		})
	}
}

// TestGoldenFilesUsed catches golden files left behind by renamed cases.
func TestGoldenFilesUsed(t *testing.T) {
	states := goldenStates()
	files, err := filepath.Glob(filepath.Join("testdata", "*.golden"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".golden")
		if _, ok := states[name]; !ok {
			t.Errorf("%s has no case in goldenStates", f)
		}
	}
}

// checkFits reports the first way lines break the display's rules.
func checkFits(t *testing.T, what string, lines []string, cols, rows int) {
	t.Helper()
	if len(lines) != rows {
		t.Fatalf("len(%s) = %d; want %d", what, len(lines), rows)
	}
	for i, l := range lines {
		if n := runes(l); n != cols {
			t.Fatalf("%s row %d = %q has %d runes; want %d", what, i, l, n, cols)
		}
		for _, r := range l {
			if !allowed(r) {
				t.Fatalf("%s row %d = %q holds %U; want only ROM A00 characters and glyphs", what, i, l, r)
			}
		}
	}
}

func TestRenderFits(t *testing.T) {
	for name, s := range goldenStates() {
		for _, sz := range append(sizes, [2]int{8, 1}, [2]int{40, 4}, [2]int{1, 1}, [2]int{16, 4}, [2]int{20, 2}) {
			checkFits(t, "Render("+name+")", Render(s, sz[0], sz[1]), sz[0], sz[1])
		}
	}
}

func TestRenderNoSize(t *testing.T) {
	for _, sz := range [][2]int{{0, 2}, {16, 0}, {-1, -1}} {
		if got := Render(State{}, sz[0], sz[1]); got != nil {
			t.Errorf("Render(State{}, %d, %d) = %q; want nil", sz[0], sz[1], got)
		}
	}
}

func randomText(r *rand.Rand) string {
	pool := []rune("aZ09 -_\\~\x00\x7f\u00e9\ub3c4\ue000\ue007\ue008\U0001F600")
	b := make([]rune, r.IntN(30))
	for i := range b {
		b[i] = pool[r.IntN(len(pool))]
	}
	return string(b)
}

func randomState(r *rand.Rand) State {
	s := State{
		Screen:        Screen(r.IntN(6) - 1),
		Port:          r.IntN(12) - 2,
		Condition:     Condition(r.IntN(5) - 1),
		Message:       randomText(r),
		Confirm:       r.IntN(4) == 0,
		Power:         Power(r.IntN(4) - 1),
		StartOnInsert: r.IntN(2) == 0,
		Count:         Count{Done: r.IntN(1e6), Failed: r.IntN(1e6), Fake: r.IntN(10), Rejected: r.IntN(10), Written: r.Uint64()},
		Library:       Library{Name: randomText(r), Date: randomText(r), Size: r.Uint64(), Signature: Signature(r.IntN(4) - 1)},
	}
	for i := range r.IntN(11) {
		s.Slots = append(s.Slots, Slot{
			Port:    itoa(i + 1),
			Status:  Status(r.IntN(11) - 1),
			Reason:  drive.Reason(r.IntN(13) - 1),
			Outcome: flash.Outcome(r.IntN(11) - 1),
			Percent: r.IntN(300) - 100,
			MBps:    []float64{0, -1, 12.5, 1e12, r.Float64() * 100}[r.IntN(5)],
			ETA:     time.Duration(r.Int64()) - time.Duration(r.Int64()),
			Elapsed: time.Duration(r.Int64()) - time.Duration(r.Int64()),
			Offset:  r.Uint64(),
			Drive:   DriveInfo{Vendor: randomText(r), Model: randomText(r), Size: r.Uint64(), RealSize: r.Uint64(), Tiers: randomText(r)},
		})
	}
	return s
}

func TestRenderRandomStates(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 5000 {
		s := randomState(r)
		cols, rows := 1+r.IntN(40), 1+r.IntN(4)
		checkFits(t, "Render(random state "+itoa(i)+")", Render(s, cols, rows), cols, rows)
		g, red, _ := LEDs(s, time.Duration(r.Int64()))
		if len(g) != len(s.Slots) || len(red) != len(s.Slots) {
			t.Fatalf("LEDs(random state %d) gave %d green, %d red; want %d each", i, len(g), len(red), len(s.Slots))
		}
	}
}

// FuzzRender checks that any state fits any display; the seeds run in
// go test, open-ended fuzzing with go test -fuzz FuzzRender.
func FuzzRender(f *testing.F) {
	f.Add(uint64(1), uint64(2), uint8(16), uint8(2))
	f.Add(uint64(3), uint64(4), uint8(20), uint8(4))
	f.Add(uint64(5), uint64(6), uint8(1), uint8(1))
	f.Add(uint64(7), uint64(8), uint8(40), uint8(4))
	f.Fuzz(func(t *testing.T, a, b uint64, cols, rows uint8) {
		s := randomState(rand.New(rand.NewPCG(a, b)))
		c, r := int(cols%64)+1, int(rows%8)+1
		checkFits(t, "Render(fuzzed state)", Render(s, c, r), c, r)
	})
}
