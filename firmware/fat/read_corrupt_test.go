package fat

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"testing"
)

func (m *rdTinyImage) put16(off int, v uint16) { binary.LittleEndian.PutUint16(m.img[off:], v) }
func (m *rdTinyImage) put32(off int, v uint32) { binary.LittleEndian.PutUint32(m.img[off:], v) }

// link points the entry at path to cluster c.
func (m *rdTinyImage) link(path string, c uint32) {
	m.put16(m.entry[path]+20, uint16(c>>16))
	m.put16(m.entry[path]+26, uint16(c))
}

// lastCluster is the last cluster of the contiguous file or folder at path.
func (m *rdTinyImage) lastCluster(path string) uint32 {
	c := m.first[path]
	for m.fatEntry(c) == c+1 {
		c++
	}
	return c
}

// TestReadCorrupt checks that broken volumes are refused with an error of
// the right kind, when opened or when walked, and never panic or hang.
func TestReadCorrupt(t *testing.T) {
	const (
		atOpen = iota // OpenVolume refuses
		atWalk        // OpenVolume accepts; walking everything meets the error
	)
	corrupt := &CorruptError{}
	for _, tc := range []struct {
		desc  string
		spec  rdTinySpec
		edit  func(m *rdTinyImage)
		when  int
		notFS bool // ErrNotFAT32 rather than a *CorruptError
	}{
		{desc: "truncated image", edit: func(m *rdTinyImage) { m.img = m.img[:len(m.img)/2] }},
		{desc: "no boot signature", edit: func(m *rdTinyImage) { m.img[510] = 0 }},
		{desc: "three FATs", edit: func(m *rdTinyImage) { m.img[16] = 3 }},
		{desc: "fixed root entries", edit: func(m *rdTinyImage) { m.put16(17, 512) }},
		{desc: "16-bit FAT size", edit: func(m *rdTinyImage) { m.put16(22, 1) }, notFS: true},
		{desc: "sectors per cluster not a power of two", edit: func(m *rdTinyImage) { m.img[13] = 3 }},
		{desc: "sectors per cluster 0", edit: func(m *rdTinyImage) { m.img[13] = 0 }},
		{desc: "FAT size 0", edit: func(m *rdTinyImage) { m.put32(36, 0) }},
		{desc: "bytes per sector 300", edit: func(m *rdTinyImage) { m.put16(11, 300) }, notFS: true},
		{desc: "FAT too small", edit: func(m *rdTinyImage) { m.put32(36, 1) }},
		{desc: "root cluster outside", edit: func(m *rdTinyImage) { m.put32(44, 5000) }},
		{desc: "root cluster 0", edit: func(m *rdTinyImage) { m.put32(44, 0) }},
		{desc: "512 KiB clusters", spec: rdTinySpec{bps: 4096, spc: 64, clusters: 12}, edit: func(m *rdTinyImage) { m.img[13] = 128 }},
		{desc: "total sectors past the end", edit: func(m *rdTinyImage) { m.put32(32, binary.LittleEndian.Uint32(m.img[32:])+1) }},
		{desc: "two total sector counts", edit: func(m *rdTinyImage) { m.put16(19, 5) }},
		{desc: "active FAT missing", edit: func(m *rdTinyImage) { m.put16(40, 0x82) }},
		{desc: "media byte", edit: func(m *rdTinyImage) { m.img[21] = 0x12 }},
		{desc: "FAT32 version 1", edit: func(m *rdTinyImage) { m.put16(42, 1) }},
		{desc: "root chain loops", edit: func(m *rdTinyImage) { m.setFAT(2, 2) }},
		{desc: "root chain into a free cluster", edit: func(m *rdTinyImage) { m.setFAT(2, 190) }},
		{desc: "root over 2 MiB", spec: rdTinySpec{clusters: 4200}, edit: func(m *rdTinyImage) {
			m.setFAT(2, 100)
			for c := uint32(100); c < 4200; c++ {
				m.setFAT(c, c+1)
			}
		}},
		{desc: "folder at cluster 0", edit: func(m *rdTinyImage) { m.link("Docs", 0) }},
		{desc: "two entries with one short name", edit: func(m *rdTinyImage) {
			copy(m.img[m.entry["empty.DAT"]:], "README  TXT")
		}},
		{desc: "slash in a short name", edit: func(m *rdTinyImage) { m.img[m.entry["readme.txt"]+2] = '/' }},

		{desc: "partition past the end", spec: rdTinySpec{partStart: 8}, edit: func(m *rdTinyImage) { m.put32(446+12, 100000) }},
		{desc: "FAT32 partition without a boot sector", spec: rdTinySpec{partStart: 8}, edit: func(m *rdTinyImage) { m.put32(446+8, 1) }},
		{desc: "partition at sector 0", spec: rdTinySpec{partStart: 8}, edit: func(m *rdTinyImage) { m.put32(446+8, 0) }},
		{desc: "partition status byte", spec: rdTinySpec{partStart: 8}, edit: func(m *rdTinyImage) { m.img[446] = 0x33 }, notFS: true},
		{desc: "no partition", spec: rdTinySpec{partStart: 8}, edit: func(m *rdTinyImage) { m.img[446+4] = 0 }, notFS: true},
		{desc: "MBR without signature", spec: rdTinySpec{partStart: 8}, edit: func(m *rdTinyImage) { m.img[510] = 0 }, notFS: true},

		{desc: "file chain loops", when: atWalk, edit: func(m *rdTinyImage) {
			m.setFAT(m.lastCluster("Docs/SUB/DEEP.BIN"), m.first["Docs/SUB/DEEP.BIN"]+1)
		}},
		{desc: "file chain leaves the volume", when: atWalk, edit: func(m *rdTinyImage) { m.setFAT(m.first["한국어 문서.txt"], 0x0FFFFFF0) }},
		{desc: "file chain into a free cluster", when: atWalk, edit: func(m *rdTinyImage) { m.setFAT(m.first["한국어 문서.txt"], 0) }},
		{desc: "file chain into a bad cluster", when: atWalk, edit: func(m *rdTinyImage) { m.setFAT(m.first["한국어 문서.txt"]+1, 0x0FFFFFF7) }},
		{desc: "file chain shorter than its size", when: atWalk, edit: func(m *rdTinyImage) { m.put32(m.entry["readme.txt"]+28, 1000) }},
		{desc: "file chain longer than its size", when: atWalk, edit: func(m *rdTinyImage) { m.put32(m.entry["한국어 문서.txt"]+28, 10) }},
		{desc: "file larger than the volume", when: atWalk, edit: func(m *rdTinyImage) { m.put32(m.entry["readme.txt"]+28, 1<<31) }},
		{desc: "file starts outside the volume", when: atWalk, edit: func(m *rdTinyImage) { m.link("readme.txt", 9999) }},
		{desc: "empty file with a cluster", when: atWalk, edit: func(m *rdTinyImage) { m.link("empty.DAT", 190) }},
		{desc: "folder holds its parent", when: atWalk, edit: func(m *rdTinyImage) { m.link("Docs/SUB", m.first["Docs"]) }},
		{desc: "folder holds the root", when: atWalk, edit: func(m *rdTinyImage) { m.link("Docs/SUB", 2) }},
		{desc: "folder holds itself", when: atWalk, edit: func(m *rdTinyImage) {
			c := m.first["Docs/SUB"]
			m.link("Docs/SUB/DEEP.BIN", c)
			m.img[m.entry["Docs/SUB/DEEP.BIN"]+11] = 0x10
		}},
		{desc: "folder linked from a second folder", when: atWalk, edit: func(m *rdTinyImage) {
			m.link("readme.txt", m.first["Docs/SUB"])
			m.img[m.entry["readme.txt"]+11] = 0x10
		}},
		{desc: "one folder twice in a folder", when: atWalk, edit: func(m *rdTinyImage) { m.link("Docs/empty folder", m.first["Docs/SUB"]) }},
		{desc: "folder without dot entries", when: atWalk, edit: func(m *rdTinyImage) { m.img[m.clusterAt(m.first["Docs/SUB"])] = 'X' }},
		{desc: "folder whose dot names another", when: atWalk, edit: func(m *rdTinyImage) {
			m.put16(m.clusterAt(m.first["Docs/SUB"])+26, 3)
		}},
		{desc: "slash in a short name below the root", when: atWalk, edit: func(m *rdTinyImage) {
			m.img[m.entry["Docs/SUB/DEEP.BIN"]+1] = '/'
		}},
	} {
		m := rdTiny(tc.spec, rdTinyTree())
		before := bytes.Clone(m.img)
		tc.edit(m)
		if bytes.Equal(before, m.img) {
			t.Errorf("%s: the edit changed nothing", tc.desc)
			continue
		}
		v, err := OpenVolume(bytes.NewReader(m.img), int64(len(m.img)))
		if err == nil {
			rdSameWalk(t, tc.desc, func() (*Volume, error) { return OpenVolume(bytes.NewReader(m.img), int64(len(m.img))) })
		}
		if tc.when == atWalk {
			if err != nil {
				t.Errorf("%s: OpenVolume() = %v; want a volume to walk", tc.desc, err)
				continue
			}
			var errs []error
			_, errs = rdWalk(v)
			if len(errs) == 0 {
				t.Errorf("%s: walk met no error; want a *CorruptError", tc.desc)
				continue
			}
			err = errs[0]
		}
		switch {
		case tc.notFS && !errors.Is(err, ErrNotFAT32):
			t.Errorf("%s: OpenVolume() = %v; want ErrNotFAT32", tc.desc, err)
		case !tc.notFS && !errors.As(err, &corrupt):
			t.Errorf("%s: error = %v; want a *CorruptError", tc.desc, err)
		}
	}
}

// TestReadTooDeep checks that a walk through more folders than a lookup
// may descend ends with an error there.
func TestReadTooDeep(t *testing.T) {
	leaf := &rdNode{short: "LEAF.TXT", data: []byte("x")}
	nodes := []*rdNode{leaf}
	for i := range rdMaxDepth + 5 {
		nodes = []*rdNode{{short: fmt.Sprintf("D%d", i), dir: true, kids: nodes}}
	}
	img := rdTiny(rdTinySpec{}, nodes).img
	v := rdOpen(t, img)
	rdSameWalk(t, "too deep", func() (*Volume, error) { return OpenVolume(bytes.NewReader(img), int64(len(img))) })
	got, errs := rdWalk(v)
	// "." and rdMaxDepth+1 levels of folders: the deepest is listed, but not read.
	if len(errs) != 1 || !errors.Is(errs[0], rdErrTooDeep) || len(got) != rdMaxDepth+2 {
		t.Errorf("walk = %d paths, errors %v; want %d paths and one error for going deeper", len(got), errs, rdMaxDepth+2)
	}
}
