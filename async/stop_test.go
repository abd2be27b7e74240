package async_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/async"
	"github.com/ferry-run/ferry/catalog"
	"github.com/ferry-run/ferry/history"
	"github.com/ferry-run/ferry/natsjs"
)

// stuckHistory is the history on a store that stopped answering writes:
// every write waits until its context ends.
type stuckHistory struct{ ferry.InvocationStore }

func (stuckHistory) PutInvocation(ctx context.Context, _ *ferry.Invocation) error {
	<-ctx.Done()
	return ctx.Err()
}

type runnerFunc func(ctx context.Context, fn *ferry.Function, req *ferry.InvokeRequest) (*ferry.Result, error)

func (f runnerFunc) Invoke(ctx context.Context, fn *ferry.Function, req *ferry.InvokeRequest) (*ferry.Result, error) {
	return f(ctx, fn, req)
}

// node is one run of the engine's parts on a data dir.
type node struct {
	nats    *natsjs.Engine
	catalog *catalog.Store
	history *history.Store
	stop    func()
}

func startNode(t *testing.T, dir string) *node {
	t.Helper()
	ctx := context.Background()
	ne := natsjs.New(natsjs.Config{DataDir: dir})
	if err := ne.Start(ctx); err != nil {
		t.Fatal(err)
	}
	cat := catalog.New(ne, nil)
	if err := cat.Start(ctx); err != nil {
		t.Fatal(err)
	}
	hist := history.New(ne, history.Options{})
	if err := hist.Start(ctx); err != nil {
		t.Fatal(err)
	}
	n := &node{nats: ne, catalog: cat, history: hist}
	n.stop = func() { cat.Stop(ctx); ne.Stop(ctx) }
	t.Cleanup(n.stop)
	return n
}

// TestStopIsBoundedOnAStuckStore stops the engine while history writes
// hang, thousands of synchronous histories wait to be written and an
// event's function is still running: Stop returns soon after its deadline,
// and the event, never acknowledged, runs to its outcome after the store
// and the engine restart.
func TestStopIsBoundedOnAStuckStore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	n := startNode(t, dir)
	if err := n.catalog.PutFunction(ctx, &ferry.Function{Name: "f", Runtime: "provided.al2023"}); err != nil {
		t.Fatal(err)
	}
	running := make(chan string, 1)
	router := &recordingRouter{outcomes: make(chan ferry.Outcome, 10)}
	stuck := async.New(n.nats, async.Options{
		Functions: n.catalog, History: stuckHistory{n.history}, AckWait: 2 * time.Second,
		Runner: runnerFunc(func(rctx context.Context, _ *ferry.Function, req *ferry.InvokeRequest) (*ferry.Result, error) {
			if strings.Contains(string(req.Payload), "slow") {
				running <- req.RequestID
				<-rctx.Done()
				return nil, rctx.Err()
			}
			return ok(`{"ok":true}`), nil
		}),
	})
	stuck.SetRouter(router)
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
	n.stop()

	// Restart the store and the engine on the same data dir: the event
	// runs (once its hold, AckWait, has passed).
	n2 := startNode(t, dir)
	again := async.New(n2.nats, async.Options{
		Functions: n2.catalog, History: n2.history, AckWait: 2 * time.Second,
		Runner: runnerFunc(func(context.Context, *ferry.Function, *ferry.InvokeRequest) (*ferry.Result, error) {
			return ok(`{"ran":"after restart"}`), nil
		}),
	})
	again.SetRouter(router)
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
	select {
	case o := <-router.outcomes:
		if o.Request.RequestID != req.RequestID || o.Condition != ferry.ConditionSuccess {
			t.Fatalf("after restart: outcome %s %s, want %s Success", o.Request.RequestID, o.Condition, req.RequestID)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the event cut short at shutdown never ran after the restart")
	}
}
