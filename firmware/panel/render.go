package panel

import (
	"fmt"
	"strings"

	"flashkiosk/hal"
)

// Render returns the LCD's rows for s on a display of cols by rows
// characters: exactly rows strings of exactly cols runes each, holding only
// characters the HD44780 ROM A00 shows and the glyph runes of Glyphs. It
// returns nil when cols or rows is not positive.
func Render(s State, cols, rows int) []string {
	if cols <= 0 || rows <= 0 {
		return nil
	}
	lines := screen(s, cols, rows)
	out := make([]string, rows)
	for i := range out {
		if i < len(lines) {
			out[i] = fit(lines[i], cols)
		} else {
			out[i] = fit("", cols)
		}
	}
	return out
}

// screen picks the screen by precedence and returns its unfitted lines,
// most important first.
func screen(s State, cols, rows int) []string {
	switch s.Power {
	case ShuttingDown:
		return pick(rows, []string{"SHUTTING DOWN", "Please wait"}, []string{"SHUTTING DOWN", "", "Please wait,", "do not unplug"})
	case SafeToUnplug:
		return pick(rows, []string{"SAFE TO UNPLUG", "Power off now"}, []string{"SAFE TO UNPLUG", "", "You may switch the", "power off now"})
	}
	switch s.Condition {
	case BadConfig:
		msg := s.Message
		if msg == "" {
			msg = "see serial log"
		}
		return fatal(rows, cols, "BAD CONFIG", msg)
	case NoLibrary:
		return fatal(rows, cols, "NO LIBRARY", "Nothing written")
	case BadSignature:
		return fatal(rows, cols, "LIBRARY BAD SIG", "Nothing written")
	}
	if s.LowPower && !s.Confirm {
		return pick(rows, []string{"LOW POWER", "SUPPLY TOO WEAK"}, []string{"LOW POWER", "", "The power supply is", "too weak for sticks"})
	}
	if s.Confirm {
		return pick(rows, []string{"CANCEL ALL JOBS?", "GO=yes  INFO=no"}, []string{"CANCEL RUNNING JOBS?", "", "GO   = yes, cancel", "INFO = no, go on"})
	}
	switch s.Screen {
	case Detail:
		if s.Port >= 0 && s.Port < len(s.Slots) {
			return detail(s.Slots[s.Port], cols, s.StartOnInsert)
		}
	case Totals:
		return totals(s.Count, s.PowerDips, cols, rows)
	case LibraryInfo:
		return library(s.Library, rows)
	}
	if idle(s) {
		return idleScreen(s, cols, rows)
	}
	return overview(s, cols, rows)
}

// idle reports whether no port holds anything but master drives.
func idle(s State) bool {
	for _, sl := range s.Slots {
		if sl.Status != Empty && sl.Status != Master {
			return false
		}
	}
	return len(s.Slots) > 0
}

// idleScreen says which library the next drives get, and where it is; a
// tall display adds a master drive that is not used, if any.
func idleScreen(s State, cols, rows int) []string {
	if s.NeedMaster {
		return pick(rows, []string{"NO MASTER DRIVE", "Insert a master"}, []string{"NO MASTER DRIVE", "", "Insert a master", "drive to write from"})
	}
	l := s.Library
	head, second, from := "CARD "+l.Name, l.Date, "From the SD card"
	if l.Port != "" {
		head, second, from = "MASTER "+l.Name, l.Date+" IN P"+l.Port, "From master in P"+l.Port
	}
	if rows < 4 {
		return []string{head, second}
	}
	last := "Insert drives"
	for _, sl := range s.Slots {
		if sl.Status == Master && !sl.InUse {
			last = portLine(sl, cols, s.StartOnInsert)
			break
		}
	}
	var sz string
	if l.Size > 0 {
		sz = size(l.Size)
	}
	return []string{head, strings.TrimSpace(l.Date + " " + sz), from, last}
}

// masterDetail is the detail screen of a master drive: its library and
// whether drives get it, or why it is never used.
func masterDetail(sl Slot, cols int) []string {
	d := sl.Drive
	name := strings.TrimSpace(d.Vendor + " " + d.Model)
	l := sl.Library
	first := masterText(sl, cols)
	if l.Signature != SigValid {
		return []string{first, "P" + sl.Port + " " + masterWord(l.Signature).hint, "Never used, kept", name}
	}
	use := "Not used now"
	if sl.InUse {
		use = "Drives get this one"
	}
	second := l.Date + " P" + sl.Port
	var sz string
	if l.Size > 0 {
		sz = " " + size(l.Size)
	}
	if cols < 20 {
		return []string{first, second}
	}
	return []string{first, second + sz, use, name}
}

// pick returns short on displays of fewer than four rows, long otherwise.
func pick(rows int, short, long []string) []string {
	if rows < 4 {
		return short
	}
	return long
}

