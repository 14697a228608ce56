package library

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"flashkiosk/firmware/fat"
)

// byteSpace is a Space that counts only file bytes.
type byteSpace struct{ left int64 }

func (s *byteSpace) Add(path string, size int64, dir bool) (bool, error) {
	if size > s.left {
		return false, nil
	}
	s.left -= size
	return true, nil
}

// fitManifest has a small tier 1, a later file too large for most
// drives followed by smaller ones, and an empty folder.
func fitManifest(t *testing.T) *Manifest {
	return (&manifestJSON{
		Format: 1, Name: "fit", Date: "2026-11-25",
		Tiers: []Tier{{Number: 1, Paths: []string{"core"}}, {Number: 2, Paths: []string{"films"}}, {Number: 3, Paths: []string{"**"}}},
		Files: []fileDoc{
			{"core/a", 100, sha("a"), 1},
			{"films/big", 500, sha("b"), 2},
			{"films/small", 50, sha("s"), 2},
			{"extra/x", 30, sha("x"), 3},
		},
		Folders: []folderDoc{{"films/empty", 2}},
	}).parse(t)
}

func TestFit(t *testing.T) {
	tests := []struct {
		space int64
		files []string
		tiers []Count // included per tier
	}{
		{100, []string{"core/a"}, []Count{{1, 0, 100}, {0, 1, 0}, {0, 0, 0}}},
		{180, []string{"core/a", "films/small", "extra/x"}, []Count{{1, 0, 100}, {1, 1, 50}, {1, 0, 30}}},
		{650, []string{"core/a", "films/big", "films/small"}, []Count{{1, 0, 100}, {2, 1, 550}, {0, 0, 0}}},
		{680, []string{"core/a", "films/big", "films/small", "extra/x"}, []Count{{1, 0, 100}, {2, 1, 550}, {1, 0, 30}}},
	}
	m := fitManifest(t)
	for _, tt := range tests {
		sel, err := Fit(m, &byteSpace{tt.space})
		if err != nil {
			t.Fatalf("Fit(%d bytes) = %v; want a selection", tt.space, err)
		}
		var files []string
		for _, f := range sel.Files() {
			files = append(files, f.Path)
		}
		if !reflect.DeepEqual(files, tt.files) {
			t.Errorf("Fit(%d bytes) files = %q; want %q", tt.space, files, tt.files)
		}
		for i, want := range tt.tiers {
			if got := sel.Tiers[i].Included; got != want {
				t.Errorf("Fit(%d bytes) tier %d = %+v; want %+v", tt.space, i+1, got, want)
			}
		}
		if got, want := sel.Complete(), tt.space >= 680; got != want {
			t.Errorf("Fit(%d bytes).Complete() = %v; want %v", tt.space, got, want)
		}
	}
	_, err := Fit(m, &byteSpace{99})
	var small *TooSmallError
	if !errors.As(err, &small) || *small != (TooSmallError{Need: 100, Have: -1}) {
		t.Errorf("Fit(99 bytes) = %v; want *TooSmallError{Need: 100, Have: -1}", err)
	}
}

// failSpace fails every Add.
type failSpace struct{}

func (failSpace) Add(string, int64, bool) (bool, error) { return false, errors.New("full of bees") }

func TestFitPassesErrors(t *testing.T) {
	_, err := Fit(fitManifest(t), failSpace{})
	if err == nil || err.Error() != `fit "core/a": full of bees` {
		t.Errorf("Fit(failing space) = %v; want the space's error with the path", err)
	}
}

// mib builds a manifest of files with the given sizes in MiB, tier i+1
// for the i-th list.
func mib(t *testing.T, tiers ...[]int64) *Manifest {
	m := &manifestJSON{Format: 1, Name: "drives", Date: "2026-11-25"}
	for i, sizes := range tiers {
		m.Tiers = append(m.Tiers, Tier{Number: i + 1, Paths: []string{fmt.Sprintf("t%d", i+1)}})
		for j, s := range sizes {
			m.Files = append(m.Files, fileDoc{fmt.Sprintf("t%d/f%02d", i+1, j), s << 20, sha("x"), i + 1})
		}
	}
	return m.parse(t)
}

func TestFitDrive(t *testing.T) {
	m := mib(t, []int64{40, 40}, []int64{200, 10, 10}, []int64{1000})
	tests := []struct {
		disk     int64
		tooSmall bool
		included []int // files per tier
	}{
		{1 << 20, true, nil},
		{64 << 20, true, nil},
		{100 << 20, false, []int{2, 1, 0}},
		{128 << 20, false, []int{2, 2, 0}},
		{400 << 20, false, []int{2, 3, 0}},
		{2 << 30, false, []int{2, 3, 1}},
	}
	for _, tt := range tests {
		sel, err := FitDrive(m, tt.disk, 512, "")
		var small *TooSmallError
		if tt.tooSmall {
			if !errors.As(err, &small) || small.Need != 80<<20 {
				t.Errorf("FitDrive(%d) = %v; want *TooSmallError needing %d", tt.disk, err, 80<<20)
			}
			continue
		}
		if err != nil {
			t.Fatalf("FitDrive(%d) = %v; want a selection", tt.disk, err)
		}
		for i, want := range tt.included {
			if got := sel.Tiers[i].Included.Files; got != want {
				t.Errorf("FitDrive(%d) tier %d files = %d; want %d", tt.disk, i+1, got, want)
			}
		}
	}
	_, err := FitDrive(m, 64<<20, 512, "")
	if err == nil || !strings.Contains(err.Error(), "drive too small: tier 1 needs 83886080 bytes plus FAT overhead; the drive has ") {
		t.Errorf("FitDrive(64 MiB) = %v; want a too-small message", err)
	}
}

