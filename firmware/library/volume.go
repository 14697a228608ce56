package library

import "math/bits"

// Volume is a selection as the FAT planner reads it (a fat.Files): the
// chosen empty folders, then the chosen files, each in manifest order.
// Names and sizes stay in the manifest, and which files are chosen in the
// selection's bitmap: the volume finds the manifest index of its k-th file
// from a mark every 64 files, so it keeps well under a byte a file.
type Volume struct {
	m       *Manifest
	folders []uint32 // indexes of the chosen empty folders
	chosen  bitmap   // the selection's files, which it does not change
	marks   []mark   // for files 0, 64, 128, ... of the volume: where to start looking
	files   int      // files chosen
}

// mark says where the volume's file 64k lies: in word of the bitmap, which
// chosen files before it precede.
type mark struct {
	word, before uint32
}

// Volume lists what s chose for fat.PlanFiles.
func (s *Selection) Volume() *Volume {
	v := &Volume{m: s.m, chosen: s.files}
	for i := range s.m.folders.len() {
		if s.folders.has(i) {
			v.folders = append(v.folders, uint32(i))
		}
	}
	for w, x := range s.files {
		n := bits.OnesCount64(x)
		for len(v.marks)*64 < v.files+n {
			v.marks = append(v.marks, mark{word: uint32(w), before: uint32(v.files)})
		}
		v.files += n
	}
	return v
}

// Len is the number of folders and files listed.
func (v *Volume) Len() int { return len(v.folders) + v.files }

// Dir reports whether entry i is an empty folder.
func (v *Volume) Dir(i int) bool { return i < len(v.folders) }

// Path is entry i's slash-separated path.
func (v *Volume) Path(i int) string {
	if i < len(v.folders) {
		return v.m.folders.path(int(v.folders[i]))
	}
	return v.m.files.path(v.File(i))
}

// Size is entry i's size in bytes; 0 for a folder.
func (v *Volume) Size(i int) int64 {
	if i < len(v.folders) {
		return 0
	}
	return int64(v.m.sizes.at(v.File(i)))
}

// File is the manifest index of entry i, a file (not Dir(i)).
func (v *Volume) File(i int) int {
	k := i - len(v.folders)
	if k < 0 || k >= v.files {
		panic("library: Volume.File of an entry that is no file")
	}
	at := v.marks[k/64]
	w, left := int(at.word), k-int(at.before)
	for {
		x := v.chosen[w]
		if n := bits.OnesCount64(x); left >= n {
			left -= n
			w++
			continue
		}
		for ; left > 0; left-- {
			x &= x - 1 // drop the lowest chosen file
		}
		return w*64 + bits.TrailingZeros64(x)
	}
}
