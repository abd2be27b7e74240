package natsjs_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/internal/smalldisk"
	"github.com/ferry-run/ferry/natsjs"
)

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still %v after %s", what, err, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestStoreFullRecovers fills the store's filesystem (a real small
// filesystem, or JetStream's store limit where mounting is not permitted),
// checks writes are refused as unavailable and the engine is not ready,
// frees the space and checks writes are accepted again, with the messages
// stored before still there, without a restart.
func TestStoreFullRecovers(t *testing.T) {
	t.Parallel()
	storeFullRecovers(t, smalldisk.New(t, 48<<20))
}

// TestStoreLimitRecovers is the same with JetStream's store limit, the
// fallback where mounting is not permitted.
func TestStoreLimitRecovers(t *testing.T) {
	t.Parallel()
	storeFullRecovers(t, smalldisk.NewLimited(t, 32<<20))
}

func storeFullRecovers(t *testing.T, disk *smalldisk.Disk) {
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	e := natsjs.New(natsjs.Config{DataDir: disk.Dir, ServerConfig: disk.ServerConfig, Logger: log})
	ctx := context.Background()
	if err := e.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer e.Stop(ctx)
	if _, err := e.EnsureStream(ctx, jetstream.StreamConfig{Name: "T", Subjects: []string{"t.>"}}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		if _, err := e.JetStream().Publish(ctx, "t.x", []byte("before")); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.Ready(ctx); err != nil {
		t.Fatalf("Ready before the store is full: %v", err)
	}

	disk.Fill(t, e.JetStream())
	if disk.Kind == smalldisk.Mounted {
		// No space left: not ready even before a write fails.
		if err := e.Ready(ctx); err == nil {
			t.Error("ready with no space left, before any write failed")
		}
	}
	var werr error
	payload := bytes.Repeat([]byte("x"), 64<<10)
	waitFor(t, 10*time.Second, "publish on a full store", func() error {
		pctx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		_, werr = e.JetStream().Publish(pctx, "t.x", payload)
		if werr == nil {
			return errors.New("accepted")
		}
		return nil
	})
	if got := ferry.ErrorCode(werr); got != ferry.EUNAVAILABLE {
		t.Fatalf("publish on a full store: code %q (%v), want %q", got, werr, ferry.EUNAVAILABLE)
	}
	waitFor(t, 5*time.Second, "not ready on a full store", func() error {
		if err := e.Ready(ctx); err == nil {
			return errors.New("ready")
		}
		return nil
	})

	disk.Free(t, e.JetStream())
	start := time.Now()
	waitFor(t, 10*time.Second, "ready after space is freed", func() error { return e.Ready(ctx) })
	waitFor(t, 5*time.Second, "publish after space is freed", func() error {
		_, err := e.JetStream().Publish(ctx, "t.x", []byte("after"))
		return err
	})
	t.Logf("recovered %s after space was freed (%s)", time.Since(start).Round(time.Millisecond), disk.Kind)
	s, err := e.JetStream().Stream(ctx, "T")
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs < 6 {
		t.Fatalf("stream holds %d messages after recovery, want the 5 from before and 1 after", info.State.Msgs)
	}
	if disk.Kind == smalldisk.Mounted && !strings.Contains(logs.String(), "component=nats-server") {
		t.Errorf("no nats-server log line in Ferry's log after the disk filled:\n%s", logs.String())
	}
}
