package vm

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"
)

// qmpConn is a QMP client: commands with replies matched by id, and
// asynchronous events kept until someone waits for them.
type qmpConn struct {
	c      net.Conn
	enc    *json.Encoder
	encMu  sync.Mutex
	nextID int

	mu      sync.Mutex
	replies map[string]chan qmpMessage
	events  []qmpMessage
	eventCh chan struct{} // closed and replaced whenever an event arrives
	readErr error
	closed  chan struct{}
}

type qmpMessage struct {
	ID     string          `json:"id,omitempty"`
	Return json.RawMessage `json:"return,omitempty"`
	Error  *struct {
		Class string `json:"class"`
		Desc  string `json:"desc"`
	} `json:"error,omitempty"`
	Event string          `json:"event,omitempty"`
	Data  json.RawMessage `json:"data,omitempty"`
	QMP   json.RawMessage `json:"QMP,omitempty"`
}

// dialQMP connects to qemu's QMP socket, retrying until qemu has made it,
// and leaves the greeting's capability negotiation done.
func dialQMP(ctx context.Context, sock string, exited <-chan struct{}) (*qmpConn, error) {
	deadline := time.Now().Add(10 * time.Second)
	var c net.Conn
	for {
		var err error
		var d net.Dialer
		c, err = d.DialContext(ctx, "unix", sock)
		if err == nil {
			break
		}
		select {
		case <-exited:
			return nil, fmt.Errorf("qemu exited before its QMP socket answered")
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("QMP socket %s: %w", sock, err)
		}
	}
	q := &qmpConn{c: c, enc: json.NewEncoder(c), replies: make(map[string]chan qmpMessage),
		eventCh: make(chan struct{}), closed: make(chan struct{})}
	go q.read()
	if _, err := q.execute(ctx, "qmp_capabilities", nil); err != nil {
		c.Close()
		return nil, err
	}
	return q, nil
}

func (q *qmpConn) read() {
	dec := json.NewDecoder(bufio.NewReader(q.c))
	for {
		var m qmpMessage
		err := dec.Decode(&m)
		q.mu.Lock()
		if err != nil {
			q.readErr = err
			close(q.closed)
			q.mu.Unlock()
			return
		}
		switch {
		case m.Event != "":
			q.events = append(q.events, m)
			close(q.eventCh)
			q.eventCh = make(chan struct{})
		case m.ID != "":
			if ch, ok := q.replies[m.ID]; ok {
				ch <- m
				delete(q.replies, m.ID)
			}
		}
		q.mu.Unlock()
	}
}

// qmpError is an error reply from qemu.
type qmpError struct{ Command, Class, Desc string }

func (e *qmpError) Error() string { return fmt.Sprintf("QMP %s: %s: %s", e.Command, e.Class, e.Desc) }

// execute runs one QMP command and returns its "return" value.
func (q *qmpConn) execute(ctx context.Context, command string, args any) (json.RawMessage, error) {
	ch := make(chan qmpMessage, 1)
	q.mu.Lock()
	if q.readErr != nil {
		q.mu.Unlock()
		return nil, fmt.Errorf("QMP %s: connection lost: %w", command, q.readErr)
	}
	q.nextID++
	id := fmt.Sprintf("c%d", q.nextID)
	q.replies[id] = ch
	q.mu.Unlock()

	msg := map[string]any{"execute": command, "id": id}
	if args != nil {
		msg["arguments"] = args
	}
	q.encMu.Lock()
	err := q.enc.Encode(msg)
	q.encMu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("QMP %s: %w", command, err)
	}
	select {
	case m := <-ch:
		if m.Error != nil {
			return nil, &qmpError{command, m.Error.Class, m.Error.Desc}
		}
		return m.Return, nil
	case <-q.closed:
		return nil, fmt.Errorf("QMP %s: connection lost: %w", command, q.readErr)
	case <-ctx.Done():
		return nil, fmt.Errorf("QMP %s: %w", command, ctx.Err())
	}
}

// waitEvent waits for an event called name whose data satisfies match,
// consuming it; events that arrived earlier count.
func (q *qmpConn) waitEvent(ctx context.Context, name string, match func(data json.RawMessage) bool) error {
	for {
		q.mu.Lock()
		for i, e := range q.events {
			if e.Event == name && match(e.Data) {
				q.events = append(q.events[:i], q.events[i+1:]...)
				q.mu.Unlock()
				return nil
			}
		}
		more := q.eventCh
		q.mu.Unlock()
		select {
		case <-more:
		case <-q.closed:
			return fmt.Errorf("QMP: waiting for %s: connection lost", name)
		case <-ctx.Done():
			return fmt.Errorf("QMP: waiting for %s: %w", name, ctx.Err())
		}
	}
}

func (q *qmpConn) Close() error { return q.c.Close() }

var errNoQMP = errors.New("vm: no QMP connection")
