package fakenbd

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"flashkiosk/tools/fakedrive"
)

// client is a hand-written NBD client that can break the protocol.
type client struct {
	t *testing.T
	c net.Conn
}

func dial(t *testing.T, s *Server) *client {
	t.Helper()
	c, err := net.Dial("unix", s.Socket())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	// A server that stops answering fails the test instead of hanging it.
	c.SetDeadline(time.Now().Add(30 * time.Second))
	return &client{t, c}
}

// send sends vs in one write.
func (c *client) send(vs ...any) {
	c.t.Helper()
	var b bytes.Buffer
	for _, v := range vs {
		binary.Write(&b, binary.BigEndian, v)
	}
	if _, err := c.c.Write(b.Bytes()); err != nil {
		c.t.Fatalf("send: %v", err)
	}
}

func (c *client) recv(vs ...any) {
	c.t.Helper()
	for _, v := range vs {
		if err := binary.Read(c.c, binary.BigEndian, v); err != nil {
			c.t.Fatalf("receive: %v", err)
		}
	}
}

// greet reads the server's greeting and answers with client flags.
func (c *client) greet(flags uint32) {
	c.t.Helper()
	var magic, opt uint64
	var hflags uint16
	c.recv(&magic, &opt, &hflags)
	if magic != nbdMagic || opt != optMagic || hflags != flagFixedNewstyle|flagNoZeroes {
		c.t.Fatalf("greeting %#x %#x %#x; want NBDMAGIC IHAVEOPT fixed-newstyle|no-zeroes", magic, opt, hflags)
	}
	c.send(flags)
}

// option sends an option and reads one reply.
func (c *client) option(opt uint32, data []byte) (typ uint32, reply []byte) {
	c.t.Helper()
	c.send(uint64(optMagic), opt, uint32(len(data)), data)
	return c.optionReply(opt)
}

func (c *client) optionReply(opt uint32) (typ uint32, reply []byte) {
	c.t.Helper()
	var magic uint64
	var ropt, n uint32
	c.recv(&magic, &ropt, &typ, &n)
	if magic != optReplyMagic || ropt != opt {
		c.t.Fatalf("option reply magic %#x for option %d; want %#x for %d", magic, ropt, uint64(optReplyMagic), opt)
	}
	reply = make([]byte, n)
	c.recv(reply)
	return typ, reply
}

// goData is NBD_OPT_GO's data for name with information requests.
func goData(name string, reqs ...uint16) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(len(name)))
	b = append(b, name...)
	b = binary.BigEndian.AppendUint16(b, uint16(len(reqs)))
	for _, r := range reqs {
		b = binary.BigEndian.AppendUint16(b, r)
	}
	return b
}

// enter negotiates the export with NBD_OPT_GO.
func (c *client) enter() {
	c.t.Helper()
	c.greet(flagFixedNewstyle | flagNoZeroes)
	if typ, _ := c.option(optGo, goData("")); typ != repInfo {
		c.t.Fatalf("NBD_OPT_GO reply %#x; want NBD_REP_INFO", typ)
	}
	if typ, _ := c.optionReply(optGo); typ != repAck {
		c.t.Fatalf("NBD_OPT_GO second reply %#x; want NBD_REP_ACK", typ)
	}
}

// request sends a request and reads its simple reply and n bytes of data
// if it succeeded.
func (c *client) request(typ, flags uint16, off uint64, n uint32, payload []byte, readData bool) (errno uint32, data []byte) {
	c.t.Helper()
	c.send(uint32(requestMagic), flags, typ, uint64(0xC00C1E), off, n, payload)
	var magic uint32
	var cookie uint64
	c.recv(&magic, &errno, &cookie)
	if magic != simpleReplyMagic || cookie != 0xC00C1E {
		c.t.Fatalf("reply magic %#x cookie %#x; want %#x and the request's cookie", magic, cookie, uint32(simpleReplyMagic))
	}
	if errno == 0 && readData {
		data = make([]byte, n)
		c.recv(data)
	}
	return errno, data
}

// disc sends NBD_CMD_DISC, which has no reply.
func (c *client) disc() {
	c.t.Helper()
	c.send(uint32(requestMagic), uint16(0), uint16(cmdDisc), uint64(1), uint64(0), uint32(0))
}

// hungUp reports whether the server has closed the connection, after
// whatever it sent before.
func (c *client) hungUp() bool {
	_, err := io.Copy(io.Discard, c.c)
	return err == nil || errors.Is(err, syscall.ECONNRESET)
}

