package library

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"flashkiosk/firmware/fat"
)

// BuildOptions are the choices of a Build beyond its folders.
type BuildOptions struct {
	Name string    // the library's name; the source folder's name if empty
	Date time.Time // the library's date; only its year, month and day count
	// Skipped, if set, is called with the slash path of each junk file or
	// folder (.DS_Store, Thumbs.db, …) left out of the library.
	Skipped func(path string)
}

// junkNames are files and folders that operating systems leave behind;
// they are never content. Compared without regard to case.
var junkNames = []string{
	".DS_Store", "Thumbs.db", "desktop.ini", ".Trashes", ".Spotlight-V100",
	".fseventsd", "System Volume Information", "$RECYCLE.BIN",
}

// IsJunk reports whether a file or folder name is operating-system junk
// (.DS_Store, ._ files, System Volume Information, …): never content,
// and never in the way of a library at a drive's root.
func IsJunk(name string) bool {
	if strings.HasPrefix(name, "._") {
		return true
	}
	for _, j := range junkNames {
		if strings.EqualFold(name, j) {
			return true
		}
	}
	return false
}

// Build makes a library in out from the files in the folder src, sorted
// into tiers by src/tiers.toml if there is one. Everything FAT32 or the
// format cannot hold is refused before any file is hashed or copied; the
// error is then a *SourceError. Files are hard-linked into out/content
// (copied where linking fails), so changing a source file afterwards
// changes the library too: Verify and Sign find that. out must not exist
// or be an empty folder; the library is built beside it and renamed into
// place at the end, so a failed build leaves nothing behind.
func Build(ctx context.Context, src, out string, opts BuildOptions) (*Library, error) {
	src, out, err := checkFolders(src, out)
	if err != nil {
		return nil, err
	}
	if opts.Date.IsZero() {
		return nil, errors.New("no library date given")
	}
	date := time.Date(opts.Date.Year(), opts.Date.Month(), opts.Date.Day(), 0, 0, 0, 0, time.UTC)
	if err := checkDate(date); err != nil {
		return nil, fmt.Errorf("library date: %w", err)
	}
	name := opts.Name
	if name == "" {
		name = filepath.Base(src)
	}
	if err := checkLabel("library name", name, false); err != nil {
		return nil, err
	}
	tiers, err := readTiers(filepath.Join(src, TiersFile))
	if err != nil {
		return nil, err
	}
	list, err := scan(src, opts.Skipped)
	if err != nil {
		return nil, err
	}
	if list.files == 0 {
		return nil, &SourceError{Path: src, Reason: "holds no files"}
	}
	if err := checkTree(list); err != nil {
		return nil, &SourceError{Path: src, Reason: err.Error()}
	}
	if tiers, err = assignTiers(tiers, list, list.setTier); err != nil {
		return nil, &SourceError{Path: filepath.Join(src, TiersFile), Reason: err.Error()}
	}
	order := make([]uint32, list.count()) // the items in manifest order
	for i := range order {
		order[i] = uint32(i)
	}
	slices.SortFunc(order, func(a, b uint32) int { return compareItems(list.at(int(a)), list.at(int(b))) })

	tmp, err := os.MkdirTemp(filepath.Dir(out), "."+filepath.Base(out)+".building-")
	if err != nil {
		return nil, err
	}
	done := false
	defer func() {
		if !done {
			os.RemoveAll(tmp)
		}
	}()
	if err := writeLibrary(ctx, src, tmp, name, date.Format(dateLayout), tiers, list, order); err != nil {
		return nil, err
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return nil, err
	}
	// os.Rename does not replace a folder, even an empty one; Remove does
	// not remove one that is not empty.
	if err := os.Remove(out); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("output %s: %w", out, err)
	}
	if err := os.Rename(tmp, out); err != nil {
		return nil, err
	}
	done = true
	return Open(out)
}

