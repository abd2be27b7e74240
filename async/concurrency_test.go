package async_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/async"
)

// TestAccountConcurrencyCapsEveryFunction: with an account limit of 3, two
// functions with queued events never run more than 3 invocations at once
// between them, and a function's reserved concurrency of 1 caps it alone;
// every event still finishes.
func TestAccountConcurrencyCapsEveryFunction(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	n := startNode(t, t.TempDir())
	for _, fn := range []*ferry.Function{
		{Name: "a", Runtime: "provided.al2023"},
		{Name: "b", Runtime: "provided.al2023"},
		{Name: "one", Runtime: "provided.al2023", ReservedConcurrency: ptr(1)},
	} {
		if err := n.catalog.PutFunction(ctx, fn); err != nil {
			t.Fatal(err)
		}
	}
	var (
		mu            sync.Mutex
		running, peak int
		oneRun, onePk int
	)
	runner := runnerFunc(func(_ context.Context, fn *ferry.Function, _ *ferry.InvokeRequest) (*ferry.Result, error) {
		mu.Lock()
		running++
		peak = max(peak, running)
		if fn.Name == "one" {
			oneRun++
			onePk = max(onePk, oneRun)
		}
		mu.Unlock()
		time.Sleep(5 * time.Millisecond)
		mu.Lock()
		running--
		if fn.Name == "one" {
			oneRun--
		}
		mu.Unlock()
		return ok(`{}`), nil
	})
	router := &recordingRouter{outcomes: make(chan ferry.Outcome, 200)}
	e := async.New(n.nats, async.Options{
		Functions: n.catalog, History: n.history, Runner: runner, AckWait: 2 * time.Second,
		Concurrency: 3, MaxConcurrency: 50,
	})
	e.SetRouter(router)
	if err := e.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Stop(context.Background()) })
	const each = 30
	for _, fn := range []string{"a", "b", "one"} {
		for range each {
			if err := e.InvokeAsync(ctx, &ferry.InvokeRequest{Function: fn, Payload: json.RawMessage(`{}`)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := e.StartWorkers(ctx); err != nil {
		t.Fatal(err)
	}
	for i := range 3 * each {
		select {
		case <-router.outcomes:
		case <-time.After(10 * time.Second):
			t.Fatalf("%d of %d outcomes", i, 3*each)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if peak > 3 {
		t.Errorf("%d invocations ran at once, above the account's 3", peak)
	}
	if peak < 2 {
		t.Errorf("at most %d invocation ran at once: the functions did not run side by side", peak)
	}
	if onePk != 1 {
		t.Errorf("function with reserved concurrency 1 ran %d at once", onePk)
	}
}
