package library

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// allocated returns the bytes f allocates. The fuzz workers run one input
// at a time, so nothing else allocates much meanwhile.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// maxAlloc is what parsing n bytes of outside input may allocate: the
// parsers keep what they decode and a little bookkeeping per value
// (BenchmarkParseManifest: 9 bytes per byte of manifest), plus a fixed
// part (the geometry of the largest FAT volume that checkTree fits the
// manifest into).
func maxAlloc(n int) uint64 { return 64*uint64(n) + 4<<20 }

// FuzzOpen feeds hostile manifests to Open, which reads them from a file.
// It must never panic; a manifest it refuses gives a *CorruptManifestError,
// and one it accepts survives Marshal and a second parse unchanged and can
// be fitted to a drive.
func FuzzOpen(f *testing.F) {
	f.Add(validManifest().marshal(f))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(filepath.Join(dir, ManifestFile), data, 0o644); err != nil {
			t.Fatal(err)
		}
		l, err := Open(dir)
		if err != nil {
			var ce *CorruptManifestError
			if !errors.As(err, &ce) || ce.File != filepath.Join(dir, ManifestFile) {
				t.Fatalf("Open() = %v (%T); want a *CorruptManifestError naming the file", err, err)
			}
			return
		}
		checkRoundTrip(t, l.Manifest)
		l.Manifest.Counts()
		if _, err := FitDrive(l.Manifest, 64<<20, 512, ""); err != nil {
			var small *TooSmallError
			if !errors.As(err, &small) {
				t.Fatalf("FitDrive(accepted manifest) = %v; want a selection or *TooSmallError", err)
			}
		}
	})
}

// checkRoundTrip checks that an accepted manifest survives Marshal and a
// second parse unchanged.
func checkRoundTrip(t *testing.T, m *Manifest) {
	t.Helper()
	again, err := m.marshal()
	if err != nil {
		t.Fatalf("marshal() of an accepted manifest = %v", err)
	}
	back, err := ParseManifest(again)
	if err != nil {
		t.Fatalf("ParseManifest(marshal()) = %v; want no error for a manifest that was accepted", err)
	}
	if diff := sameManifest(back, m); diff != "" {
		t.Fatalf("ParseManifest(marshal()) differs: %s", diff)
	}
}

// FuzzManifest feeds a manifest and a signature file to ParseManifest and
// VerifyManifest, as a kiosk gets them off a drive. Neither may panic or
// allocate out of proportion to the input; errors are the package's types,
// in one line; an accepted manifest round-trips; a signature made over the
// bytes verifies, and does not once they change.
func FuzzManifest(f *testing.F) {
	data := validManifest().marshal(f)
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))
	pub := key.Public().(ed25519.PublicKey)
	sig, err := marshalSignature(pub, ed25519.Sign(key, data))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data, sig)
	f.Fuzz(func(t *testing.T, data, sig []byte) {
		var m *Manifest
		var err error
		if n := allocated(func() { m, err = ParseManifest(data) }); n > maxAlloc(len(data)) {
			t.Fatalf("ParseManifest(%d bytes) allocated %d bytes; want at most %d", len(data), n, maxAlloc(len(data)))
		}
		var ce *CorruptManifestError
		switch {
		case err == nil:
			checkRoundTrip(t, m)
		case !errors.As(err, &ce):
			t.Fatalf("ParseManifest() = %v (%T); want a *CorruptManifestError", err, err)
		case strings.Contains(err.Error(), "\n"):
			t.Fatalf("ParseManifest() = %q; want one line", err)
		case strings.Contains(err.Error(), "BUG"):
			t.Fatalf("ParseManifest() = %v", err)
		}

		n := allocated(func() { err = VerifyManifest(data, sig) })
		if n > maxAlloc(len(sig))+uint64(len(data)) {
			t.Fatalf("VerifyManifest(%d, %d bytes) allocated %d bytes", len(data), len(sig), n)
		}
		var bad *BadSignatureError
		if err != nil && (!errors.As(err, &bad) || strings.Contains(err.Error(), "\n")) {
			t.Fatalf("VerifyManifest() = %q (%T); want nil or a one-line *BadSignatureError", err, err)
		}
		if err == nil {
			if _, err := parseSignature(sig, SignatureFile); err != nil {
				t.Fatalf("VerifyManifest() = nil for a signature parseSignature refuses: %v", err)
			}
		}

		good, err := marshalSignature(pub, ed25519.Sign(key, data))
		if err != nil {
			t.Fatal(err)
		}
		if err := VerifyManifest(data, good, pub); err != nil {
			t.Fatalf("VerifyManifest(data, its signature) = %v; want nil", err)
		}
		changed := append(bytes.Clone(data), ' ')
		if err := VerifyManifest(changed, good, pub); !errors.As(err, &bad) {
			t.Fatalf("VerifyManifest(changed data, signature) = %v; want a *BadSignatureError", err)
		}
	})
}

// FuzzTiers feeds hostile tiers.toml files to parseTiers. It must not
// panic or allocate out of proportion; errors are *SourceError naming the
// file; accepted tiers are numbered from 1, each with valid patterns, and
// sort files without an internal error.
func FuzzTiers(f *testing.F) {
	f.Add([]byte("[[tier]]\nname = \"core\"\npaths = [\"index.html\", \"wiki/**\"]\n\n[[tier]]\nname = \"films\"\npaths = [\"films\"]\n"))
	const file = "/src/" + TiersFile
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > MaxTiersSize {
			return // readTiers refuses it unread
		}
		var tiers []Tier
		var err error
		if n := allocated(func() { tiers, err = parseTiers(data, file) }); n > maxAlloc(len(data)) {
			t.Fatalf("parseTiers(%d bytes) allocated %d bytes; want at most %d", len(data), n, maxAlloc(len(data)))
		}
		if err != nil {
			var se *SourceError
			if !errors.As(err, &se) || se.Path != file || strings.Contains(err.Error(), "BUG") {
				t.Fatalf("parseTiers() = %v (%T); want a *SourceError naming %s", err, err, file)
			}
			return
		}
		for i, tier := range tiers {
			if tier.Number != i+1 || len(tier.Paths) == 0 {
				t.Fatalf("parseTiers() tier %d = %+v; want number %d with paths", i, tier, i+1)
			}
			for _, p := range tier.Paths {
				if _, err := parsePattern(p); err != nil {
					t.Fatalf("parseTiers() accepted pattern %q: %v", p, err)
				}
			}
		}
		items := []item{{path: "index.html", size: 1}, {path: "wiki/a/b.html", size: 2}, {path: "films/x.mkv", size: 3}, {path: "empty", dir: true}}
		if _, err := assignTiers(tiers, itemSlice(items), func(i, tier int) { items[i].tier = tier }); err != nil && strings.Contains(err.Error(), "BUG") {
			t.Fatalf("assignTiers() = %v", err)
		}
	})
}
