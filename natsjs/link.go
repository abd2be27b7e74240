package natsjs

import (
	"bytes"
	"log/slog"
	"net"
	"strconv"
	"strings"
)

// inProcess connects Ferry to its embedded server without a socket. It
// differs from handing the server itself to nats.InProcessServer in one
// way: a protocol error that the NATS client treats as the end of the
// connection (a "maximum control line exceeded" after an over-long
// subject, a parser error) is logged and dropped instead of reaching the
// client. The server closes its side after such an error, so the client
// sees a plain disconnect and reconnects; every subscription, stream and
// consumer handle stays valid. A client closed for good would leave Ferry
// unable to reach its store until restarted.
type inProcess struct {
	srv interface{ InProcessConn() (net.Conn, error) }
	log *slog.Logger
}

func (p inProcess) InProcessConn() (net.Conn, error) {
	c, err := p.srv.InProcessConn()
	if err != nil {
		return nil, err
	}
	return &linkConn{Conn: c, log: p.log, buf: make([]byte, 32<<10)}, nil
}

// maxLine bounds a control line the filter holds back; a longer one is
// passed through unfiltered (the server never sends one).
const maxLine = 64 << 10

// linkConn filters the server-to-client byte stream of one connection. It
// follows the protocol (control lines, and the payload of MSG and HMSG
// skipped by its announced size) so a payload is never mistaken for a
// control line.
type linkConn struct {
	net.Conn
	log *slog.Logger

	buf  []byte // read buffer
	out  []byte // filtered bytes not yet returned
	line []byte // control line held back until its end
	skip int    // payload bytes (with their CRLF) still to pass through
	err  error  // read error to return once out is drained
}

func (c *linkConn) Read(p []byte) (int, error) {
	for len(c.out) == 0 && c.err == nil {
		n, err := c.Conn.Read(c.buf)
		c.feed(c.buf[:n])
		c.err = err
	}
	if len(c.out) == 0 {
		return 0, c.err
	}
	n := copy(p, c.out)
	c.out = c.out[n:]
	if len(c.out) == 0 {
		c.out = c.out[:0:0]
	}
	return n, nil
}

// feed runs b through the filter into out.
func (c *linkConn) feed(b []byte) {
	for len(b) > 0 {
		if c.skip > 0 {
			n := min(c.skip, len(b))
			c.out = append(c.out, b[:n]...)
			c.skip -= n
			b = b[n:]
			continue
		}
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			c.line = append(c.line, b...)
			if len(c.line) > maxLine {
				c.out = append(c.out, c.line...)
				c.line = c.line[:0]
			}
			return
		}
		c.line = append(c.line, b[:i+1]...)
		b = b[i+1:]
		c.control(c.line)
		c.line = c.line[:0]
	}
}

// control handles one complete control line.
func (c *linkConn) control(line []byte) {
	if len(line) > 4 && line[0] == '-' && fatalToClient(string(line)) {
		c.log.Warn("engine: server refused a request on Ferry's connection; reconnecting",
			"err", strings.TrimSpace(string(line[4:])))
		return
	}
	c.out = append(c.out, line...)
	if n, ok := payloadSize(line); ok {
		c.skip = n + 2
	}
}

// fatalToClient reports whether the NATS client would close its
// connection for good on this -ERR line. Errors it handles itself
// (permissions, limits, authentication, stale connection) pass through.
func fatalToClient(line string) bool {
	e := strings.ToLower(line)
	if !strings.HasPrefix(e, "-err") {
		return false
	}
	for _, keep := range []string{"permissions violation", "maximum subscriptions", "stale connection",
		"authorization", "authentication", "maximum connections", "maximum account active connections",
		"unknown protocol operation"} {
		if strings.Contains(e, keep) {
			return false
		}
	}
	return true
}

// payloadSize returns the size of the payload that follows a MSG or HMSG
// line (its last field).
func payloadSize(line []byte) (int, bool) {
	if !bytes.HasPrefix(line, []byte("MSG ")) && !bytes.HasPrefix(line, []byte("HMSG ")) {
		return 0, false
	}
	f := bytes.Fields(line)
	n, err := strconv.Atoi(string(f[len(f)-1]))
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}
