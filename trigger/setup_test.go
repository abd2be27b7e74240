package trigger_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/async"
	"github.com/ferry-run/ferry/catalog"
	"github.com/ferry-run/ferry/destination"
	"github.com/ferry-run/ferry/history"
	"github.com/ferry-run/ferry/natsjs"
	"github.com/ferry-run/ferry/nodeboot"
	"github.com/ferry-run/ferry/queue"
	"github.com/ferry-run/ferry/sandbox"
	"github.com/ferry-run/ferry/trigger"
)

// bundle is a running trigger service on real JetStream, queues and
// function catalogue. invoker stands where the async engine stands; with
// node it delegates to the real async engine and sandbox pool.
type bundle struct {
	nats    *natsjs.Engine
	queues  *queue.Service
	catalog *catalog.Store
	invoker *recorder
	svc     *trigger.Service
	opts    trigger.Options
	codeDir string
}

type config struct {
	node bool // run functions for real (Node.js through async + sandbox)
	// script answers invocations when node is false.
	script     func(ctx context.Context, req *ferry.InvokeRequest, ev sqsEvent) (*ferry.Result, error)
	maxPollers int
	waitTime   time.Duration
}

func setup(t *testing.T, cfg config) *bundle {
	t.Helper()
	ctx := context.Background()
	ne := natsjs.New(natsjs.Config{DataDir: t.TempDir()})
	if err := ne.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ne.Stop(ctx) })
	b := &bundle{nats: ne}
	b.queues = queue.New(ne, queue.Options{Realm: ferry.DefaultRealm})
	b.catalog = catalog.New(ne, nil)
	for _, p := range []interface {
		Start(context.Context) error
		Stop(context.Context) error
	}{b.catalog, b.queues} {
		if err := p.Start(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { p.Stop(ctx) })
	}
	b.invoker = &recorder{calls: make(chan call, 1000)}
	if cfg.node {
		b.invoker.next = startNode(t, b)
	} else {
		b.invoker.next = func(ctx context.Context, req *ferry.InvokeRequest) (*ferry.Result, error) {
			if cfg.script == nil {
				return &ferry.Result{RequestID: req.RequestID, Payload: json.RawMessage(`null`)}, nil
			}
			return cfg.script(ctx, req, decodeEvent(t, req.Payload))
		}
	}
	b.opts = trigger.Options{
		Realm: ferry.DefaultRealm, Queues: b.queues, Functions: b.catalog, Invoker: b.invoker,
		MaxPollers: cfg.maxPollers, WaitTime: cfg.waitTime, ThrottleBackoff: 50 * time.Millisecond,
	}
	if b.opts.WaitTime == 0 {
		b.opts.WaitTime = time.Second
	}
	b.svc = b.start(t)
	return b
}

// start starts a trigger service on the bundle's engine, stopped at cleanup.
func (b *bundle) start(t *testing.T) *trigger.Service {
	t.Helper()
	svc := trigger.New(b.nats, b.opts)
	if err := svc.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := svc.Stop(ctx); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
	return svc
}

// startNode starts the real async engine over a real sandbox pool.
func startNode(t *testing.T, b *bundle) func(context.Context, *ferry.InvokeRequest) (*ferry.Result, error) {
	t.Helper()
	ctx := context.Background()
	boot, err := nodeboot.Install(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	hist := history.New(b.nats, history.Options{})
	if err := hist.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { hist.Stop(ctx) })
	pool := sandbox.New(sandbox.Options{Realm: ferry.DefaultRealm, NodeBootstrap: boot})
	if err := pool.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		pool.Stop(sctx)
	})
	eng := async.New(b.nats, async.Options{Functions: b.catalog, History: hist, Runner: pool})
	eng.SetRouter(destination.New(ferry.DefaultRealm, destination.Targets{Queues: b.queues}))
	if err := eng.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		eng.Stop(sctx)
	})
	b.codeDir = t.TempDir()
	return eng.Invoke
}

// addFunction stores a function; with code it is a Node.js function.
func (b *bundle) addFunction(t *testing.T, name, code string, timeout time.Duration) {
	t.Helper()
	fn := &ferry.Function{Name: name, Runtime: "provided.al2023", Handler: "bootstrap", Timeout: timeout}
	if code != "" {
		dir := filepath.Join(b.codeDir, name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "index.js"), []byte(code), 0o644); err != nil {
			t.Fatal(err)
		}
		fn.Runtime, fn.Handler, fn.CodeDir = "nodejs20.x", "index.handler", dir
	}
	if err := b.catalog.PutFunction(context.Background(), fn); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "function "+name+" in the catalogue", func() bool {
		_, err := b.catalog.GetFunction(context.Background(), name)
		return err == nil
	})
}

