// Package fakenbd serves a counterfeit USB stick over the network block
// device protocol (NBD), for qemu to attach as a virtual stick: the export
// claims more bytes than its backing file holds, and past the file's size
// offsets wrap around or writes are lost, exactly as in tools/fakedrive,
// whose offset mapping it shares.
//
// The server speaks fixed newstyle NBD with simple replies on a listener
// of the caller's (Serve) or a unix socket of its own (Start): options
// NBD_OPT_GO, NBD_OPT_INFO, NBD_OPT_EXPORT_NAME, NBD_OPT_LIST and
// NBD_OPT_ABORT; commands READ, WRITE (with FUA), FLUSH and DISC. It does
// not do TLS, structured replies, TRIM or WRITE_ZEROES; qemu falls back
// from all of them. It is test equipment: nothing in the appliance uses
// it.
package fakenbd

import (
	"fmt"
	"os"
	"sync/atomic"

	"flashkiosk/tools/fakedrive"
)

// Config describes a fake stick.
type Config struct {
	// File is the backing file, opened read-write; its size is the
	// stick's real size.
	File string
	// Claimed is the size the stick reports; 0 means the file's size (a
	// genuine stick).
	Claimed int64
	// Mode is what happens past the real size.
	Mode fakedrive.Mode
	// Name is the export's name; "", qemu's default, always matches too.
	Name string
}

// Stats counts what clients did.
type Stats struct {
	Clients      int64 // connections that reached the transmission phase
	Reads        int64 // read requests served
	Writes       int64 // write requests served
	Flushes      int64 // flush requests and FUA writes served
	BytesRead    int64
	BytesWritten int64
	// PastReal is how many written bytes lay at or past the real size:
	// wrapped onto lower offsets or lost.
	PastReal int64
	// Refused is how many requests got an error reply.
	Refused int64
	// Dropped is how many connections the server ended because the client
	// broke the protocol; LastDrop says why the last one was.
	Dropped  int64
	LastDrop string
}

// Export is a fake stick's backing file and its mapping from claimed
// offsets to real ones. Its methods are safe for concurrent use.
type Export struct {
	name string
	file *os.File
	geom fakedrive.Options

	clients, reads, writes, flushes, bytesRead, bytesWritten, pastReal, refused, dropped atomic.Int64
	lastDrop                                                                             atomic.Value // string
}

// Open opens cfg's backing file as an export.
func Open(cfg Config) (*Export, error) {
	f, err := os.OpenFile(cfg.File, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("fakenbd: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("fakenbd: %w", err)
	}
	claimed := cfg.Claimed
	if claimed == 0 {
		claimed = st.Size()
	}
	if claimed < 0 || st.Size() == 0 {
		f.Close()
		return nil, fmt.Errorf("fakenbd: %s: claimed size %d with %d real bytes: want a non-empty file and a size >= 0", cfg.File, cfg.Claimed, st.Size())
	}
	return &Export{name: cfg.Name, file: f, geom: fakedrive.Options{Reported: claimed, Real: st.Size(), Mode: cfg.Mode}}, nil
}

// Close closes the backing file.
func (e *Export) Close() error { return e.file.Close() }

// Size is the claimed size.
func (e *Export) Size() int64 { return e.geom.Reported }

// Real is the real size: the backing file's.
func (e *Export) Real() int64 { return e.geom.Real }

// Stats returns the counters so far.
func (e *Export) Stats() Stats {
	s := Stats{
		Clients: e.clients.Load(), Reads: e.reads.Load(), Writes: e.writes.Load(), Flushes: e.flushes.Load(),
		BytesRead: e.bytesRead.Load(), BytesWritten: e.bytesWritten.Load(), PastReal: e.pastReal.Load(),
		Refused: e.refused.Load(), Dropped: e.dropped.Load(),
	}
	s.LastDrop, _ = e.lastDrop.Load().(string)
	return s
}

// inRange reports whether [off, off+n) lies within the claimed size.
func (e *Export) inRange(off uint64, n uint32) bool {
	size := uint64(e.geom.Reported)
	return off <= size && uint64(n) <= size-off
}

// readAt fills p from offset off of the claimed stick; bytes that do not
// exist (limbo) read as zeros.
func (e *Export) readAt(p []byte, off int64) error {
	if err := e.geom.ReadAt(e.file, p, off); err != nil {
		return err
	}
	e.reads.Add(1)
	e.bytesRead.Add(int64(len(p)))
	return nil
}

// writeAt writes p at offset off of the claimed stick: past the real
// size, wrapped or dropped as the mode says.
func (e *Export) writeAt(p []byte, off int64) error {
	if _, err := e.geom.WriteAt(e.file, p, off); err != nil {
		return err
	}
	e.writes.Add(1)
	e.bytesWritten.Add(int64(len(p)))
	if past := off + int64(len(p)) - max(off, e.geom.Real); past > 0 && e.geom.Real < e.geom.Reported {
		e.pastReal.Add(past)
	}
	return nil
}

// flush makes what was written durable.
func (e *Export) flush() error {
	if err := e.file.Sync(); err != nil {
		return fmt.Errorf("flush: %w", err)
	}
	e.flushes.Add(1)
	return nil
}
