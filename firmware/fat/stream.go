package fat

import (
	"errors"
	"fmt"
	"io"
)

// Source opens the contents of the i-th file of a layout (counted among
// files only, in the order given to Plan). The stream reads exactly the
// planned size from it and fails if it holds more or less.
type Source func(i int, path string) (io.ReadCloser, error)

// Fill writes the bytes that free space at disk offset off holds into p.
type Fill func(p []byte, off int64)

// Stream emits a planned disk from byte 0 to its last byte, in order. It
// holds one cluster of a folder's entries and one open file at a time, so
// its memory does not depend on the size of the volume.
type Stream struct {
	l       *Layout
	src     Source
	fill    Fill
	segs    []segment
	seg     int   // current segment
	pos     int64 // next byte to emit
	file    io.ReadCloser
	fileIdx int // index of file, -1 if none
	dirBuf  []byte
	dirSeg  int         // segment whose folder bytes dirBuf holds, -1 if none
	cursors []dirCursor // per folder, where rendering it stopped
	err     error
}

type segKind uint8

const (
	segBytes segKind = iota // fixed bytes
	segZero                 // zeros
	segFAT                  // a copy of the FAT
	segDir                  // a folder's clusters
	segFile                 // a file's data
	segFill                 // free space
)

type segment struct {
	start, end int64 // disk byte range
	kind       segKind
	index      int    // folder or file index
	off        int64  // for segDir: byte offset of the segment in its folder
	data       []byte // for segBytes
}

// Stream returns a reader of the whole disk. Free space (after the last
// allocated cluster) is produced by fill, or zeros if fill is nil; slack
// after the end of each file and unused sectors before the partition are
// zeros.
func (l *Layout) Stream(src Source, fill Fill) *Stream {
	s := &Stream{l: l, src: src, fill: fill, fileIdx: -1, dirSeg: -1, cursors: make([]dirCursor, len(l.dirs))}
	g := l.g
	ss := int64(g.SectorSize)
	at := int64(0)
	add := func(n int64, seg segment) {
		if n <= 0 {
			return
		}
		seg.start, seg.end = at, at+n
		s.segs = append(s.segs, seg)
		at += n
	}
	add(ss, segment{kind: segBytes, data: l.mbr()})
	add(g.PartStart*ss-at, segment{kind: segZero})
	add(minReserved*ss, segment{kind: segBytes, data: l.reserved()})
	add((g.ReservedSectors-minReserved)*ss, segment{kind: segZero})
	for range numFATs {
		add(g.FATSectors*ss, segment{kind: segFAT})
	}
	cs := g.ClusterSize()
	l.copyOrder(func(st step) {
		switch st.kind {
		case stepDir:
			add(int64(st.n)*cs, segment{kind: segDir, index: st.index, off: st.off})
		case stepFile:
			f := l.files[st.index]
			add(f.size, segment{kind: segFile, index: st.index})
			add(int64(st.n)*cs-f.size, segment{kind: segZero})
		}
	})
	if at != l.DataEnd() {
		panic(fmt.Sprintf("BUG: stream data ends at %d, layout at %d", at, l.DataEnd()))
	}
	add(g.DiskBytes()-at, segment{kind: segFill})
	return s
}

// Size is the number of bytes the stream emits: the whole disk.
func (s *Stream) Size() int64 { return s.l.g.DiskBytes() }

// Offset is the disk offset of the next byte Read returns.
func (s *Stream) Offset() int64 { return s.pos }

// Read fills p with the next bytes of the disk. It returns io.EOF after
// the last byte; an error from a source is returned with the file's path
// and sticks.
func (s *Stream) Read(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	n := 0
	for n < len(p) && s.seg < len(s.segs) {
		seg := &s.segs[s.seg]
		k := int(min(int64(len(p)-n), seg.end-s.pos))
		q := p[n : n+k]
		if err := s.emit(seg, q); err != nil {
			s.err = err
			s.closeFile()
			return n, err
		}
		n += k
		s.pos += int64(k)
		if s.pos == seg.end {
			if err := s.finish(seg); err != nil {
				s.err = err
				return n, err
			}
			s.seg++
		}
	}
	if n == 0 && s.seg == len(s.segs) {
		return 0, io.EOF
	}
	return n, nil
}