// writeLibrary puts the items of list, in the order given, into the
// content folder of the new library dir, and writes its manifest as it
// goes: nothing of the manifest but one file is in memory at a time.
func writeLibrary(ctx context.Context, src, dir, name, date string, tiers []Tier, list *sourceList, order []uint32) error {
	mf, err := os.OpenFile(filepath.Join(dir, ManifestFile), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	defer mf.Close()
	w, err := newManifestWriter(mf, name, date, tiers)
	if err != nil {
		return err
	}
	var folders []Folder
	buf := make([]byte, copyBuffer)
	for _, i := range order {
		it := list.at(int(i))
		dst := filepath.Join(dir, ContentDir, filepath.FromSlash(it.path))
		if it.dir {
			folders = append(folders, Folder{Path: it.path, Tier: it.tier})
			if err := os.MkdirAll(dst, 0o755); err != nil {
				return err
			}
			continue
		}
		sum, err := addFile(ctx, filepath.Join(src, filepath.FromSlash(it.path)), dst, it.size, buf)
		if err != nil {
			return err
		}
		w.file(File{Path: it.path, Size: it.size, SHA256: sum, Tier: it.tier})
	}
	for _, d := range folders {
		w.folder(d)
	}
	if err := w.close(); err != nil {
		return err
	}
	if err := mf.Sync(); err != nil {
		return err
	}
	if err := mf.Close(); err != nil {
		return err
	}
	return syncDir(dir)
}

// checkFolders makes src and out absolute and checks them: src a folder,
// out absent or an empty folder, and not inside src.
func checkFolders(src, out string) (string, string, error) {
	src, err := filepath.Abs(src)
	if err != nil {
		return "", "", err
	}
	if out, err = filepath.Abs(out); err != nil {
		return "", "", err
	}
	info, err := os.Stat(src)
	if err != nil {
		return "", "", &SourceError{Path: src, Reason: "cannot read the source: " + errText(err)}
	}
	if !info.IsDir() {
		return "", "", &SourceError{Path: src, Reason: "the source is not a folder"}
	}
	if rel, err := filepath.Rel(src, out); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", "", &SourceError{Path: out, Reason: "the output folder must not be inside the source " + src}
	}
	if info, err := os.Stat(filepath.Dir(out)); err != nil || !info.IsDir() {
		return "", "", fmt.Errorf("output %s: the folder it goes in, %s, does not exist", out, filepath.Dir(out))
	}
	entries, err := os.ReadDir(out)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return "", "", fmt.Errorf("output %s: %w", out, err)
	case len(entries) > 0:
		return "", "", fmt.Errorf("output %s exists and is not empty: give a new folder", out)
	}
	return src, out, nil
}

// errText is an error's text without the path that a *fs.PathError repeats.
func errText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// sourceList is what scan found in a source folder, held as compactly as
// a manifest holds it: a library of a million files is built in about the
// memory its manifest takes, not in a million structs and strings.
type sourceList struct {
	paths pathTable
	sizes column[uint32]
	kinds column[uint32] // the tier, with dirFlag for an empty folder
	files int
}

const dirFlag = 1 << 31

func (s *sourceList) add(p string, size int64, dir bool) {
	s.paths.add(p)
	s.sizes.add(uint32(size))
	if dir {
		s.kinds.add(dirFlag)
	} else {
		s.kinds.add(0)
		s.files++
	}
}

func (s *sourceList) count() int { return s.paths.len() }

func (s *sourceList) at(i int) item {
	k := s.kinds.at(i)
	return item{path: s.paths.path(i), size: int64(s.sizes.at(i)), dir: k&dirFlag != 0, tier: int(k &^ dirFlag), n: i}
}

func (s *sourceList) setTier(i, tier int) {
	k := s.kinds.ptr(i)
	*k = *k&dirFlag | uint32(tier)
}

