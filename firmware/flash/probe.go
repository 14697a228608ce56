package flash

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
	"math/bits"
	"slices"
)

// FakeKind is how a drive misbehaves past its real capacity.
type FakeKind int

// The kinds of drive the probe tells apart.
const (
	Genuine    FakeKind = iota // holds what it reports
	WrapAround                 // writes past the real size land on lower addresses
	Limbo                      // writes past the real size are lost
)

func (k FakeKind) String() string {
	switch k {
	case Genuine:
		return "genuine"
	case WrapAround:
		return "wrap-around"
	case Limbo:
		return "limbo"
	}
	return fmt.Sprintf("FakeKind(%d)", int(k))
}

// ProbeResult is what the capacity probe found.
type ProbeResult struct {
	Reported int64    // bytes the drive reports
	Real     int64    // bytes that keep what is written to them
	Kind     FakeKind // Genuine when Real == Reported
	Blocks   int      // probe blocks written
}

// Fake reports whether the drive holds less than it reports.
func (r ProbeResult) Fake() bool { return r.Kind != Genuine }

// blockIO is the drive as the probe uses it.
type blockIO interface {
	io.ReaderAt
	io.WriterAt
	Sync() error
	Size() int64
	Align() int
	dropCache() error
}

const (
	probeGrain = 1 << 20 // real capacity is found to this precision
	probeMagic = "FKPROBE\x01"
)

// Probe finds a drive's real capacity in seconds, in the manner of
// f3probe: it writes blocks stamped with a random salt and their own
// offset at spread positions, reads them back, and binary-searches the
// boundary between good and bad. Blocks lie on a dense 1 MiB grid below S
// and a coarse grid of step S above, so a drive whose addresses wrap at any
// multiple of 1 MiB overwrites one of them. Probe destroys data on the
// drive; the write pass that follows overwrites every block it wrote.
func Probe(ctx context.Context, dev blockIO) (ProbeResult, error) {
	p, err := newProber(dev)
	if err != nil {
		return ProbeResult{}, err
	}
	defer p.free()
	res := ProbeResult{Reported: dev.Size(), Real: dev.Size()}
	positions := p.positions()
	// Highest first: where addresses wrap, the real block written last keeps
	// its stamp and every fake position above it reads a lower one.
	for _, pos := range slices.Backward(positions) {
		if err := p.write(ctx, pos); err != nil {
			return res, err
		}
	}
	res.Blocks = len(positions)
	if err := p.flush(); err != nil {
		return res, err
	}
	firstBad, lastGood := int64(-1), int64(-1)
	for _, pos := range positions {
		ok, alias, err := p.check(ctx, pos)
		if err != nil {
			return res, err
		}
		if alias {
			res.Kind = WrapAround
		}
		if !ok && firstBad < 0 {
			firstBad = pos
		}
		if ok && firstBad < 0 {
			lastGood = pos
		}
	}
	if firstBad < 0 {
		return res, nil
	}
	if res.Kind == Genuine {
		res.Kind = Limbo
	}
	if lastGood < 0 {
		res.Real = 0
		return res, nil
	}
	lo, hi := lastGood, firstBad
	for hi-lo > probeGrain {
		mid := (lo + (hi-lo)/2) / probeGrain * probeGrain
		if mid <= lo {
			break
		}
		ok, alias, err := p.trial(ctx, mid, lo)
		if err != nil {
			return res, err
		}
		res.Blocks++
		if alias {
			res.Kind = WrapAround
		}
		if ok {
			lo = mid
		} else {
			hi = mid
		}
	}
	res.Real = lo + p.block
	return res, nil
}

type prober struct {
	dev       blockIO
	salt      [16]byte
	block     int64 // bytes in one probe block
	step      int64 // S: the dense grid covers [0, S), the coarse grid steps by S
	want, got []byte
	release   func()
}

// probeMinimum is the smallest drive the probe can test: two of its
// blocks.
func probeMinimum(dev blockIO) int64 { return 2 * probeBlock(dev) }

func probeBlock(dev blockIO) int64 { return int64(max(4096, dev.Align())) }

