package topic

import (
	"context"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/natsjs"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// recQueue records queue sends; fail, when set, decides an error per send.
type recQueue struct {
	mu   sync.Mutex
	sent []queueSend
	fail func(queue string, msg ferry.OutgoingMessage) error
}

type queueSend struct {
	Queue string
	Msg   ferry.OutgoingMessage
}

func (q *recQueue) SendMessage(_ context.Context, queue string, msg ferry.OutgoingMessage) (string, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.fail != nil {
		if err := q.fail(queue, msg); err != nil {
			return "", err
		}
	}
	q.sent = append(q.sent, queueSend{queue, msg})
	return "m-" + msg.DedupID, nil
}

func (q *recQueue) to(queue string) []ferry.OutgoingMessage {
	q.mu.Lock()
	defer q.mu.Unlock()
	var out []ferry.OutgoingMessage
	for _, s := range q.sent {
		if s.Queue == queue {
			out = append(out, s.Msg)
		}
	}
	return out
}

func (q *recQueue) count() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.sent)
}

// recFunctions records async invokes.
type recFunctions struct {
	mu   sync.Mutex
	reqs []*ferry.InvokeRequest
}

func (f *recFunctions) InvokeAsync(_ context.Context, req *ferry.InvokeRequest) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reqs = append(f.reqs, req)
	return nil
}

func (f *recFunctions) all() []*ferry.InvokeRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*ferry.InvokeRequest(nil), f.reqs...)
}

type bundle struct {
	dir string
	e   *natsjs.Engine
	svc *Service
	q   *recQueue
	fn  *recFunctions
	ctx context.Context
}

// setup starts an engine in a temp dir and a service on it with recording targets.
func setup(t testing.TB) *bundle {
	t.Helper()
	b := &bundle{dir: t.TempDir(), q: &recQueue{}, fn: &recFunctions{}, ctx: context.Background()}
	b.start(t)
	return b
}

// start (re)starts the engine and service on b.dir.
func (b *bundle) start(t testing.TB) {
	t.Helper()
	b.e = natsjs.New(natsjs.Config{DataDir: b.dir})
	if err := b.e.Start(b.ctx); err != nil {
		t.Fatal(err)
	}
	b.svc = New(b.e, Options{
		Targets:   Targets{Functions: b.fn, Queues: b.q},
		RetryBase: time.Millisecond,
	})
	b.svc.ackWait = 2 * time.Second
	if err := b.svc.Start(b.ctx); err != nil {
		b.e.Stop(b.ctx)
		t.Fatal(err)
	}
	e, svc := b.e, b.svc
	t.Cleanup(func() {
		svc.Stop(context.Background())
		e.Stop(context.Background())
	})
}

// stop stops the service and engine (a restart follows with start).
func (b *bundle) stop(t testing.TB) {
	t.Helper()
	if err := b.svc.Stop(b.ctx); err != nil {
		t.Fatal(err)
	}
	if err := b.e.Stop(b.ctx); err != nil {
		t.Fatal(err)
	}
}

func (b *bundle) topic(t testing.TB, name string, attrs map[string]string) string {
	t.Helper()
	arn, err := b.svc.CreateTopic(b.ctx, name, attrs)
	if err != nil {
		t.Fatal(err)
	}
	return arn
}

func (b *bundle) subscribe(t testing.TB, topic, protocol, endpoint string, attrs map[string]string) string {
	t.Helper()
	arn, err := b.svc.Subscribe(b.ctx, topic, protocol, endpoint, attrs)
	if err != nil {
		t.Fatal(err)
	}
	return arn
}

func (b *bundle) publish(t testing.TB, topic string, n ferry.Notification) string {
	t.Helper()
	id, err := b.svc.Publish(b.ctx, topic, n)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// waitFor polls cond until it holds or 10 s pass.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func stats(t testing.TB, s *Service, sub string) DeliveryStats {
	t.Helper()
	st, err := s.DeliveryStats(sub)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func wantCode(t testing.TB, err error, code string) {
	t.Helper()
	if got := ferry.ErrorCode(err); got != code {
		t.Fatalf("error = %v (code %q), want code %q", err, got, code)
	}
}
