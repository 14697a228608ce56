package panel

import (
	"fmt"
	"math"
	"strings"
	"time"

	"flashkiosk/hal"
)

// allowed reports whether the HD44780 ROM A00 shows r as itself, or r is
// one of the custom glyphs.
func allowed(r rune) bool {
	if _, ok := hal.GlyphSlot(r); ok {
		return true
	}
	return r >= 0x20 && r <= 0x7D && r != '\\'
}

// fit makes s exactly n runes: characters the display cannot show become
// '?', longer text is cut and shorter text padded with spaces.
func fit(s string, n int) string {
	if n <= 0 {
		return ""
	}
	r := make([]rune, 0, n)
	for _, c := range s {
		if len(r) == n {
			break
		}
		if !allowed(c) {
			c = '?'
		}
		r = append(r, c)
	}
	for len(r) < n {
		r = append(r, ' ')
	}
	return string(r)
}

// runes counts the runes of s.
func runes(s string) int { return len([]rune(s)) }

// size prints bytes in decimal units, as drives are labelled.
func size(b uint64) string {
	const (
		m = 1e6
		g = 1e9
		t = 1e12
	)
	f := float64(b)
	switch {
	case f < g:
		return fmt.Sprintf("%dM", int(math.Round(f/m)))
	case f < 9.95*g:
		return strings.Replace(fmt.Sprintf("%.1fG", f/g), ".0G", "G", 1)
	case f < 999.5*g:
		return fmt.Sprintf("%dG", int(math.Round(f/g)))
	default:
		return strings.Replace(fmt.Sprintf("%.1fT", f/t), ".0T", "T", 1)
	}
}

// dur prints a duration in at most two units: 45s, 7m12s, 1h05m.
func dur(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	s := int64(d.Round(time.Second) / time.Second)
	switch {
	case s < 60:
		return fmt.Sprintf("%ds", s)
	case s < 3600:
		return fmt.Sprintf("%dm%02ds", s/60, s%60)
	default:
		return fmt.Sprintf("%dh%02dm", s/3600, s%3600/60)
	}
}

// eta prints time left in one short unit: 45s, 12m, 2h.
func eta(d time.Duration) string {
	switch {
	case d <= 0:
		return ""
	case d < time.Minute:
		return fmt.Sprintf("%ds", int64(d.Round(time.Second)/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int64((d+time.Minute-1)/time.Minute))
	default:
		return fmt.Sprintf("%dh", int64((d+time.Hour-1)/time.Hour))
	}
}

func speed(mbps float64) string {
	if !(mbps > 0) || math.IsInf(mbps, 0) {
		return ""
	}
	return fmt.Sprintf("%dMB/s", int(math.Min(math.Round(mbps), 99999)))
}
