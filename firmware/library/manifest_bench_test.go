package library

import (
	"fmt"
	"testing"
)

// BenchmarkParseManifest parses the manifest of a library of 100,000
// files (18 MB), and times apart the checks that encoding/json does not
// make (UTF-8, keys, surrogates), which must stay a small part of it.
func BenchmarkParseManifest(b *testing.B) {
	m := &manifestJSON{Format: FormatVersion, Name: "big", Date: "2026-11-25", Tiers: []Tier{{Number: 1, Paths: []string{"**"}}}}
	for i := range 100000 {
		m.Files = append(m.Files, fileDoc{Path: fmt.Sprintf("wiki/d%03d/article-%06d.html", i/1000, i), Size: int64(i), SHA256: sha(fmt.Sprint(i)), Tier: 1})
	}
	data := m.marshal(b)
	b.Run("ParseManifest", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			if _, err := ParseManifest(data); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("checkStrict", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			if checkStrict(data) != nil {
				b.Fatal("refused")
			}
		}
	})
}
