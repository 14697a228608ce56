package library

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"

	"github.com/zeebo/xxh3"

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
//
// The memory is one record of 16 bytes per file of the manifest, by its
// index: a 64-bit hash of the identity (two identities that hash alike
// still need the file's bytes to match the remembered checksum) and the
// 64-bit checksum.

// identity is what changes whenever a file's content may have changed.
type identity struct {
	Dev, Ino           uint64
	Size, Mtime, Ctime int64
}

// hash is the identity's 64-bit hash, never 0 (which means none).
func (id identity) hash() uint64 {
	var b [40]byte
	binary.LittleEndian.PutUint64(b[0:], id.Dev)
	binary.LittleEndian.PutUint64(b[8:], id.Ino)
	binary.LittleEndian.PutUint64(b[16:], uint64(id.Size))
	binary.LittleEndian.PutUint64(b[24:], uint64(id.Mtime))
	binary.LittleEndian.PutUint64(b[32:], uint64(id.Ctime))
	return max(xxh3.Hash(b[:]), 1)
}

// verifiedFile is what a library remembers of a file: the hash of the
// identity it had when it matched its SHA-256 (0 for none) and its block
// checksum.
type verifiedFile struct {
	id  uint64
	sum uint64
}

// verifiedRecord is the size of a verifiedFile in the cache file.
const verifiedRecord = 16

// verifiedSet is the library's memory of verified files; safe for use by
// several jobs at once.
type verifiedSet struct {
	mu    sync.Mutex
	n     int            // files in the manifest
	files []verifiedFile // by manifest index; nil until one is remembered
	gen   int            // counts changes
	saved string         // a cache file that holds every file of the set, if any
}

func (v *verifiedSet) lookup(i int, id identity) (uint64, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.files == nil || v.files[i].id != id.hash() {
		return 0, false
	}
	return v.files[i].sum, true
}

func (v *verifiedSet) remember(i int, id identity, sum uint64) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.put(i, verifiedFile{id: id.hash(), sum: sum})
}

// put remembers file i.
func (v *verifiedSet) put(i int, f verifiedFile) {
	if v.files == nil {
		v.files = make([]verifiedFile, v.n)
	}
	v.files[i] = f
	v.gen++
	v.saved = ""
}

// The cache file: a header of text lines, then one record per file of the
// manifest, in its order.
const verifiedHeader = "flashkiosk verified files 3\n"

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
	return filepath.Join(base, "flashkiosk", "verified-"+hex.EncodeToString(sum[:8])+".bin"), nil
}

// header is the cache file's header for this library.
func (l *Library) verifiedHeader() string {
	return verifiedHeader + blockSumName + "\n" + hex.EncodeToString(l.sum[:]) + "\n" + strconv.Itoa(l.Manifest.NumFiles()) + "\n"
}

// LoadVerified adds the verified files remembered at path, if that file
// exists, is a regular file and was written for this manifest and this
// checksum; anything else is ignored, as the only cost of forgetting is a
// SHA-256 check.
func (l *Library) LoadVerified(path string) {
	f, err := regfile.Open(path, regfile.Refuse)
	if err != nil {
		return
	}
	defer f.Close()
	n := l.Manifest.NumFiles()
	header := l.verifiedHeader()
	if info, err := f.Stat(); err != nil || info.Size() != int64(len(header))+int64(n)*verifiedRecord {
		return
	}
	r := bufio.NewReaderSize(f, 64<<10)
	got := make([]byte, len(header))
	if _, err := io.ReadFull(r, got); err != nil || string(got) != header {
		return
	}
	v := &l.verified
	v.mu.Lock()
	defer v.mu.Unlock()
	fresh := v.files == nil
	gen := v.gen
	var rec [verifiedRecord]byte
	for i := range n {
		if _, err := io.ReadFull(r, rec[:]); err != nil {
			return
		}
		if id := binary.LittleEndian.Uint64(rec[:8]); id != 0 {
			v.put(i, verifiedFile{id: id, sum: binary.LittleEndian.Uint64(rec[8:])})
		}
	}
	if fresh && v.gen != gen {
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
	defer v.mu.Unlock()
	if v.saved == path || v.files == nil {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".verified-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	w := bufio.NewWriterSize(tmp, 64<<10)
	w.WriteString(l.verifiedHeader())
	var rec [verifiedRecord]byte
	for _, f := range v.files {
		binary.LittleEndian.PutUint64(rec[:8], f.id)
		binary.LittleEndian.PutUint64(rec[8:], f.sum)
		w.Write(rec[:])
	}
	err = w.Flush()
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("save verified files: %w", err)
	}
	v.saved = path
	return nil
}
