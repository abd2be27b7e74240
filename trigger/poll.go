package trigger

import (
	"encoding/json"
	"time"

	"github.com/ferry-run/ferry"
)

const (
	// maxWait is the longest long poll (SQS's limit).
	maxWait = 20 * time.Second
	// collectLimit stops gathering a batch once its records reach this many
	// bytes, leaving room under the 6 MiB synchronous payload limit; a batch
	// over the limit anyway is split in halves.
	collectLimit = 5 << 20
	// errorPause is the pause after a failed receive or a system error of
	// the invoker (unknown queue or function, engine stopping).
	errorPause = time.Second
)

// outcome is how a batch ended.
type outcome int

const (
	batchOK outcome = iota
	batchFailed
	batchThrottled
	batchError
)

// poll is one poller: gather a batch, invoke, settle, apply the scaling rule.
func (r *runner) poll() {
	for {
		if r.ctx.Err() != nil {
			r.exit()
			return
		}
		m := r.mapping()
		msgs, recs, err := r.collect(m)
		if err != nil && len(msgs) == 0 {
			r.log.Warn("receive", "err", err)
			r.sleep(errorPause)
			continue
		}
		if len(msgs) == 0 {
			if r.shrink() {
				return
			}
			continue
		}
		switch r.invoke(m, msgs, recs) {
		case batchThrottled:
			r.sleep(r.throttled())
			if r.shrink() {
				return
			}
		case batchError:
			r.sleep(errorPause)
		default:
			r.unthrottled()
			if len(msgs) >= m.BatchSize {
				r.grow(m)
			}
		}
	}
}

// collect gathers one batch: up to BatchSize messages, receiving until the
// batching window (counted from the first message) passes; with no window,
// what one receive returns. It returns early, with what it has, when the
// mapping stops.
func (r *runner) collect(m Mapping) ([]ferry.Message, []json.RawMessage, error) {
	var (
		msgs  []ferry.Message
		recs  []json.RawMessage
		size  int
		until time.Time
	)
	region := r.s.opts.Realm.Region
	for len(msgs) < m.BatchSize && size < collectLimit {
		wait := r.s.opts.WaitTime
		if len(msgs) > 0 {
			if m.MaximumBatchingWindow == 0 {
				break
			}
			left := time.Until(until)
			if left <= 0 {
				break
			}
			wait = max(min(left, r.s.opts.WaitTime), time.Millisecond)
		}
		got, err := r.s.opts.Queues.ReceiveMessages(r.ctx, m.Queue, ferry.ReceiveOptions{
			MaxMessages: min(receiveMax, m.BatchSize-len(msgs)), WaitTime: wait,
		})
		for i := range got {
			rec := encodeRecord(&got[i], m.QueueARN, region)
			recs = append(recs, rec)
			size += len(rec)
		}
		msgs = append(msgs, got...)
		if err != nil {
			return msgs, recs, err
		}
		if len(msgs) == 0 {
			return nil, nil, nil
		}
		if until.IsZero() {
			until = time.Now().Add(m.MaximumBatchingWindow)
		}
		if r.ctx.Err() != nil {
			break
		}
	}
	return msgs, recs, nil
}

// invoke runs the function on one batch and settles it: deletes what
// succeeded, leaves the rest to come back after the visibility timeout.
func (r *runner) invoke(m Mapping, msgs []ferry.Message, recs []json.RawMessage) outcome {
	event := encodeEvent(recs)
	if len(event) > ferry.MaxSyncPayload && len(msgs) > 1 {
		h := len(msgs) / 2
		return max(r.invoke(m, msgs[:h], recs[:h]), r.invoke(m, msgs[h:], recs[h:]))
	}
	req := &ferry.InvokeRequest{Function: m.Function, Payload: event, TraceID: msgs[0].TraceID}
	for _, msg := range msgs {
		req.Hops = max(req.Hops, msg.Hops)
	}
	res, err := r.s.opts.Invoker.Invoke(r.s.runCtx, req)
	if err != nil {
		if ferry.ErrorCode(err) == ferry.ETHROTTLED {
			r.log.Debug("invoke throttled", "function", m.Function, "messages", len(msgs))
			return batchThrottled
		}
		r.log.Warn("invoke", "function", m.Function, "messages", len(msgs), "err", err)
		return batchError
	}
	r.s.addDelivered(m.UUID, len(msgs))
	if res.Failed() {
		r.log.Debug("function failed; batch left on the queue", "function", m.Function,
			"request", res.RequestID, "errorType", res.ErrorType)
		return batchFailed
	}
	done := msgs
	result := batchOK
	if m.ReportBatchItemFailures {
		ids := make(map[string]bool, len(msgs))
		for _, msg := range msgs {
			ids[msg.MessageID] = true
		}
		failed, ok := failedItems(res.Payload, ids)
		if !ok {
			r.log.Warn("invalid partial batch response; the whole batch failed", "function", m.Function,
				"request", res.RequestID)
			return batchFailed
		}
		if len(failed) > 0 {
			failed = holdGroupsAfterFailure(msgs, failed)
			result = batchFailed
			done = make([]ferry.Message, 0, len(msgs)-len(failed))
			for _, msg := range msgs {
				if !failed[msg.MessageID] {
					done = append(done, msg)
				}
			}
		}
	}
	for _, msg := range done {
		if err := r.s.opts.Queues.DeleteMessage(r.s.runCtx, m.Queue, msg.ReceiptHandle); err != nil {
			r.log.Warn("delete processed message", "message", msg.MessageID, "err", err)
		}
	}
	return result
}
