package library

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"flashkiosk/firmware/regfile"
)

// Library is an opened library: its folder and its checked manifest.
// Opening does not read the files; Verify does.
type Library struct {
	Dir      string    // the library folder
	Manifest *Manifest // checked

	root     *os.File          // the open folder Dir, beneath which content is opened
	sum      [sha256.Size]byte // SHA-256 of the manifest's bytes as parsed
	sig      *signature        // the signature file as Open found it, if sigErr is nil
	sigErr   error             // why there is none: wraps fs.ErrNotExist if there is no file
	sigHash  []byte            // the hash of the manifest's bytes that checking sig needs
	date     time.Time         // the manifest's date
	verified verifiedSet       // files that passed their SHA-256, see verified.go
}

// Open reads and checks the manifest of the library in dir, as a stream:
// the manifest's bytes are never all in memory, only its compact form. The
// signature file is read first, so that the one pass over the manifest
// also computes what checking the signature needs (see CheckSignature). A
// manifest that breaks any rule of the format, is not a regular file or
// is larger than MaxManifestSize gives a *CorruptManifestError.
func Open(dir string) (*Library, error) {
	file := filepath.Join(dir, ManifestFile)
	// Build writes no link, so a link here is refused, not followed.
	f, err := regfile.Open(file, regfile.Refuse)
	var notRegular *regfile.NotRegularError
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("%s is not a library: no %s", dir, ManifestFile)
	case errors.As(err, &notRegular):
		return nil, &CorruptManifestError{File: file, Err: err}
	case err != nil:
		return nil, err
	}
	defer f.Close()
	l := &Library{Dir: dir}
	l.sig, l.sigErr = readSignature(filepath.Join(dir, SignatureFile))
	sum := sha256.New()
	var w io.Writer = sum
	var sigHash hash.Hash
	if l.sigErr == nil {
		sigHash = verifyHash(l.sig.Key, l.sig.Signature)
		w = io.MultiWriter(sum, sigHash)
	}
	r, err := newLimitedReader(f, file, MaxManifestSize)
	if err != nil {
		return nil, &CorruptManifestError{File: file, Err: err}
	}
	m, err := readManifest(r, w)
	var tooLarge *regfile.TooLargeError
	switch {
	case errors.As(err, &tooLarge):
		return nil, &CorruptManifestError{File: file, Err: tooLarge}
	case err != nil && r.err != nil: // reading failed, the manifest may be sound
		return nil, err
	case err != nil:
		return nil, &CorruptManifestError{File: file, Err: err}
	}
	sum.Sum(l.sum[:0])
	if sigHash != nil {
		l.sigHash = sigHash.Sum(nil)
	}
	if l.date, err = ParseDate(m.Date); err != nil {
		return nil, fmt.Errorf("BUG: checked manifest has %w", err)
	}
	if l.root, err = openRoot(dir); err != nil {
		return nil, err
	}
	l.Manifest = m
	l.verified.n = m.NumFiles()
	return l, nil
}

// limitedReader reads a file of at most limit bytes, failing with a
// *regfile.TooLargeError past them, whatever the file's size claims.
type limitedReader struct {
	f     *os.File
	name  string
	limit int64
	n     int64
	err   error // the error reading f, other than io.EOF
}

func newLimitedReader(f *os.File, name string, limit int64) (*limitedReader, error) {
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if info.Size() > limit {
		return nil, &regfile.TooLargeError{Path: name, Size: info.Size(), Limit: limit}
	}
	return &limitedReader{f: f, name: name, limit: limit}, nil
}

func (r *limitedReader) Read(p []byte) (int, error) {
	n, err := r.f.Read(p[:min(int64(len(p)), r.limit+1-r.n)])
	r.n += int64(n)
	if r.n > r.limit {
		return 0, &regfile.TooLargeError{Path: r.name, Size: r.n, Limit: r.limit}
	}
	if err != nil && err != io.EOF {
		r.err = err
	}
	return n, err
}

// Time is the library's date at midnight: the time of every entry on a
// drive. FAT stores local time without a zone, so the location (UTC) only
// carries the fields: use them as they are.
func (l *Library) Time() time.Time { return l.date }

