package trigger_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/trigger"
)

func msgs(n int) []ferry.OutgoingMessage {
	out := make([]ferry.OutgoingMessage, n)
	for i := range out {
		out[i] = ferry.OutgoingMessage{Body: fmt.Sprintf(`{"n":%d}`, i)}
	}
	return out
}

// records collects calls until n records were invoked, returning each
// call's record count.
func records(t *testing.T, r *recorder, n int, within time.Duration) (sizes []int, calls []call) {
	t.Helper()
	deadline := time.Now().Add(within)
	total := 0
	for total < n {
		c := r.next1(t, time.Until(deadline))
		k := len(decodeEvent(t, c.req.Payload).Records)
		sizes = append(sizes, k)
		calls = append(calls, c)
		total += k
	}
	return sizes, calls
}

func TestBatchSizeWithWindow(t *testing.T) {
	t.Parallel()
	b := setup(t, config{maxPollers: 1})
	b.addQueue(t, "q", nil)
	b.addFunction(t, "f", "", 0)
	b.send(t, "q", msgs(30)...)
	b.create(t, trigger.Mapping{Queue: "q", Function: "f", BatchSize: 20, MaximumBatchingWindow: time.Second, Enabled: true})
	sizes, _ := records(t, b.invoker, 30, 10*time.Second)
	if len(sizes) != 2 || sizes[0] != 20 || sizes[1] != 10 {
		t.Errorf("batch sizes = %v, want [20 10]", sizes)
	}
	b.waitEmpty(t, "q", 5*time.Second)
}

func TestBatchingWindowWaits(t *testing.T) {
	t.Parallel()
	b := setup(t, config{})
	b.addQueue(t, "q", nil)
	b.addFunction(t, "f", "", 0)
	b.send(t, "q", msgs(3)...)
	start := time.Now()
	b.create(t, trigger.Mapping{Queue: "q", Function: "f", BatchSize: 100, MaximumBatchingWindow: time.Second, Enabled: true})
	c := b.invoker.next1(t, 10*time.Second)
	if n := len(decodeEvent(t, c.req.Payload).Records); n != 3 {
		t.Errorf("records = %d, want 3", n)
	}
	if waited := c.at.Sub(start); waited < 900*time.Millisecond {
		t.Errorf("invoked after %v, want the 1 s batching window", waited)
	}
	b.waitEmpty(t, "q", 5*time.Second)
}

func TestNoWindowInvokesOneReceive(t *testing.T) {
	t.Parallel()
	b := setup(t, config{})
	b.addQueue(t, "q", nil)
	b.addFunction(t, "f", "", 0)
	b.send(t, "q", msgs(12)...)
	b.create(t, trigger.Mapping{Queue: "q", Function: "f", BatchSize: 5, Enabled: true})
	sizes, _ := records(t, b.invoker, 12, 10*time.Second)
	for _, n := range sizes {
		if n < 1 || n > 5 {
			t.Errorf("batch sizes = %v, want each 1-5", sizes)
		}
	}
	b.waitEmpty(t, "q", 5*time.Second)
}

// Invalid partial batch responses fail the whole batch; null, {} and an
// empty list mean success.
func TestPartialBatchResponses(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		response func(ev sqsEvent) string
		kept     int // messages left on the queue
	}{
		{"null", func(sqsEvent) string { return `null` }, 0},
		{"empty object", func(sqsEvent) string { return `{}` }, 0},
		{"empty list", func(sqsEvent) string { return `{"batchItemFailures":[]}` }, 0},
		{"null list", func(sqsEvent) string { return `{"batchItemFailures":null}` }, 0},
		{"one failed", func(ev sqsEvent) string {
			return `{"batchItemFailures":[{"itemIdentifier":"` + ev.Records[0].MessageID + `"}]}`
		}, 1},
		{"unknown id", func(sqsEvent) string { return `{"batchItemFailures":[{"itemIdentifier":"nope"}]}` }, 3},
		{"empty id", func(sqsEvent) string { return `{"batchItemFailures":[{"itemIdentifier":""}]}` }, 3},
		{"wrong key", func(ev sqsEvent) string {
			return `{"batchItemFailures":[{"id":"` + ev.Records[0].MessageID + `"}]}`
		}, 3},
		{"not an object", func(sqsEvent) string { return `"done"` }, 3},
		{"not JSON", func(sqsEvent) string { return `{oops` }, 3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, config{maxPollers: 1, script: func(_ context.Context, req *ferry.InvokeRequest, ev sqsEvent) (*ferry.Result, error) {
				return ok(req, tc.response(ev)), nil
			}})
			b.addQueue(t, "q", nil)
			b.addFunction(t, "f", "", 0)
			b.send(t, "q", msgs(3)...)
			b.create(t, trigger.Mapping{Queue: "q", Function: "f", BatchSize: 3, MaximumBatchingWindow: time.Second,
				Enabled: true, ReportBatchItemFailures: true})
			if n := len(decodeEvent(t, b.invoker.next1(t, 10*time.Second).req.Payload).Records); n != 3 {
				t.Fatalf("batch of %d, want 3", n)
			}
			waitFor(t, 5*time.Second, "deletes", func() bool {
				v, f := b.queueCounts(t, "q")
				return v == 0 && f == tc.kept
			})
		})
	}
}

