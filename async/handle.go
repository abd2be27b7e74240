package async

import (
	"context"
	"encoding/json"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/ferry-run/ferry"
)

// AWS's async timing, before ClockScale.
var (
	retryDelays    = []time.Duration{time.Minute, 2 * time.Minute}
	backoffStart   = time.Second
	backoffCeiling = 5 * time.Minute
)

const maxStoredLogs = 64 << 10

// throttlePayload is the response of an event that never got concurrency.
var throttlePayload = mustJSON(ferry.ErrorPayload{ErrorMessage: "Rate Exceeded.", ErrorType: "TooManyRequestsException"})

// handle runs one delivery of an event to its conclusion for this delivery:
// an ack (outcome delivered), or a delayed nak (retry, throttle backoff or a
// failed destination to try again).
func (e *Engine) handle(ctx context.Context, name string, msg jetstream.Msg) {
	md, err := msg.Metadata()
	if err != nil {
		e.log.Error("async: message without metadata", "function", name, "err", err)
		_ = msg.Term()
		return
	}
	req, accepted, redriveOf := decodeEvent(name, msg, md)
	fn, err := e.opts.Functions.GetFunction(ctx, name)
	if ferry.ErrorCode(err) == ferry.ENOTFOUND {
		e.log.Warn("async: event for a deleted function dropped", "function", name, "requestId", req.RequestID)
		e.stats.add(name, func(c *Counters) { c.AsyncEventsDropped++ })
		_ = msg.Term()
		return
	}
	if err != nil {
		e.log.Error("async: function lookup", "function", name, "err", err)
		_ = msg.NakWithDelay(time.Second)
		return
	}
	inv, err := e.invocation(ctx, msg, req, accepted, md)
	if err == nil && inv.RedriveOf == "" {
		inv.RedriveOf = redriveOf
	}
	if err != nil {
		e.log.Error("async: journal read", "requestId", req.RequestID, "err", err)
		_ = msg.NakWithDelay(e.scaled(backoff(int(md.NumDelivered))))
		return
	}
	sit := Situation{Inv: inv, Fn: fn, Hops: req.Hops, Accepted: accepted, Now: time.Now(), Scale: e.opts.ClockScale}
	v := Decide(sit)
	switch v.Action {
	case Ack:
		_ = msg.Ack()
		return
	case Resume:
		e.finish(ctx, msg, md, fn, req, inv, false)
		return
	case Deliver, Drop:
		e.withoutRun(ctx, msg, md, fn, req, inv, v)
		return
	}

	stopBeat := heartbeat(msg, e.opts.AckWait/3)
	start := time.Now()
	if o := e.opts.Observer; o != nil {
		o.ObserveEventAge(name, start.Sub(accepted))
	}
	res, err := e.opts.Runner.Invoke(ctx, fn, req)
	stopBeat()
	sit.Ran, sit.Now = true, time.Now()
	if err != nil {
		if ctx.Err() != nil {
			_ = msg.Nak()
			return
		}
		inv.Throttles++
		sit.RunErr = err
		v = Decide(sit)
		if v.Why == WhyThrottle {
			e.stats.add(name, func(c *Counters) { c.Throttles++ })
		} else {
			e.log.Error("async: system error, event backs off", "function", name, "requestId", req.RequestID, "err", err)
		}
		e.retry(ctx, msg, md, inv, v)
		return
	}
	if o := e.opts.Observer; o != nil {
		o.ObserveDuration(name, res.Duration)
	}
	e.stats.add(name, func(c *Counters) {
		c.Invocations++
		if res.Failed() {
			c.Errors++
		}
	})
	inv.Attempts = append(inv.Attempts, attemptOf(start, res))
	inv.Response, inv.FunctionError, inv.StatusCode = bounded(res.Payload), res.FunctionError, 200
	sit.Result = res
	v = Decide(sit)
	if v.Action == Retry {
		e.retry(ctx, msg, md, inv, v)
		return
	}
	e.decide(inv, v.Condition)
	e.finish(ctx, msg, md, fn, req, inv, true)
}

// retry journals the event's progress and puts it back after the verdict's
// delay on the engine's clock.
func (e *Engine) retry(ctx context.Context, msg jetstream.Msg, md *jetstream.MsgMetadata, inv *ferry.Invocation, v Verdict) {
	if err := e.record(ctx, inv); err != nil {
		e.journalFailed(msg, md, inv, err)
		return
	}
	_ = msg.NakWithDelay(e.scaled(v.Delay))
}

