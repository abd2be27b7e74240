package async

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/natsjs"
)

// Event is a queued async event, as the queue-control commands show it.
type Event struct {
	RequestID string    `json:"requestId"`
	Function  string    `json:"function"`
	Accepted  time.Time `json:"accepted"`
	Age       string    `json:"age"`
	// State is one of ferry's State constants: queued, paused, running,
	// retry-wait or backoff (until NextAttempt), delivering.
	State       string    `json:"state"`
	NextAttempt time.Time `json:"nextAttempt,omitzero"`
	Attempts    int       `json:"attempts"`
	Throttles   int       `json:"throttles,omitempty"`
	Sequence    uint64    `json:"sequence"`
}

// Pending lists up to max queued and running events of function, oldest
// first.
func (e *Engine) Pending(ctx context.Context, function string, max int) ([]Event, error) {
	if _, err := e.opts.Functions.GetFunction(ctx, function); err != nil {
		return nil, err
	}
	if max <= 0 {
		max = 100
	}
	var ci *jetstream.ConsumerInfo
	if c, err := e.stream.Consumer(ctx, consumerName(function)); err == nil {
		ci, _ = c.Info(ctx)
	}
	var out []Event
	seq := uint64(1)
	for len(out) < max {
		raw, err := e.stream.GetMsg(ctx, seq, jetstream.WithGetMsgSubject(subject(function)))
		if natsjs.IsNotFound(err) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("async: read queue of %s: %w", function, err)
		}
		seq = raw.Sequence + 1
		ev := Event{RequestID: raw.Header.Get(hdrRequestID), Function: function, Accepted: raw.Time.UTC(), Sequence: raw.Sequence, State: ferry.StateDelivering}
		if inv := e.queuedInvocation(ctx, function, raw, ci); inv != nil {
			ev.State, ev.NextAttempt, ev.Attempts, ev.Throttles = inv.State, inv.NextAttempt, len(inv.Attempts), inv.Throttles
		}
		ev.Age = time.Since(ev.Accepted).Round(time.Millisecond).String()
		out = append(out, ev)
	}
	return out, nil
}

// Cancel removes one queued or running event of function; it is recorded
// as cancelled in its history and not run (again).
func (e *Engine) Cancel(ctx context.Context, function, requestID string) error {
	evs, err := e.Pending(ctx, function, 1<<20)
	if err != nil {
		return err
	}
	for _, ev := range evs {
		if ev.RequestID != requestID {
			continue
		}
		if err := e.stream.DeleteMsg(ctx, ev.Sequence); err != nil && !natsjs.IsNotFound(err) {
			return fmt.Errorf("async: cancel %s: %w", requestID, err)
		}
		inv, err := e.opts.History.GetInvocation(ctx, requestID)
		if err != nil {
			inv = &ferry.Invocation{RequestID: requestID, Function: function, Type: ferry.InvokeEvent, Accepted: ev.Accepted}
		}
		inv.Done, inv.Cancelled, inv.Finished = true, true, time.Now().UTC()
		e.save(ctx, inv)
		e.stats.add(function, func(c *Counters) { c.AsyncEventsDropped++ })
		return nil
	}
	return ferry.Errorf(ferry.ENOTFOUND, "no queued event %s for function %s", requestID, function)
}

// Purge removes every queued and running event of function and returns how
// many there were.
func (e *Engine) Purge(ctx context.Context, function string) (uint64, error) {
	if _, err := e.opts.Functions.GetFunction(ctx, function); err != nil {
		return 0, err
	}
	info, err := e.stream.Info(ctx, jetstream.WithSubjectFilter(subject(function)))
	if err != nil {
		return 0, err
	}
	n := info.State.Subjects[subject(function)]
	if err := e.stream.Purge(ctx, jetstream.WithPurgeSubject(subject(function))); err != nil {
		return 0, fmt.Errorf("async: purge %s: %w", function, err)
	}
	e.stats.add(function, func(c *Counters) { c.AsyncEventsDropped += int64(n) })
	return n, nil
}

// Pause stops running function's async events until Resume (events are
// still accepted and kept). The pause is stored in the engine, so it holds
// across restarts and on every node.
func (e *Engine) Pause(ctx context.Context, function string) error {
	return e.pause(ctx, function, time.Now().AddDate(100, 0, 0))
}

// Resume runs function's async events again.
func (e *Engine) Resume(ctx context.Context, function string) error {
	return e.pause(ctx, function, time.Time{})
}

func (e *Engine) pause(ctx context.Context, function string, until time.Time) error {
	fn, err := e.opts.Functions.GetFunction(ctx, function)
	if err != nil {
		return err
	}
	if _, err := e.consumer(ctx, function, maxAckPending(fn)); err != nil {
		return fmt.Errorf("async: pause/resume %s: %w", function, err)
	}
	if until.IsZero() {
		_, err = e.js.ResumeConsumer(ctx, StreamName, consumerName(function))
	} else {
		_, err = e.js.PauseConsumer(ctx, StreamName, consumerName(function), until)
	}
	if err != nil {
		return fmt.Errorf("async: pause/resume %s: %w", function, err)
	}
	if until.IsZero() {
		e.restartWorker(ctx, function)
	}
	return nil
}

// restartWorker replaces function's worker, so a pull request left waiting
// on a paused consumer does not delay the resumed one.
func (e *Engine) restartWorker(ctx context.Context, function string) {
	fn, err := e.opts.Functions.GetFunction(ctx, function)
	if err != nil {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if w := e.workers[function]; w != nil && e.working && !e.stopped {
		w.stopFetching()
		e.startWorkerLocked(fn)
	}
}

// Paused reports whether function's async processing is paused.
func (e *Engine) Paused(ctx context.Context, function string) (bool, error) {
	if err := natsjs.CheckToken("function name", consumerName(function)); err != nil {
		return false, err
	}
	c, err := e.stream.Consumer(ctx, consumerName(function))
	if err != nil {
		return false, err
	}
	info, err := c.Info(ctx)
	if err != nil {
		return false, err
	}
	return info.Paused, nil
}

// Redrive invokes a finished async invocation's event again as a new
// invocation with fresh attempts. The new invocation records the original's
// request id, and the original lists the new one.
func (e *Engine) Redrive(ctx context.Context, requestID string) (string, error) {
	orig, err := e.opts.History.GetInvocation(ctx, requestID)
	if err != nil {
		return "", err
	}
	if orig.Type != ferry.InvokeEvent || !orig.Done {
		return "", ferry.Errorf(ferry.EINVALID, "invocation %s is not a finished async invocation", requestID)
	}
	if orig.Request == nil {
		return "", ferry.Errorf(ferry.EINVALID, "invocation %s kept no event payload to redrive", requestID)
	}
	req := &ferry.InvokeRequest{Function: orig.Function, Payload: orig.Request, TraceID: orig.TraceID, Hops: orig.Hops}
	if err := e.accept(ctx, req, requestID); err != nil {
		return "", err
	}
	orig.RedrivenAs = append(orig.RedrivenAs, req.RequestID)
	e.save(ctx, orig)
	return req.RequestID, nil
}

func consumerName(function string) string { return "fn-" + function }
