// Package fakedrive serves a disk image through FUSE that misbehaves the
// way counterfeit USB sticks do: it reports more bytes than it holds, and
// past its real size writes wrap around to lower addresses or are lost. It
// can also fail reads and writes in a byte range, like a dying stick.
// Attached with losetup, it becomes a real kernel block device for tests of
// the capacity probe and the I/O error paths. It is test equipment: nothing
// in the appliance uses it.
package fakedrive

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"

	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
)

// Mode is what happens to bytes past the real size.
type Mode int

// The behaviours of counterfeit drives.
const (
	Wrap  Mode = iota // offsets wrap modulo the real size
	Limbo             // writes are lost, reads return zeros
)

// Options describe a fake drive.
type Options struct {
	Reported int64 // size the drive reports
	Real     int64 // bytes it really holds (Real >= Reported: a genuine drive)
	Mode     Mode
	// Reads and writes touching [FailFrom, FailTo) fail with EIO; with
	// FailReadsOnly, only reads do.
	FailFrom, FailTo int64
	FailReadsOnly    bool
	// Flip makes reads return the byte at FlipAt inverted: data that
	// silently decays.
	Flip   bool
	FlipAt int64
}

// Drive is a mounted fake drive.
type Drive struct {
	opts    Options
	backing *os.File
	server  *fuse.Server
	mnt     string
}

// Mount serves a fake drive in the empty folder dir, backed by a sparse
// file in dir's parent. Its image is Path().
func Mount(dir string, opts Options) (*Drive, error) {
	backing, err := os.CreateTemp(filepath.Dir(dir), "fakedrive-*.img")
	if err != nil {
		return nil, err
	}
	os.Remove(backing.Name()) // lives while open
	if err := backing.Truncate(min(opts.Real, opts.Reported)); err != nil {
		backing.Close()
		return nil, err
	}
	d := &Drive{opts: opts, backing: backing, mnt: dir}
	root := &rootNode{d: d}
	d.server, err = fs.Mount(dir, root, &fs.Options{MountOptions: fuse.MountOptions{
		DirectMountStrict: true, FsName: "fakedrive", Name: "fakedrive", MaxWrite: 1 << 20,
	}})
	if err != nil {
		backing.Close()
		return nil, fmt.Errorf("mount fake drive on %s: %w", dir, err)
	}
	return d, nil
}

// Path is the image file to attach with losetup.
func (d *Drive) Path() string { return filepath.Join(d.mnt, "disk") }

// Close unmounts the drive; detach any loop device first.
func (d *Drive) Close() error {
	err := d.server.Unmount()
	d.backing.Close()
	return err
}

// Locate maps a byte range of the reported drive to the backing store of
// Real bytes: the offset there, how many bytes map contiguously, and
// whether they exist. Other fakes (the NBD server of tools/fakenbd) share
// it, so every fake wraps and loses bytes the same way.
func (o Options) Locate(off, n int64) (at, run int64, exists bool) {
	real := o.Real
	if real >= o.Reported {
		return off, min(n, o.Reported-off), true
	}
	if off < real {
		return off, min(n, real-off), true
	}
	if o.Mode == Limbo || real == 0 {
		return off, n, false
	}
	at = off % real
	return at, min(n, real-at), true
}

// ReadAt fills p from offset off of the reported device: the bytes that
// exist from backing, where Locate puts them, and zeros for those lost.
func (o Options) ReadAt(backing io.ReaderAt, p []byte, off int64) error {
	for done := int64(0); done < int64(len(p)); {
		at, run, exists := o.Locate(off+done, int64(len(p))-done)
		part := p[done : done+run]
		if !exists {
			clear(part)
		} else if _, err := backing.ReadAt(part, at); err != nil {
			return fmt.Errorf("read %d bytes at %d (real %d): %w", run, off+done, at, err)
		}
		done += run
	}
	return nil
}

