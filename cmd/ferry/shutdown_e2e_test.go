package main

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ferry-run/ferry/async"
)

// TestShutdownIsBoundedAndLosesNoEvent stops Ferry with a 1 s shutdown
// timeout while an accepted event's function is still running (it sleeps
// for longer than that): Close returns within the bound, and the event,
// cut short, is still queued after a restart on the same data dir.
func TestShutdownIsBoundedAndLosesNoEvent(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := Config{DataDir: dir, ClockScale: 0.001, ShutdownTimeout: time.Second}
	m := startOn(t, cfg)
	lc := lambdaClient(m)
	fn := nodeFn("pay")
	fn.timeout = 30
	createFunction(t, lc, fn)
	q := createQueue(t, m, "paid")
	putDestinations(t, lc, "pay", 0, q, "")
	id := invokeAsync(t, lc, "pay", map[string]any{"id": "slow", "amount": 5, "sleepMs": 2500})
	eventually(t, 10*time.Second, "the function runs", func() error {
		if busy, _ := m.Pool.Stats("pay"); busy == 0 {
			return errors.New("not running")
		}
		return nil
	})

	ctx, cancel := context.WithTimeout(context.Background(), cfg.shutdownTimeout())
	defer cancel()
	start := time.Now()
	err := m.Close(ctx)
	took := time.Since(start)
	t.Logf("Close took %s with a %s shutdown timeout (%v)", took.Round(time.Millisecond), cfg.shutdownTimeout(), err)
	if took > cfg.shutdownTimeout()+500*time.Millisecond {
		t.Fatalf("Close took %s, want at most about %s", took, cfg.shutdownTimeout())
	}

	// After a restart the event is still queued: it was never
	// acknowledged, so it runs once the hold of the cut delivery (the
	// async engine's AckWait, 30 s) has passed. The async package's
	// TestStopIsBoundedOnAStuckStore shows it running after a restart
	// with a short hold.
	m2 := startOn(t, cfg)
	st, err := m2.Engine.JetStream().Stream(context.Background(), async.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 1 {
		t.Fatalf("after restart %d events queued, want the 1 cut short at shutdown", info.State.Msgs)
	}
	if _, err := m2.History.GetInvocation(context.Background(), id); err == nil {
		inv, _ := m2.History.GetInvocation(context.Background(), id)
		if inv.Done {
			t.Fatalf("the event cut short at shutdown is recorded as done: %+v", inv)
		}
	}
}