func newProber(dev blockIO) (*prober, error) {
	p := &prober{dev: dev, block: probeBlock(dev)}
	if dev.Size() < probeMinimum(dev) {
		return nil, fmt.Errorf("probe: drive of %d bytes is too small to probe", dev.Size())
	}
	rand.Read(p.salt[:])
	// S = 2^ceil(log2(sqrt(size * grain))) balances the dense and coarse grids.
	root := uint64(dev.Size()) * probeGrain
	p.step = max(int64(1)<<((bits.Len64(root)+1)/2), probeGrain)
	buf, release, err := alignedBuffer(int(2 * p.block))
	if err != nil {
		return nil, err
	}
	p.want, p.got, p.release = buf[:p.block], buf[p.block:], release
	return p, nil
}

func (p *prober) free() { p.release() }

// positions are the probe blocks, ascending: the dense grid below S, the
// coarse grid above, and the last block of the drive.
func (p *prober) positions() []int64 {
	size := p.dev.Size()
	var ps []int64
	for pos := int64(0); pos < min(p.step, size-p.block); pos += probeGrain {
		ps = append(ps, pos)
	}
	for pos := p.step; pos <= size-p.block; pos += p.step {
		ps = append(ps, pos)
	}
	last := (size - p.block) / p.block * p.block
	if ps[len(ps)-1] != last {
		ps = append(ps, last)
	}
	return ps
}

// stamp fills b with the content of the probe block at pos.
func (p *prober) stamp(b []byte, pos int64) {
	copy(b, probeMagic)
	copy(b[8:], p.salt[:])
	binary.LittleEndian.PutUint64(b[24:], uint64(pos))
	x := binary.LittleEndian.Uint64(p.salt[:]) ^ uint64(pos)*0x9E3779B97F4A7C15
	for i := 32; i+8 <= len(b); i += 8 {
		x += 0x9E3779B97F4A7C15 // splitmix64: blocks no drive can compress away
		z := (x ^ x>>30) * 0xBF58476D1CE4E5B9
		z = (z ^ z>>27) * 0x94D049BB133111EB
		binary.LittleEndian.PutUint64(b[i:], z^z>>31)
	}
}

func (p *prober) write(ctx context.Context, pos int64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	p.stamp(p.want, pos)
	_, err := p.dev.WriteAt(p.want, pos)
	return err
}

func (p *prober) flush() error {
	if err := p.dev.Sync(); err != nil {
		return err
	}
	return p.dev.dropCache()
}

// check reads the block at pos: ok if it holds its own stamp, alias if it
// holds the stamp of another offset of this probe.
func (p *prober) check(ctx context.Context, pos int64) (ok, alias bool, err error) {
	if err := ctx.Err(); err != nil {
		return false, false, err
	}
	if _, err := p.dev.ReadAt(p.got, pos); err != nil {
		return false, false, err
	}
	if !bytes.Equal(p.got[:8], []byte(probeMagic)) || !bytes.Equal(p.got[8:24], p.salt[:]) {
		return false, false, nil
	}
	if at := int64(binary.LittleEndian.Uint64(p.got[24:])); at != pos {
		return false, true, nil
	}
	p.stamp(p.want, pos)
	return bytes.Equal(p.got, p.want), false, nil
}

// trial writes a block at mid and reports whether it and every dense
// block up to lo (all real) survive it: a wrap at a multiple of 1 MiB
// between lo and mid lands on a dense block, which is then restored.
func (p *prober) trial(ctx context.Context, mid, lo int64) (ok, alias bool, err error) {
	if err := p.write(ctx, mid); err != nil {
		return false, false, err
	}
	if err := p.flush(); err != nil {
		return false, false, err
	}
	checks := []int64{mid}
	for pos := int64(0); pos < min(p.step, lo+1); pos += probeGrain {
		checks = append(checks, pos)
	}
	slices.Sort(checks)
	ok = true
	var clobbered []int64
	for _, pos := range checks {
		good, a, err := p.check(ctx, pos)
		if err != nil {
			return false, false, err
		}
		ok, alias = ok && good, alias || a
		if !good && pos != mid {
			clobbered = append(clobbered, pos)
		}
	}
	// Restore the real blocks an alias of mid overwrote, for later trials.
	for _, pos := range clobbered {
		if err := p.write(ctx, pos); err != nil {
			return false, false, err
		}
	}
	if len(clobbered) > 0 {
		if err := p.flush(); err != nil {
			return false, false, err
		}
	}
	return ok, alias, nil
}