func TestSmallestDrive(t *testing.T) {
	m := mib(t, []int64{40, 40}, []int64{200, 10, 10})
	tier1 := func(*Selection) bool { return true }
	all := func(s *Selection) bool { return s.Complete() }
	for _, tt := range []struct {
		name  string
		tiers int
		want  func(*Selection) bool
	}{{"tier 1", 1, tier1}, {"everything", 2, all}} {
		size, ok, err := SmallestDrive(m, 512, "", tt.tiers)
		if err != nil || !ok {
			t.Fatalf("SmallestDrive(%s) = %d, %v, %v; want a size", tt.name, size, ok, err)
		}
		if size%(1<<20) != 0 {
			t.Errorf("SmallestDrive(%s) = %d; want a multiple of 1 MiB", tt.name, size)
		}
		if !fits(t, m, size, tt.want) || fits(t, m, size-1<<20, tt.want) {
			t.Errorf("SmallestDrive(%s) = %d; want the first size that fits", tt.name, size)
		}
	}
	everything, _, _ := SmallestDrive(m, 512, "", 2)
	if size, ok, err := SmallestDrive(m, 512, "", 3); size != everything || !ok || err != nil {
		t.Errorf("SmallestDrive(a tier more than the library has) = %d, %v, %v; want %d, as for everything", size, ok, err, everything)
	}
}

// TestSmallestDriveLargerClusters checks the case where a larger drive
// holds less: up to about 260 MiB Windows formats with 2 KiB clusters
// (4 KiB ones would be too few for FAT32 once the data region starts at
// 4 MiB), above with 4 KiB, so many tiny files take twice the room.
func TestSmallestDriveLargerClusters(t *testing.T) {
	const small = 1500
	smallDisk := int64(256 << 20)
	for ; ; smallDisk += 1 << 20 {
		g, err := fat.NewGeometry(smallDisk+1<<20, 512)
		if err != nil {
			t.Fatal(err)
		}
		if g.ClusterSize() == 4096 {
			break
		}
	}
	doc := &manifestJSON{Format: 1, Name: "clusters", Date: "2026-11-25", Tiers: []Tier{{Number: 1, Paths: []string{"**"}}}}
	g, err := fat.NewGeometry(smallDisk, 512)
	if err != nil || g.ClusterSize() != 2048 {
		t.Fatalf("NewGeometry(%d MiB) = %d-byte clusters, %v; want 2048", smallDisk>>20, g.ClusterSize(), err)
	}
	b := fat.NewBudget(g, "")
	for i := range small {
		doc.Files = append(doc.Files, fileDoc{fmt.Sprintf("s/%04d", i), 1, sha("x"), 1})
		if ok, err := b.Add(doc.Files[i].Path, 1, false); !ok || err != nil {
			t.Fatal(err)
		}
	}
	doc.Files = append([]fileDoc{{"big", b.Free() - 64<<10, sha("b"), 1}}, doc.Files...)
	m := doc.parse(t)
	all := func(s *Selection) bool { return s.Complete() }
	if !fits(t, m, smallDisk, all) || fits(t, m, smallDisk+1<<20, all) {
		t.Fatalf("test manifest does not fit on %d MiB only; fix the test", smallDisk>>20)
	}
	size, ok, err := SmallestDrive(m, 512, "", 1)
	if err != nil || !ok || size <= smallDisk+1<<20 {
		t.Fatalf("SmallestDrive() = %d, %v, %v; want above %d, from where every drive fits", size, ok, err, smallDisk+1<<20)
	}
	t.Logf("SmallestDrive() = %d MiB; %d MiB fits too", size>>20, smallDisk>>20)
	for s := size; s < size+64<<20; s += 1 << 20 {
		if !fits(t, m, s, all) {
			t.Errorf("FitDrive(%d) does not fit, above SmallestDrive() = %d", s, size)
		}
	}
	if fits(t, m, size-1<<20, all) {
		t.Errorf("FitDrive(%d) fits; want SmallestDrive() = %d to be the first", size-1<<20, size)
	}
}

func fits(t *testing.T, m *Manifest, disk int64, want func(*Selection) bool) bool {
	t.Helper()
	sel, err := FitDrive(m, disk, 512, "")
	var small *TooSmallError
	if errors.As(err, &small) {
		return false
	}
	if err != nil {
		t.Fatalf("FitDrive(%d) = %v", disk, err)
	}
	return want(sel)
}