func TestHandshake(t *testing.T) {
	s, _ := startFake(t, mib, 4*mib, fakedrive.Wrap)

	c := dial(t, s)
	c.greet(flagFixedNewstyle | flagNoZeroes)
	if typ, _ := c.option(8, nil); typ != repErrUnsup { // structured replies
		t.Errorf("NBD_OPT_STRUCTURED_REPLY reply %#x; want NBD_REP_ERR_UNSUP", typ)
	}
	if typ, _ := c.option(optList, []byte("x")); typ != repErrInvalid {
		t.Errorf("NBD_OPT_LIST with data: reply %#x; want NBD_REP_ERR_INVALID", typ)
	}
	if typ, reply := c.option(optList, nil); typ != repServer || !bytes.Equal(reply, []byte{0, 0, 0, 0}) {
		t.Errorf("NBD_OPT_LIST reply %#x %x; want NBD_REP_SERVER with the name \"\"", typ, reply)
	} else if typ, _ := c.optionReply(optList); typ != repAck {
		t.Errorf("NBD_OPT_LIST second reply %#x; want NBD_REP_ACK", typ)
	}
	for _, tc := range []struct {
		data []byte
		want uint32
	}{
		{goData("other"), repErrUnknown},
		{goData("")[:5], repErrInvalid},
		{append(goData("", infoBlockSize), 0), repErrInvalid},
		{[]byte{0, 0, 1, 0, 0, 0}, repErrInvalid}, // a name longer than the data
	} {
		if typ, _ := c.option(optInfo, tc.data); typ != tc.want {
			t.Errorf("NBD_OPT_INFO %x: reply %#x; want %#x", tc.data, typ, tc.want)
		}
	}
	typ, info := c.option(optInfo, goData("", infoBlockSize))
	want := []byte{0, 0, 0, 0, 0, 0, 0, 0x40, 0, 0, 0, transHasFlags | transSendFlush | transSendFUA}
	if typ != repInfo || !bytes.Equal(info, want) {
		t.Errorf("NBD_OPT_INFO reply %#x %x; want NBD_REP_INFO %x (4 MiB, flush and FUA)", typ, info, want)
	}
	typ, info = c.optionReply(optInfo)
	want = []byte{0, 3, 0, 0, 0, 1, 0, 0, 0x10, 0, 0x02, 0, 0, 0}
	if typ != repInfo || !bytes.Equal(info, want) {
		t.Errorf("NBD_OPT_INFO block size reply %#x %x; want NBD_REP_INFO %x", typ, info, want)
	}
	if typ, _ := c.optionReply(optInfo); typ != repAck {
		t.Errorf("NBD_OPT_INFO last reply %#x; want NBD_REP_ACK", typ)
	}
	if typ, _ := c.option(optAbort, nil); typ != repAck || !c.hungUp() {
		t.Errorf("NBD_OPT_ABORT reply %#x; want NBD_REP_ACK and a closed connection", typ)
	}

	// NBD_OPT_EXPORT_NAME, with the 124 zero bytes a client that did not
	// ask for NBD_FLAG_NO_ZEROES gets.
	c = dial(t, s)
	c.greet(flagFixedNewstyle)
	c.send(uint64(optMagic), uint32(optExportName), uint32(0))
	var size uint64
	var flags uint16
	zeros := make([]byte, 124)
	c.recv(&size, &flags, zeros)
	if size != 4*mib || flags != transHasFlags|transSendFlush|transSendFUA || !bytes.Equal(zeros, make([]byte, 124)) {
		t.Errorf("NBD_OPT_EXPORT_NAME: size %d, flags %#x, padding %x; want 4 MiB, flush and FUA, 124 zeros", size, flags, zeros)
	}
	if errno, _ := c.request(cmdRead, 0, 0, 512, nil, true); errno != 0 {
		t.Errorf("read after NBD_OPT_EXPORT_NAME: error %d; want 0", errno)
	}
	c.disc()
	if st := s.Stats(); st.Dropped != 0 {
		t.Errorf("Stats() = %+v after polite clients; want none dropped", st)
	}
}

func TestTransmission(t *testing.T) {
	s, _ := startFake(t, mib, 4*mib, fakedrive.Wrap)
	c := dial(t, s)
	c.enter()
	stamp := bytes.Repeat([]byte("stamp!"), 100)
	for _, tc := range []struct {
		name      string
		typ       uint16
		flags     uint16
		off       uint64
		n         uint32
		payload   []byte
		wantErrno uint32
	}{
		{"write past the real size", cmdWrite, cmdFlagFUA, 3*mib + 10, uint32(len(stamp)), stamp, 0},
		{"write past the claimed size", cmdWrite, 0, 4*mib - 10, uint32(len(stamp)), stamp, errnoENOSPC},
		{"write with an unknown flag", cmdWrite, 2, 0, uint32(len(stamp)), stamp, errnoEINVAL},
		{"read with FUA, which means nothing to it", cmdRead, cmdFlagFUA, 0, 512, nil, 0},
		{"read with an unknown flag", cmdRead, 2, 0, 512, nil, errnoEINVAL},
		{"read past the claimed size", cmdRead, 0, 4 * mib, 1, nil, errnoEINVAL},
		{"read at an offset that overflows", cmdRead, 0, 1<<64 - 1, 2, nil, errnoEINVAL},
		{"read too long", cmdRead, 0, 0, maxPayload + 1, nil, errnoEOVERFLOW},
		{"trim, not advertised", 4, 0, 0, 4096, nil, errnoEINVAL},
		{"an unknown command", 99, 0, 0, 0, nil, errnoEINVAL},
		{"flush", cmdFlush, 0, 0, 0, nil, 0},
	} {
		if errno, _ := c.request(tc.typ, tc.flags, tc.off, tc.n, tc.payload, tc.typ == cmdRead); errno != tc.wantErrno {
			t.Errorf("%s: error %d; want %d", tc.name, errno, tc.wantErrno)
		}
	}
	// The refused write's payload was consumed: the stream is intact, and
	// the good write wrapped to 10.
	if errno, data := c.request(cmdRead, 0, 10, uint32(len(stamp)), nil, true); errno != 0 || !bytes.Equal(data, stamp) {
		t.Errorf("read at 10 after a write at 3 MiB+10: error %d, %q; want the stamp", errno, data)
	}
	c.disc()
	if !c.hungUp() {
		t.Errorf("connection open after NBD_CMD_DISC; want it closed")
	}
	st := s.Stats()
	if st.Refused != 8 || st.Writes != 1 || st.Flushes != 2 || st.PastReal != int64(len(stamp)) || st.Dropped != 0 {
		t.Errorf("Stats() = %+v; want 8 refused, 1 write, 2 flushes (FUA and flush), %d bytes past the real size, none dropped", st, len(stamp))
	}
}