// WriteAt writes p at offset off of the reported device into backing,
// where Locate puts each byte (wrapped, or dropped in limbo). It returns
// how many bytes of p it got through.
func (o Options) WriteAt(backing io.WriterAt, p []byte, off int64) (int64, error) {
	for done := int64(0); done < int64(len(p)); {
		at, run, exists := o.Locate(off+done, int64(len(p))-done)
		if exists {
			if _, err := backing.WriteAt(p[done:done+run], at); err != nil {
				return done, fmt.Errorf("write %d bytes at %d (real %d): %w", run, off+done, at, err)
			}
		}
		done += run
	}
	return int64(len(p)), nil
}

func (d *Drive) fails(off, n int64) bool {
	return off < d.opts.FailTo && off+n > d.opts.FailFrom
}

type rootNode struct {
	fs.Inode
	d *Drive
}

var _ fs.NodeOnAdder = (*rootNode)(nil)

func (r *rootNode) OnAdd(ctx context.Context) {
	ch := r.NewPersistentInode(ctx, &diskNode{d: r.d}, fs.StableAttr{Mode: syscall.S_IFREG})
	r.AddChild("disk", ch, false)
}

type diskNode struct {
	fs.Inode
	d *Drive
}

var (
	_ fs.NodeGetattrer = (*diskNode)(nil)
	_ fs.NodeSetattrer = (*diskNode)(nil)
	_ fs.NodeOpener    = (*diskNode)(nil)
	_ fs.NodeReader    = (*diskNode)(nil)
	_ fs.NodeWriter    = (*diskNode)(nil)
	_ fs.NodeFsyncer   = (*diskNode)(nil)
	_ fs.NodeFlusher   = (*diskNode)(nil)
)

func (n *diskNode) Getattr(ctx context.Context, f fs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	out.Mode = syscall.S_IFREG | 0o600
	out.Size = uint64(n.d.opts.Reported)
	out.Blksize = 4096
	return 0
}

func (n *diskNode) Setattr(ctx context.Context, f fs.FileHandle, in *fuse.SetAttrIn, out *fuse.AttrOut) syscall.Errno {
	return n.Getattr(ctx, f, out)
}

// Open asks the kernel to bypass its page cache, so that every read and
// write reaches the fake's mapping.
func (n *diskNode) Open(ctx context.Context, flags uint32) (fs.FileHandle, uint32, syscall.Errno) {
	return nil, fuse.FOPEN_DIRECT_IO, 0
}

func (n *diskNode) Read(ctx context.Context, f fs.FileHandle, dest []byte, off int64) (fuse.ReadResult, syscall.Errno) {
	size := n.d.opts.Reported
	if off >= size {
		return fuse.ReadResultData(nil), 0
	}
	dest = dest[:min(int64(len(dest)), size-off)]
	if n.d.fails(off, int64(len(dest))) {
		return nil, syscall.EIO
	}
	if err := n.d.opts.ReadAt(n.d.backing, dest, off); err != nil {
		return nil, syscall.EIO
	}
	if n.d.opts.Flip && off <= n.d.opts.FlipAt && n.d.opts.FlipAt < off+int64(len(dest)) {
		dest[n.d.opts.FlipAt-off] ^= 0xFF
	}
	return fuse.ReadResultData(dest), 0
}

func (n *diskNode) Write(ctx context.Context, f fs.FileHandle, data []byte, off int64) (uint32, syscall.Errno) {
	if off+int64(len(data)) > n.d.opts.Reported {
		return 0, syscall.ENOSPC
	}
	if !n.d.opts.FailReadsOnly && n.d.fails(off, int64(len(data))) {
		return 0, syscall.EIO
	}
	if done, err := n.d.opts.WriteAt(n.d.backing, data, off); err != nil {
		return uint32(done), syscall.EIO
	}
	return uint32(len(data)), 0
}

func (n *diskNode) Fsync(ctx context.Context, f fs.FileHandle, flags uint32) syscall.Errno {
	return 0
}

func (n *diskNode) Flush(ctx context.Context, f fs.FileHandle) syscall.Errno { return 0 }
