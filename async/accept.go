package async

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/natsjs"
)

// Message headers of a queued event.
const (
	hdrRequestID     = "Ferry-Request-Id"
	hdrTraceID       = "Ferry-Trace-Id"
	hdrHops          = "Ferry-Hops"
	hdrClientContext = "Ferry-Client-Context"
	hdrAccepted      = "Ferry-Accepted"
	hdrRedriveOf     = "Ferry-Redrive-Of"
)

// InvokeAsync validates req and stores it durably in the function's async
// queue. It returns once the event is stored; req.RequestID is set when it
// was empty. Errors: ENOTFOUND for an unknown function, ETOOLARGE above
// 1 MiB, EINVALIDJSON for a payload that is not JSON, ERUNTIME for a function
// whose runtime Ferry cannot run. With req.Dedup, a request id seen in the
// last ten minutes is accepted again without queueing a second event; such a
// request is one of Ferry's own deliveries (topic, bus, destination,
// schedule) of an event already accepted upstream, so for a function Ferry
// cannot run it is queued anyway and goes to the function's failure path
// (OnFailure, dead-letter queue) with the runtime error, never dropped.
func (e *Engine) InvokeAsync(ctx context.Context, req *ferry.InvokeRequest) error {
	return e.accept(ctx, req, "")
}

// accept queues req; redriveOf links a redriven event to the original.
func (e *Engine) accept(ctx context.Context, req *ferry.InvokeRequest, redriveOf string) error {
	fn, err := e.opts.Functions.GetFunction(ctx, req.Function)
	if err != nil {
		return err
	}
	if err := fn.Runnable(); err != nil && !req.Dedup {
		return err
	}
	payload, err := checkPayload(req.Payload, ferry.MaxAsyncPayload)
	if err != nil {
		return err
	}
	req.Payload = payload
	if req.RequestID == "" {
		req.RequestID = newRequestID()
	}
	if req.TraceID == "" {
		req.TraceID = ferry.NewTraceID(time.Now())
	}
	if err := natsjs.CheckSubject("function", subject(req.Function)); err != nil {
		return err
	}
	msg := nats.NewMsg(subject(req.Function))
	msg.Data = payload
	if req.Dedup {
		msg.Header.Set(jetstream.MsgIDHeader, req.RequestID)
	}
	msg.Header.Set(hdrRequestID, req.RequestID)
	if req.TraceID != "" {
		msg.Header.Set(hdrTraceID, req.TraceID)
	}
	if req.Hops > 0 {
		msg.Header.Set(hdrHops, strconv.Itoa(req.Hops))
	}
	if req.ClientContext != "" {
		msg.Header.Set(hdrClientContext, req.ClientContext)
	}
	if redriveOf != "" {
		msg.Header.Set(hdrRedriveOf, redriveOf)
	}
	e.mu.Lock()
	js := e.js
	e.mu.Unlock()
	if js == nil {
		return ferry.Errorf(ferry.EUNAVAILABLE, "the async engine is not running")
	}
	// Concurrent accepts are published together and each returns when its
	// own acknowledgement arrives (group commit).
	ack, err := e.engine.PublishAcked(ctx, msg)
	if err != nil {
		return ferry.Wrap(ferry.EUNAVAILABLE, err, "queue event for %s", req.Function)
	}
	if !ack.Duplicate {
		e.stats.add(req.Function, func(c *Counters) { c.AsyncEventsReceived++ })
	}
	return nil
}

// checkPayload applies Lambda's payload rules: an empty payload is {}, a
// payload must be JSON and at most limit bytes.
func checkPayload(p json.RawMessage, limit int) (json.RawMessage, error) {
	if len(p) > limit {
		return nil, ferry.Errorf(ferry.ETOOLARGE, "request payload size (%d bytes) exceeds the limit of %d bytes", len(p), limit)
	}
	if len(p) == 0 {
		return json.RawMessage("{}"), nil
	}
	if !json.Valid(p) {
		return nil, ferry.Errorf(ferry.EINVALIDJSON, "could not parse request body into json: payload is not valid JSON")
	}
	return p, nil
}

// decodeEvent rebuilds the invoke request and its acceptance time from a
// queued message.
func decodeEvent(function string, msg jetstream.Msg, md *jetstream.MsgMetadata) (req *ferry.InvokeRequest, accepted time.Time, redriveOf string) {
	h := msg.Headers()
	req = &ferry.InvokeRequest{
		RequestID:     h.Get(hdrRequestID),
		Function:      function,
		Payload:       json.RawMessage(msg.Data()),
		TraceID:       h.Get(hdrTraceID),
		ClientContext: h.Get(hdrClientContext),
	}
	req.Hops, _ = strconv.Atoi(h.Get(hdrHops))
	accepted = md.Timestamp
	if a := h.Get(hdrAccepted); a != "" {
		if t, err := time.Parse(time.RFC3339Nano, a); err == nil {
			accepted = t
		}
	}
	return req, accepted, h.Get(hdrRedriveOf)
}

func newRequestID() string { return uuid.NewString() }