// A function error leaves the batch: every message comes back with a
// higher receive count. Without ReportBatchItemFailures a partial response
// is ignored and the whole batch is deleted.
func TestFunctionErrorKeepsBatch(t *testing.T) {
	t.Parallel()
	b := setup(t, config{script: func(_ context.Context, req *ferry.InvokeRequest, ev sqsEvent) (*ferry.Result, error) {
		for _, r := range ev.Records {
			if r.receiveCount() == 1 {
				return &ferry.Result{RequestID: req.RequestID, FunctionError: ferry.FunctionErrorUnhandled,
					Payload: []byte(`{"errorMessage":"no","errorType":"Error"}`)}, nil
			}
		}
		return ok(req, `{"batchItemFailures":[{"itemIdentifier":"`+ev.Records[0].MessageID+`"}]}`), nil
	}})
	b.addQueue(t, "q", map[string]string{"VisibilityTimeout": "1"})
	b.addFunction(t, "f", "", time.Second)
	ids := b.send(t, "q", msgs(2)...)
	b.create(t, trigger.Mapping{Queue: "q", Function: "f", Enabled: true})
	again := map[string]bool{}
	deadline := time.Now().Add(10 * time.Second)
	for len(again) < len(ids) {
		c := b.invoker.next1(t, time.Until(deadline))
		for _, r := range decodeEvent(t, c.req.Payload).Records {
			if r.receiveCount() > 1 {
				again[r.MessageID] = true
			}
		}
	}
	b.waitEmpty(t, "q", 5*time.Second)
}

// A throttled invoke deletes nothing: the messages come back after the
// visibility timeout and are processed once concurrency is available.
func TestThrottleLeavesMessages(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	b := setup(t, config{script: func(_ context.Context, req *ferry.InvokeRequest, _ sqsEvent) (*ferry.Result, error) {
		if calls.Add(1) <= 2 {
			return nil, ferry.Errorf(ferry.ETHROTTLED, "Rate Exceeded.")
		}
		return ok(req, `null`), nil
	}})
	b.addQueue(t, "q", map[string]string{"VisibilityTimeout": "1"})
	b.addFunction(t, "f", "", time.Second)
	id := b.send(t, "q", msgs(1)...)[0]
	b.create(t, trigger.Mapping{Queue: "q", Function: "f", Enabled: true})
	for want := 1; want <= 3; want++ {
		c := b.invoker.next1(t, 10*time.Second)
		ev := decodeEvent(t, c.req.Payload)
		if len(ev.Records) != 1 || ev.Records[0].MessageID != id || ev.Records[0].receiveCount() != want {
			t.Fatalf("call %d: %s", want, c.req.Payload)
		}
		if throttled := ferry.ErrorCode(c.err) == ferry.ETHROTTLED; throttled != (want < 3) {
			t.Fatalf("call %d: err %v", want, c.err)
		}
	}
	b.waitEmpty(t, "q", 5*time.Second)
}

// Full batches scale pollers up to the cap; empty receives scale them down.
func TestScaling(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		maxConc  int
		reserved *int
		want     int
	}{
		{"default cap", 0, nil, 5},
		{"maximum concurrency", 2, nil, 2},
		{"reserved concurrency", 0, ptr(3), 3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			release := make(chan struct{})
			b := setup(t, config{waitTime: 500 * time.Millisecond,
				script: func(ctx context.Context, req *ferry.InvokeRequest, _ sqsEvent) (*ferry.Result, error) {
					select {
					case <-release:
					case <-ctx.Done():
					}
					return ok(req, `null`), nil
				}})
			b.addQueue(t, "q", nil)
			if err := b.catalog.PutFunction(context.Background(), &ferry.Function{Name: "f", Runtime: "provided.al2023", ReservedConcurrency: tc.reserved}); err != nil {
				t.Fatal(err)
			}
			waitFor(t, 5*time.Second, "function in the catalogue", func() bool {
				_, err := b.catalog.GetFunction(context.Background(), "f")
				return err == nil
			})
			b.send(t, "q", msgs(40)...)
			m := b.create(t, trigger.Mapping{Queue: "q", Function: "f", BatchSize: 1, MaximumConcurrency: tc.maxConc, Enabled: true})
			// Each blocked poller holds one message; release them one by one.
			waitFor(t, 10*time.Second, "scale up", func() bool {
				select {
				case release <- struct{}{}:
				default:
				}
				return b.svc.Pollers(m.UUID) == tc.want
			})
			close(release)
			b.waitEmpty(t, "q", 10*time.Second)
			if got := b.invoker.peakConcurrency(); got != tc.want {
				t.Errorf("peak concurrency = %d, want %d", got, tc.want)
			}
			waitFor(t, 10*time.Second, "scale down", func() bool { return b.svc.Pollers(m.UUID) == 1 })
		})
	}
}

func ptr[T any](v T) *T { return &v }
