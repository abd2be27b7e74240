package natsjs

import (
	"log/slog"
	"testing"
)

// TestLinkFilter feeds the server-to-client stream in every chunking and
// checks only a fatal -ERR control line is dropped: payloads that look
// like one, and errors the client handles itself, pass through.
func TestLinkFilter(t *testing.T) {
	t.Parallel()
	payload := "-ERR 'Maximum Control Line Exceeded'\r\n"
	in := "INFO {}\r\nPING\r\n" +
		"MSG a 1 38\r\n" + payload + "\r\n" +
		"HMSG b 2 12 50\r\nNATS/1.0\r\n\r\n" + payload + "\r\n" +
		"-ERR 'Maximum Control Line Exceeded'\r\n" +
		"-ERR 'Permissions Violation for Publish to \"x\"'\r\n" +
		"+OK\r\n"
	want := "INFO {}\r\nPING\r\n" +
		"MSG a 1 38\r\n" + payload + "\r\n" +
		"HMSG b 2 12 50\r\nNATS/1.0\r\n\r\n" + payload + "\r\n" +
		"-ERR 'Permissions Violation for Publish to \"x\"'\r\n" +
		"+OK\r\n"
	for chunk := 1; chunk <= len(in); chunk++ {
		c := &linkConn{log: slog.New(slog.DiscardHandler)}
		for i := 0; i < len(in); i += chunk {
			c.feed([]byte(in[i:min(i+chunk, len(in))]))
		}
		if got := string(c.out); got != want {
			t.Fatalf("chunks of %d: got\n%q\nwant\n%q", chunk, got, want)
		}
	}
}
