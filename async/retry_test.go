package async_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/ferry-run/ferry"
)

func TestSuccessDeliversOnce(t *testing.T) {
	t.Parallel()
	b := setup(t, 0.001, func(*ferry.Function, *ferry.InvokeRequest, int) (*ferry.Result, error) {
		return ok(`{"paid":true}`), nil
	})
	b.addFunction(t, &ferry.Function{Name: "pay"})
	id := invoke(t, b, "pay", `{"amount":5}`)
	o := b.outcome(t, 5*time.Second)
	if o.Condition != ferry.ConditionSuccess || o.InvokeCount != 1 || o.StatusCode != 200 {
		t.Fatalf("outcome = %s count %d status %d, want Success 1 200", o.Condition, o.InvokeCount, o.StatusCode)
	}
	if got := string(o.Result.Payload); got != `{"paid":true}` {
		t.Fatalf("response = %s", got)
	}
	if got := string(o.Request.Payload); got != `{"amount":5}` {
		t.Fatalf("request = %s", got)
	}
	inv := b.waitDone(t, id)
	if len(inv.Attempts) != 1 || len(inv.Deliveries) != 1 || inv.Deliveries[0].Error != "" {
		t.Fatalf("history = %+v", inv)
	}
	b.noOutcome(t, 100*time.Millisecond)
	if c := b.engine.Stats().Get("pay"); c.AsyncEventsReceived != 1 || c.Invocations != 1 || c.Errors != 0 {
		t.Fatalf("counters = %+v", c)
	}
}

func TestRetriesWithScaledDelays(t *testing.T) {
	t.Parallel()
	const scale = 0.002 // 1 min -> 120 ms, 2 min -> 240 ms
	for _, tc := range []struct {
		retries   *int
		wantCalls int
	}{{nil, 3}, {ptr(1), 2}, {ptr(0), 1}} {
		b := setup(t, scale, func(*ferry.Function, *ferry.InvokeRequest, int) (*ferry.Result, error) {
			return fail("card declined"), nil
		})
		b.addFunction(t, &ferry.Function{Name: "pay", Async: ferry.AsyncConfig{MaximumRetryAttempts: tc.retries}})
		id := invoke(t, b, "pay", `{}`)
		o := b.outcome(t, 5*time.Second)
		if o.Condition != ferry.ConditionRetriesExhausted || o.InvokeCount != tc.wantCalls {
			t.Fatalf("retries %v: outcome %s count %d, want RetriesExhausted %d", tc.retries, o.Condition, o.InvokeCount, tc.wantCalls)
		}
		if o.Result.FunctionError != ferry.FunctionErrorUnhandled || o.Result.ErrorType != "Error" {
			t.Fatalf("result = %+v", o.Result)
		}
		calls := b.runner.callTimes(id)
		if len(calls) != tc.wantCalls {
			t.Fatalf("calls = %d, want %d", len(calls), tc.wantCalls)
		}
		want := []time.Duration{time.Minute, 2 * time.Minute}
		for i := 1; i < len(calls); i++ {
			gap, min := calls[i].Sub(calls[i-1]), time.Duration(float64(want[i-1])*scale)
			if gap < min || gap > min+2*time.Second {
				t.Fatalf("retry %d after %v, want about %v", i, gap, min)
			}
		}
		inv := b.waitDone(t, id)
		if len(inv.Attempts) != tc.wantCalls || inv.Attempts[0].ErrorMessage != "card declined" {
			t.Fatalf("history attempts = %+v", inv.Attempts)
		}
	}
}

func TestRetrySucceeds(t *testing.T) {
	t.Parallel()
	b := setup(t, 0.001, func(_ *ferry.Function, _ *ferry.InvokeRequest, n int) (*ferry.Result, error) {
		if n == 1 {
			return fail("flaky"), nil
		}
		return ok(`"second time"`), nil
	})
	b.addFunction(t, &ferry.Function{Name: "pay"})
	invoke(t, b, "pay", `{}`)
	o := b.outcome(t, 5*time.Second)
	if o.Condition != ferry.ConditionSuccess || o.InvokeCount != 2 || o.Result.FunctionError != "" {
		t.Fatalf("outcome %s count %d err %q", o.Condition, o.InvokeCount, o.Result.FunctionError)
	}
}

