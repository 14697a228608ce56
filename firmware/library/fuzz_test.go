package library

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// FuzzOpen feeds hostile manifests to Open. It must never panic, and a
// manifest it accepts must survive Marshal and a second parse unchanged.
func FuzzOpen(f *testing.F) {
	data, err := validManifest().Marshal()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(filepath.Join(dir, ManifestFile), data, 0o644); err != nil {
			t.Fatal(err)
		}
		l, err := Open(dir)
		if err != nil {
			return
		}
		again, err := l.Manifest.Marshal()
		if err != nil {
			t.Fatalf("Marshal() of an accepted manifest = %v", err)
		}
		m, err := ParseManifest(again)
		if err != nil {
			t.Fatalf("ParseManifest(Marshal()) = %v; want no error for a manifest Open accepted", err)
		}
		if !reflect.DeepEqual(m, l.Manifest) {
			t.Fatalf("ParseManifest(Marshal()) = %+v; want %+v", m, l.Manifest)
		}
		l.Manifest.Counts()
		if _, err := FitDrive(l.Manifest, 64<<20, 512, ""); err != nil {
			var small *TooSmallError
			if !errors.As(err, &small) {
				t.Fatalf("FitDrive(accepted manifest) = %v; want a selection or *TooSmallError", err)
			}
		}
	})
}
