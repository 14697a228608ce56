package flash

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/zeebo/xxh3"

	"flashkiosk/firmware/fat"
	"flashkiosk/firmware/library"
)

// Wipe is what fills the drive's free space.
type Wipe int

// The wipe fills.
const (
	WipeZero   Wipe = iota // zeros
	WipeRandom             // a ChaCha20 stream under a random key, forgotten after the job
)

// FakePolicy is what a job does with a drive that holds less than it reports.
type FakePolicy int

// The fake-drive policies.
const (
	UseReal FakePolicy = iota // write it at its real capacity
	Reject                    // refuse it with a *FakeError
)

// Phase is the part of a job under way.
type Phase int

// The phases of a job, in order.
const (
	Probing Phase = iota
	Writing
	Flushing
	Verifying
)

func (p Phase) String() string {
	return [...]string{"probing", "writing", "flushing", "verifying"}[p]
}

// Progress is how far the current phase of a job is.
type Progress struct {
	Phase       Phase
	Done, Total int64         // bytes of this phase
	Elapsed     time.Duration // since the phase began
}

// Rate is the phase's mean speed in bytes per second.
func (p Progress) Rate() float64 {
	if p.Elapsed <= 0 {
		return 0
	}
	return float64(p.Done) / p.Elapsed.Seconds()
}

// ETA is the time the phase still needs at its mean speed.
func (p Progress) ETA() time.Duration {
	r := p.Rate()
	if r <= 0 {
		return 0
	}
	return time.Duration(float64(p.Total-p.Done) / r * float64(time.Second))
}

// Options shape one job.
type Options struct {
	Library  *library.Library
	Label    string     // volume label; "" is Windows' NO NAME
	Wipe     Wipe       // fill of the free space
	Fake     FakePolicy // what to do with a fake drive
	Progress func(Progress)
	Now      func() time.Time // the clock; time.Now if nil
	// Plans, if not nil, is shared by jobs that run at once, so that
	// those on drives of one size share one plan of the volume.
	Plans *Plans
	// VolumeID and DiskID are the volume's ID and the MBR's disk
	// signature; 0, as on every real drive, for random ones. Fixed,
	// two writes of a library are byte for byte the same.
	VolumeID, DiskID uint32
}

// Result is what a finished job did.
type Result struct {
	Probe     ProbeResult
	Selection *library.Selection
	Bytes     int64 // written and verified: the whole real capacity
	VolumeID  uint32
	Write     time.Duration // writing and flushing
	Verify    time.Duration
}

// WriteMBps is how fast the job wrote, in megabytes (10^6 bytes) a
// second; 0 when it wrote nothing.
func (r Result) WriteMBps() float64 { return mbps(r.Bytes, r.Write) }

// VerifyMBps is how fast the job read back, in megabytes a second.
func (r Result) VerifyMBps() float64 { return mbps(r.Bytes, r.Verify) }

func mbps(n int64, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / 1e6 / d.Seconds()
}

const (
	chunkSize = 8 << 20 // bytes per write and read
	hashUnit  = 1 << 20 // bytes per recorded hash: the precision of a mismatch offset
	buffers   = 3       // chunks in flight
)