func TestEventAgeExceededAfterRetryDelay(t *testing.T) {
	t.Parallel()
	// Max age 60 s and a first retry after 1 min: the retry finds the event
	// too old, as in AWS.
	b := setup(t, 0.002, func(*ferry.Function, *ferry.InvokeRequest, int) (*ferry.Result, error) {
		return fail("boom"), nil
	})
	b.addFunction(t, &ferry.Function{Name: "pay", Async: ferry.AsyncConfig{MaximumEventAge: time.Minute}})
	id := invoke(t, b, "pay", `{}`)
	o := b.outcome(t, 5*time.Second)
	if o.Condition != ferry.ConditionEventAgeExceeded || o.InvokeCount != 1 {
		t.Fatalf("outcome %s count %d, want EventAgeExceeded 1", o.Condition, o.InvokeCount)
	}
	if got := len(b.runner.callTimes(id)); got != 1 {
		t.Fatalf("calls = %d, want 1", got)
	}
	if c := b.engine.Stats().Get("pay"); c.AsyncEventsDropped != 1 {
		t.Fatalf("dropped = %d", c.AsyncEventsDropped)
	}
}

func TestEventAgeExceededWhileQueued(t *testing.T) {
	t.Parallel()
	// Reserved concurrency 1: the second event waits behind a slow first
	// one longer than its max age and never runs.
	release, running := make(chan struct{}), make(chan struct{})
	b := setup(t, 0.002, func(_ *ferry.Function, req *ferry.InvokeRequest, _ int) (*ferry.Result, error) {
		if string(req.Payload) == `"slow"` {
			close(running)
			<-release
		}
		return ok(`null`), nil
	})
	b.addFunction(t, &ferry.Function{Name: "pay", ReservedConcurrency: ptr(1),
		Async: ferry.AsyncConfig{MaximumEventAge: time.Minute}})
	invoke(t, b, "pay", `"slow"`)
	<-running // the slow event holds the only worker
	late := invoke(t, b, "pay", `"late"`)
	time.Sleep(200 * time.Millisecond) // 120 ms scaled max age passes while queued
	close(release)
	got := map[string]ferry.Outcome{}
	for range 2 {
		o := b.outcome(t, 5*time.Second)
		got[o.Request.RequestID] = o
	}
	o := got[late]
	if o.Condition != ferry.ConditionEventAgeExceeded || o.InvokeCount != 0 || o.Result != nil {
		t.Fatalf("late event: %s count %d result %v", o.Condition, o.InvokeCount, o.Result)
	}
	if n := len(b.runner.callTimes(late)); n != 0 {
		t.Fatalf("late event ran %d times", n)
	}
}

func TestReservedConcurrencyZeroGoesToFailure(t *testing.T) {
	t.Parallel()
	b := setup(t, 0.001, func(*ferry.Function, *ferry.InvokeRequest, int) (*ferry.Result, error) {
		return ok(`null`), nil
	})
	b.addFunction(t, &ferry.Function{Name: "off", ReservedConcurrency: ptr(0)})
	id := invoke(t, b, "off", `{"x":1}`)
	o := b.outcome(t, 5*time.Second)
	if o.Condition != ferry.ConditionRetriesExhausted || o.InvokeCount != 0 || o.StatusCode != 429 {
		t.Fatalf("outcome %s count %d status %d, want RetriesExhausted 0 429", o.Condition, o.InvokeCount, o.StatusCode)
	}
	if got := string(o.Result.Payload); got != `{"errorMessage":"Rate Exceeded.","errorType":"TooManyRequestsException"}` {
		t.Fatalf("payload = %s", got)
	}
	if n := len(b.runner.callTimes(id)); n != 0 {
		t.Fatalf("function ran %d times", n)
	}
}

func TestThrottleBacksOffThenRuns(t *testing.T) {
	t.Parallel()
	const scale = 0.01 // 1 s -> 10 ms, 2 s -> 20 ms, 4 s -> 40 ms
	b := setup(t, scale, func(_ *ferry.Function, _ *ferry.InvokeRequest, n int) (*ferry.Result, error) {
		if n <= 3 {
			return nil, ferry.Errorf(ferry.ETHROTTLED, "no concurrency")
		}
		return ok(`1`), nil
	})
	b.addFunction(t, &ferry.Function{Name: "busy"})
	id := invoke(t, b, "busy", `{}`)
	o := b.outcome(t, 5*time.Second)
	if o.Condition != ferry.ConditionSuccess || o.InvokeCount != 1 {
		t.Fatalf("outcome %s count %d, want Success 1 (throttles are not invocations)", o.Condition, o.InvokeCount)
	}
	calls := b.runner.callTimes(id)
	for i, want := range []time.Duration{10 * time.Millisecond, 20 * time.Millisecond, 40 * time.Millisecond} {
		if gap := calls[i+1].Sub(calls[i]); gap < want {
			t.Fatalf("backoff %d = %v, want >= %v", i+1, gap, want)
		}
	}
	if inv := b.waitDone(t, id); inv.Throttles != 3 {
		t.Fatalf("throttles = %d", inv.Throttles)
	}
	if c := b.engine.Stats().Get("busy"); c.Throttles != 3 {
		t.Fatalf("throttle counter = %d", c.Throttles)
	}
}

