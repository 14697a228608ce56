package fakenbd

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// errAbort says the client ended the handshake politely.
var errAbort = errors.New("client aborted the handshake")

// protocolError is a client breaking the protocol: the server drops it.
type protocolError struct{ msg string }

func (e *protocolError) Error() string { return "protocol: " + e.msg }

func broke(format string, args ...any) error {
	return &protocolError{fmt.Sprintf(format, args...)}
}

// conn is one client connection.
type conn struct {
	e        *Export
	r        *bufio.Reader
	w        *bufio.Writer
	noZeroes bool
	buf      []byte
}

// serve runs the handshake and then serves requests until the client
// disconnects. It returns nil for a client that ends cleanly (DISC, an
// aborted handshake, or hanging up between requests).
func (c *conn) serve() error {
	err := c.handshake()
	if err == nil {
		c.e.clients.Add(1)
		err = c.transmit()
	}
	if errors.Is(err, errAbort) || errors.Is(err, io.EOF) {
		return nil
	}
	return err
}

func (c *conn) read(v any) error { return binary.Read(c.r, binary.BigEndian, v) }

func (c *conn) write(vs ...any) error {
	for _, v := range vs {
		if err := binary.Write(c.w, binary.BigEndian, v); err != nil {
			return err
		}
	}
	return nil
}

// handshake runs the fixed newstyle negotiation until the client picks
// the export (nil) or leaves.
func (c *conn) handshake() error {
	if err := c.write(uint64(nbdMagic), uint64(optMagic), uint16(flagFixedNewstyle|flagNoZeroes)); err != nil {
		return err
	}
	if err := c.w.Flush(); err != nil {
		return err
	}
	var clientFlags uint32
	if err := c.read(&clientFlags); err != nil {
		return err
	}
	if clientFlags&^(flagFixedNewstyle|flagNoZeroes) != 0 || clientFlags&flagFixedNewstyle == 0 {
		return broke("client flags %#x: want fixed newstyle and nothing unknown", clientFlags)
	}
	c.noZeroes = clientFlags&flagNoZeroes != 0
	for {
		var h struct {
			Magic  uint64
			Option uint32
			Length uint32
		}
		if err := c.read(&h); err != nil {
			return err
		}
		if h.Magic != optMagic {
			return broke("option magic %#x", h.Magic)
		}
		if h.Length > maxOption {
			return broke("option %d with %d bytes of data (at most %d)", h.Option, h.Length, maxOption)
		}
		data := make([]byte, h.Length)
		if _, err := io.ReadFull(c.r, data); err != nil {
			return unexpected(err)
		}
		done, err := c.option(h.Option, data)
		if err == nil {
			err = c.w.Flush()
		}
		if err != nil || done {
			return err
		}
	}
}

// option answers one option; done says the transmission phase begins.
func (c *conn) option(opt uint32, data []byte) (done bool, err error) {
	switch opt {
	case optExportName:
		if !c.known(string(data)) {
			return false, broke("unknown export %q", data)
		}
		if err := c.write(uint64(c.e.Size()), c.transmissionFlags()); err != nil {
			return false, err
		}
		if !c.noZeroes {
			_, err = c.w.Write(make([]byte, 124))
		}
		return true, err
	case optAbort:
		if err := c.reply(opt, repAck, nil); err != nil {
			return false, err
		}
		c.w.Flush()
		return false, errAbort
	case optList:
		if len(data) != 0 {
			return false, c.reply(opt, repErrInvalid, []byte("NBD_OPT_LIST takes no data"))
		}
		name := binary.BigEndian.AppendUint32(nil, uint32(len(c.e.name)))
		if err := c.reply(opt, repServer, append(name, c.e.name...)); err != nil {
			return false, err
		}
		return false, c.reply(opt, repAck, nil)
	case optInfo, optGo:
		return c.info(opt, data)
	default:
		return false, c.reply(opt, repErrUnsup, []byte("option not supported"))
	}
}

