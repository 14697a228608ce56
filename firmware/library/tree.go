package library

import (
	"fmt"
	"path"
	"strings"

	"flashkiosk/firmware/fat"
)

// MaxDriveBytes is the largest disk whose whole size one MBR FAT32
// partition of 512-byte sectors can use; a library must fit on it.
const MaxDriveBytes = 2 << 40

// checkTree checks that items, each a valid FAT path, can stand together
// on one FAT32 volume: no path twice, no two names in a folder that FAT
// takes for one, no file where a folder must be, empty folders empty, no
// folder with more entries than FAT allows, and all of it within the
// largest volume.
func checkTree(items []item) error {
	type node struct {
		name string
		dir  bool
	}
	names := map[string]map[string]node{} // folder -> Fold(name) -> what is there
	child := map[string]string{}          // folder -> a path inside it
	seen := map[string]bool{}
	for _, it := range items {
		if seen[it.path] {
			return fmt.Errorf("%q is listed twice", it.path)
		}
		seen[it.path] = true
		parts := strings.Split(it.path, "/")
		for i, part := range parts {
			folder := strings.Join(parts[:i], "/")
			last := i == len(parts)-1
			here := node{name: part, dir: !last || it.dir}
			if names[folder] == nil {
				names[folder] = map[string]node{}
			}
			key := fat.Fold(part)
			old, ok := names[folder][key]
			switch {
			case ok && old.name != part:
				return fmt.Errorf("%q and %q differ only in case, and FAT takes them for one name: rename one",
					path.Join(folder, old.name), path.Join(folder, part))
			case ok && old.dir != here.dir:
				return fmt.Errorf("%q is both a file and a folder", path.Join(folder, part))
			}
			names[folder][key] = here
			if !last {
				sub := strings.Join(parts[:i+1], "/")
				if _, ok := child[sub]; !ok {
					child[sub] = it.path
				}
			}
		}
	}
	for _, it := range items {
		if c, ok := child[it.path]; ok && it.dir {
			return fmt.Errorf("folder %q is listed as empty but holds %q", it.path, c)
		}
	}
	g, err := fat.NewGeometry(MaxDriveBytes, 512)
	if err != nil {
		return fmt.Errorf("BUG: geometry of the largest drive: %w", err)
	}
	budget := fat.NewBudget(g, "")
	for _, it := range items {
		fits, err := budget.Add(it.path, it.size, it.dir)
		if err != nil {
			return err
		}
		if !fits {
			return fmt.Errorf("the library is larger than the largest FAT32 drive (%d bytes) can hold", int64(MaxDriveBytes))
		}
	}
	return nil
}