func TestThrottledUntilMaxAge(t *testing.T) {
	t.Parallel()
	b := setup(t, 0.002, func(*ferry.Function, *ferry.InvokeRequest, int) (*ferry.Result, error) {
		return nil, ferry.Errorf(ferry.ETHROTTLED, "no concurrency")
	})
	b.addFunction(t, &ferry.Function{Name: "busy", Async: ferry.AsyncConfig{MaximumEventAge: time.Minute}})
	invoke(t, b, "busy", `{}`)
	o := b.outcome(t, 5*time.Second)
	if o.Condition != ferry.ConditionEventAgeExceeded || o.InvokeCount != 0 {
		t.Fatalf("outcome %s count %d, want EventAgeExceeded 0", o.Condition, o.InvokeCount)
	}
}

func TestFailedDeliveryIsRetriedAndCounted(t *testing.T) {
	t.Parallel()
	b := setup(t, 0.001, func(*ferry.Function, *ferry.InvokeRequest, int) (*ferry.Result, error) {
		return ok(`true`), nil
	})
	b.router.failUntil = 2
	b.addFunction(t, &ferry.Function{Name: "pay"})
	id := invoke(t, b, "pay", `{}`)
	b.outcome(t, 5*time.Second)
	inv := b.waitDone(t, id)
	if len(inv.Deliveries) != 3 || inv.Deliveries[0].Error == "" || inv.Deliveries[1].Error == "" || inv.Deliveries[2].Error != "" {
		t.Fatalf("deliveries = %+v", inv.Deliveries)
	}
	if n := len(b.runner.callTimes(id)); n != 1 {
		t.Fatalf("function ran %d times; a failed delivery must not rerun it", n)
	}
	if c := b.engine.Stats().Get("pay"); c.DestinationDeliveryFailures != 2 {
		t.Fatalf("DestinationDeliveryFailures = %d", c.DestinationDeliveryFailures)
	}
}

func TestDeliveryGivenUpAfterRounds(t *testing.T) {
	t.Parallel()
	b := setup(t, 0.001, func(*ferry.Function, *ferry.InvokeRequest, int) (*ferry.Result, error) {
		return ok(`true`), nil
	})
	b.router.failUntil = 1000
	// No failure path: the outcome is kept and retried until the event is
	// older than its maximum age (60 s -> 60 ms), never acked after the
	// first rounds.
	b.addFunction(t, &ferry.Function{Name: "pay", Async: ferry.AsyncConfig{MaximumEventAge: time.Minute}})
	id := invoke(t, b, "pay", `{}`)
	inv := b.waitDone(t, id)
	if len(inv.Deliveries) <= 3 {
		t.Fatalf("deliveries = %+v, want more than 3 failed tries", inv.Deliveries)
	}
	for _, d := range inv.Deliveries {
		if d.Error != "queue unavailable" {
			t.Fatalf("delivery error = %q", d.Error)
		}
	}
	if c := b.engine.Stats().Get("pay"); c.AsyncEventsDropped != 1 {
		t.Fatalf("AsyncEventsDropped = %d, want 1 for the outcome given up", c.AsyncEventsDropped)
	}
}

func TestBadInputQueuesNothing(t *testing.T) {
	t.Parallel()
	b := setup(t, 0.001, func(*ferry.Function, *ferry.InvokeRequest, int) (*ferry.Result, error) {
		return ok(`true`), nil
	})
	b.addFunction(t, &ferry.Function{Name: "pay"})
	big := make([]byte, ferry.MaxAsyncPayload+1)
	for i := range big {
		big[i] = ' '
	}
	big[0] = '1'
	for _, tc := range []struct {
		fn, payload, code string
	}{
		{"missing", `{}`, ferry.ENOTFOUND},
		{"pay", string(big), ferry.ETOOLARGE},
		{"pay", `{"amount":`, ferry.EINVALIDJSON},
	} {
		err := b.engine.InvokeAsync(context.Background(), &ferry.InvokeRequest{Function: tc.fn, Payload: []byte(tc.payload)})
		if got := ferry.ErrorCode(err); got != tc.code {
			t.Fatalf("%s: code %q (%v), want %q", tc.fn, got, err, tc.code)
		}
	}
	st, err := b.nats.JetStream().Stream(context.Background(), "FERRY_ASYNC")
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 0 || info.State.LastSeq != 0 {
		t.Fatalf("stream holds %d messages (last seq %d), want none", info.State.Msgs, info.State.LastSeq)
	}
}

