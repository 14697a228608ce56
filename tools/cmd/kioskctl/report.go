package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"html"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"

	"flashkiosk/firmware/journal"
	"flashkiosk/firmware/regfile"
)

// reportColumns heads the CSV that report prints, one line per record.
var reportColumns = []string{"boot", "seconds", "port", "vendor", "model", "reported_bytes", "real_bytes", "library", "outcome", "write_mb_s", "verify_mb_s"}

// reportCommand prints a kiosk journal as CSV on stdout and its counters
// as one line on stderr, so that redirecting stdout gives a clean CSV
// file. It opens the journal read-only and never writes to it.
func reportCommand(ctx context.Context, in *invocation, args []string) error {
	svgPath := in.flags.String("svg", "", "also draw drives per boot and write speeds into this SVG file")
	since := in.flags.Uint("since-boot", 0, "only records of boot `N` and later (the counters stay totals over all boots)")
	pos, err := in.parse(args, 1)
	if err != nil {
		return err
	}
	f, err := regfile.OpenImage(pos[0])
	if err != nil {
		return err
	}
	defer f.Close()
	if *svgPath != "" {
		if err := checkChartPath(*svgPath, f); err != nil {
			return &usageError{msg: "--svg: " + err.Error(), usage: in.usage()}
		}
	}
	j, err := journal.OpenReadOnly(f)
	if err != nil {
		return fmt.Errorf("%s: %w", pos[0], err)
	}
	all := j.Records()
	recs := slices.DeleteFunc(slices.Clone(all), func(r journal.Record) bool { return uint(r.Boot) < *since })
	if *svgPath != "" {
		first := uint32(*since)
		if first == 0 && len(recs) > 0 {
			first = recs[0].Boot
		}
		if err := os.WriteFile(*svgPath, []byte(chart(recs, max(first, 1), j.Boot())), 0o644); err != nil {
			return fmt.Errorf("write chart: %w", err)
		}
	}

	w := csv.NewWriter(in.stdout)
	w.Write(reportColumns)
	for _, r := range recs {
		w.Write([]string{
			strconv.FormatUint(uint64(r.Boot), 10), strconv.FormatFloat(r.SinceBoot.Seconds(), 'f', 3, 64),
			cell(r.Port), cell(r.Vendor), cell(r.Model), strconv.FormatInt(r.Reported, 10), strconv.FormatInt(r.Real, 10),
			cell(r.Library), cell(r.Outcome), strconv.FormatFloat(r.WriteMBps, 'f', 1, 64), strconv.FormatFloat(r.VerifyMBps, 'f', 1, 64),
		})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	c := j.Counters()
	fmt.Fprintf(in.stderr, "%s shown of the %d the journal holds; last boot %d; totals over all boots: %d done, %d failed, %d fake, %d rejected, %s written\n",
		plural(len(recs), "record", "records"), len(all), j.Boot(), c.Done, c.Failed, c.Fake, c.Rejected, size(c.Bytes))
	if n := j.Damaged(); n > 0 {
		fmt.Fprintf(in.stderr, "WARNING: %s damaged (checksum wrong, torn by a power cut, or blanked) and not shown; the totals include them\n",
			plural(n, "record", "records"))
	}
	return nil
}

// checkChartPath refuses a chart path that would replace the journal
// being read, or that is not a file a chart can be written to (a FIFO
// would block the write, a device would be overwritten).
func checkChartPath(name string, journal *os.File) error {
	if err := regfile.Check(name, regfile.Follow); err != nil {
		return err
	}
	out, err := os.Stat(name)
	if err != nil {
		return nil // to be created
	}
	in, err := journal.Stat()
	if err != nil {
		return err
	}
	if os.SameFile(in, out) {
		return fmt.Errorf("%s is the journal being read: it would be overwritten", name)
	}
	return nil
}

// cell makes a text field safe to open in a spreadsheet: vendor and model
// come from the drive, and a donated drive could name itself
// "=HYPERLINK(…)". A leading quote keeps such a cell text.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// A group is how the chart colours a drive. Unlike journal.Counters,
// which also counts a fake drive written at its real size as fake, it
// puts every drive in one group, so that bar heights count drives.
type group int

const (
	groupDone group = iota
	groupFailed
	groupFake
	groupRejected
	groupOther
)

var groups = [...]struct{ name, colour string }{
	{"done", "#2e7d32"}, {"failed", "#c62828"}, {"fake", "#ef6c00"}, {"rejected", "#6a1b9a"}, {"cancelled or removed", "#9e9e9e"},
}

func groupOf(outcome string) group {
	switch outcome {
	case "done":
		return groupDone
	case "fake":
		return groupFake
	case "write-protected", "too-small", "rejected":
		return groupRejected
	case "cancelled", "removed", "source-removed":
		return groupOther
	}
	return groupFailed
}

// The chart's geometry: two plots of the same width, one above the other.
const (
	chartW, chartH = 900, 700
	plotX, plotW   = 80, 780
	barsY, barsH   = 110, 220 // top and height of the drives-per-boot plot
	speedY, speedH = 420, 220
)

// chart draws drives per boot as stacked bars and the write speed of each
// drive as points, as a self-contained SVG document. It shows boots first
// to last, those without drives too: a row of empty boots is a kiosk that
// kept restarting.
func chart(recs []journal.Record, first, last uint32) string {
	var s svg
	s.add(`<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="DejaVu Sans, Arial, sans-serif" font-size="12">`, chartW, chartH, chartW, chartH)
	s.add(`<rect width="%d" height="%d" fill="white"/>`, chartW, chartH)
	boots := "boot " + strconv.FormatUint(uint64(first), 10)
	if last > first {
		boots = fmt.Sprintf("boots %d to %d", first, last)
	}
	s.add(`<text x="%d" y="30" text-anchor="middle" font-size="18" font-weight="bold">Kiosk journal: %s in %s</text>`,
		chartW/2, plural(len(recs), "drive", "drives"), boots)
	for i, g := range groups {
		x := plotX + i*150
		s.add(`<rect x="%d" y="50" width="14" height="14" fill="%s"/><text x="%d" y="62">%s</text>`, x, g.colour, x+20, g.name)
	}
	bars(&s, recs, first, last)
	speeds(&s, recs)
	s.add(`</svg>`)
	return s.String()
}

// bars draws the drives of each boot from first to last, stacked by
// group.
func bars(s *svg, recs []journal.Record, first, last uint32) {
	n := 0
	if last >= first {
		n = int(last-first) + 1
	}
	counts := make([][len(groups)]int, n)
	most := 0
	for _, r := range recs {
		if r.Boot >= first && r.Boot <= last {
			c := &counts[r.Boot-first]
			c[groupOf(r.Outcome)]++
			most = max(most, sum(c[:]))
		}
	}
	s.add(`<text x="%d" y="%d" font-size="14" font-weight="bold">Drives per boot</text>`, plotX, barsY-12)
	y := s.yAxis(barsY, barsH, float64(most), true, "drives")
	slot := float64(plotW) / float64(max(n, 1))
	every := labelEvery(slot)
	for i, c := range counts {
		boot := first + uint32(i)
		x := plotX + slot*float64(i)
		top := y(0)
		for g, n := range c {
			if n == 0 {
				continue
			}
			h := y(0) - y(float64(n))
			s.add(`<rect class="bar-%s" x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>boot %d: %d %s</title></rect>`,
				strings.Fields(groups[g].name)[0], x+slot*0.15, top-h, slot*0.7, h, groups[g].colour, boot, n, groups[g].name)
			top -= h
		}
		if boot%uint32(every) == 0 || every == 1 {
			s.add(`<text x="%.1f" y="%d" text-anchor="middle">%d</text>`, x+slot/2, barsY+barsH+16, boot)
		}
	}
	s.add(`<text x="%d" y="%d" text-anchor="middle">boot</text>`, plotX+plotW/2, barsY+barsH+36)
}

// speeds draws each written drive's write speed, in journal order, with a
// dashed line where a boot begins.
func speeds(s *svg, recs []journal.Record) {
	fastest := 0.0
	for _, r := range recs {
		if !math.IsNaN(r.WriteMBps) && !math.IsInf(r.WriteMBps, 0) {
			fastest = max(fastest, r.WriteMBps)
		}
	}
	s.add(`<text x="%d" y="%d" font-size="14" font-weight="bold">Write speed per drive</text>`, plotX, speedY-12)
	y := s.yAxis(speedY, speedH, fastest, false, "MB/s")
	slot := float64(plotW) / float64(max(len(recs), 1))
	every := labelEvery(slot)
	radius := min(4, max(1.5, slot/2))
	// Past some 40 boots, their dividing lines would hide the points.
	starts := 0
	for i := range recs {
		if i == 0 || recs[i].Boot != recs[i-1].Boot {
			starts++
		}
	}
	for i, r := range recs {
		x := plotX + slot*(float64(i)+0.5)
		if starts <= 40 && (i == 0 || r.Boot != recs[i-1].Boot) {
			if i > 0 {
				s.add(`<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#bbb" stroke-dasharray="4 3"/>`, x-slot/2, speedY, x-slot/2, speedY+speedH)
			}
			drives := 1
			for i+drives < len(recs) && recs[i+drives].Boot == r.Boot {
				drives++
			}
			if float64(drives)*slot >= 50 {
				s.add(`<text x="%.1f" y="%d" font-size="10" fill="#777">boot %d</text>`, x-slot/2+4, speedY+12, r.Boot)
			}
		}
		if (i+1)%every == 0 || every == 1 {
			s.add(`<text x="%.1f" y="%d" text-anchor="middle">%d</text>`, x, speedY+speedH+16, i+1)
		}
		if r.WriteMBps > 0 && r.WriteMBps <= fastest {
			s.add(`<circle class="speed" cx="%.1f" cy="%.1f" r="%.1f" fill="%s"><title>drive %d (%s, %s %s), boot %d, %s: %.1f MB/s</title></circle>`,
				x, y(r.WriteMBps), radius, groups[groupOf(r.Outcome)].colour, i+1,
				html.EscapeString(r.Port), html.EscapeString(r.Vendor), html.EscapeString(r.Model), r.Boot, html.EscapeString(r.Outcome), r.WriteMBps)
		}
	}
	if fastest == 0 {
		s.add(`<text x="%d" y="%d" text-anchor="middle" fill="#666">no drive was written</text>`, plotX+plotW/2, speedY+speedH/2)
	}
	axis := "drive, in the order written"
	if starts > 1 && starts <= 40 {
		axis += " (dashed: a new boot)"
	}
	s.add(`<text x="%d" y="%d" text-anchor="middle">%s</text>`, plotX+plotW/2, speedY+speedH+36, axis)
}

// svg is an SVG document being written, one element a line.
type svg struct{ strings.Builder }

func (s *svg) add(format string, args ...any) {
	fmt.Fprintf(s, format, args...)
	s.WriteByte('\n')
}

// yAxis draws the frame, grid and value axis of a plot whose top is at y0
// and that shows values from 0 to at least top, and returns where a value
// goes. With whole, the ticks are whole numbers.
func (s *svg) yAxis(y0, h int, top float64, whole bool, label string) func(float64) float64 {
	step := niceStep(top / 5)
	if whole {
		step = max(step, 1)
	}
	top = step * max(1, math.Ceil(top/step))
	y := func(v float64) float64 { return float64(y0+h) - v/top*float64(h) }
	for v := 0.0; v <= top+step/2; v += step {
		s.add(`<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#e0e0e0"/><text x="%d" y="%.1f" text-anchor="end">%s</text>`,
			plotX, y(v), plotX+plotW, y(v), plotX-6, y(v)+4, strconv.FormatFloat(v, 'f', -1, 64))
	}
	s.add(`<path d="M%d %d V%d H%d" fill="none" stroke="#333"/>`, plotX, y0, y0+h, plotX+plotW)
	s.add(`<text transform="translate(%d %d) rotate(-90)" text-anchor="middle">%s</text>`, plotX-50, y0+h/2, label)
	return y
}

// niceStep rounds v up to 1, 2 or 5 times a power of ten.
func niceStep(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}

// labelEvery says every how many slots of the given width to label an
// axis, so that labels about 40 pixels wide do not overlap.
func labelEvery(slot float64) int {
	return max(1, int(niceStep(40/slot)))
}

func sum(v []int) int {
	n := 0
	for _, x := range v {
		n += x
	}
	return n
}
