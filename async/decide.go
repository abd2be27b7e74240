package async

import (
	"encoding/json"
	"time"

	"github.com/ferry-run/ferry"
)

// Action is what the engine does next with one delivery of an event.
type Action int

const (
	// Ack: the event was finished earlier (a late redelivery); ack it.
	Ack Action = iota
	// Resume: the outcome was decided earlier; finish its deliveries.
	Resume
	// Run: run the function.
	Run
	// Retry: journal the progress and put the event back after Delay.
	Retry
	// Deliver: decide Condition and deliver the outcome.
	Deliver
	// Drop: journal the event as done and ack it without any delivery.
	Drop
)

// Why names the rule behind a verdict (for counters and logs).
type Why string

const (
	WhyDone       Why = "done"
	WhyDecided    Why = "decided"
	WhyAge        Why = "event-age"
	WhyRuntime    Why = "runtime"
	WhyReserved0  Why = "reserved-concurrency-0"
	WhyLoop       Why = "recursive-loop"
	WhyRun        Why = "run"
	WhyThrottle   Why = "throttled"
	WhySystem     Why = "system-error"
	WhyRetry      Why = "function-error-retry"
	WhyExhausted  Why = "retries-exhausted"
	WhySuccessful Why = "success"
)

// Verdict is Decide's answer.
type Verdict struct {
	Action    Action
	Why       Why
	Delay     time.Duration // Retry: AWS's delay, before the clock scale
	Condition string        // Deliver, Drop
	// Response and StatusCode, when set, stand for the run that did not
	// happen (Deliver without a run).
	Response   json.RawMessage
	StatusCode int
}

// Situation is everything Decide looks at. Before the function runs, Ran is
// false. After it ran, the caller has recorded the run in Inv (the attempt
// appended, or Throttles counted for a throttle or system error) and sets
// Ran and Result or RunErr.
type Situation struct {
	Inv      *ferry.Invocation
	Fn       *ferry.Function
	Hops     int
	Accepted time.Time
	Now      time.Time
	Scale    float64 // the engine's clock scale: AWS durations are multiplied by it
	Ran      bool
	Result   *ferry.Result
	RunErr   error
}

// Decide applies AWS's asynchronous invocation rules to one delivery of an
// event. It is pure: no store, no clock but Now, no sleep. The rules, in
// order:
//
//   - a finished event is acked; a decided one resumes its deliveries;
//   - an event older than the function's maximum event age goes to the
//     failure path as EventAgeExceeded, without running;
//   - a function Ferry cannot run (its runtime) and reserved concurrency 0
//     go to the failure path as RetriesExhausted, with the error an
//     invoke would answer (InvalidRuntimeException 502, throttle 429);
//   - a chain at the recursion limit goes to the failure path once; past
//     the limit it is dropped;
//   - otherwise the function runs. After a throttle or a system error the
//     event is retried with exponential backoff (1 s doubling to 5 min);
//     after a function error it is retried after 1 min, then 2 min, while
//     attempts <= MaximumRetryAttempts; then the outcome is delivered as
//     Success or RetriesExhausted.
func Decide(s Situation) Verdict {
	inv, fn := s.Inv, s.Fn
	if !s.Ran {
		switch {
		case inv.Done:
			return Verdict{Action: Ack, Why: WhyDone}
		case inv.Condition != "":
			return Verdict{Action: Resume, Why: WhyDecided, Condition: inv.Condition}
		case s.Now.Sub(s.Accepted) > scale(fn.Async.MaxAge(), s.Scale):
			return Verdict{Action: Deliver, Why: WhyAge, Condition: ferry.ConditionEventAgeExceeded}
		}
		if err := fn.Runnable(); err != nil {
			return Verdict{Action: Deliver, Why: WhyRuntime, Condition: ferry.ConditionRetriesExhausted,
				Response:   mustJSON(ferry.ErrorPayload{ErrorType: "InvalidRuntimeException", ErrorMessage: ferry.ErrorMessage(err)}),
				StatusCode: 502}
		}
		if r := fn.ReservedConcurrency; r != nil && *r == 0 {
			return Verdict{Action: Deliver, Why: WhyReserved0, Condition: ferry.ConditionRetriesExhausted,
				Response: throttlePayload, StatusCode: 429}
		}
		if stop, drop := loopGuard(fn, s.Hops); stop != nil {
			v := Verdict{Action: Deliver, Why: WhyLoop, Condition: ferry.ConditionRetriesExhausted,
				Response:   mustJSON(ferry.ErrorPayload{ErrorType: "RecursiveInvocationException", ErrorMessage: stop.Error()}),
				StatusCode: 400}
			if drop {
				v.Action = Drop
			}
			return v
		}
		return Verdict{Action: Run, Why: WhyRun}
	}
	if s.RunErr != nil {
		why := WhySystem
		if ferry.ErrorCode(s.RunErr) == ferry.ETHROTTLED {
			why = WhyThrottle
		}
		return Verdict{Action: Retry, Why: why, Delay: backoff(inv.Throttles)}
	}
	n := len(inv.Attempts)
	if s.Result.Failed() && n <= fn.Async.Retries() {
		return Verdict{Action: Retry, Why: WhyRetry, Delay: retryDelays[min(n, len(retryDelays))-1]}
	}
	if s.Result.Failed() {
		return Verdict{Action: Deliver, Why: WhyExhausted, Condition: ferry.ConditionRetriesExhausted}
	}
	return Verdict{Action: Deliver, Why: WhySuccessful, Condition: ferry.ConditionSuccess}
}

func scale(d time.Duration, s float64) time.Duration {
	if s <= 0 {
		return d
	}
	return time.Duration(float64(d) * s)
}
