package natsjs

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

// TestServerLogLevels checks how nats-server's log reaches Ferry's logger:
// warnings and errors at their level, notices at debug, the server's own
// debug and trace never.
func TestServerLogLevels(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	l := serverLog{slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	l.Warnf("disk %s", "slow")
	l.Errorf("write failed: %v", "no space left on device")
	l.Fatalf("cannot start")
	l.Noticef("Starting JetStream")
	l.Debugf("debug %d", 1)
	l.Tracef("trace %d", 2)
	got := buf.String()
	for _, want := range []string{
		`level=WARN msg="disk slow" component=nats-server`,
		`level=ERROR msg="write failed: no space left on device" component=nats-server`,
		`level=ERROR msg="cannot start" component=nats-server`,
		`level=DEBUG msg="Starting JetStream" component=nats-server`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("log lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "debug 1") || strings.Contains(got, "trace 2") {
		t.Errorf("server debug or trace output reached the log:\n%s", got)
	}
}