// ContentPath is where the file with manifest path p lies on this machine.
// Reading it there bypasses the hash check that Open does, and the refusal
// of links on the way.
func (l *Library) ContentPath(p string) string {
	return filepath.Join(l.Dir, ContentDir, filepath.FromSlash(p))
}

// Open opens the file with manifest path p for reading. The reader checks
// what it reads and, at the end, returns a *ContentError instead of io.EOF
// if the size or content differs from the manifest, so that a drive never
// silently gets a changed file: with SHA-256, or with a remembered block
// checksum (see blocksum.go) if this
// library saw the unchanged file pass its SHA-256 before (see verified.go).
func (l *Library) Open(p string) (io.ReadCloser, error) {
	i, ok := l.Manifest.Lookup(p)
	if !ok {
		return nil, fmt.Errorf("%q is not a file of library %s", p, l.Dir)
	}
	return l.OpenFile(i)
}

// OpenFile is Open for the manifest's i-th file, 0 <= i < NumFiles: it
// needs no lookup by path (nor the index of paths a lookup builds).
func (l *Library) OpenFile(i int) (io.ReadCloser, error) {
	f := l.Manifest.File(i)
	p := f.Path
	r, id, known, err := l.openContent(p)
	if err != nil {
		return nil, &ContentError{Path: p, Reason: err.Error(), Err: err}
	}
	c := &checkedReader{f: r, want: f, index: i, fast: newBlockSum(f.Size), lib: l, id: id, known: known}
	if sum, ok := l.verified.lookup(i, c.id); ok && c.known {
		c.wantFast = &sum
	} else {
		c.h = sha256.New()
	}
	return c, nil
}

// checkedReader reads a library file and checks it against the manifest
// at its end: with SHA-256, or with a remembered block checksum (wantFast).
type checkedReader struct {
	f        *os.File
	want     File
	index    int       // of want in the manifest
	h        hash.Hash // SHA-256, when checking against the manifest
	fast     *blockSum // the block checksum of what was read
	wantFast *uint64  // the remembered block checksum, when trusting it
	lib      *Library
	id       identity
	known    bool // id is the file's identity
	n        int64
}

func (c *checkedReader) Read(p []byte) (int, error) {
	n, err := c.f.Read(p)
	if c.h != nil {
		c.h.Write(p[:n])
	}
	c.fast.Write(p[:n])
	c.n += int64(n)
	if c.n > c.want.Size {
		return n, &ContentError{Path: c.want.Path, Reason: fmt.Sprintf("larger than the %d bytes the manifest says", c.want.Size)}
	}
	if err == io.EOF {
		if err := c.check(); err != nil {
			return n, err
		}
	}
	return n, err
}

// check runs at the end of the file.
func (c *checkedReader) check() error {
	sum := c.fast.Sum64()
	if c.wantFast != nil {
		if c.n != c.want.Size || sum != *c.wantFast {
			return &ContentError{Path: c.want.Path, Reason: "changed since its SHA-256 was checked (block checksum differs)"}
		}
		return nil
	}
	if err := checkSum(c.want, c.n, c.h); err != nil {
		return err
	}
	if c.known {
		c.lib.verified.remember(c.index, c.id, sum)
	}
	return nil
}

func (c *checkedReader) Close() error { return c.f.Close() }

// checkSum compares a file's read size and hash with the manifest.
func checkSum(want File, n int64, h hash.Hash) error {
	if n != want.Size {
		return &ContentError{Path: want.Path, Reason: fmt.Sprintf("size %d bytes; the manifest says %d", n, want.Size)}
	}
	if got := h.Sum(nil); !bytes.Equal(got, want.SHA256[:]) {
		return &ContentError{Path: want.Path, Reason: fmt.Sprintf("SHA-256 %x; the manifest says %x", got, want.SHA256)}
	}
	return nil
}

// openContent opens the file with manifest path p, refusing a link
// anywhere beneath the library folder: Build makes none, and one could
// point anywhere. Where the kernel has no openat2, each open falls back
// to a walk; not remembering that keeps a Library free of such state, at
// the cost of one failed system call per file on kernels before 5.6.
func (l *Library) openContent(p string) (*os.File, identity, bool, error) {
	return openBeneath(l.root, l.Dir, ContentDir+"/"+p, true)
}

