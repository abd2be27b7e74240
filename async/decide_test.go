package async

import (
	"testing"
	"time"

	"github.com/ferry-run/ferry"
)

func TestDecideAppliesEveryRule(t *testing.T) {
	t0 := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	zero, one, two := 0, 1, 2
	fn := func(mod func(*ferry.Function)) *ferry.Function {
		f := &ferry.Function{Name: "pay", Runtime: "nodejs20.x", Async: ferry.AsyncConfig{MaximumEventAge: time.Hour}}
		if mod != nil {
			mod(f)
		}
		return f
	}
	attempts := func(n int) []ferry.Attempt { return make([]ferry.Attempt, n) }
	failed := &ferry.Result{FunctionError: "Unhandled"}
	okRes := &ferry.Result{Payload: []byte(`1`)}
	cases := []struct {
		name string
		s    Situation
		want Verdict
	}{
		{"finished event is acked", Situation{Inv: &ferry.Invocation{Done: true}, Fn: fn(nil)},
			Verdict{Action: Ack, Why: WhyDone}},
		{"decided event resumes its deliveries", Situation{Inv: &ferry.Invocation{Condition: ferry.ConditionSuccess}, Fn: fn(nil)},
			Verdict{Action: Resume, Why: WhyDecided, Condition: ferry.ConditionSuccess}},
		{"older than max age: EventAgeExceeded, not run", Situation{Inv: &ferry.Invocation{}, Fn: fn(nil), Accepted: t0, Now: t0.Add(time.Hour + time.Millisecond)},
			Verdict{Action: Deliver, Why: WhyAge, Condition: ferry.ConditionEventAgeExceeded}},
		{"at max age it still runs", Situation{Inv: &ferry.Invocation{}, Fn: fn(nil), Accepted: t0, Now: t0.Add(time.Hour)},
			Verdict{Action: Run, Why: WhyRun}},
		{"max age on the engine's scaled clock", Situation{Inv: &ferry.Invocation{}, Fn: fn(nil), Accepted: t0, Now: t0.Add(4 * time.Second), Scale: 0.001},
			Verdict{Action: Deliver, Why: WhyAge, Condition: ferry.ConditionEventAgeExceeded}},
		{"default max age is 6 h", Situation{Inv: &ferry.Invocation{}, Fn: fn(func(f *ferry.Function) { f.Async.MaximumEventAge = 0 }), Accepted: t0, Now: t0.Add(5 * time.Hour)},
			Verdict{Action: Run, Why: WhyRun}},
		{"reserved concurrency 0: throttled to the failure path", Situation{Inv: &ferry.Invocation{}, Fn: fn(func(f *ferry.Function) { f.ReservedConcurrency = &zero }), Now: t0, Accepted: t0},
			Verdict{Action: Deliver, Why: WhyReserved0, Condition: ferry.ConditionRetriesExhausted, Response: throttlePayload, StatusCode: 429}},
		{"reserved concurrency 1 runs", Situation{Inv: &ferry.Invocation{}, Fn: fn(func(f *ferry.Function) { f.ReservedConcurrency = &one }), Now: t0, Accepted: t0},
			Verdict{Action: Run, Why: WhyRun}},
		{"loop below the limit runs", Situation{Inv: &ferry.Invocation{}, Fn: fn(nil), Hops: ferry.DefaultRecursionLimit - 1, Now: t0, Accepted: t0},
			Verdict{Action: Run, Why: WhyRun}},
		{"loop allowed runs past the limit", Situation{Inv: &ferry.Invocation{}, Fn: fn(func(f *ferry.Function) { f.RecursiveLoop = ferry.RecursiveLoopAllow }), Hops: 40, Now: t0, Accepted: t0},
			Verdict{Action: Run, Why: WhyRun}},
		{"after a throttle: backoff 1 s", Situation{Inv: &ferry.Invocation{Throttles: 1}, Fn: fn(nil), Ran: true, RunErr: ferry.Errorf(ferry.ETHROTTLED, "busy")},
			Verdict{Action: Retry, Why: WhyThrottle, Delay: time.Second}},
		{"after the fourth system error: 8 s", Situation{Inv: &ferry.Invocation{Throttles: 4}, Fn: fn(nil), Ran: true, RunErr: ferry.Errorf(ferry.EINTERNAL, "spawn failed")},
			Verdict{Action: Retry, Why: WhySystem, Delay: 8 * time.Second}},
		{"backoff stops at 5 min", Situation{Inv: &ferry.Invocation{Throttles: 30}, Fn: fn(nil), Ran: true, RunErr: ferry.Errorf(ferry.ETHROTTLED, "busy")},
			Verdict{Action: Retry, Why: WhyThrottle, Delay: 5 * time.Minute}},
		{"first function error: retry after 1 min", Situation{Inv: &ferry.Invocation{Attempts: attempts(1)}, Fn: fn(nil), Ran: true, Result: failed},
			Verdict{Action: Retry, Why: WhyRetry, Delay: time.Minute}},
		{"second function error: retry after 2 min", Situation{Inv: &ferry.Invocation{Attempts: attempts(2)}, Fn: fn(nil), Ran: true, Result: failed},
			Verdict{Action: Retry, Why: WhyRetry, Delay: 2 * time.Minute}},
		{"third function error: RetriesExhausted", Situation{Inv: &ferry.Invocation{Attempts: attempts(3)}, Fn: fn(nil), Ran: true, Result: failed},
			Verdict{Action: Deliver, Why: WhyExhausted, Condition: ferry.ConditionRetriesExhausted}},
		{"0 retries: the first error is final", Situation{Inv: &ferry.Invocation{Attempts: attempts(1)}, Fn: fn(func(f *ferry.Function) { f.Async.MaximumRetryAttempts = &zero }), Ran: true, Result: failed},
			Verdict{Action: Deliver, Why: WhyExhausted, Condition: ferry.ConditionRetriesExhausted}},
		{"2 retries allowed explicitly", Situation{Inv: &ferry.Invocation{Attempts: attempts(2)}, Fn: fn(func(f *ferry.Function) { f.Async.MaximumRetryAttempts = &two }), Ran: true, Result: failed},
			Verdict{Action: Retry, Why: WhyRetry, Delay: 2 * time.Minute}},
		{"success after a retry", Situation{Inv: &ferry.Invocation{Attempts: attempts(2)}, Fn: fn(nil), Ran: true, Result: okRes},
			Verdict{Action: Deliver, Why: WhySuccessful, Condition: ferry.ConditionSuccess}},
	}
	for _, c := range cases {
		got := Decide(c.s)
		if got.Action != c.want.Action || got.Why != c.want.Why || got.Delay != c.want.Delay || got.Condition != c.want.Condition ||
			string(got.Response) != string(c.want.Response) || got.StatusCode != c.want.StatusCode {
			t.Errorf("%s: got %+v, want %+v", c.name, got, c.want)
		}
	}

	// Loops: the event reaches the failure path once, at the limit, and is
	// dropped past it.
	at := Decide(Situation{Inv: &ferry.Invocation{}, Fn: fn(nil), Hops: ferry.DefaultRecursionLimit, Now: t0, Accepted: t0})
	past := Decide(Situation{Inv: &ferry.Invocation{}, Fn: fn(nil), Hops: ferry.DefaultRecursionLimit + 1, Now: t0, Accepted: t0})
	if at.Action != Deliver || past.Action != Drop || at.Why != WhyLoop || at.StatusCode != 400 || at.Condition != ferry.ConditionRetriesExhausted {
		t.Errorf("loop at the limit %+v, past it %+v", at, past)
	}
	// A runtime Ferry cannot run goes to the failure path with the error an invoke answers.
	rt := Decide(Situation{Inv: &ferry.Invocation{}, Fn: fn(func(f *ferry.Function) { f.Runtime = "java21" }), Now: t0, Accepted: t0})
	if rt.Action != Deliver || rt.Why != WhyRuntime || rt.StatusCode != 502 || rt.Condition != ferry.ConditionRetriesExhausted {
		t.Errorf("unsupported runtime: %+v", rt)
	}
	// Age wins over every other rule: an old event of a throttled-off function is EventAgeExceeded.
	old := Decide(Situation{Inv: &ferry.Invocation{}, Fn: fn(func(f *ferry.Function) { f.ReservedConcurrency = &zero }), Accepted: t0, Now: t0.Add(2 * time.Hour)})
	if old.Why != WhyAge {
		t.Errorf("old event of a function with reserved concurrency 0: %+v", old)
	}
}
