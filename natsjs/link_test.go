package natsjs_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/ferry-run/ferry/natsjs"
)

// TestConnectionSurvivesFatalServerError publishes to a subject longer than
// the server's control line limit on the engine's own connection: the
// server answers "maximum control line exceeded" and drops the client,
// which the NATS client alone would treat as the end of the connection.
// The engine reconnects, its subscriptions and JetStream handles keep
// working, and the server's complaint is in Ferry's log.
func TestConnectionSurvivesFatalServerError(t *testing.T) {
	t.Parallel()
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	e := natsjs.New(natsjs.Config{DataDir: t.TempDir(), Logger: log})
	ctx := context.Background()
	if err := e.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer e.Stop(ctx)
	st, err := e.EnsureStream(ctx, jetstream.StreamConfig{Name: "T", Subjects: []string{"t.>"}})
	if err != nil {
		t.Fatal(err)
	}
	sub, err := e.Conn().SubscribeSync("core.ping")
	if err != nil {
		t.Fatal(err)
	}
	reconnects := e.Conn().Stats().Reconnects

	if err := e.Conn().Publish(strings.Repeat("s", 5000), []byte("x")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "reconnect", func() error {
		if e.Conn().IsClosed() {
			t.Fatal("the engine connection was closed for good")
		}
		if e.Conn().Stats().Reconnects == reconnects {
			return errors.New("not reconnected")
		}
		return nil
	})
	if err := e.Healthy(); err != nil {
		t.Fatalf("Healthy after reconnect: %v", err)
	}
	if _, err := st.Info(ctx); err != nil {
		t.Fatalf("stream handle after reconnect: %v", err)
	}
	if _, err := e.JetStream().Publish(ctx, "t.x", []byte("after")); err != nil {
		t.Fatalf("publish after reconnect: %v", err)
	}
	if err := e.Conn().Publish("core.ping", []byte("hi")); err != nil {
		t.Fatal(err)
	}
	if _, err := sub.NextMsg(2 * time.Second); err != nil {
		t.Fatalf("subscription after reconnect: %v", err)
	}
	out := logs.String()
	for _, want := range []string{"component=nats-server", "engine: connection lost", "engine: reconnected"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
}

// TestHealthReportsClosedConnection closes the engine's connection (as the
// NATS client does on an error it does not survive): Healthy and Ready
// report it.
func TestHealthReportsClosedConnection(t *testing.T) {
	t.Parallel()
	e := natsjs.New(natsjs.Config{DataDir: t.TempDir()})
	ctx := context.Background()
	if err := e.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer e.Stop(ctx)
	if err := e.Healthy(); err != nil {
		t.Fatalf("Healthy on a fresh engine: %v", err)
	}
	e.Conn().Close()
	if err := e.Healthy(); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Errorf("Healthy with a closed connection: %v", err)
	}
	if err := e.Ready(ctx); err == nil {
		t.Error("Ready with a closed connection")
	}
}
