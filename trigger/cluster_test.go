package trigger_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/catalog"
	"github.com/ferry-run/ferry/queue"
	"github.com/ferry-run/ferry/trigger"
)

// TestTwoNodesDeliverEachMessageOnce runs the trigger service of two nodes
// (each with its own queue service and catalogue view) on one JetStream.
// The mapping is created on one node; both poll the shared queue, and each
// of N messages is invoked exactly once across them.
func TestTwoNodesDeliverEachMessageOnce(t *testing.T) {
	t.Parallel()
	var (
		mu     sync.Mutex
		seen   = map[string]int{}
		byNode = map[string]int{}
	)
	script := func(node string) func(ctx context.Context, req *ferry.InvokeRequest) (*ferry.Result, error) {
		return func(ctx context.Context, req *ferry.InvokeRequest) (*ferry.Result, error) {
			ev := decodeEvent(t, req.Payload)
			time.Sleep(5 * time.Millisecond)
			mu.Lock()
			for _, r := range ev.Records {
				seen[r.Body]++
				byNode[node]++
			}
			mu.Unlock()
			return ok(req, `null`), nil
		}
	}
	a := setup(t, config{maxPollers: 3, waitTime: 200 * time.Millisecond})
	a.invoker.next = script("a")
	a.addQueue(t, "work", map[string]string{"VisibilityTimeout": "30"})
	a.addFunction(t, "consume", "", time.Second)

	// Node b: its own queue service and catalogue on the same JetStream.
	ctx := context.Background()
	qb := queue.New(a.nats, queue.Options{Realm: ferry.DefaultRealm})
	cb := catalog.New(a.nats, nil)
	for _, p := range []interface {
		Start(context.Context) error
		Stop(context.Context) error
	}{cb, qb} {
		if err := p.Start(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { p.Stop(ctx) })
	}
	recB := &recorder{calls: make(chan call, 1000), next: script("b")}
	optsB := a.opts
	optsB.Queues, optsB.Functions, optsB.Invoker = qb, cb, recB
	svcB := trigger.New(a.nats, optsB)
	if err := svcB.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		svcB.Stop(sctx)
	})

	m := a.create(t, trigger.Mapping{Queue: "work", Function: "consume", Enabled: true, BatchSize: 1})
	waitFor(t, 5*time.Second, "mapping seen on node b", func() bool {
		_, err := svcB.Get(ctx, m.UUID)
		return err == nil
	})
	const n = 200
	want := map[string]bool{}
	for i := range n {
		body := fmt.Sprintf("m-%d", i)
		want[body] = true
		a.send(t, "work", ferry.OutgoingMessage{Body: body})
	}
	a.waitEmpty(t, "work", 20*time.Second)
	mu.Lock()
	defer mu.Unlock()
	dup := 0
	for body := range want {
		switch seen[body] {
		case 0:
			t.Errorf("message %s never delivered", body)
		case 1:
		default:
			dup++
		}
	}
	if dup > 0 || len(seen) != n {
		t.Errorf("%d of %d messages delivered more than once (%d distinct delivered)", dup, n, len(seen))
	}
	if byNode["a"] == 0 || byNode["b"] == 0 {
		t.Errorf("deliveries per node %v; both nodes should poll", byNode)
	}
	t.Logf("%d messages, deliveries per node %v", n, byNode)
}
