package natsjs_test

import (
	"context"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/ferry-run/ferry/natsjs"
)

func TestStateSurvivesRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ctx := context.Background()

	e := natsjs.New(natsjs.Config{DataDir: dir})
	if err := e.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := e.EnsureStream(ctx, jetstream.StreamConfig{Name: "T", Subjects: []string{"t.>"}}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 10; i++ {
		if _, err := e.JetStream().Publish(ctx, "t.x", []byte("hello")); err != nil {
			t.Fatal(err)
		}
	}
	if got := e.ClientURL(); got != "" {
		t.Errorf("embedded engine listens on %q, want no port", got)
	}
	if err := e.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if err := e.Stop(ctx); err != nil { // idempotent
		t.Fatal(err)
	}

	e2 := natsjs.New(natsjs.Config{DataDir: dir})
	if err := e2.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer e2.Stop(ctx)
	s, err := e2.JetStream().Stream(ctx, "T")
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := info.State.Msgs, uint64(10); got != want {
		t.Fatalf("messages after restart = %d, want %d", got, want)
	}
}

func TestStartRequiresDataDir(t *testing.T) {
	t.Parallel()
	if err := natsjs.New(natsjs.Config{}).Start(context.Background()); err == nil {
		t.Fatal("Start without DataDir succeeded")
	}
}
