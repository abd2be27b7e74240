package ferry_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/ferry-run/ferry"
)

// serveLimited serves a handler answering "ok" under l on a free port.
func serveLimited(t *testing.T, l ferry.ServerLimits) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := l.Server(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = io.WriteString(w, "ok")
	}))
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(l.Listener(ln))
	}()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			srv.Close()
		}
		<-done
	})
	return ln.Addr().String()
}

// closedWithin reports whether the server closes c within d (reads EOF or
// a reset) and how long it took.
func closedWithin(t *testing.T, c net.Conn, d time.Duration) (bool, time.Duration) {
	t.Helper()
	start := time.Now()
	_ = c.SetReadDeadline(start.Add(d))
	_, err := io.Copy(io.Discard, c)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return false, time.Since(start)
	}
	return true, time.Since(start)
}

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// get sends a keep-alive GET on c and reads the answer.
func get(t *testing.T, c net.Conn, r *bufio.Reader) *http.Response {
	t.Helper()
	if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: ferry\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(r, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

func TestServerLimitsSlowHeadersAreCut(t *testing.T) {
	t.Parallel()
	addr := serveLimited(t, ferry.ServerLimits{ReadHeaderTimeout: 200 * time.Millisecond})
	c := dial(t, addr)
	// A slowloris client: part of the headers, then nothing.
	if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: ferry\r\nX-Slow: "); err != nil {
		t.Fatal(err)
	}
	if closed, took := closedWithin(t, c, 5*time.Second); !closed {
		t.Fatalf("a connection sending half its headers was still open after %s", took)
	}
}

func TestServerLimitsIdleConnectionsAreClosed(t *testing.T) {
	t.Parallel()
	addr := serveLimited(t, ferry.ServerLimits{IdleTimeout: 200 * time.Millisecond})
	c := dial(t, addr)
	if resp := get(t, c, bufio.NewReader(c)); resp.StatusCode != http.StatusOK || resp.Close {
		t.Fatalf("got %d close=%v, want a kept-alive 200", resp.StatusCode, resp.Close)
	}
	closed, took := closedWithin(t, c, 5*time.Second)
	if !closed {
		t.Fatalf("an idle keep-alive connection was still open after %s", took)
	}
	if took < 150*time.Millisecond {
		t.Fatalf("the idle connection was closed after %s, before its idle timeout", took)
	}
}

func TestServerLimitsConnectionCap(t *testing.T) {
	t.Parallel()
	const max = 3
	addr := serveLimited(t, ferry.ServerLimits{MaxConnections: max})
	held := make([]net.Conn, max)
	for i := range held {
		held[i] = dial(t, addr)
		// A request in progress: the connection is busy, not idle.
		if _, err := io.WriteString(held[i], "GET / HTTP/1.1\r\nHost: ferry\r\n"); err != nil {
			t.Fatal(err)
		}
	}
	// Beyond the cap a connection waits: its request is not answered.
	extra := dial(t, addr)
	if _, err := io.WriteString(extra, "GET / HTTP/1.1\r\nHost: ferry\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	_ = extra.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	br := bufio.NewReader(extra)
	if _, err := br.Peek(1); err == nil {
		t.Fatal("a connection beyond the cap was served while the cap was in use")
	}
	// Once the held connections close, it is served.
	for _, c := range held {
		c.Close()
	}
	_ = extra.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("the waiting connection was not served after the others closed: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("waiting connection: got %d", resp.StatusCode)
	}
	// And the listener keeps serving new connections.
	for range 2 * max {
		c := dial(t, addr)
		if resp := get(t, c, bufio.NewReader(c)); resp.StatusCode != http.StatusOK {
			t.Fatalf("after the cap: got %d", resp.StatusCode)
		}
		c.Close()
	}
}

// TestServerLimitsIdleMakeRoom fills the cap with keep-alive connections
// left idle (as SDK clients that are made and dropped leave them): a new
// connection is served at once, by closing the one idle the longest, not
// after the idle timeout.
func TestServerLimitsIdleMakeRoom(t *testing.T) {
	t.Parallel()
	const max = 3
	addr := serveLimited(t, ferry.ServerLimits{MaxConnections: max, IdleTimeout: time.Minute})
	held := make([]net.Conn, max)
	for i := range held {
		held[i] = dial(t, addr)
		if resp := get(t, held[i], bufio.NewReader(held[i])); resp.StatusCode != http.StatusOK {
			t.Fatalf("connection %d: got %d", i, resp.StatusCode)
		}
		time.Sleep(10 * time.Millisecond) // idle since different times
	}
	for i := range 2 * max {
		c := dial(t, addr)
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		start := time.Now()
		if resp := get(t, c, bufio.NewReader(c)); resp.StatusCode != http.StatusOK {
			t.Fatalf("new connection %d: got %d", i, resp.StatusCode)
		}
		if d := time.Since(start); d > time.Second {
			t.Fatalf("new connection %d waited %s for a slot held by idle connections", i, d)
		}
	}
	if closed, _ := closedWithin(t, held[0], time.Second); !closed {
		t.Error("the connection idle the longest was not the one closed")
	}
}

func TestServerLimitsValidate(t *testing.T) {
	t.Parallel()
	if err := (ferry.ServerLimits{}).Validate(); err != nil {
		t.Fatalf("zero limits (defaults): %v", err)
	}
	if got := ferry.ErrorCode((ferry.ServerLimits{MaxConnections: -1}).Validate()); got != ferry.EINVALID {
		t.Fatalf("negative cap: code %q, want %q", got, ferry.EINVALID)
	}
	d := (ferry.ServerLimits{}).WithDefaults()
	if d.ReadHeaderTimeout != 10*time.Second || d.ReadTimeout != 5*time.Minute || d.IdleTimeout != 2*time.Minute || d.MaxConnections != 1024 {
		t.Fatalf("defaults %+v", d)
	}
}