// Write runs one job on dev: probe, plan, one sequential pass of volume and
// wipe fill from the first to the last byte of the real capacity, flush,
// and a verify of every byte read back past the page cache. Its error is
// one of the typed outcomes, a *library.ContentError, a
// *library.TooSmallError, or the context's error when cancelled.
func Write(ctx context.Context, dev *Device, opts Options) (Result, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	var res Result
	report := func(p Progress) {
		if opts.Progress != nil {
			opts.Progress(p)
		}
	}
	m := opts.Library.Manifest
	if dev.Size() < probeMinimum(dev) {
		// Too small even to probe, so far too small for any library:
		// FitDrive says by how much, as for a drive too small after the
		// probe.
		if _, err := library.FitDrive(m, dev.Size(), dev.SectorSize(), opts.Label); err != nil {
			return res, err
		}
	}
	report(Progress{Phase: Probing})
	probe, err := Probe(ctx, dev)
	res.Probe = probe
	if err != nil {
		return res, err
	}
	if probe.Fake() && (opts.Fake == Reject || probe.Real == 0) {
		return res, &FakeError{Reported: probe.Reported, Real: probe.Real, Kind: probe.Kind}
	}
	size := probe.Real
	key := planKey{lib: opts.Library, size: size, sector: dev.SectorSize(), label: opts.Label}
	planned, release, err := opts.Plans.get(ctx, key, func(p *plan) error {
		var err error
		if p.sel, err = library.FitDrive(m, size, dev.SectorSize(), opts.Label); err != nil {
			return err
		}
		p.vol = p.sel.Volume()
		p.layout, err = fat.PlanFiles(size, p.vol, fat.Options{SectorSize: dev.SectorSize(), Label: opts.Label,
			Time: opts.Library.Time(), Copied: CopyTime(m, opts.Library.Time())})
		if err != nil {
			return fmt.Errorf("plan the volume: %w", err)
		}
		return nil
	})
	if err != nil {
		return res, err
	}
	defer release()
	res.Selection = planned.sel
	vol := planned.vol
	layout := planned.layout.WithIDs(opts.VolumeID, opts.DiskID)
	res.VolumeID = layout.VolumeID()
	size = layout.Geometry().DiskBytes()
	src := func(i int, _ string) (io.ReadCloser, error) { return opts.Library.OpenFile(vol.File(i)) }
	var fill fat.Fill
	if opts.Wipe == WipeRandom {
		fill = newRandomFill().fill
	}
	stream := layout.Stream(src, fill)
	defer stream.Close()

	hashes := make([]uint64, (size+hashUnit-1)/hashUnit)
	// One mapping for the chunks of both passes and one hash unit of
	// zeros, faulted in once. Runs of zeros are written from that unit
	// repeated (Device.writeZeros), not from a chunk of zeros of their own.
	mem, release, err := alignedBuffer(buffers*chunkSize + hashUnit)
	if err != nil {
		return res, err
	}
	defer release()
	pool, zeros := mem[:buffers*chunkSize], mem[buffers*chunkSize:]
	zeroHash := xxh3.Hash(zeros)
	start := opts.Now()
	phase := func(ph Phase) func(done int64) {
		begin := opts.Now()
		return func(done int64) { report(Progress{Phase: ph, Done: done, Total: size, Elapsed: opts.Now().Sub(begin)}) }
	}
	progress := phase(Writing)
	held, releaseHeld, err := newHeldBlocks(layout.Geometry(), dev.Align())
	if err != nil {
		return res, err
	}
	defer releaseHeld()
	// An image file to be zero-filled is emptied first: what it held is
	// gone at once, and the zeros of free space, gaps and slack need not
	// be written, so that they stay holes and the file takes little more
	// of its disk than the library. A drive gets every byte written.
	write := dev.WriteAt
	if !dev.Block() && opts.Wipe == WipeZero {
		if err := dev.empty(); err != nil {
			return res, err
		}
		write = func(p []byte, off int64) (int, error) { return dev.writeData(p, off, zeros) }
	}
	err = pipeline(ctx, pool, size, dev.Align(),
		func(buf []byte, off int64) (piece, error) {
			// Free space and gaps are written from a unit that stays zero:
			// no clearing, and a hash known in advance.
			if n := int64(len(buf)); n%hashUnit == 0 && stream.ZeroRun() >= n {
				stream.SkipZeros(n)
				for u := off / hashUnit; u < (off+n)/hashUnit; u++ {
					hashes[u] = zeroHash
				}
				return piece{zeros: len(buf)}, nil
			}
			if err := readHashed(stream, hashes, buf, off); err != nil {
				return piece{}, err
			}
			held.take(buf, off)
			return piece{data: buf}, nil
		},
		func(p piece, off int64) error {
			switch {
			case p.data != nil:
				if err := transfer(write, p.data, off, dev.Align()); err != nil {
					return err
				}
			case !dev.holes:
				if err := dev.writeZeros(zeros, p.zeros, off); err != nil {
					return err
				}
			}
			progress(off + int64(p.len()))
			return nil
		})
	if err != nil {
		return res, err
	}
	if err := held.write(dev); err != nil {
		return res, err
	}
	if err := dev.clearTail(); err != nil {
		return res, err
	}
	phase(Flushing)(0)
	if err := dev.Sync(); err != nil {
		return res, err
	}
	if err := dev.dropCache(); err != nil {
		return res, fmt.Errorf("drop the page cache of %s: %w", dev.Path(), err)
	}
	res.Write = opts.Now().Sub(start)

	start = opts.Now()
	progress = phase(Verifying)
	err = pipeline(ctx, pool, size, dev.Align(),
		func(buf []byte, off int64) (piece, error) {
			return piece{data: buf}, transfer(dev.ReadAt, buf, off, dev.Align())
		},
		func(p piece, off int64) error {
			if err := compareChunk(hashes, p.data, off); err != nil {
				return err
			}
			progress(off + int64(p.len()))
			return nil
		})
	if err == nil {
		err = dev.checkTail()
	}
	if err != nil {
		return res, err
	}
	res.Verify = opts.Now().Sub(start)
	res.Bytes = size
	return res, nil
}