func (s *Stream) emit(seg *segment, q []byte) error {
	off := s.pos - seg.start
	switch seg.kind {
	case segBytes:
		copy(q, seg.data[off:])
	case segZero:
		clear(q)
	case segFAT:
		s.l.putFAT(q, off)
	case segDir:
		if s.dirSeg != s.seg {
			size := int(seg.end - seg.start)
			if cap(s.dirBuf) < size {
				s.dirBuf = make([]byte, size)
			}
			s.dirBuf = s.dirBuf[:size]
			clear(s.dirBuf)
			s.l.dirBytes(seg.index, s.dirBuf, seg.off, &s.cursors[seg.index])
			s.dirSeg = s.seg
		}
		copy(q, s.dirBuf[off:])
	case segFile:
		return s.readFile(seg, q, off)
	case segFill:
		if s.fill == nil {
			clear(q)
		} else {
			s.fill(q, s.pos)
		}
	}
	return nil
}

func (s *Stream) readFile(seg *segment, q []byte, off int64) error {
	f := &s.l.files[seg.index]
	if s.fileIdx != seg.index {
		s.closeFile()
		r, err := s.src(seg.index, f.path)
		if err != nil {
			return fmt.Errorf("open %s: %w", f.path, err)
		}
		s.file, s.fileIdx = r, seg.index
	}
	if m, err := io.ReadFull(s.file, q); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return fmt.Errorf("read %s: ended after %d of %d bytes", f.path, off+int64(m), f.size)
		}
		return fmt.Errorf("read %s at %d: %w", f.path, off+int64(m), err)
	}
	return nil
}

// finish checks a file that has been emitted in full: its source must be
// at its end, and neither reaching the end nor closing it may fail (a
// checking source reports a bad hash there).
func (s *Stream) finish(seg *segment) error {
	if seg.kind != segFile {
		return nil
	}
	path := s.l.files[seg.index].path
	var one [1]byte
	n, err := io.ReadFull(s.file, one[:])
	if n > 0 {
		s.closeFile()
		return fmt.Errorf("read %s: longer than its planned %d bytes", path, seg.end-seg.start)
	}
	if err != io.EOF { // a checking source reports a bad hash at its end
		s.closeFile()
		return fmt.Errorf("read %s: %w", path, err)
	}
	if err := s.closeFile(); err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	return nil
}

func (s *Stream) closeFile() error {
	if s.file == nil {
		return nil
	}
	err := s.file.Close()
	s.file, s.fileIdx = nil, -1
	return err
}

// ZeroRun is how many bytes from the current offset the stream emits as
// zeros without reading any source (slack, gaps, and free space without a
// fill), so that a caller can write them from a zero buffer of its own.
func (s *Stream) ZeroRun() int64 {
	n := int64(0)
	for i := s.seg; i < len(s.segs) && s.zeros(&s.segs[i]); i++ {
		n += s.segs[i].end - max(s.pos, s.segs[i].start)
	}
	return n
}

func (s *Stream) zeros(seg *segment) bool {
	return seg.kind == segZero || seg.kind == segFill && s.fill == nil
}

// SkipZeros moves past n bytes that ZeroRun reported as zeros.
func (s *Stream) SkipZeros(n int64) {
	if n > s.ZeroRun() {
		panic(fmt.Sprintf("BUG: SkipZeros(%d) past a run of %d zeros at %d", n, s.ZeroRun(), s.pos))
	}
	for n > 0 {
		seg := &s.segs[s.seg]
		k := min(n, seg.end-s.pos)
		s.pos += k
		n -= k
		if s.pos == seg.end {
			s.seg++
		}
	}
}

// Close releases the open source file, if any.
func (s *Stream) Close() error { return s.closeFile() }
