package library

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"flashkiosk/firmware/regfile"
)

// A library remembers which of its files passed their SHA-256 check, tied
// to the identity of the file on disk (device, inode, size, modification
// and change time; any write to a file moves its change time, which no
// program can set back) and to a fast checksum of what was read (a
// blockSum). Reading such a file again checks that instead of SHA-256: it
// still catches any corruption of the bytes, at a tenth of the CPU, which
// matters when the same library goes onto drive after drive. A file whose
// identity changed is checked with SHA-256 again.

// identity is what changes whenever a file's content may have changed.
type identity struct {
	Dev, Ino           uint64
	Size, Mtime, Ctime int64
}

// verifiedFile is a file that matched its SHA-256 while it had identity ID.
type verifiedFile struct {
	ID  identity `json:"id"`
	Sum sum128   `json:"sum"`
}

// sum128 is a blockSum checksum, kept in hex in the cache file: a large
// library's cache decodes several times faster than with 16 JSON numbers
// per file.
type sum128 [16]byte

func (s sum128) MarshalText() ([]byte, error) { return hex.AppendEncode(nil, s[:]), nil }

func (s *sum128) UnmarshalText(b []byte) error {
	if hex.DecodedLen(len(b)) != len(s) {
		return fmt.Errorf("checksum %q: not %d hex bytes", b, len(s))
	}
	_, err := hex.Decode(s[:], b)
	return err
}

// verifiedSet is the library's memory of verified files; safe for use by
// several jobs at once.
type verifiedSet struct {
	mu    sync.Mutex
	files map[string]verifiedFile
	gen   int    // counts changes
	saved string // a cache file that holds every file of the set, if any
}

func (v *verifiedSet) lookup(p string, id identity) ([16]byte, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	f, ok := v.files[p]
	return f.Sum, ok && f.ID == id
}

func (v *verifiedSet) remember(p string, id identity, sum [16]byte) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.put(p, verifiedFile{ID: id, Sum: sum})
}

func (v *verifiedSet) put(p string, f verifiedFile) {
	if v.files == nil {
		v.files = map[string]verifiedFile{}
	}
	v.files[p] = f
	v.gen++
	v.saved = ""
}

// verifiedCache is the on-disk form of a verifiedSet.
type verifiedCache struct {
	Manifest string                  `json:"manifest_sha256"` // the cache holds only for this manifest
	Checksum string                  `json:"checksum"`        // blockSumName: the cache holds only for this checksum
	Files    map[string]verifiedFile `json:"files"`
}

// VerifiedCachePath is where kioskctl keeps the memory of verified files
// of the library in dir: in the user's own cache folder, not in the
// library, so that whoever can change the library cannot vouch for it.
func VerifiedCachePath(dir string) (string, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(abs))
	return filepath.Join(base, "flashkiosk", "verified-"+hex.EncodeToString(sum[:8])+".json"), nil
}

// LoadVerified adds the verified files remembered at path, if that file
// exists, is a regular file of a sane size and was written for this
// manifest; anything else is ignored, as the only cost of forgetting is a
// SHA-256 check.
func (l *Library) LoadVerified(path string) {
	data, err := regfile.ReadFile(path, regfile.Refuse, maxVerifiedSize)
	if err != nil {
		return
	}
	var c verifiedCache
	if json.Unmarshal(data, &c) != nil || c.Manifest != l.manifestSum() || c.Checksum != blockSumName {
		return
	}
	v := &l.verified
	v.mu.Lock()
	defer v.mu.Unlock()
	fresh := len(v.files) == 0
	for p, f := range c.Files {
		if _, ok := l.index[p]; ok {
			v.put(p, f)
		}
	}
	if fresh {
		v.saved = path
	}
}

// SaveVerified writes the verified files to path (mode 0600, in a folder
// of mode 0700), replacing it atomically. It writes nothing if path
// already holds them all: loaded from there, or saved there, and nothing
// remembered since.
func (l *Library) SaveVerified(path string) error {
	v := &l.verified
	v.mu.Lock()
	if v.saved == path {
		v.mu.Unlock()
		return nil
	}
	gen := v.gen
	c := verifiedCache{Manifest: l.manifestSum(), Checksum: blockSumName, Files: make(map[string]verifiedFile, len(v.files))}
	for p, f := range v.files {
		c.Files[p] = f
	}
	v.mu.Unlock()
	data, err := json.Marshal(c)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".verified-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("save verified files: %w", err)
	}
	v.mu.Lock()
	if v.gen == gen {
		v.saved = path
	}
	v.mu.Unlock()
	return nil
}

func (l *Library) manifestSum() string {
	sum := sha256.Sum256(l.raw)
	return hex.EncodeToString(sum[:])
}