// heldBlocks are the blocks that make a drive hold a volume: the MBR and
// the partition's boot sectors up to the backup boot sector. The write
// pass writes zeros there (so the donor's old volume is gone from the
// start) and keeps the real bytes until every other byte is written, so
// that a job stopped part-way leaves a drive with no volume at all, which
// no computer shows as a finished stick.
type heldBlocks struct {
	blocks []heldBlock
}

// heldBlock is one aligned block kept back, and its bytes once seen.
type heldBlock struct {
	off  int64
	data []byte // aligned memory of one or more whole blocks
}

// newHeldBlocks holds back the blocks, of align bytes, that cover sector 0
// and the partition's sectors 0-6 in the layout of geometry g.
func newHeldBlocks(g fat.Geometry, align int) (*heldBlocks, func(), error) {
	ss, a := int64(g.SectorSize), int64(align)
	part := g.PartStart * ss
	ranges := [][2]int64{{0, ss}, {part, part + 7*ss}}
	if part < a { // one range covers both
		ranges = [][2]int64{{0, part + 7*ss}}
	}
	var total int64
	for i, r := range ranges {
		ranges[i] = [2]int64{r[0] / a * a, (r[1] + a - 1) / a * a}
		total += ranges[i][1] - ranges[i][0]
	}
	mem, release, err := alignedBuffer(int(total))
	if err != nil {
		return nil, nil, err
	}
	h := &heldBlocks{}
	for _, r := range ranges {
		n := r[1] - r[0]
		h.blocks = append(h.blocks, heldBlock{off: r[0], data: mem[:n:n]})
		mem = mem[n:]
	}
	return h, release, nil
}

// take copies the held blocks' bytes out of the chunk buf at disk offset
// off, and zeros them there.
func (h *heldBlocks) take(buf []byte, off int64) {
	end := off + int64(len(buf))
	for _, b := range h.blocks {
		lo, hi := max(b.off, off), min(b.off+int64(len(b.data)), end)
		if lo >= hi {
			continue
		}
		copy(b.data[lo-b.off:hi-b.off], buf[lo-off:hi-off])
		clear(buf[lo-off : hi-off])
	}
}

// write writes the held blocks' real bytes, last.
func (h *heldBlocks) write(dev *Device) error {
	for _, b := range h.blocks {
		if b.off >= dev.Size() {
			continue
		}
		if _, err := dev.WriteAt(b.data[:min(int64(len(b.data)), dev.Size()-b.off)], b.off); err != nil {
			return err
		}
	}
	return nil
}