// TestBadClients checks that clients breaking the protocol are dropped
// with a reason and do not disturb others.
func TestBadClients(t *testing.T) {
	s, _ := startFake(t, mib, 4*mib, fakedrive.Limbo)
	good := dial(t, s)
	good.enter()
	for _, tc := range []struct {
		name string
		talk func(c *client)
		want string
	}{
		{"unknown client flags", func(c *client) { c.greet(flagFixedNewstyle | 1<<7) }, "client flags"},
		{"old style client", func(c *client) { c.greet(0) }, "client flags"},
		{"bad option magic", func(c *client) {
			c.greet(flagFixedNewstyle)
			c.send(uint64(0x1234), uint32(optGo), uint32(0))
		}, "option magic"},
		{"huge option", func(c *client) {
			c.greet(flagFixedNewstyle)
			c.send(uint64(optMagic), uint32(optGo), uint32(1<<31))
		}, "bytes of data"},
		{"unknown export by name", func(c *client) {
			c.greet(flagFixedNewstyle)
			c.send(uint64(optMagic), uint32(optExportName), uint32(3), []byte("xyz"))
		}, "unknown export"},
		{"option cut short", func(c *client) {
			c.greet(flagFixedNewstyle)
			c.send(uint64(optMagic), uint32(optGo), uint32(100), []byte("abc"))
			c.c.(*net.UnixConn).CloseWrite()
		}, "unexpected EOF"},
		{"bad request magic", func(c *client) {
			c.enter()
			c.send(uint32(0xdeadbeef), uint16(0), uint16(cmdRead), uint64(1), uint64(0), uint32(512))
		}, "request magic"},
		{"huge write", func(c *client) {
			c.enter()
			c.send(uint32(requestMagic), uint16(0), uint16(cmdWrite), uint64(1), uint64(0), uint32(maxPayload+1))
		}, "write of"},
		{"write cut short", func(c *client) {
			c.enter()
			c.send(uint32(requestMagic), uint16(0), uint16(cmdWrite), uint64(1), uint64(0), uint32(4096), make([]byte, 100))
			c.c.(*net.UnixConn).CloseWrite()
		}, "unexpected EOF"},
	} {
		before := s.Stats().Dropped
		c := dial(t, s)
		tc.talk(c)
		if !c.hungUp() {
			t.Errorf("%s: connection still open; want it dropped", tc.name)
			continue
		}
		st := s.Stats()
		if st.Dropped != before+1 || !strings.Contains(st.LastDrop, tc.want) {
			t.Errorf("%s: Stats() = %+v; want one more dropped, for %q", tc.name, st, tc.want)
		}
	}
	if errno, data := good.request(cmdRead, 0, 0, 512, nil, true); errno != 0 || len(data) != 512 {
		t.Errorf("read by a good client after the bad ones: error %d; want 0", errno)
	}
}

// TestClose checks that Close ends idle and half-negotiated clients'
// connections, so it cannot hang on them.
func TestClose(t *testing.T) {
	s, _ := startFake(t, mib, 4*mib, fakedrive.Wrap)
	idle := dial(t, s)
	idle.enter()
	greeted := dial(t, s)
	greeted.greet(flagFixedNewstyle)
	silent := dial(t, s)
	if err := s.Close(); err != nil {
		t.Fatalf("Close() = %v", err)
	}
	for _, c := range []*client{idle, greeted, silent} {
		if !c.hungUp() {
			t.Errorf("a client's connection is open after Close; want it closed")
		}
	}
	if st := s.Stats(); st.Dropped != 0 {
		t.Errorf("Stats() = %+v after Close; want no client counted as dropped", st)
	}
	if _, err := net.Dial("unix", s.Socket()); err == nil {
		t.Errorf("dial after Close succeeded; want the socket gone")
	}
}
