package fat

import (
	"errors"
	"fmt"
	"io"
)

// Source opens the contents of file i of a layout: for a layout made by
// Plan, i counts files only, in the order given; for one made by
// PlanFiles, i is the file's index in the Files. The stream reads exactly
// the planned size from it and fails if it holds more or less.
type Source func(i int, path string) (io.ReadCloser, error)

// Fill writes the bytes that free space at disk offset off holds into p.
type Fill func(p []byte, off int64)

// Stream emits a planned disk from byte 0 to its last byte, in order. It
// replays the copy as it goes and holds one cluster of a folder's entries,
// the short names of the folders it is in and one open file at a time, so
// its memory depends neither on the size of the volume nor on the number
// of files.
type Stream struct {
	l        *Layout
	src      Source
	fill     Fill
	segs     []segment // segs[first] is being emitted; any after it were looked at
	first    int
	walk     copyWalk // the copy, replayed for the segments of the data
	queued   int64    // end of the last segment queued
	done     bool     // every segment is queued
	pos      int64    // next byte to emit
	file     io.ReadCloser
	fileIdx  int // entry of file, -1 if none
	filePath string
	dirBuf   []byte
	dirAt    int64              // disk offset of the folder cluster dirBuf holds, -1 if none
	cursors  map[int]*dirCursor // per folder being emitted, where rendering it stopped
	fat      fatCursor
	err      error
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
	index      int    // folder or file entry
	off        int64  // for segDir: byte offset of the segment in its folder
	data       []byte // for segBytes
}

// Stream returns a reader of the whole disk. Free space (after the last
// allocated cluster) is produced by fill, or zeros if fill is nil; slack
// after the end of each file and unused sectors before the partition are
// zeros.
func (l *Layout) Stream(src Source, fill Fill) *Stream {
	s := &Stream{l: l, src: src, fill: fill, fileIdx: -1, dirAt: -1, walk: newCopyWalk(l), cursors: map[int]*dirCursor{}}
	g := l.g
	ss := int64(g.SectorSize)
	s.add(ss, segment{kind: segBytes, data: l.mbr()})
	s.add(g.PartStart*ss-s.queued, segment{kind: segZero})
	s.add(minReserved*ss, segment{kind: segBytes, data: l.reserved()})
	s.add((g.ReservedSectors-minReserved)*ss, segment{kind: segZero})
	for range numFATs {
		s.add(g.FATSectors*ss, segment{kind: segFAT})
	}
	return s
}

// add queues n bytes of seg after the last segment queued.
func (s *Stream) add(n int64, seg segment) {
	if n <= 0 {
		return
	}
	seg.start, seg.end = s.queued, s.queued+n
	s.segs = append(s.segs, seg)
	s.queued += n
}

// more queues the segments of the copy's next allocation, or the free
// space after the last one. It reports false when every segment is queued.
func (s *Stream) more() bool {
	if s.done {
		return false
	}
	l := s.l
	cs := l.g.ClusterSize()
	for {
		st, ok := s.walk.step()
		switch {
		case !ok:
			if s.queued != l.DataEnd() {
				panic(fmt.Sprintf("BUG: stream data ends at %d, layout at %d", s.queued, l.DataEnd()))
			}
			s.add(l.g.DiskBytes()-s.queued, segment{kind: segFill})
			s.done = true
			return true
		case st.kind == stepDir:
			s.add(int64(st.n)*cs, segment{kind: segDir, index: st.index, off: st.off})
			return true
		case st.kind == stepFile:
			size := l.in.Size(st.index)
			s.add(size, segment{kind: segFile, index: st.index})
			s.add(int64(st.n)*cs-size, segment{kind: segZero})
			return true
		}
	}
}

// current is the segment being emitted, or nil after the last.
func (s *Stream) current() *segment {
	for s.first == len(s.segs) && s.more() {
	}
	if s.first == len(s.segs) {
		return nil
	}
	return &s.segs[s.first]
}

// pop moves past the current segment.
func (s *Stream) pop() {
	if s.first++; s.first == len(s.segs) {
		s.segs, s.first = s.segs[:0], 0
	}
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
	for n < len(p) {
		seg := s.current()
		if seg == nil {
			break
		}
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
			s.pop()
		}
	}
	if n == 0 && s.current() == nil {
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
		s.l.putFAT(q, off, &s.fat)
	case segDir:
		if s.dirAt != seg.start {
			size := int(seg.end - seg.start)
			if cap(s.dirBuf) < size {
				s.dirBuf = make([]byte, size)
			}
			s.dirBuf = s.dirBuf[:size]
			clear(s.dirBuf)
			cur := s.cursors[seg.index]
			if cur == nil {
				cur = &dirCursor{}
				s.cursors[seg.index] = cur
			}
			s.l.dirBytes(seg.index, s.dirBuf, seg.off, cur)
			if cur.ci == int(s.l.dirs[seg.index].n) {
				delete(s.cursors, seg.index) // rendered to its last entry
			}
			s.dirAt = seg.start
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
	if s.fileIdx != seg.index {
		s.closeFile()
		p := s.l.in.Path(seg.index)
		r, err := s.src(s.l.source(seg.index), p)
		if err != nil {
			return fmt.Errorf("open %s: %w", p, err)
		}
		s.file, s.fileIdx, s.filePath = r, seg.index, p
	}
	if m, err := io.ReadFull(s.file, q); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return fmt.Errorf("read %s: ended after %d of %d bytes", s.filePath, off+int64(m), seg.end-seg.start)
		}
		return fmt.Errorf("read %s at %d: %w", s.filePath, off+int64(m), err)
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
	path := s.filePath
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
	s.file, s.fileIdx, s.filePath = nil, -1, ""
	return err
}

// ZeroRun is how many bytes from the current offset the stream emits as
// zeros without reading any source (slack, gaps, and free space without a
// fill), so that a caller can write them from a zero buffer of its own.
func (s *Stream) ZeroRun() int64 {
	n := int64(0)
	for i := s.first; ; i++ {
		for i == len(s.segs) && s.more() {
		}
		if i == len(s.segs) || !s.zeros(&s.segs[i]) {
			return n
		}
		n += s.segs[i].end - max(s.pos, s.segs[i].start)
	}
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
		seg := &s.segs[s.first]
		k := min(n, seg.end-s.pos)
		s.pos += k
		n -= k
		if s.pos == seg.end {
			s.pop()
		}
	}
}

// Close releases the open source file, if any.
func (s *Stream) Close() error { return s.closeFile() }
