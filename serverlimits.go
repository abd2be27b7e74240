package ferry

import (
	"net"
	"net/http"
	"sync"
	"time"
)

// Defaults of ServerLimits.
const (
	DefaultReadHeaderTimeout = 10 * time.Second
	DefaultReadTimeout       = 5 * time.Minute
	DefaultIdleTimeout       = 2 * time.Minute
	DefaultMaxConnections    = 1024
)

// ServerLimits bound what one HTTP listener takes on: how long a client may
// take to send a request's headers and its whole request, how long a
// keep-alive connection may sit idle, and how many connections are open at
// once. There is deliberately no write timeout: a synchronous invoke waits
// up to its function's timeout (15 minutes at most) and a queue long poll
// 20 seconds.
type ServerLimits struct {
	// ReadHeaderTimeout bounds reading a request's headers; default 10 s.
	ReadHeaderTimeout time.Duration
	// ReadTimeout bounds reading a whole request, body included (a 70 MB
	// code upload needs ~240 KB/s at the default 5 min).
	ReadTimeout time.Duration
	// IdleTimeout closes a keep-alive connection idle this long; default 2 min.
	IdleTimeout time.Duration
	// MaxConnections is how many connections are served at once; further
	// ones wait in the kernel's backlog until one closes (the longest idle
	// keep-alive connection is closed to make room), holding no file
	// descriptor. Default 1024.
	MaxConnections int
}

// WithDefaults fills the zero fields with the defaults.
func (l ServerLimits) WithDefaults() ServerLimits {
	if l.ReadHeaderTimeout <= 0 {
		l.ReadHeaderTimeout = DefaultReadHeaderTimeout
	}
	if l.ReadTimeout <= 0 {
		l.ReadTimeout = DefaultReadTimeout
	}
	if l.IdleTimeout <= 0 {
		l.IdleTimeout = DefaultIdleTimeout
	}
	if l.MaxConnections <= 0 {
		l.MaxConnections = DefaultMaxConnections
	}
	return l
}

// Validate refuses negative limits.
func (l ServerLimits) Validate() error {
	if l.ReadHeaderTimeout < 0 || l.ReadTimeout < 0 || l.IdleTimeout < 0 || l.MaxConnections < 0 {
		return Errorf(EINVALID, "server limits must not be negative: read header %s, read %s, idle %s, connections %d",
			l.ReadHeaderTimeout, l.ReadTimeout, l.IdleTimeout, l.MaxConnections)
	}
	return nil
}

// Server returns an http.Server for h with l's timeouts (defaults filled).
// Served on l's Listener, it tells the listener which connections sit idle
// between keep-alive requests.
func (l ServerLimits) Server(h http.Handler) *http.Server {
	l = l.WithDefaults()
	return &http.Server{Handler: h, ReadHeaderTimeout: l.ReadHeaderTimeout,
		ReadTimeout: l.ReadTimeout, IdleTimeout: l.IdleTimeout, ConnState: trackIdle}
}

// Listener wraps ln so that at most l.MaxConnections (default filled) of
// its connections are open at once. When all are taken and a new one is
// waiting, the connection idle the longest between keep-alive requests is
// closed to make room (as its idle timeout would later): clients that
// leave connections open cannot starve new ones.
func (l ServerLimits) Listener(ln net.Listener) net.Listener {
	n := l.WithDefaults().MaxConnections
	return &limitListener{Listener: ln, slots: make(chan struct{}, n), done: make(chan struct{}),
		idle: map[*limitConn]time.Time{}, wentIdle: make(chan struct{}, 1)}
}

// limitListener accepts a connection only when one of its slots is free; a
// connection frees its slot when closed.
type limitListener struct {
	net.Listener
	slots     chan struct{}
	done      chan struct{}
	closeOnce sync.Once

	mu       sync.Mutex
	idle     map[*limitConn]time.Time // connections idle between requests, since when
	wentIdle chan struct{}            // a connection went idle
}

func (l *limitListener) Accept() (net.Conn, error) {
	if err := l.acquire(); err != nil {
		return nil, err
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.slots
		return nil, err
	}
	return &limitConn{Conn: c, l: l}, nil
}

// acquire takes a slot, closing idle connections to free one while all are
// taken.
func (l *limitListener) acquire() error {
	for {
		select {
		case l.slots <- struct{}{}:
			return nil
		case <-l.done:
			return net.ErrClosed
		default:
		}
		if l.closeOldestIdle() {
			continue
		}
		select {
		case l.slots <- struct{}{}:
			return nil
		case <-l.done:
			return net.ErrClosed
		case <-l.wentIdle:
		}
	}
}

// closeOldestIdle closes the connection idle the longest; false when none is.
func (l *limitListener) closeOldestIdle() bool {
	l.mu.Lock()
	var oldest *limitConn
	var since time.Time
	for c, t := range l.idle {
		if oldest == nil || t.Before(since) {
			oldest, since = c, t
		}
	}
	delete(l.idle, oldest)
	l.mu.Unlock()
	if oldest == nil {
		return false
	}
	_ = oldest.Close()
	return true
}

func (l *limitListener) setIdle(c *limitConn, idle bool) {
	l.mu.Lock()
	if idle {
		l.idle[c] = time.Now()
	} else {
		delete(l.idle, c)
	}
	l.mu.Unlock()
	if idle {
		select {
		case l.wentIdle <- struct{}{}:
		default:
		}
	}
}

func (l *limitListener) Close() error {
	l.closeOnce.Do(func() { close(l.done) })
	return l.Listener.Close()
}

// trackIdle is the server's ConnState hook: it keeps each limitConn's
// listener informed of whether the connection is idle.
func trackIdle(c net.Conn, s http.ConnState) {
	if lc, ok := c.(*limitConn); ok {
		lc.l.setIdle(lc, s == http.StateIdle)
	}
}

// limitConn gives back its listener's slot on its first Close.
type limitConn struct {
	net.Conn
	l    *limitListener
	once sync.Once
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() {
		c.l.setIdle(c, false)
		<-c.l.slots
	})
	return err
}