// scan walks src in sorted order and returns its files and empty folders
// with tier 0, refusing anything a FAT32 drive cannot hold.
func scan(src string, skipped func(string)) (*sourceList, error) {
	list := &sourceList{}
	full := map[string]bool{} // folders with content
	var dirs []string
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return &SourceError{Path: p, Reason: "cannot read: " + errText(err)}
		}
		if p == src {
			return nil
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if IsJunk(d.Name()) {
			if skipped != nil {
				skipped(rel)
			}
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if rel == TiersFile && d.Type().IsRegular() {
			return nil
		}
		if kind := irregular(d.Type()); kind != "" {
			return &SourceError{Path: p, Reason: kind}
		}
		var ne *fat.NameError
		if err := fat.CheckPath(rel); errors.As(err, &ne) {
			return &SourceError{Path: p, Reason: "cannot be stored on FAT: " + ne.Reason}
		} else if err != nil {
			return err
		}
		if NamesProject(d.Name()) {
			return &SourceError{Path: p, Reason: ProjectNameReason + "; rename it or leave it out"}
		}
		full[path.Dir(rel)] = true
		if d.IsDir() {
			dirs = append(dirs, rel)
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return &SourceError{Path: p, Reason: "cannot read: " + errText(err)}
		}
		if info.Size() > fat.MaxFileSize {
			return &SourceError{Path: p, Reason: tooLarge(d.Name(), info.Size())}
		}
		list.add(rel, info.Size(), false)
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, d := range dirs {
		if !full[d] {
			list.add(d, 0, true)
		}
	}
	list.paths.seal()
	return list, nil
}

// irregular names a file type a library cannot hold, with what to do
// instead; "" for regular files and folders.
func irregular(t fs.FileMode) string {
	switch {
	case t.IsRegular() || t.IsDir():
		return ""
	case t&fs.ModeSymlink != 0:
		return "is a symbolic link, which FAT cannot hold: replace it with a copy of what it points to"
	case t&fs.ModeCharDevice != 0:
		return "is a character device, not a file: remove it from the source"
	case t&fs.ModeDevice != 0:
		return "is a block device, not a file: remove it from the source"
	case t&fs.ModeNamedPipe != 0:
		return "is a named pipe (FIFO), not a file: remove it from the source"
	case t&fs.ModeSocket != 0:
		return "is a socket, not a file: remove it from the source"
	}
	return fmt.Sprintf("is not a regular file (%s): remove it from the source", t)
}

// tooLarge says that a file is over FAT32's limit and how to split it.
func tooLarge(name string, size int64) string {
	msg := fmt.Sprintf("%d bytes is over FAT32's limit of %d bytes (4 GiB - 1) for one file: ", size, int64(fat.MaxFileSize))
	q := shellQuote(name)
	if strings.EqualFold(path.Ext(name), ".zim") {
		return msg + fmt.Sprintf("split it with `split -b 4000M %s %s` and remove the original; Kiwix reads the parts %saa, %sab, … as one ZIM file", q, q, name, name)
	}
	return msg + fmt.Sprintf("split it with `split -b 4000M %s %s.` and remove the original; the reader joins the parts with `cat %s.* > %s`", q, q, q, q)
}

// shellQuote quotes s for a POSIX shell where it needs quoting.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-+") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// addFile puts the source file src at dst, hard-linked or else copied,
// and returns the SHA-256 of what is now at dst. size is what the file had
// when the source was checked; a file that changed since is an error.
func addFile(ctx context.Context, src, dst string, size int64, buf []byte) (sum [sha256.Size]byte, err error) {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return sum, err
	}
	h := sha256.New()
	var n int64
	if err := os.Link(src, dst); err == nil {
		f, _, _, err := openRegular(dst)
		if err != nil {
			return sum, err
		}
		defer f.Close()
		if n, err = io.CopyBuffer(h, ctxReader{ctx, f}, buf); err != nil {
			return sum, fmt.Errorf("hash %s: %w", src, err)
		}
	} else if n, err = copyFile(ctx, src, dst, h, buf); err != nil {
		return sum, err
	}
	if n != size {
		return sum, &SourceError{Path: src, Reason: fmt.Sprintf("changed while the library was built (%d bytes, then %d)", size, n)}
	}
	h.Sum(sum[:0])
	return sum, nil
}

// copyFile copies src to a new file dst, feeding what it copies to h.
func copyFile(ctx context.Context, src, dst string, h io.Writer, buf []byte) (int64, error) {
	in, _, _, err := openRegular(src)
	if err != nil {
		return 0, err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return 0, err
	}
	n, err := io.CopyBuffer(io.MultiWriter(out, h), ctxReader{ctx, in}, buf)
	if err != nil {
		out.Close()
		return 0, fmt.Errorf("copy %s: %w", src, err)
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return 0, err
	}
	return n, out.Close()
}

// writeFile writes data to a temporary file beside name and, once it is
// on disk, moves it to name: replacing what is there if replace, else
// failing if name exists. Readers see the old file or the new, never a
// part.
func writeFile(name string, data []byte, perm os.FileMode, replace bool) error {
	f, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".tmp-")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(perm)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if replace {
		err = os.Rename(tmp, name)
	} else {
		// A hard link, unlike a rename, fails if name exists.
		err = os.Link(tmp, name)
	}
	if err != nil {
		return err
	}
	return syncDir(filepath.Dir(name))
}

// syncDir makes a folder's entries durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
