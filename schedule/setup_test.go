package schedule_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/natsjs"
	"github.com/ferry-run/ferry/schedule"
)

// recorder is the async engine as the schedule service sees it: it keeps
// every request it is handed.
type recorder struct {
	mu     sync.Mutex
	reqs   []ferry.InvokeRequest
	notify chan struct{}
	// hook, when set, answers InvokeAsync after the request is recorded.
	hook func(ctx context.Context, req *ferry.InvokeRequest) error
}

func newRecorder() *recorder { return &recorder{notify: make(chan struct{}, 1)} }

func (r *recorder) InvokeAsync(ctx context.Context, req *ferry.InvokeRequest) error {
	r.mu.Lock()
	c := *req
	c.Payload = append(json.RawMessage(nil), req.Payload...)
	r.reqs = append(r.reqs, c)
	hook := r.hook
	r.mu.Unlock()
	select {
	case r.notify <- struct{}{}:
	default:
	}
	if hook != nil {
		return hook(ctx, req)
	}
	return nil
}

// calls returns the requests for function fn.
func (r *recorder) calls(fn string) []ferry.InvokeRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []ferry.InvokeRequest
	for _, q := range r.reqs {
		if q.Function == fn {
			out = append(out, q)
		}
	}
	return out
}

// wait returns fn's requests once there are at least n, failing after 10 s.
func (r *recorder) wait(t *testing.T, fn string, n int) []ferry.InvokeRequest {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		if got := r.calls(fn); len(got) >= n {
			return got
		}
		select {
		case <-r.notify:
		case <-deadline:
			t.Fatalf("%s: %d scheduled invokes after 10 s, want %d", fn, len(r.calls(fn)), n)
		}
	}
}

type bundle struct {
	nats *natsjs.Engine
	svc  *schedule.Service
	rec  *recorder
	dir  string
}

var testRealm = ferry.Realm{Region: "eu-west-1", Account: "123456789012"}

// setup starts JetStream in a temporary directory and a schedule service
// on it. opts.Async defaults to a recorder; opts.Realm to testRealm.
func setup(t *testing.T, opts schedule.Options) *bundle {
	t.Helper()
	b := &bundle{dir: t.TempDir(), rec: newRecorder()}
	b.nats = startNATS(t, b.dir)
	if opts.Async == nil {
		opts.Async = b.rec
	}
	if opts.Realm == (ferry.Realm{}) {
		opts.Realm = testRealm
	}
	b.svc = startService(t, b.nats, opts)
	return b
}

func startNATS(t *testing.T, dir string) *natsjs.Engine {
	t.Helper()
	ctx := context.Background()
	ne := natsjs.New(natsjs.Config{DataDir: dir})
	if err := ne.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ne.Stop(ctx) })
	return ne
}

func startService(t *testing.T, ne *natsjs.Engine, opts schedule.Options) *schedule.Service {
	t.Helper()
	svc := schedule.New(ne, opts)
	if err := svc.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := svc.Stop(ctx); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	return svc
}

// fast is a clock scale under which rate(1 minute) fires every 60 ms.
const fast = 0.001

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// offsetClock runs at real speed from start.
func offsetClock(start time.Time) func() time.Time {
	t0 := time.Now()
	return func() time.Time { return start.Add(time.Since(t0)) }
}

func mustPut(t *testing.T, svc *schedule.Service, sc schedule.Schedule) {
	t.Helper()
	if err := svc.Put(context.Background(), sc); err != nil {
		t.Fatalf("Put(%s): %v", sc.Name, err)
	}
}
