package rapi

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

// An instance's Runtime API serves at most 16 connections at once; more
// wait until one closes.
func TestConnectionsBeyondCapWait(t *testing.T) {
	t.Parallel()
	b := setup(t)
	addr := b.srv.Addr()
	var held []net.Conn
	for range 16 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		held = append(held, c)
	}
	extra, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer extra.Close()
	req := "POST " + prefix + "/init/error HTTP/1.1\r\nHost: " + addr + "\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}"
	if _, err := io.WriteString(extra, req); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(extra)
	_ = extra.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	if _, err := br.Peek(1); err == nil {
		t.Fatal("a 17th connection was served while 16 were open")
	}
	for _, c := range held {
		c.Close()
	}
	_ = extra.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("the waiting connection was not served after the others closed: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("init error: got %d, want 202", resp.StatusCode)
	}
}
