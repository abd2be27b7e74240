package async_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/async"
	"github.com/ferry-run/ferry/catalog"
	"github.com/ferry-run/ferry/history"
	"github.com/ferry-run/ferry/natsjs"
)

// scriptRunner answers invocations from a per-function script; it stands
// where the sandbox pool stands in production.
type scriptRunner struct {
	mu    sync.Mutex
	calls map[string][]time.Time
	next  func(fn *ferry.Function, req *ferry.InvokeRequest, n int) (*ferry.Result, error)
}

func (r *scriptRunner) Invoke(ctx context.Context, fn *ferry.Function, req *ferry.InvokeRequest) (*ferry.Result, error) {
	r.mu.Lock()
	r.calls[req.RequestID] = append(r.calls[req.RequestID], time.Now())
	n := len(r.calls[req.RequestID])
	r.mu.Unlock()
	return r.next(fn, req, n)
}

func (r *scriptRunner) callTimes(id string) []time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]time.Time(nil), r.calls[id]...)
}

// recordingRouter plans one OnSuccess/OnFailure delivery per outcome and
// records each delivery; failUntil makes the first deliveries fail.
type recordingRouter struct {
	mu        sync.Mutex
	failUntil int
	tries     int
	outcomes  chan ferry.Outcome
}

func (r *recordingRouter) Plan(o *ferry.Outcome) []ferry.Delivery {
	if o.Failed() {
		return []ferry.Delivery{{Kind: ferry.DeliveryOnFailure, Target: "arn:aws:sqs:us-east-1:000000000000:failed"}}
	}
	return []ferry.Delivery{{Kind: ferry.DeliveryOnSuccess, Target: "arn:aws:sqs:us-east-1:000000000000:ok"}}
}

func (r *recordingRouter) Deliver(_ context.Context, o *ferry.Outcome, _ *ferry.Delivery) error {
	r.mu.Lock()
	r.tries++
	fail := r.tries <= r.failUntil
	r.mu.Unlock()
	if fail {
		return errors.New("queue unavailable")
	}
	r.outcomes <- *o
	return nil
}

type bundle struct {
	engine  *async.Engine
	runner  *scriptRunner
	router  *recordingRouter
	catalog *catalog.Store
	history *history.Store
	nats    *natsjs.Engine
}

func setup(t *testing.T, scale float64, next func(fn *ferry.Function, req *ferry.InvokeRequest, n int) (*ferry.Result, error)) *bundle {
	t.Helper()
	return setupWith(t, scale, next, nil)
}

// setupWith is setup with the engine's and history's options adjusted.
func setupWith(t *testing.T, scale float64, next func(fn *ferry.Function, req *ferry.InvokeRequest, n int) (*ferry.Result, error),
	adjust func(*async.Options, *history.Options)) *bundle {
	t.Helper()
	ctx := context.Background()
	ne := natsjs.New(natsjs.Config{DataDir: t.TempDir()})
	if err := ne.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ne.Stop(ctx) })
	cat := catalog.New(ne, nil)
	if err := cat.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cat.Stop(ctx) })
	var eopts async.Options
	var hopts history.Options
	if adjust != nil {
		adjust(&eopts, &hopts)
	}
	hist := history.New(ne, hopts)
	if err := hist.Start(ctx); err != nil {
		t.Fatal(err)
	}
	b := &bundle{
		runner:  &scriptRunner{calls: map[string][]time.Time{}, next: next},
		router:  &recordingRouter{outcomes: make(chan ferry.Outcome, 100)},
		catalog: cat, history: hist, nats: ne,
	}
	eopts.Functions, eopts.History, eopts.Runner, eopts.ClockScale, eopts.AckWait = cat, hist, b.runner, scale, 2*time.Second
	b.engine = async.New(ne, eopts)
	b.engine.SetRouter(b.router)
	cat.OnChange(b.engine.FunctionChanged)
	if err := b.engine.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := b.engine.StartWorkers(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		b.engine.Stop(sctx)
	})
	return b
}

func (b *bundle) addFunction(t *testing.T, fn *ferry.Function) {
	t.Helper()
	if fn.Runtime == "" {
		fn.Runtime = "provided.al2023"
	}
	if err := b.catalog.PutFunction(context.Background(), fn); err != nil {
		t.Fatal(err)
	}
}

func (b *bundle) outcome(t *testing.T, within time.Duration) ferry.Outcome {
	t.Helper()
	select {
	case o := <-b.router.outcomes:
		return o
	case <-time.After(within):
		t.Fatal("no outcome delivered")
		return ferry.Outcome{}
	}
}

func (b *bundle) noOutcome(t *testing.T, within time.Duration) {
	t.Helper()
	select {
	case o := <-b.router.outcomes:
		t.Fatalf("unexpected outcome %+v", o)
	case <-time.After(within):
	}
}

func (b *bundle) waitDone(t *testing.T, id string) *ferry.Invocation {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		inv, err := b.history.GetInvocation(context.Background(), id)
		if err == nil && inv.Done {
			return inv
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("invocation %s never finished", id)
	return nil
}

func ok(payload string) *ferry.Result {
	return &ferry.Result{Payload: json.RawMessage(payload), Duration: time.Millisecond}
}

func fail(msg string) *ferry.Result {
	p, _ := json.Marshal(ferry.ErrorPayload{ErrorMessage: msg, ErrorType: "Error", StackTrace: []string{"at handler"}})
	return &ferry.Result{Payload: p, FunctionError: ferry.FunctionErrorUnhandled, ErrorType: "Error", ErrorMessage: msg}
}

func ptr[T any](v T) *T { return &v }

func invoke(t *testing.T, b *bundle, fn, payload string) string {
	t.Helper()
	req := &ferry.InvokeRequest{Function: fn, Payload: json.RawMessage(payload)}
	if err := b.engine.InvokeAsync(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	return req.RequestID
}
