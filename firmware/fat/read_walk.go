package fat

import (
	"io/fs"
	"path"
	"slices"
	"strings"
)

// WalkEntry is a file or folder met by Walk: an fs.DirEntry that opens the
// file, or lists the folder, without looking its path up again.
type WalkEntry struct {
	v    *Volume
	e    *DirEntry
	path string
	anc  []uint32 // first clusters of the folders holding it, the root first
}

// Name is the entry's name as listed.
func (d *WalkEntry) Name() string { return d.e.Name }

// IsDir reports whether the entry is a folder.
func (d *WalkEntry) IsDir() bool { return d.e.rdIsDir() }

// Type is the type bits of the entry's mode.
func (d *WalkEntry) Type() fs.FileMode { return (&rdInfo{d.e}).Type() }

// Info describes the entry; its Sys is a *DirEntry.
func (d *WalkEntry) Info() (fs.FileInfo, error) { return &rdInfo{d.e}, nil }

// Open opens the file or folder as Volume.Open opens its path.
func (d *WalkEntry) Open() (fs.File, error) {
	if err := d.resolve("open"); err != nil {
		return nil, err
	}
	info := &rdInfo{d.e}
	if d.IsDir() {
		list, err := d.v.rdLoadDir(d.e, rdParentOf(d.anc))
		if err != nil {
			return nil, &fs.PathError{Op: "open", Path: d.path, Err: err}
		}
		return &rdDirFile{name: d.path, info: info, list: list}, nil
	}
	exts, err := d.v.rdFileChain(d.e)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: d.path, Err: err}
	}
	return newRdFile(d.v, d.path, info, exts), nil
}

// Extents returns the runs of clusters that hold the file or folder, as
// Volume.Extents does for its path.
func (d *WalkEntry) Extents() ([]Extent, error) {
	if err := d.resolve("extents"); err != nil {
		return nil, err
	}
	var exts []Extent
	var err error
	if d.IsDir() {
		exts, _, err = d.v.rdDirChain(d.e)
	} else {
		exts, err = d.v.rdFileChain(d.e)
	}
	if err != nil {
		return nil, &fs.PathError{Op: "extents", Path: d.path, Err: err}
	}
	return exts, nil
}

// resolve refuses the entry where looking its path up would: a path
// through more than rdMaxDepth folders, a folder inside itself.
func (d *WalkEntry) resolve(op string) error {
	if len(d.anc) > rdMaxDepth {
		return &fs.PathError{Op: op, Path: d.path, Err: rdErrTooDeep}
	}
	if d.IsDir() && slices.Contains(d.anc, d.e.FirstCluster) {
		err := rdCorrupt(d.e.Offset, "folder %q at cluster %d contains itself", d.e.Name, d.e.FirstCluster)
		return &fs.PathError{Op: op, Path: d.path, Err: err}
	}
	return nil
}

// list reads the folder's entries, sorted by name, as Volume.ReadDir
// does for its path, but without keeping them in the volume's cache of
// folders.
func (d *WalkEntry) list() ([]*DirEntry, error) {
	if err := d.resolve("readdir"); err != nil {
		return nil, err
	}
	var list *rdDirList
	var err error
	if len(d.anc) == 0 {
		list, err = d.v.rdLoadDir(d.e, 0) // the root, cached since the volume was opened
	} else {
		list, err = d.v.rdReadDir(d.e, rdParentOf(d.anc))
	}
	if err != nil {
		return nil, &fs.PathError{Op: "readdir", Path: d.path, Err: err}
	}
	entries := slices.Clone(list.entries)
	slices.SortFunc(entries, func(a, b *DirEntry) int { return strings.Compare(a.Name, b.Name) })
	return entries, nil
}

// Walk calls fn for the root and every file and folder below it as
// fs.WalkDir(v, ".", fn) does: the same paths in the same order, the same
// errors, the same second call of fn for a folder that cannot be read,
// and fs.SkipDir and fs.SkipAll as there. Unlike a walk through the
// fs.FS methods, it reads each folder once, looks no path up, and keeps
// only the folders on the way to the one being walked, so that what it
// holds does not grow with the files of the volume.
func (v *Volume) Walk(fn func(p string, d *WalkEntry, err error) error) error {
	err := v.rdWalk(&WalkEntry{v: v, e: v.root, path: "."}, fn)
	if err == fs.SkipDir || err == fs.SkipAll {
		return nil
	}
	return err
}

// rdWalk walks d and what is below it, as fs.WalkDir's walkDir does.
func (v *Volume) rdWalk(d *WalkEntry, fn func(p string, d *WalkEntry, err error) error) error {
	if err := fn(d.path, d, nil); err != nil || !d.IsDir() {
		if err == fs.SkipDir && d.IsDir() {
			err = nil
		}
		return err
	}
	entries, err := d.list()
	if err != nil {
		if err = fn(d.path, d, err); err != nil {
			if err == fs.SkipDir {
				err = nil
			}
			return err
		}
	}
	// Every entry of the folder shares one list of its ancestors, which
	// no deeper folder changes.
	anc := append(d.anc[:len(d.anc):len(d.anc)], d.e.FirstCluster)
	for _, e := range entries {
		if err := v.rdWalk(&WalkEntry{v: v, e: e, path: path.Join(d.path, e.Name), anc: anc}, fn); err != nil {
			if err == fs.SkipDir {
				break
			}
			return err
		}
	}
	return nil
}
