package library

// Volume is a selection as the FAT planner reads it (a fat.Files): the
// chosen empty folders, then the chosen files, each in manifest order.
// It keeps one index a file; names and sizes stay in the manifest.
type Volume struct {
	m       *Manifest
	folders []uint32 // indexes of the chosen empty folders
	files   []uint32 // indexes of the chosen files
}

// Volume lists what s chose for fat.PlanFiles.
func (s *Selection) Volume() *Volume {
	v := &Volume{m: s.m}
	for i := range s.m.folders.len() {
		if s.folders.has(i) {
			v.folders = append(v.folders, uint32(i))
		}
	}
	v.files = make([]uint32, 0, s.Included().Files)
	for i := range s.m.NumFiles() {
		if s.files.has(i) {
			v.files = append(v.files, uint32(i))
		}
	}
	return v
}

// Len is the number of folders and files listed.
func (v *Volume) Len() int { return len(v.folders) + len(v.files) }

// Dir reports whether entry i is an empty folder.
func (v *Volume) Dir(i int) bool { return i < len(v.folders) }

// Path is entry i's slash-separated path.
func (v *Volume) Path(i int) string {
	if i < len(v.folders) {
		return v.m.folders.path(int(v.folders[i]))
	}
	return v.m.files.path(int(v.files[i-len(v.folders)]))
}

// Size is entry i's size in bytes; 0 for a folder.
func (v *Volume) Size(i int) int64 {
	if i < len(v.folders) {
		return 0
	}
	return int64(v.m.sizes.at(int(v.files[i-len(v.folders)])))
}

// File is the manifest index of entry i, a file (not Dir(i)).
func (v *Volume) File(i int) int { return int(v.files[i-len(v.folders)]) }
