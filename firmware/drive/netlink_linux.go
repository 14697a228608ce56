package drive

import (
	"context"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// ueventConn reads kernel uevents from a NETLINK_KOBJECT_UEVENT socket.
type ueventConn struct {
	f   *os.File // non-blocking, so the runtime poller gives deadlines and Close
	buf []byte
}

// dialUevents opens a socket subscribed to the kernel's uevent multicast
// group 1, with a receive buffer of rcvbuf bytes. udev's rebroadcasts
// (group 2) are not received.
func dialUevents(rcvbuf int) (*ueventConn, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, unix.NETLINK_KOBJECT_UEVENT)
	if err != nil {
		return nil, fmt.Errorf("uevent socket: %w", err)
	}
	// SO_RCVBUFFORCE needs CAP_NET_ADMIN; without it the plain option is
	// capped by net.core.rmem_max, which is still fine.
	if unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, rcvbuf) != nil {
		_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, rcvbuf)
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Groups: 1}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("uevent socket bind: %w", err)
	}
	return &ueventConn{f: os.NewFile(uintptr(fd), "uevent"), buf: make([]byte, 64<<10)}, nil
}

// Close releases the socket; a blocked next returns.
func (c *ueventConn) Close() error { return c.f.Close() }

// next returns the next kernel uevent. It returns errOverflow when uevents
// were lost, ctx.Err() when ctx ends, and skips datagrams that do not parse.
func (c *ueventConn) next(ctx context.Context) (uevent, error) {
	for {
		b, err := c.datagram(ctx)
		if err != nil {
			return uevent{}, err
		}
		if ev, err := parseUevent(b); err == nil {
			return ev, nil
		}
	}
}

// datagram returns the next datagram sent by the kernel (sender port id 0:
// a user process could otherwise forge drive events). The bytes are valid
// until the next call.
func (c *ueventConn) datagram(ctx context.Context) ([]byte, error) {
	if err := c.f.SetReadDeadline(time.Time{}); err != nil {
		return nil, fmt.Errorf("uevent socket: %w", err)
	}
	stop := context.AfterFunc(ctx, func() { _ = c.f.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()
	raw, err := c.f.SyscallConn()
	if err != nil {
		return nil, fmt.Errorf("uevent socket: %w", err)
	}
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		var n int
		var from unix.Sockaddr
		var rerr error
		err := raw.Read(func(fd uintptr) bool {
			n, from, rerr = unix.Recvfrom(int(fd), c.buf, 0)
			return rerr != unix.EAGAIN
		})
		switch {
		case err != nil && ctx.Err() != nil:
			return nil, ctx.Err()
		case err != nil:
			return nil, fmt.Errorf("uevent socket: %w", err)
		case rerr == unix.ENOBUFS:
			return nil, errOverflow
		case rerr == unix.EINTR:
			continue
		case rerr != nil:
			return nil, fmt.Errorf("uevent socket: %w", rerr)
		}
		if nl, ok := from.(*unix.SockaddrNetlink); ok && nl.Pid == 0 {
			return c.buf[:n], nil
		}
	}
}
