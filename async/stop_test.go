package async_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/async"
)

// stuckHistory is the history on a store that stopped answering writes:
// every write waits until its context ends.
type stuckHistory struct{ ferry.InvocationStore }

func (stuckHistory) PutInvocation(ctx context.Context, _ *ferry.Invocation) error {
	<-ctx.Done()
	return ctx.Err()
}

// TestStopIsBoundedOnAStuckStore stops the engine while history writes
// hang, thousands of synchronous histories wait to be written and an
// event's function is still running: Stop returns soon after its deadline,
// and the event, never acknowledged, runs to its outcome after a restart.
func TestStopIsBoundedOnAStuckStore(t *testing.T) {
	t.Parallel()
	running := make(chan string, 1)
	b := setup(t, 1, func(_ *ferry.Function, req *ferry.InvokeRequest, _ int) (*ferry.Result, error) {
		return ok(`{"ok":true}`), nil
	})
	ctx := context.Background()
	b.addFunction(t, &ferry.Function{Name: "f"})

	stuck := async.New(b.nats, async.Options{
		Functions: b.catalog, History: stuckHistory{b.history}, AckWait: 2 * time.Second,
		Runner: runnerFunc(func(rctx context.Context, _ *ferry.Function, req *ferry.InvokeRequest) (*ferry.Result, error) {
			if strings.Contains(string(req.Payload), "slow") {
				running <- req.RequestID
				<-rctx.Done()
				return nil, rctx.Err()
			}
			return ok(`{"ok":true}`), nil
		}),
	})
	stuck.SetRouter(b.router)
	// The first engine of the bundle stands down; the stuck one takes the
	// function's events.
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	if err := b.engine.Stop(sctx); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := stuck.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := stuck.StartWorkers(ctx); err != nil {
		t.Fatal(err)
	}
	req := &ferry.InvokeRequest{Function: "f", Payload: json.RawMessage(`{"slow":true}`)}
	if err := stuck.InvokeAsync(ctx, req); err != nil {
		t.Fatal(err)
	}
	select {
	case id := <-running:
		if id != req.RequestID {
			t.Fatalf("running %s, want %s", id, req.RequestID)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the event never started")
	}
	for range 3000 {
		if _, err := stuck.Invoke(ctx, &ferry.InvokeRequest{Function: "f", Payload: json.RawMessage(`{}`)}); err != nil {
			t.Fatal(err)
		}
	}

	const bound = 300 * time.Millisecond
	stopCtx, cancel := context.WithTimeout(ctx, bound)
	defer cancel()
	start := time.Now()
	err := stuck.Stop(stopCtx)
	took := time.Since(start)
	t.Logf("Stop took %s with a %s deadline: %v", took.Round(time.Millisecond), bound, err)
	if took > bound+time.Second {
		t.Fatalf("Stop took %s, want about %s", took, bound)
	}
	if err == nil {
		t.Error("Stop cut work short but reported no error")
	}

	// A restart (a fresh engine on the same store) runs the event.
	again := async.New(b.nats, async.Options{
		Functions: b.catalog, History: b.history, AckWait: 2 * time.Second,
		Runner: runnerFunc(func(context.Context, *ferry.Function, *ferry.InvokeRequest) (*ferry.Result, error) {
			return ok(`{"ran":"after restart"}`), nil
		}),
	})
	again.SetRouter(b.router)
	if err := again.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		again.Stop(c)
	})
	if err := again.StartWorkers(ctx); err != nil {
		t.Fatal(err)
	}
	o := b.outcome(t, 10*time.Second)
	if o.Request.RequestID != req.RequestID || o.Condition != ferry.ConditionSuccess {
		t.Fatalf("after restart: outcome %s %s, want %s Success", o.Request.RequestID, o.Condition, req.RequestID)
	}
}

type runnerFunc func(ctx context.Context, fn *ferry.Function, req *ferry.InvokeRequest) (*ferry.Result, error)

func (f runnerFunc) Invoke(ctx context.Context, fn *ferry.Function, req *ferry.InvokeRequest) (*ferry.Result, error) {
	return f(ctx, fn, req)
}