func (b *bundle) addQueue(t *testing.T, name string, attrs map[string]string) {
	t.Helper()
	if _, err := b.queues.CreateQueue(context.Background(), name, attrs); err != nil {
		t.Fatal(err)
	}
}

func (b *bundle) send(t *testing.T, q string, msgs ...ferry.OutgoingMessage) []string {
	t.Helper()
	var ids []string
	for _, m := range msgs {
		id, err := b.queues.SendMessage(context.Background(), q, m)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

func (b *bundle) create(t *testing.T, m trigger.Mapping) trigger.Mapping {
	t.Helper()
	got, err := b.svc.Create(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// queueCounts returns the queue's visible and in-flight message counts.
func (b *bundle) queueCounts(t *testing.T, q string) (visible, inFlight int) {
	t.Helper()
	a, err := b.queues.GetQueueAttributes(context.Background(), q,
		[]string{queue.AttrNumMessages, queue.AttrNumNotVisible})
	if err != nil {
		t.Fatal(err)
	}
	visible, _ = strconv.Atoi(a[queue.AttrNumMessages])
	inFlight, _ = strconv.Atoi(a[queue.AttrNumNotVisible])
	return visible, inFlight
}

// waitEmpty waits until the queue holds no message at all.
func (b *bundle) waitEmpty(t *testing.T, q string, within time.Duration) {
	t.Helper()
	waitFor(t, within, "queue "+q+" empty", func() bool {
		v, f := b.queueCounts(t, q)
		return v == 0 && f == 0
	})
}

// recorder is the Invoker the service sees: it records every call.
type recorder struct {
	next  func(context.Context, *ferry.InvokeRequest) (*ferry.Result, error)
	calls chan call

	mu       sync.Mutex
	inFlight int
	peak     int
}

type call struct {
	req *ferry.InvokeRequest
	res *ferry.Result
	err error
	at  time.Time
}

func (r *recorder) Invoke(ctx context.Context, req *ferry.InvokeRequest) (*ferry.Result, error) {
	r.mu.Lock()
	r.inFlight++
	r.peak = max(r.peak, r.inFlight)
	r.mu.Unlock()
	res, err := r.next(ctx, req)
	r.mu.Lock()
	r.inFlight--
	r.mu.Unlock()
	r.calls <- call{req: req, res: res, err: err, at: time.Now()}
	return res, err
}

func (r *recorder) peakConcurrency() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.peak
}

// next returns the next call, failing the test after within.
func (r *recorder) next1(t *testing.T, within time.Duration) call {
	t.Helper()
	select {
	case c := <-r.calls:
		return c
	case <-time.After(within):
		t.Fatalf("no invocation within %v", within)
		return call{}
	}
}

// none asserts that no invocation happens for d.
func (r *recorder) none(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case c := <-r.calls:
		t.Fatalf("unexpected invocation with %s", c.req.Payload)
	case <-time.After(d):
	}
}

// sqsEvent is the event as a function sees it.
type sqsEvent struct {
	Records []sqsRecord `json:"Records"`
}

type sqsRecord struct {
	MessageID         string                     `json:"messageId"`
	ReceiptHandle     string                     `json:"receiptHandle"`
	Body              string                     `json:"body"`
	Attributes        map[string]string          `json:"attributes"`
	MessageAttributes map[string]json.RawMessage `json:"messageAttributes"`
	MD5OfBody         string                     `json:"md5OfBody"`
	EventSource       string                     `json:"eventSource"`
	EventSourceARN    string                     `json:"eventSourceARN"`
	AWSRegion         string                     `json:"awsRegion"`
}

func (r sqsRecord) receiveCount() int {
	n, _ := strconv.Atoi(r.Attributes["ApproximateReceiveCount"])
	return n
}

func decodeEvent(t *testing.T, p json.RawMessage) sqsEvent {
	var ev sqsEvent
	if err := json.Unmarshal(p, &ev); err != nil {
		t.Errorf("event %s: %v", p, err)
	}
	return ev
}

// waitFor polls cond until it holds, failing the test after within.
func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", within, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func ok(req *ferry.InvokeRequest, payload string) *ferry.Result {
	return &ferry.Result{RequestID: req.RequestID, Payload: json.RawMessage(payload)}
}
