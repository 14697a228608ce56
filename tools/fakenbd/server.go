package fakenbd

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
)

// Serve serves e to every client that connects to l, each on its own
// goroutine, until ctx ends (it then returns nil) or l fails. Either way
// it closes l and every connection and waits for their goroutines.
// Clients that break the protocol are dropped and counted in e's Stats.
func Serve(ctx context.Context, l net.Listener, e *Export) error {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		conns = make(map[net.Conn]bool)
	)
	closeAll := func() {
		mu.Lock()
		defer mu.Unlock()
		l.Close()
		for c := range conns {
			c.Close()
		}
	}
	stop := context.AfterFunc(ctx, closeAll)
	defer func() {
		stop()
		closeAll()
		wg.Wait()
	}()
	for {
		nc, err := l.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("fakenbd: accept: %w", err)
		}
		mu.Lock()
		if ctx.Err() != nil { // closeAll has run: nobody would close nc
			mu.Unlock()
			nc.Close()
			return nil
		}
		conns[nc] = true
		mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &conn{e: e, r: bufio.NewReaderSize(nc, 64<<10), w: bufio.NewWriterSize(nc, 64<<10)}
			// Counted before the close, so a client that sees its
			// connection end also sees the count.
			if err := c.serve(); err != nil && ctx.Err() == nil {
				e.dropped.Add(1)
				e.lastDrop.Store(err.Error())
			}
			mu.Lock()
			delete(conns, nc)
			mu.Unlock()
			nc.Close()
		}()
	}
}

// Server is a fake stick served on a unix socket.
type Server struct {
	export *Export
	socket string
	cancel context.CancelFunc
	done   chan struct{}
	err    error
	once   sync.Once
}

// Start opens cfg's export and serves it on a new unix socket at socket
// until ctx ends or Close is called. Close must be called either way: it
// closes the backing file.
func Start(ctx context.Context, socket string, cfg Config) (*Server, error) {
	e, err := Open(cfg)
	if err != nil {
		return nil, err
	}
	l, err := net.Listen("unix", socket)
	if err != nil {
		e.Close()
		return nil, fmt.Errorf("fakenbd: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	s := &Server{export: e, socket: socket, cancel: cancel, done: make(chan struct{})}
	go func() {
		s.err = Serve(ctx, l, e)
		close(s.done)
	}()
	return s, nil
}

// Socket is the unix socket's path.
func (s *Server) Socket() string { return s.socket }

// URI is the export's address for qemu's tools, such as qemu-io and
// qemu-img: nbd+unix:///?socket=PATH.
func (s *Server) URI() string { return "nbd+unix:///" + s.export.name + "?socket=" + s.socket }

// Export is the served export.
func (s *Server) Export() *Export { return s.export }

// Stats returns the export's counters.
func (s *Server) Stats() Stats { return s.export.Stats() }

// Close stops serving, waits for every connection to end, closes the
// backing file and removes the socket. It is safe to call more than once.
func (s *Server) Close() error {
	s.once.Do(func() {
		s.cancel()
		<-s.done
		err := s.export.Close()
		if rerr := os.Remove(s.socket); rerr != nil && !errors.Is(rerr, os.ErrNotExist) && err == nil {
			err = rerr
		}
		s.err = errors.Join(s.err, err)
	})
	return s.err
}
