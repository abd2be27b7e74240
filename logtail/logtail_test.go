package logtail_test

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/ferry-run/ferry/logtail"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestRecentKeepsTheLastLines(t *testing.T) {
	t.Parallel()
	b := logtail.New(3)
	for _, s := range []string{"a", "b", "c", "d"} {
		b.Add("f", "r1", []byte(s))
	}
	b.Add("g", "r2", []byte("other"))
	got := ""
	for _, l := range b.Recent("f", 0) {
		got += l.Text
	}
	if got != "bcd" {
		t.Fatalf("recent = %q, want bcd", got)
	}
	if r := b.Recent("f", 1); len(r) != 1 || r[0].Text != "d" || r[0].RequestID != "r1" {
		t.Fatalf("last = %+v", r)
	}
	for _, s := range []string{"e", "f", "g", "h", "i", "j", "k"} {
		b.Add("f", "r1", []byte(s))
	}
	got = ""
	for _, l := range b.Recent("f", 2) {
		got += l.Text
	}
	if got != "jk" {
		t.Fatalf("after wrapping around: %q, want jk", got)
	}
}

func TestFollowOverHTTP(t *testing.T) {
	t.Parallel()
	b := logtail.New(10)
	b.Add("f", "r0", []byte("before"))
	srv := httptest.NewServer(b)
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"?function=f&follow=1", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	rd := bufio.NewReader(resp.Body)
	first, _ := rd.ReadString('\n')
	if !strings.HasSuffix(first, " f r0 before\n") {
		t.Fatalf("first line = %q", first)
	}
	deadline := time.Now().Add(5 * time.Second)
	lines := make(chan string, 1)
	go func() {
		l, _ := rd.ReadString('\n')
		lines <- l
	}()
	for {
		b.Add("g", "x", []byte("not mine"))
		b.Add("f", "r1", []byte("live"))
		select {
		case l := <-lines:
			if !strings.HasSuffix(l, " f r1 live\n") {
				t.Fatalf("followed line = %q", l)
			}
			cancel()
			io.Copy(io.Discard, resp.Body)
			return
		case <-time.After(20 * time.Millisecond):
			if time.Now().After(deadline) {
				t.Fatal("no live line")
			}
		}
	}
}

func TestBadRequests(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(logtail.New(1))
	defer srv.Close()
	for _, q := range []string{"", "?function=f&lines=x"} {
		resp, err := http.Get(srv.URL + q)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 400 {
			t.Fatalf("%q: status %d", q, resp.StatusCode)
		}
	}
}
