package async

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/ferry-run/ferry"
)

// finish makes the decided outcome's deliveries and acks the event.
//
// The decision is journaled first, so a redelivery after a crash resumes
// here instead of running the function again. Each delivery carries a
// deduplication id (request id, kind, condition) and is journaled after it
// is made; the event is acked only after "done" is journaled. At each crash
// point a redelivery is safe:
//
//   - before a record is published: the journal shows no delivery, the
//     record is published on resume;
//   - after it is published, before its delivery is journaled: the record
//     is published again with the same deduplication id, and the target
//     refuses the second copy. JetStream's own duplicate window does not
//     survive a restart for a message already consumed, nor one older than
//     the window, so the queue service keeps a durable per-record marker in
//     its own bucket (see package queue) and a function destination's
//     derived request id is checked against this journal (invocation);
//     topic and bus records reach their queue and function subscribers
//     through the same two checks;
//   - after "done" is journaled, before the ack: the journal says done and
//     the redelivery is acked without delivering anything.
//
// A delivery that keeps failing is tried DeliveryRounds times, then the
// outcome also goes down the function's failure path (the OnFailure
// destination for a success record, the dead-letter queue for either) with
// the reason in the delivery's note. An outcome none of whose deliveries
// succeeded is kept and retried with backoff until the event is older than
// its maximum event age, then given up with an error log and counted in
// AsyncEventsDropped: it is never acked silently.
func (e *Engine) finish(ctx context.Context, msg jetstream.Msg, md *jetstream.MsgMetadata, fn *ferry.Function, req *ferry.InvokeRequest, inv *ferry.Invocation, fresh bool) {
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
	if fresh {
		// The decision is journaled, and its history written before any
		// record leaves: whoever reads a delivered record finds the
		// invocation's attempts in the history. Later steps' histories go
		// through the writer.
		if err := e.journalEntry(ctx, inv); err != nil {
			e.journalFailed(msg, md, inv, err)
			return
		}
		h := *inv
		e.save(ctx, &h)
	}
	plan := e.router.Plan(o)
	retry, maxTries := false, 0
	for i := 0; i < len(plan); i++ {
		d := plan[i]
		tries, ok := deliveryState(inv, d)
		if ok {
			continue
		}
		err := e.router.Deliver(ctx, o, &d)
		d.At = time.Now().UTC()
		if err != nil && ctx.Err() != nil {
			// Stopping: not the target's failure; the event comes back.
			_ = msg.Nak()
			return
		}
		if err != nil {
			tries++
			maxTries = max(maxTries, tries)
			d.Error = err.Error()
			e.log.Warn("async: delivery failed", "requestId", req.RequestID, "kind", d.Kind, "target", d.Target, "try", tries, "err", err)
			e.stats.add(fn.Name, func(c *Counters) {
				if d.Kind == ferry.DeliveryDLQ {
					c.DeadLetterErrors++
				} else {
					c.DestinationDeliveryFailures++
				}
			})
			if tries < e.opts.DeliveryRounds {
				retry = true
			} else {
				plan = withFallbacks(plan, fn, d, tries)
			}
		} else {
			e.fault("record-published")
			e.stats.addDelivery(fn.Name, d.Kind, d.Target)
		}
		inv.Deliveries = append(inv.Deliveries, d)
	}
	stranded := len(plan) > 0 && !anyDelivered(inv, plan)
	if stranded && !retry && time.Since(inv.Accepted) > e.scaled(fn.Async.MaxAge()) {
		e.log.Error("async: no delivery of the outcome succeeded before the event's maximum age; giving up",
			"requestId", req.RequestID, "function", fn.Name, "condition", inv.Condition, "deliveries", len(inv.Deliveries))
		e.stats.add(fn.Name, func(c *Counters) { c.AsyncEventsDropped++ })
		stranded = false
	}
	if retry || stranded {
		if err := e.record(ctx, inv); err != nil {
			e.journalFailed(msg, md, inv, err)
			return
		}
		_ = msg.NakWithDelay(e.scaled(backoff(maxTries)))
		return
	}
	inv.Done = true
	if err := e.record(ctx, inv); err != nil {
		inv.Done = false
		e.journalFailed(msg, md, inv, err)
		return
	}
	_ = msg.Ack()
}

// fault calls the test fault hook at a named point.
func (e *Engine) fault(point string) {
	if e.opts.Fault != nil {
		e.opts.Fault(point)
	}
}

// withFallbacks adds to plan the failure path that stands in for a delivery
// given up after tries: the OnFailure destination (for a success record)
// and the dead-letter target (for any record but a dead-letter one).
func withFallbacks(plan []ferry.Delivery, fn *ferry.Function, failed ferry.Delivery, tries int) []ferry.Delivery {
	note := fmt.Sprintf("stands in for the %s delivery to %s, which failed %d times: %s", failed.Kind, failed.Target, tries, failed.Error)
	var add []ferry.Delivery
	if failed.Kind == ferry.DeliveryOnSuccess && fn.Async.OnFailure != "" {
		add = append(add, ferry.Delivery{Kind: ferry.DeliveryOnFailure, Target: fn.Async.OnFailure, Note: note})
	}
	if failed.Kind != ferry.DeliveryDLQ && fn.DeadLetterTarget != "" {
		add = append(add, ferry.Delivery{Kind: ferry.DeliveryDLQ, Target: fn.DeadLetterTarget, Note: note})
	}
next:
	for _, a := range add {
		for _, p := range plan {
			if p.Kind == a.Kind && p.Target == a.Target {
				continue next
			}
		}
		plan = append(plan, a)
	}
	return plan
}

// anyDelivered reports whether one of plan's deliveries succeeded.
func anyDelivered(inv *ferry.Invocation, plan []ferry.Delivery) bool {
	for _, d := range plan {
		if _, ok := deliveryState(inv, d); ok {
			return true
		}
	}
	return false
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

// saveLater hands an invocation's history to the writer, off the caller's
// path, or writes it here when the writer is behind or stopping.
func (e *Engine) saveLater(ctx context.Context, inv *ferry.Invocation) {
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