// readHashed fills the chunk at disk offset off from r one hash unit at a
// time and records each unit's hash while the unit is still in the CPU's
// cache, where the source's own check has just read it too.
func readHashed(r io.Reader, hashes []uint64, buf []byte, off int64) error {
	for i := 0; i < len(buf); i += hashUnit {
		u := buf[i:min(i+hashUnit, len(buf))]
		if _, err := io.ReadFull(r, u); err != nil {
			return err
		}
		hashes[(off+int64(i))/hashUnit] = xxh3.Hash(u)
	}
	return nil
}

// compareChunk checks a chunk read back at off against the recorded hashes.
func compareChunk(hashes []uint64, buf []byte, off int64) error {
	for i := 0; i < len(buf); i += hashUnit {
		if xxh3.Hash(buf[i:min(i+hashUnit, len(buf))]) != hashes[(off+int64(i))/hashUnit] {
			return &MismatchError{Offset: off + int64(i)}
		}
	}
	return nil
}

// piece is what a chunk of the disk holds: data, or when data is nil,
// that many zeros.
type piece struct {
	data  []byte
	zeros int
}

func (p piece) len() int { return len(p.data) + p.zeros }

// pipeline hands the chunk buffers of mem (aligned, buffers*chunkSize
// bytes), covering [0, size), to produce, run in its own goroutine, and
// what it makes of each (the buffer filled, or a run of zeros of its
// length) to consume, in order, with a few chunks in flight so that
// computing and I/O overlap. The first error stops both.
func pipeline(ctx context.Context, mem []byte, size int64, align int, produce func(buf []byte, off int64) (piece, error), consume func(p piece, off int64) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type chunk struct {
		buf  []byte // the pool buffer
		data piece  // what produce made of it
		off  int64
	}
	free := make(chan []byte, buffers)
	for i := range buffers {
		free <- mem[i*chunkSize : (i+1)*chunkSize : (i+1)*chunkSize]
	}
	full := make(chan chunk, buffers)
	var produceErr error
	go func() {
		defer close(full)
		for off := int64(0); off < size; {
			var buf []byte
			select {
			case buf = <-free:
			case <-ctx.Done():
				produceErr = ctx.Err()
				return
			}
			buf = buf[:min(int64(chunkSize), size-off)]
			if len(buf)%align != 0 {
				produceErr = fmt.Errorf("BUG: chunk of %d bytes at %d is not %d-aligned", len(buf), off, align)
				return
			}
			data, err := produce(buf, off)
			if err != nil {
				produceErr = err
				return
			}
			full <- chunk{buf, data, off}
			off += int64(len(buf))
		}
	}()
	var consumeErr error
	for c := range full {
		if consumeErr == nil {
			if consumeErr = ctx.Err(); consumeErr == nil {
				consumeErr = consume(c.data, c.off)
			}
			if consumeErr != nil {
				cancel()
			}
		}
		free <- c.buf[:cap(c.buf)]
	}
	if consumeErr != nil {
		return consumeErr
	}
	return produceErr
}

// transfer runs op (the device's ReadAt or WriteAt) on buf at off. When it
// fails, the transfer is repeated in 64 KiB pieces, then the failing piece
// in pieces of align bytes, and the error of the first piece that fails is
// returned, so that the outcome names the failing offset exactly. If every
// piece succeeds this time, the transfer is done: the verify pass reads
// everything back anyway.
func transfer(op func(p []byte, off int64) (int, error), buf []byte, off int64, align int) error {
	if _, err := op(buf, off); err == nil {
		return nil
	}
	piece := max(64<<10, align)
	for i := 0; i < len(buf); i += piece {
		p := buf[i:min(i+piece, len(buf))]
		if _, err := op(p, off+int64(i)); err != nil {
			for j := 0; j < len(p); j += align {
				if _, err := op(p[j:j+align], off+int64(i+j)); err != nil {
					return err
				}
			}
			return err
		}
	}
	return nil
}