// info answers NBD_OPT_INFO and NBD_OPT_GO.
func (c *conn) info(opt uint32, data []byte) (done bool, err error) {
	if len(data) < 4 {
		return false, c.reply(opt, repErrInvalid, []byte("short request"))
	}
	n := binary.BigEndian.Uint32(data)
	if uint64(n)+6 > uint64(len(data)) {
		return false, c.reply(opt, repErrInvalid, []byte("name longer than the request"))
	}
	name, rest := string(data[4:4+n]), data[4+n:]
	nreq := int(binary.BigEndian.Uint16(rest))
	rest = rest[2:]
	if len(rest) != 2*nreq {
		return false, c.reply(opt, repErrInvalid, []byte("information requests do not match the length"))
	}
	if !c.known(name) {
		return false, c.reply(opt, repErrUnknown, []byte("no such export"))
	}
	exp := binary.BigEndian.AppendUint16(nil, infoExport)
	exp = binary.BigEndian.AppendUint64(exp, uint64(c.e.Size()))
	exp = binary.BigEndian.AppendUint16(exp, c.transmissionFlags())
	if err := c.reply(opt, repInfo, exp); err != nil {
		return false, err
	}
	for i := range nreq {
		if binary.BigEndian.Uint16(rest[2*i:]) != infoBlockSize {
			continue
		}
		bs := binary.BigEndian.AppendUint16(nil, infoBlockSize)
		bs = binary.BigEndian.AppendUint32(bs, 1)
		bs = binary.BigEndian.AppendUint32(bs, 4096)
		bs = binary.BigEndian.AppendUint32(bs, maxPayload)
		if err := c.reply(opt, repInfo, bs); err != nil {
			return false, err
		}
		break
	}
	return opt == optGo, c.reply(opt, repAck, nil)
}

func (c *conn) known(name string) bool { return name == "" || name == c.e.name }

func (c *conn) transmissionFlags() uint16 { return transHasFlags | transSendFlush | transSendFUA }

func (c *conn) reply(opt, typ uint32, data []byte) error {
	if err := c.write(uint64(optReplyMagic), opt, typ, uint32(len(data))); err != nil {
		return err
	}
	_, err := c.w.Write(data)
	return err
}

// transmit serves requests, one at a time, until the client disconnects.
func (c *conn) transmit() error {
	for {
		var req struct {
			Magic  uint32
			Flags  uint16
			Type   uint16
			Cookie uint64
			Offset uint64
			Length uint32
		}
		if err := c.read(&req); err != nil {
			return err
		}
		if req.Magic != requestMagic {
			return broke("request magic %#x", req.Magic)
		}
		if req.Type == cmdWrite && req.Length > maxPayload {
			// Its payload cannot be skipped sensibly: drop the client.
			return broke("write of %d bytes (at most %d)", req.Length, maxPayload)
		}
		errno, data, err := c.request(req.Type, req.Flags, req.Offset, req.Length)
		if err != nil {
			return err
		}
		if req.Type == cmdDisc {
			return nil
		}
		if errno != 0 {
			c.e.refused.Add(1)
			data = nil
		}
		if err := c.write(uint32(simpleReplyMagic), errno, req.Cookie); err != nil {
			return err
		}
		if _, err := c.w.Write(data); err != nil {
			return err
		}
		if err := c.w.Flush(); err != nil {
			return err
		}
	}
}

// request carries out one request and returns the error to send (0 for
// success) and the data of a read. An error ends the connection.
func (c *conn) request(typ, flags uint16, off uint64, n uint32) (errno uint32, data []byte, err error) {
	switch typ {
	case cmdRead:
		if n > maxPayload {
			return errnoEOVERFLOW, nil, nil
		}
		if flags&^cmdFlagFUA != 0 || !c.e.inRange(off, n) { // FUA means nothing to a read
			return errnoEINVAL, nil, nil
		}
		p := c.buffer(n)
		if err := c.e.readAt(p, int64(off)); err != nil {
			return errnoEIO, nil, nil
		}
		return 0, p, nil
	case cmdWrite:
		p := c.buffer(n)
		if _, err := io.ReadFull(c.r, p); err != nil {
			return 0, nil, unexpected(err)
		}
		if flags&^cmdFlagFUA != 0 {
			return errnoEINVAL, nil, nil
		}
		if !c.e.inRange(off, n) {
			return errnoENOSPC, nil, nil
		}
		if err := c.e.writeAt(p, int64(off)); err != nil {
			return errnoEIO, nil, nil
		}
		if flags&cmdFlagFUA != 0 {
			if err := c.e.flush(); err != nil {
				return errnoEIO, nil, nil
			}
		}
		return 0, nil, nil
	case cmdFlush:
		if err := c.e.flush(); err != nil {
			return errnoEIO, nil, nil
		}
		return 0, nil, nil
	case cmdDisc:
		return 0, nil, nil
	default:
		return errnoEINVAL, nil, nil
	}
}

// buffer is a scratch slice of n bytes, reused between requests.
func (c *conn) buffer(n uint32) []byte {
	if uint32(cap(c.buf)) < n {
		c.buf = make([]byte, n)
	}
	return c.buf[:n]
}

// unexpected turns an end of input in the middle of a message into an
// error that is not a clean hang-up.
func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