// linkError says that name, in a library, is a symbolic link.
func linkError(name string) error {
	return fmt.Errorf("%s is a symbolic link; a library holds none", name)
}

// notRegular says what the file at name is instead of a regular file.
func notRegular(name string) error {
	info, err := os.Lstat(name)
	if err != nil {
		return err
	}
	return fmt.Errorf("%s is not a regular file (%s)", name, info.Mode().Type())
}

// CheckSizes checks that every file exists with its size, without reading
// any: a quick look for a truncated or half-copied library. The error names
// the first bad file in manifest order and is a *ContentError.
func (l *Library) CheckSizes() error {
	folders := map[string]error{} // what checkFolders found, by slash path
	for _, f := range l.Manifest.Files() {
		rel := ContentDir + "/" + f.Path
		err := l.checkFolders(rel, folders)
		var info fs.FileInfo
		if err == nil {
			info, err = os.Lstat(l.ContentPath(f.Path))
		}
		switch {
		case errors.Is(err, os.ErrNotExist):
			return &ContentError{Path: f.Path, Reason: "missing", Err: err}
		case err != nil:
			return &ContentError{Path: f.Path, Reason: err.Error(), Err: err}
		case info.Mode()&fs.ModeSymlink != 0:
			err := linkError(l.ContentPath(f.Path))
			return &ContentError{Path: f.Path, Reason: err.Error(), Err: err}
		case !info.Mode().IsRegular():
			return &ContentError{Path: f.Path, Reason: fmt.Sprintf("not a regular file (%s)", info.Mode().Type())}
		case info.Size() != f.Size:
			return &ContentError{Path: f.Path, Reason: fmt.Sprintf("size %d bytes; the manifest says %d", info.Size(), f.Size)}
		}
	}
	return nil
}

// checkFolders checks that every folder on the way to the slash path rel
// in the library is a folder and not a link, looking at each once: seen
// holds what was found for the folders looked at before.
func (l *Library) checkFolders(rel string, seen map[string]error) error {
	for i := 0; i < len(rel); i++ {
		if rel[i] != '/' {
			continue
		}
		err, ok := seen[rel[:i]]
		if !ok {
			name := filepath.Join(l.Dir, filepath.FromSlash(rel[:i]))
			info, lerr := os.Lstat(name)
			switch {
			case lerr != nil:
				err = lerr
			case info.Mode()&fs.ModeSymlink != 0:
				err = linkError(name)
			case !info.IsDir():
				err = fmt.Errorf("%s is not a folder (%s)", name, info.Mode().Type())
			}
			seen[rel[:i]] = err
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// Verify checks every file against the manifest: first all sizes, which is
// quick, then every SHA-256 (always, whatever the library remembers; it
// remembers the files that pass). The error is a *ContentError naming the first
// file in manifest order that fails the sizes, else the first that fails
// its hash; or the context's error if ctx ends first. Empty folders are not
// looked for: the manifest is what a drive reproduces.
func (l *Library) Verify(ctx context.Context) error {
	if err := l.CheckSizes(); err != nil {
		return err
	}
	buf := make([]byte, copyBuffer)
	for i, f := range l.Manifest.Files() {
		r, id, known, err := l.openContent(f.Path)
		if err != nil {
			return &ContentError{Path: f.Path, Reason: err.Error(), Err: err}
		}
		h, fast := sha256.New(), newBlockSum(f.Size)
		n, err := io.CopyBuffer(io.MultiWriter(h, fast), ctxReader{ctx, r}, buf)
		r.Close()
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("verify %s: %w", l.Dir, err)
		}
		if err != nil {
			return &ContentError{Path: f.Path, Reason: err.Error(), Err: err}
		}
		if err := checkSum(f, n, h); err != nil {
			return err
		}
		if known {
			l.verified.remember(i, id, fast.Sum64())
		}
	}
	return nil
}

// copyBuffer is the size of reads when hashing and copying files.
const copyBuffer = 1 << 20

// ctxReader stops reading once its context ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
