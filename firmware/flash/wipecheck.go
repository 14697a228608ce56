package flash

import (
	"context"
	"fmt"
	"io"

	"flashkiosk/firmware/fat"
)

// WipeReport says whether the bytes of a drive that no file or folder of
// its volume uses hold only what the writer puts there: the wipe fill in
// free clusters and after the last cluster, zeros between the partition
// table and the volume and after the end of each file in its last
// cluster.
type WipeReport struct {
	Wipe      Wipe
	Checked   int64    // bytes read and judged
	Unjudged  int64    // bytes of random fill in runs too short to judge (under 4 KiB)
	Bad       []string // the first maxBadRuns runs that do not hold what they should, with why
	BadRuns   int      // all such runs
	BadBytes  int64
	FreeBytes int64 // of those checked, the bytes of free space (free clusters and after the last)
}

// OK reports whether every byte checked holds what it should.
func (r *WipeReport) OK() bool { return r.BadRuns == 0 }

// maxBadRuns caps the runs a WipeReport lists; it counts them all.
const maxBadRuns = 20

// Random fill is judged per block of up to judgeBlock bytes with a
// chi-square test of its byte counts against the uniform distribution,
// which 255 degrees of freedom give a mean of 255 and a deviation of
// 22.6: ChaCha20's output stays far below the limit (a false alarm is
// rarer than one in 10^20), while text, code, zeros and most media files
// exceed it by orders of magnitude in a block. Encrypted or well
// compressed data can pass: the test shows that the fill reached a block,
// not that a block never held such data.
const (
	judgeBlock  = 1 << 20
	judgeMin    = 4 << 10
	chiSquareAt = 600.0
)

// CheckWipe reads every byte of the drive r (of size bytes) that its
// FAT32 volume does not use and checks that it holds the fill of wipe, or
// zeros where the writer writes zeros. An unreadable volume is an error;
// bytes that differ are in the report.
func CheckWipe(ctx context.Context, r io.ReaderAt, size int64, wipe Wipe) (*WipeReport, error) {
	v, err := fat.OpenVolume(r, size)
	if err != nil {
		return nil, err
	}
	c := &wipeChecker{ctx: ctx, r: r, rep: &WipeReport{Wipe: wipe}, buf: make([]byte, judgeBlock)}
	if err := c.check(512, v.Start(), false, "between the partition table and the volume"); err != nil {
		return nil, err
	}
	if err := v.EachFree(func(e fat.Extent) error {
		n := int64(e.Count) * v.ClusterSize()
		c.rep.FreeBytes += n
		return c.check(e.Offset, e.Offset+n, wipe == WipeRandom, fmt.Sprintf("free clusters %d-%d", e.Cluster, e.Cluster+e.Count-1))
	}); err != nil {
		return nil, fmt.Errorf("free clusters: %w", err)
	}
	c.rep.FreeBytes += max(0, size-v.ClustersEnd())
	if err := c.check(v.ClustersEnd(), size, wipe == WipeRandom, "after the volume's last cluster"); err != nil {
		return nil, err
	}
	err = v.Walk(func(p string, d *fat.WalkEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		exts, err := d.Extents()
		if err != nil || len(exts) == 0 {
			return err
		}
		last := exts[len(exts)-1]
		end := last.Offset + int64(last.Count)*v.ClusterSize()
		slack := (v.ClusterSize() - info.Size()%v.ClusterSize()) % v.ClusterSize()
		return c.check(end-slack, end, false, "after the end of "+p)
	})
	if err != nil {
		return nil, fmt.Errorf("file slack: %w", err)
	}
	return c.rep, nil
}

// wipeChecker reads runs of a drive and judges them.
type wipeChecker struct {
	ctx context.Context
	r   io.ReaderAt
	rep *WipeReport
	buf []byte
}

// check judges the bytes [from, to): random fill if random, else zeros.
func (c *wipeChecker) check(from, to int64, random bool, what string) error {
	badFrom, badWhy := int64(-1), ""
	endBad := func(at int64) {
		if badFrom < 0 {
			return
		}
		c.rep.BadRuns++
		c.rep.BadBytes += at - badFrom
		if len(c.rep.Bad) < maxBadRuns {
			c.rep.Bad = append(c.rep.Bad, fmt.Sprintf("%s at %d (%s): %s", Bytes(at-badFrom), badFrom, what, badWhy))
		}
		badFrom = -1
	}
	for at := from; at < to; {
		if err := c.ctx.Err(); err != nil {
			return err
		}
		// Blocks at whole multiples of judgeBlock on the drive, so that a
		// bad run is reported where it lies, whatever run it is in.
		b := c.buf[:min(judgeBlock-at%judgeBlock, to-at)]
		if n, err := c.r.ReadAt(b, at); n < len(b) {
			return fmt.Errorf("read %d bytes at %d: %w", len(b), at, err)
		}
		why := ""
		switch {
		case !random:
			if !isZeros(b) {
				why = "not zeros"
			}
		case len(b) < judgeMin:
			c.rep.Unjudged += int64(len(b))
		case isZeros(b):
			why = "zeros, not the random fill"
		case chiSquare(b) > chiSquareAt:
			why = "not random fill (it looks like data)"
		}
		if why != "" && badFrom >= 0 && why != badWhy {
			endBad(at)
		}
		if why != "" && badFrom < 0 {
			badFrom, badWhy = at, why
		}
		if why == "" {
			endBad(at)
		}
		c.rep.Checked += int64(len(b))
		at += int64(len(b))
	}
	endBad(to)
	return nil
}

// chiSquare is the chi-square statistic of b's byte counts against the
// uniform distribution.
func chiSquare(b []byte) float64 {
	var counts [256]int
	for _, x := range b {
		counts[x]++
	}
	want := float64(len(b)) / 256
	sum := 0.0
	for _, n := range counts {
		d := float64(n) - want
		sum += d * d / want
	}
	return sum
}

func isZeros(b []byte) bool {
	for _, x := range b {
		if x != 0 {
			return false
		}
	}
	return true
}