func TestDuplicateRequestIDRunsOnce(t *testing.T) {
	t.Parallel()
	b := setup(t, 0.001, func(*ferry.Function, *ferry.InvokeRequest, int) (*ferry.Result, error) {
		return ok(`true`), nil
	})
	b.addFunction(t, &ferry.Function{Name: "pay"})
	for range 3 {
		if err := b.engine.InvokeAsync(context.Background(), &ferry.InvokeRequest{RequestID: "same-id", Dedup: true, Function: "pay"}); err != nil {
			t.Fatal(err)
		}
	}
	b.outcome(t, 5*time.Second)
	b.noOutcome(t, 200*time.Millisecond)
	if n := b.engine.Stats().Get("pay").AsyncEventsReceived; n != 1 {
		t.Fatalf("AsyncEventsReceived = %d, want 1 for a repeated request id", n)
	}
}

func TestSyncInvokeRecordsHistory(t *testing.T) {
	t.Parallel()
	b := setup(t, 1, func(_ *ferry.Function, req *ferry.InvokeRequest, _ int) (*ferry.Result, error) {
		return ok(string(req.Payload)), nil
	})
	b.addFunction(t, &ferry.Function{Name: "echo"})
	req := &ferry.InvokeRequest{Function: "echo", Payload: []byte(`{"a":1}`)}
	res, err := b.engine.Invoke(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if string(res.Payload) != `{"a":1}` {
		t.Fatalf("payload %s", res.Payload)
	}
	inv := b.waitDone(t, req.RequestID)
	if inv.Type != ferry.InvokeRequestResponse || !inv.Done || string(inv.Response) != `{"a":1}` {
		t.Fatalf("history %+v", inv)
	}
	if _, err := b.engine.Invoke(context.Background(), &ferry.InvokeRequest{Function: "nope"}); ferry.ErrorCode(err) != ferry.ENOTFOUND {
		t.Fatalf("unknown function: %v", err)
	}
}

func TestLoopGuard(t *testing.T) {
	t.Parallel()
	b := setup(t, 0.001, func(*ferry.Function, *ferry.InvokeRequest, int) (*ferry.Result, error) {
		return ok(`true`), nil
	})
	b.addFunction(t, &ferry.Function{Name: "loop"})
	b.addFunction(t, &ferry.Function{Name: "allowed", RecursiveLoop: ferry.RecursiveLoopAllow})
	send := func(fn string, hops int) string {
		req := &ferry.InvokeRequest{Function: fn, Payload: []byte(`{}`), Hops: hops}
		if err := b.engine.InvokeAsync(context.Background(), req); err != nil {
			t.Fatal(err)
		}
		return req.RequestID
	}
	below := send("loop", ferry.DefaultRecursionLimit-1)
	if o := b.outcome(t, 5*time.Second); o.Condition != ferry.ConditionSuccess || o.Request.RequestID != below {
		t.Fatalf("below the limit: %s", o.Condition)
	}
	at := send("loop", ferry.DefaultRecursionLimit)
	o := b.outcome(t, 5*time.Second)
	if o.Condition != ferry.ConditionRetriesExhausted || o.InvokeCount != 0 || o.StatusCode != 400 {
		t.Fatalf("at the limit: %s count %d status %d", o.Condition, o.InvokeCount, o.StatusCode)
	}
	var ep ferry.ErrorPayload
	if err := json.Unmarshal(o.Result.Payload, &ep); err != nil || ep.ErrorType != "RecursiveInvocationException" || !strings.Contains(ep.ErrorMessage, "16 hops") {
		t.Fatalf("loop payload = %s", o.Result.Payload)
	}
	if n := len(b.runner.callTimes(at)); n != 0 {
		t.Fatalf("function ran %d times at the limit", n)
	}
	past := send("loop", ferry.DefaultRecursionLimit+1)
	b.noOutcome(t, 200*time.Millisecond)
	if inv := b.waitDone(t, past); !strings.Contains(string(inv.Response), "recursive loop") {
		t.Fatalf("dropped event's history = %s", inv.Response)
	}
	send("allowed", 40)
	if o := b.outcome(t, 5*time.Second); o.Condition != ferry.ConditionSuccess {
		t.Fatalf("RecursiveLoop Allow: %s", o.Condition)
	}
	if _, err := b.engine.Invoke(context.Background(), &ferry.InvokeRequest{Function: "loop", Hops: 16}); ferry.ErrorCode(err) != ferry.ELOOP {
		t.Fatalf("sync invoke at the limit: %v", err)
	}
}
