package async_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/async"
	"github.com/ferry-run/ferry/catalog"
	"github.com/ferry-run/ferry/history"
)

// TestReservedConcurrencyHoldsAcrossNodes runs two engines (two nodes, each
// with its own catalog view and up to 4 runs of its own) on one JetStream:
// a function with reserved concurrency 2 never runs more than 2 events at
// once across both, though both run some, and every event runs once.
func TestReservedConcurrencyHoldsAcrossNodes(t *testing.T) {
	t.Parallel()
	var (
		running, peak atomic.Int32
		mu            sync.Mutex
		ranOn         = map[string]int{}
		runs          = map[string]int{}
	)
	slow := func(node string) func(*ferry.Function, *ferry.InvokeRequest, int) (*ferry.Result, error) {
		return func(_ *ferry.Function, req *ferry.InvokeRequest, _ int) (*ferry.Result, error) {
			n := running.Add(1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
			time.Sleep(30 * time.Millisecond)
			running.Add(-1)
			mu.Lock()
			ranOn[node]++
			runs[req.RequestID]++
			mu.Unlock()
			return ok(`null`), nil
		}
	}
	b := setupWith(t, 1, slow("a"), func(o *async.Options, _ *history.Options) { o.MaxConcurrency = 4 })
	ctx := context.Background()
	cat2 := catalog.New(b.nats, nil)
	if err := cat2.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cat2.Stop(ctx) })
	e2 := async.New(b.nats, async.Options{Functions: cat2, History: b.history, MaxConcurrency: 4, ClockScale: 1, AckWait: 2 * time.Second,
		Runner: &scriptRunner{calls: map[string][]time.Time{}, next: slow("b")}})
	e2.SetRouter(b.router)
	cat2.OnChange(e2.FunctionChanged)
	if err := e2.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := e2.StartWorkers(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		e2.Stop(sctx)
	})

	b.addFunction(t, &ferry.Function{Name: "capped", ReservedConcurrency: ptr(2)})
	const n = 40
	ids := map[string]bool{}
	for i := range n {
		ids[invoke(t, b, "capped", fmt.Sprintf(`%d`, i))] = true
	}
	for range n {
		b.outcome(t, 10*time.Second)
	}
	mu.Lock()
	defer mu.Unlock()
	for id := range ids {
		if runs[id] != 1 {
			t.Errorf("event %s ran %d times", id, runs[id])
		}
	}
	if p := peak.Load(); p > 2 || p < 2 {
		t.Errorf("peak concurrency across both nodes %d, want 2 (the reserved concurrency)", p)
	}
	if ranOn["a"] == 0 || ranOn["b"] == 0 {
		t.Errorf("runs per node %v; both nodes should pull", ranOn)
	}
}
