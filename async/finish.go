package async

import (
	"context"
	"encoding/json"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/ferry-run/ferry"
)

// finish makes the decided outcome's deliveries and acks the event. The
// decision is stored first, so a redelivery after a crash resumes here
// instead of running the function again; deliveries carry deduplication
// ids, so resuming never produces a second record.
func (e *Engine) finish(ctx context.Context, msg jetstream.Msg, fn *ferry.Function, req *ferry.InvokeRequest, inv *ferry.Invocation) {
	o := &ferry.Outcome{
		Function: fn, Request: req, Condition: inv.Condition, InvokeCount: len(inv.Attempts),
		StatusCode: inv.StatusCode, Time: inv.Finished,
	}
	if inv.Response != nil || inv.FunctionError != "" {
		o.Result = &ferry.Result{RequestID: req.RequestID, Payload: inv.Response, FunctionError: inv.FunctionError}
		if n := len(inv.Attempts); n > 0 {
			o.Result.ErrorType, o.Result.ErrorMessage = inv.Attempts[n-1].ErrorType, inv.Attempts[n-1].ErrorMessage
		}
	}
	e.save(ctx, inv)
	failed, rounds := false, 0
	for _, d := range e.router.Plan(o) {
		n, ok := deliveryState(inv, d)
		if ok {
			continue
		}
		err := e.router.Deliver(ctx, o, d)
		d.At = time.Now().UTC()
		if err != nil {
			d.Error = err.Error()
			failed = true
			rounds = max(rounds, n+1)
			e.log.Warn("async: delivery failed", "requestId", req.RequestID, "kind", d.Kind, "target", d.Target, "err", err)
			e.stats.add(fn.Name, func(c *Counters) {
				if d.Kind == ferry.DeliveryDLQ {
					c.DeadLetterErrors++
				} else {
					c.DestinationDeliveryFailures++
				}
			})
		}
		if err == nil {
			e.stats.addDelivery(fn.Name, d.Kind, d.Target)
		}
		inv.Deliveries = append(inv.Deliveries, d)
	}
	if failed && rounds < e.opts.DeliveryRounds {
		if ctx.Err() == nil {
			e.save(ctx, inv)
		}
		_ = msg.NakWithDelay(e.scaled(backoff(rounds)))
		return
	}
	inv.Done = true
	e.save(ctx, inv)
	_ = msg.Ack()
}

// deliveryState reports how many times d was tried and whether one of the
// tries succeeded.
func deliveryState(inv *ferry.Invocation, d ferry.Delivery) (tries int, ok bool) {
	for _, x := range inv.Deliveries {
		if x.Kind == d.Kind && x.Target == d.Target {
			tries++
			if x.Error == "" {
				return tries, true
			}
		}
	}
	return tries, false
}

// maxStoredPayload bounds the request and response kept in a synchronous
// invocation's history.
const maxStoredPayload = 1 << 20

// Invoke runs a synchronous (RequestResponse) invocation and records it in
// the history. Errors: ENOTFOUND, ETOOLARGE above 6 MiB, EINVALIDJSON,
// ETHROTTLED when no concurrency is available. A function error is a
// Result, not an error.
func (e *Engine) Invoke(ctx context.Context, req *ferry.InvokeRequest) (*ferry.Result, error) {
	fn, err := e.opts.Functions.GetFunction(ctx, req.Function)
	if err != nil {
		return nil, err
	}
	payload, err := checkPayload(req.Payload, ferry.MaxSyncPayload)
	if err != nil {
		return nil, err
	}
	req.Payload = payload
	if req.RequestID == "" {
		req.RequestID = newRequestID()
	}
	if req.TraceID == "" {
		req.TraceID = ferry.NewTraceID(time.Now())
	}
	if stop, _ := loopGuard(fn, req); stop != nil {
		e.stats.add(fn.Name, func(c *Counters) { c.RecursiveInvocationsDropped++ })
		return nil, stop
	}
	start := time.Now()
	res, err := e.opts.Runner.Invoke(ctx, fn, req)
	if err != nil {
		if ferry.ErrorCode(err) == ferry.ETHROTTLED {
			e.stats.add(fn.Name, func(c *Counters) { c.Throttles++ })
		}
		return nil, err
	}
	if o := e.opts.Observer; o != nil {
		o.ObserveDuration(fn.Name, res.Duration)
	}
	e.stats.add(fn.Name, func(c *Counters) {
		c.Invocations++
		if res.Failed() {
			c.Errors++
		}
	})
	inv := &ferry.Invocation{
		RequestID: req.RequestID, Function: fn.Name, Type: ferry.InvokeRequestResponse,
		Accepted: start.UTC(), TraceID: req.TraceID, Hops: req.Hops,
		Request: bounded(payload), Attempts: []ferry.Attempt{attemptOf(start, res)},
		Response: bounded(res.Payload), FunctionError: res.FunctionError, StatusCode: 200,
		Finished: time.Now().UTC(), Done: true,
	}
	e.recordSync(ctx, inv)
	return res, nil
}

// recordSync hands a synchronous invocation's history to the writer, or
// writes it here when the writer is behind or stopping.
func (e *Engine) recordSync(ctx context.Context, inv *ferry.Invocation) {
	e.mu.Lock()
	handed := false
	if !e.stopped {
		select {
		case e.syncHistory <- inv:
			handed = true
		default:
		}
	}
	e.mu.Unlock()
	if !handed {
		e.save(ctx, inv)
	}
}

// bounded returns p as storable JSON: nil when it is too large to keep, a
// JSON string when the function answered with something that is not JSON.
func bounded(p json.RawMessage) json.RawMessage {
	if len(p) > maxStoredPayload {
		return nil
	}
	if len(p) == 0 || json.Valid(p) {
		return p
	}
	return mustJSON(string(p))
}
