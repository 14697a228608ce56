package library

import (
	"fmt"
	"strings"
	"testing"
)

// TestVolume: a selection's Volume lists the chosen empty folders, then
// the chosen files, each in manifest order, with the manifest's paths and
// sizes, and maps each file back to its manifest index.
func TestVolume(t *testing.T) {
	m := fitManifest(t)
	for _, tc := range []struct {
		left int64
		want string // entries as path:size, folders as path/
	}{
		{1000, "films/empty/ core/a:100 films/big:500 films/small:50 extra/x:30"},
		{200, "films/empty/ core/a:100 films/small:50 extra/x:30"},
		{100, "films/empty/ core/a:100"},
	} {
		sel, err := Fit(m, &byteSpace{left: tc.left})
		if err != nil {
			t.Fatal(err)
		}
		v := sel.Volume()
		var got []string
		for i := range v.Len() {
			if v.Dir(i) {
				got = append(got, v.Path(i)+"/")
				continue
			}
			got = append(got, fmt.Sprintf("%s:%d", v.Path(i), v.Size(i)))
			if f := m.File(v.File(i)); f.Path != v.Path(i) || f.Size != v.Size(i) {
				t.Errorf("Volume.File(%d) = file %q of %d bytes; want %q of %d", i, f.Path, f.Size, v.Path(i), v.Size(i))
			}
		}
		if s := strings.Join(got, " "); s != tc.want {
			t.Errorf("Fit(%d bytes).Volume() = %s; want %s", tc.left, s, tc.want)
		}
	}
}

// TestVolumeFile: the k-th file of a volume is the k-th chosen file of the
// manifest, for selections dense, sparse, empty and full, whatever the
// words between chosen files.
func TestVolumeFile(t *testing.T) {
	for _, tc := range []struct {
		name  string
		n     int
		every func(i int) bool
	}{
		{"none", 1000, func(int) bool { return false }},
		{"all", 10000, func(int) bool { return true }},
		{"one", 10000, func(i int) bool { return i == 7777 }},
		{"every third", 10000, func(i int) bool { return i%3 == 0 }},
		{"a run then a gap", 20000, func(i int) bool { return i%5000 < 130 }},
		{"sparse", 100000, func(i int) bool { return i%997 == 3 }},
		{"scattered", 50000, func(i int) bool { return (i*2654435761)%7 < 3 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &Selection{m: &Manifest{}, files: newBitmap(tc.n)}
			var want []int
			for i := range tc.n {
				if tc.every(i) {
					s.files.set(i)
					want = append(want, i)
				}
			}
			v := s.Volume()
			if v.Len() != len(want) {
				t.Fatalf("Len() = %d; want %d", v.Len(), len(want))
			}
			for k, i := range want {
				if got := v.File(k); got != i {
					t.Fatalf("File(%d) = %d; want %d", k, got, i)
				}
			}
		})
	}
}