// withoutRun carries out a verdict reached without running the function:
// the outcome goes down its path with the response that stands for the run
// (or, for Drop, nowhere).
func (e *Engine) withoutRun(ctx context.Context, msg jetstream.Msg, md *jetstream.MsgMetadata, fn *ferry.Function, req *ferry.InvokeRequest, inv *ferry.Invocation, v Verdict) {
	name := fn.Name
	switch v.Why {
	case WhyAge:
		e.stats.add(name, func(c *Counters) { c.AsyncEventsDropped++ })
	case WhyReserved0:
		// Ferry sends an event for a function that may never run straight to
		// the failure path instead of backing off for its whole max age.
		e.stats.add(name, func(c *Counters) { c.Throttles++ })
		inv.Throttles++
	case WhyLoop:
		// The event reaches the failure path once, at the limit; past it
		// (a failure destination feeding the loop) it is dropped.
		e.stats.add(name, func(c *Counters) { c.RecursiveInvocationsDropped++ })
	case WhyRuntime:
		e.log.Warn("async: event for a function Ferry cannot run sent to its failure path", "function", name, "requestId", req.RequestID, "runtime", fn.Runtime)
	}
	if v.Response != nil {
		inv.Response, inv.StatusCode = v.Response, v.StatusCode
	}
	e.decide(inv, v.Condition)
	if v.Action == Drop {
		e.log.Warn("async: recursive loop, event dropped", "function", name, "requestId", req.RequestID, "hops", req.Hops)
		inv.Done = true
		if err := e.record(ctx, inv); err != nil {
			e.journalFailed(msg, md, inv, err)
			return
		}
		_ = msg.Ack()
		return
	}
	e.finish(ctx, msg, md, fn, req, inv, true)
}

// loopGuard stops an event whose chain of function -> destination, topic or
// queue -> function hops reached the recursion limit, unless the function
// allows recursive loops. drop is set past the limit.
func loopGuard(fn *ferry.Function, hops int) (stop error, drop bool) {
	if hops < ferry.DefaultRecursionLimit || fn.RecursiveLoop == ferry.RecursiveLoopAllow {
		return nil, false
	}
	return ferry.Errorf(ferry.ELOOP, "recursive loop detected: this event reached %s after %d hops (function -> destination, topic or queue -> function); "+
		"Ferry stops such chains at %d. Set the function's RecursiveLoop to Allow (PutFunctionRecursionConfig) if the loop is intended",
		fn.Name, hops, ferry.DefaultRecursionLimit), hops > ferry.DefaultRecursionLimit
}

// invocation returns the journaled progress of a redelivered event, or a
// fresh one. An event accepted with a deduplication id (a function
// destination's record, a topic or schedule delivery) is looked up even on
// its first delivery: after a restart JetStream may have accepted a second
// copy whose first was already run, and the journal says so.
func (e *Engine) invocation(ctx context.Context, msg jetstream.Msg, req *ferry.InvokeRequest, accepted time.Time, md *jetstream.MsgMetadata) (*ferry.Invocation, error) {
	if md.NumDelivered > 1 || msg.Headers().Get(jetstream.MsgIDHeader) != "" {
		inv, err := e.load(ctx, req.RequestID)
		if err == nil {
			inv.Request = req.Payload
			return inv, nil
		}
		if ferry.ErrorCode(err) != ferry.ENOTFOUND {
			return nil, err
		}
	}
	return &ferry.Invocation{
		RequestID: req.RequestID, Function: req.Function, Type: ferry.InvokeEvent,
		Accepted: accepted, TraceID: req.TraceID, Hops: req.Hops, Request: req.Payload,
	}, nil
}

func (e *Engine) decide(inv *ferry.Invocation, condition string) {
	inv.Condition = condition
	inv.Finished = time.Now().UTC()
	if inv.StatusCode == 0 {
		inv.StatusCode = 200
	}
}

func (e *Engine) save(ctx context.Context, inv *ferry.Invocation) {
	if err := e.opts.History.PutInvocation(ctx, inv); err != nil {
		e.log.Error("async: history write", "requestId", inv.RequestID, "err", err)
	}
}

func attemptOf(start time.Time, res *ferry.Result) ferry.Attempt {
	logs := res.Logs
	if len(logs) > maxStoredLogs {
		logs = logs[len(logs)-maxStoredLogs:]
	}
	return ferry.Attempt{
		Start: start.UTC(), Duration: res.Duration, Init: res.InitDuration,
		ErrorType: res.ErrorType, ErrorMessage: res.ErrorMessage, Logs: string(logs),
	}
}

// backoff is the delay after the n-th throttle or system error: 1 s doubling
// up to 5 min.
func backoff(n int) time.Duration {
	return ferry.Backoff(n, backoffStart, backoffCeiling)
}

// heartbeat keeps the worker's hold on msg while a function runs.
func heartbeat(msg jetstream.Msg, every time.Duration) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				_ = msg.InProgress()
			case <-done:
				return
			}
		}
	}()
	return func() { close(done); <-finished }
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