// fatal is a screen saying the kiosk cannot work and why: the message may
// take two rows on a tall display.
func fatal(rows, cols int, title, msg string) []string {
	if rows < 4 {
		return []string{title, msg}
	}
	first, rest := wrap(msg, cols)
	return []string{"KIOSK STOPPED", title, first, rest}
}

// wrap breaks s at the last space that lets the first part fit in n runes.
func wrap(s string, n int) (first, rest string) {
	r := []rune(s)
	if len(r) <= n {
		return s, ""
	}
	cut := n
	if i := strings.LastIndexByte(string(r[:n+1]), ' '); i > 0 {
		cut = len([]rune(string(r[:n+1])[:i]))
	}
	return strings.TrimSpace(string(r[:cut])), strings.TrimSpace(string(r[cut:]))
}

// overview shows every port: one row each when they fit, otherwise cells
// sharing rows. A spare last row shows the totals.
func overview(s State, cols, rows int) []string {
	n := len(s.Slots)
	if n == 0 {
		return []string{"No USB ports"}
	}
	var lines []string
	if n <= rows {
		for _, sl := range s.Slots {
			lines = append(lines, portLine(sl, cols, s.StartOnInsert))
		}
	} else {
		per := (n + rows - 1) / rows
		w := cols / per
		for i := 0; i < n; i += per {
			var b strings.Builder
			for _, sl := range s.Slots[i:min(i+per, n)] {
				b.WriteString(fit(portCell(sl, w, s.StartOnInsert), w))
			}
			lines = append(lines, b.String())
		}
	}
	if len(lines) < rows && rows >= 4 {
		for len(lines) < rows-1 {
			lines = append(lines, "")
		}
		c := s.Count
		lines = append(lines, fmt.Sprintf("Done %d  Failed %d", c.Done, c.Failed))
	}
	return lines
}

// detail is one port: its row, what to do or what went wrong, the drive's
// name, its size and the library tiers that fit.
func detail(sl Slot, cols int, insert bool) []string {
	d := sl.Drive
	name := strings.TrimSpace(d.Vendor + " " + d.Model)
	var sz string
	if d.Size > 0 {
		sz = size(d.Size)
		if d.RealSize > 0 {
			sz += " real " + size(d.RealSize)
		}
	}
	sz = strings.TrimSpace(sz + " " + d.Tiers)
	if sl.Status == Master {
		return masterDetail(sl, cols)
	}
	lines := []string{portLine(sl, cols, insert), hint(sl, insert)}
	if sl.Status != Empty {
		lines = append(lines, name, sz)
	}
	return lines
}

// totals is the Totals screen; dips, the under-voltage dips since start,
// are noted while there were any.
func totals(c Count, dips, cols, rows int) []string {
	if rows < 4 {
		errs := fmt.Sprintf("ERR%d FAKE%d REJ%d", c.Failed, c.Fake, c.Rejected)
		if dips > 0 {
			errs = spread(cols, fmt.Sprintf("E%d F%d R%d", c.Failed, c.Fake, c.Rejected), "LOWPWR")
		}
		return []string{spread(cols, fmt.Sprintf("DONE %d", c.Done), size(c.Written)), errs}
	}
	title := "TOTALS"
	if dips > 0 {
		title = spread(cols, title, fmt.Sprintf("LOW POWER %dx", dips))
	}
	return []string{
		title,
		fmt.Sprintf("Done %d  Failed %d", c.Done, c.Failed),
		fmt.Sprintf("Fake %d  Rejected %d", c.Fake, c.Rejected),
		"Written " + size(c.Written),
	}
}

func library(l Library, rows int) []string {
	name := l.Name
	if name == "" {
		name = "(no name)"
	}
	sig := map[Signature]string{SigUnchecked: "SIG?", SigValid: "SIG" + string(hal.GlyphRune(glyphCheck)), SigInvalid: "SIG" + string(hal.GlyphRune(glyphCross))}[l.Signature]
	if rows < 4 {
		return []string{name, strings.TrimSpace(l.Date + " " + sig)}
	}
	long := map[Signature]string{SigUnchecked: "Not checked yet", SigValid: "Signature OK", SigInvalid: "SIGNATURE BAD"}[l.Signature]
	var sz string
	if l.Size > 0 {
		sz = size(l.Size)
	}
	title := "LIBRARY"
	if l.Port != "" {
		title = "LIBRARY OF MASTER P" + l.Port
	}
	return []string{title, name, strings.TrimSpace(l.Date + " " + sz), long}
}

// spread puts left at the start and right at the end of a cols-wide row,
// leaving right out when both do not fit.
func spread(cols int, left, right string) string {
	gap := cols - runes(left) - runes(right)
	if gap < 1 {
		return left
	}
	return left + strings.Repeat(" ", gap) + right
}
