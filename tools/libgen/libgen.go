// Package libgen writes the source folder of a content library shaped like
// the ones the kiosk exists for: an offline encyclopedia of many small
// HTML files, most with Korean names, in folders of about 200, beside a
// few large films. The same seed gives the same folder, byte for byte, so
// benchmarks and tests can make one of any size without checking it in.
// It is test equipment: nothing in the appliance uses it.
package libgen

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// Spec is what Generate writes.
type Spec struct {
	Files     int   // small HTML files, 300 to 3,800 bytes each
	PerFolder int   // small files per folder; 200 if 0
	Films     int   // large files under films/
	FilmBytes int64 // bytes of each film
	Seed      uint64
}

// Summary is what Generate wrote.
type Summary struct {
	Files   int   // files in all, films included
	Folders int   // folders holding files
	Bytes   int64 // bytes in all files
	Paths   int64 // bytes of all slash paths, relative to the folder
}

// The tiers.toml: the encyclopedia in tier 1, the films, if any, in tier 2.
const (
	wikiTier = "[[tier]]\nname = \"wiki\"\npaths = [\"index.html\", \"wiki/**\"]\n"
	filmTier = "\n[[tier]]\nname = \"films\"\npaths = [\"films\"]\n"
)

// Generate writes the files of spec into dir, which must not exist or be
// empty, with a tiers.toml.
func Generate(dir string, spec Spec) (Summary, error) {
	var sum Summary
	if spec.PerFolder <= 0 {
		spec.PerFolder = 200
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return sum, err
	}
	tiers := wikiTier
	if spec.Films > 0 {
		tiers += filmTier
	}
	if err := os.WriteFile(filepath.Join(dir, "tiers.toml"), []byte(tiers), 0o644); err != nil {
		return sum, err
	}
	g := &gen{rng: rand.New(rand.NewPCG(spec.Seed, 0x6b696f736b)), dir: dir, sum: &sum}
	if err := g.file("index.html", g.html(1200)); err != nil {
		return sum, err
	}
	folders := (spec.Files + spec.PerFolder - 1) / spec.PerFolder
	left := spec.Files - 1 // index.html is one
	for d := 0; d < folders && left > 0; d++ {
		folder := "wiki/" + g.folderName(d)
		n := min(left, spec.PerFolder)
		if d == 0 {
			n = min(left, spec.PerFolder-1)
		}
		names := map[string]bool{}
		for range n {
			name := g.articleName()
			for names[strings.ToLower(name)] {
				name = g.articleName()
			}
			names[strings.ToLower(name)] = true
			if err := g.file(folder+"/"+name, g.html(300+g.rng.IntN(3501))); err != nil {
				return sum, err
			}
		}
		left -= n
		sum.Folders++
	}
	for i := range spec.Films {
		if err := g.film(fmt.Sprintf("films/film %02d.mp4", i+1), spec.FilmBytes); err != nil {
			return sum, err
		}
	}
	if spec.Films > 0 {
		sum.Folders++
	}
	return sum, nil
}

type gen struct {
	rng *rand.Rand
	dir string
	sum *Summary
	buf []byte
}

// syllable is a random Hangul syllable among the common ones.
func (g *gen) syllable() string {
	const initials, medials = 19, 21
	r := rune(0xAC00 + (g.rng.IntN(initials)*medials+g.rng.IntN(medials))*28)
	if g.rng.IntN(3) == 0 {
		r += rune(1 + g.rng.IntN(27)) // a final consonant
	}
	return string(r)
}

func (g *gen) hangul(lo, hi int) string {
	var b strings.Builder
	for range lo + g.rng.IntN(hi-lo+1) {
		b.WriteString(g.syllable())
	}
	return b.String()
}

var latin = []string{"history", "of", "the", "river", "station", "university", "national", "park", "list", "people", "war", "museum", "song", "Seoul", "Busan", "film", "church", "school", "line", "island"}

// folderName names the d-th folder: a Hangul prefix as Kiwix groups
// articles, made unique by its number.
func (g *gen) folderName(d int) string {
	return fmt.Sprintf("%s %04d", g.hangul(1, 2), d)
}

// articleName is a title as Korean Wikipedia has them: mostly Hangul, some
// with a disambiguation in brackets, some Latin, with a .html extension.
func (g *gen) articleName() string {
	var t string
	switch k := g.rng.IntN(10); {
	case k < 6:
		t = g.hangul(2, 8)
	case k < 8:
		t = g.hangul(2, 5) + " " + g.hangul(2, 6)
		if g.rng.IntN(2) == 0 {
			t += " (" + g.hangul(2, 4) + ")"
		}
	default:
		words := 1 + g.rng.IntN(4)
		parts := make([]string, words)
		for i := range parts {
			parts[i] = latin[g.rng.IntN(len(latin))]
		}
		parts[0] = strings.ToUpper(parts[0][:1]) + parts[0][1:]
		t = strings.Join(parts, " ")
	}
	return t + ".html"
}

// html makes an HTML-like page of n bytes.
func (g *gen) html(n int) []byte {
	b := g.buf[:0]
	b = append(b, "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>"...)
	b = append(b, g.hangul(2, 6)...)
	b = append(b, "</title></head><body><p>"...)
	for len(b) < n {
		if g.rng.IntN(12) == 0 {
			b = append(b, "</p>\n<p>"...)
		}
		b = append(b, g.hangul(1, 4)...)
		b = append(b, ' ')
	}
	b = b[:n]
	for !utf8.Valid(b) { // a syllable cut by the end
		b = b[:len(b)-1]
	}
	for len(b) < n {
		b = append(b, '\n')
	}
	g.buf = b
	return b
}

// file writes data at the slash path p.
func (g *gen) file(p string, data []byte) error {
	name := filepath.Join(g.dir, filepath.FromSlash(p))
	if err := os.WriteFile(name, data, 0o644); err != nil {
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(name, data, 0o644); err != nil {
			return err
		}
	}
	g.sum.Files++
	g.sum.Bytes += int64(len(data))
	g.sum.Paths += int64(len(p))
	return nil
}

// film writes size bytes that do not compress, as a film's.
func (g *gen) film(p string, size int64) error {
	name := filepath.Join(g.dir, filepath.FromSlash(p))
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return err
	}
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	var word [8]byte
	for left := size; left > 0; left -= 8 {
		v := g.rng.Uint64()
		for i := range word {
			word[i] = byte(v >> (8 * i))
		}
		w.Write(word[:min(8, left)])
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	g.sum.Files++
	g.sum.Bytes += size
	g.sum.Paths += int64(len(p))
	return nil
}
