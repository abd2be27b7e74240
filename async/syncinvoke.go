package async

import (
	"context"
	"time"

	"github.com/ferry-run/ferry"
)

// maxStoredPayload bounds the request and response kept in a synchronous
// invocation's history.
const maxStoredPayload = 1 << 20

// Invoke runs a synchronous (RequestResponse) invocation and records it in
// the history. Errors: ENOTFOUND, ETOOLARGE above 6 MiB, EINVALIDJSON,
// ETHROTTLED when no concurrency is available, ERUNTIME for a function whose
// runtime Ferry cannot run. A function error is a
// Result, not an error.
func (e *Engine) Invoke(ctx context.Context, req *ferry.InvokeRequest) (*ferry.Result, error) {
	fn, err := e.opts.Functions.GetFunction(ctx, req.Function)
	if err != nil {
		return nil, err
	}
	if err := fn.Runnable(); err != nil {
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
	if stop, _ := loopGuard(fn, req.Hops); stop != nil {
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
	e.saveLater(ctx, inv)
	return res, nil
}
