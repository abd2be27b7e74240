package async

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/natsjs"
)

// maxPendingScan bounds how many queued events one lookup of accepted but
// unfinished events reads; a backlog deeper than that is shown from its
// oldest end.
const maxPendingScan = 10_000

// Unfinished lists up to limit accepted async events without a final
// outcome (of function, or of every function when function is ""), oldest
// first, each with its State: queued, paused, running, waiting for a retry
// or a throttle's backoff, or delivering its outcome. It reads the queue
// stream and the journal; accepting an event writes nothing else.
func (e *Engine) Unfinished(ctx context.Context, function string, limit int) ([]*ferry.Invocation, error) {
	if limit <= 0 {
		limit = 100
	}
	var out []*ferry.Invocation
	err := e.scanQueued(ctx, function, func(inv *ferry.Invocation) bool {
		out = append(out, inv)
		return len(out) < limit
	})
	return out, err
}

// UnfinishedInvocation finds one accepted async event without a final
// outcome by its request id (function narrows the search when known).
// ENOTFOUND when no queued event has that id.
func (e *Engine) UnfinishedInvocation(ctx context.Context, function, requestID string) (*ferry.Invocation, error) {
	var found *ferry.Invocation
	err := e.scanQueued(ctx, function, func(inv *ferry.Invocation) bool {
		if inv.RequestID == requestID {
			found = inv
			return false
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	if found == nil {
		return nil, ferry.Errorf(ferry.ENOTFOUND, "invocation %s not found", ferry.Shorten(requestID))
	}
	return found, nil
}

// scanQueued calls visit with each queued event (oldest first) until visit
// returns false or maxPendingScan events were read.
func (e *Engine) scanQueued(ctx context.Context, function string, visit func(*ferry.Invocation) bool) error {
	e.mu.Lock()
	st := e.stream
	e.mu.Unlock()
	if st == nil {
		return ferry.Errorf(ferry.EUNAVAILABLE, "the async engine is not running")
	}
	filter := subjectPrefix + ">"
	if function != "" {
		if err := natsjs.CheckSubject("function", subject(function)); err != nil {
			return err
		}
		filter = subject(function)
	}
	consumers := map[string]*jetstream.ConsumerInfo{}
	seq := uint64(1)
	for n := 0; n < maxPendingScan; n++ {
		raw, err := st.GetMsg(ctx, seq, jetstream.WithGetMsgSubject(filter))
		if natsjs.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("async: read queued events: %w", err)
		}
		seq = raw.Sequence + 1
		fn := strings.TrimPrefix(raw.Subject, subjectPrefix)
		ci, ok := consumers[fn]
		if !ok {
			if c, err := st.Consumer(ctx, consumerName(fn)); err == nil {
				ci, _ = c.Info(ctx)
			}
			consumers[fn] = ci
		}
		inv := e.queuedInvocation(ctx, fn, raw, ci)
		if inv == nil {
			continue // finished, its message not yet removed
		}
		if !visit(inv) {
			return nil
		}
	}
	return nil
}

// queuedInvocation is what is known of one queued event: its message, its
// consumer's progress and its journal entry. Nil when the journal says the
// event is done.
func (e *Engine) queuedInvocation(ctx context.Context, function string, raw *jetstream.RawStreamMsg, ci *jetstream.ConsumerInfo) *ferry.Invocation {
	inv := &ferry.Invocation{
		RequestID: raw.Header.Get(hdrRequestID), Function: function, Type: ferry.InvokeEvent,
		Accepted: raw.Time.UTC(), TraceID: raw.Header.Get(hdrTraceID), RedriveOf: raw.Header.Get(hdrRedriveOf),
		Request: json.RawMessage(raw.Data), State: ferry.StateQueued,
	}
	if a := raw.Header.Get(hdrAccepted); a != "" {
		if t, err := time.Parse(time.RFC3339Nano, a); err == nil {
			inv.Accepted = t.UTC()
		}
	}
	if ci == nil || raw.Sequence > ci.Delivered.Stream {
		if ci != nil && ci.Paused {
			inv.State = ferry.StatePaused
		}
		return inv
	}
	inv.State = ferry.StateRunning
	entry, err := e.journal.Get(ctx, inv.RequestID)
	if err != nil {
		return inv // delivered, nothing journaled yet: its first attempt (or cold start) is under way
	}
	var j ferry.Invocation
	if json.Unmarshal(entry.Value(), &j) != nil {
		return inv
	}
	if j.Done {
		return nil
	}
	inv.Attempts, inv.Throttles, inv.Condition, inv.Deliveries = j.Attempts, j.Throttles, j.Condition, j.Deliveries
	inv.Response, inv.FunctionError, inv.StatusCode = j.Response, j.FunctionError, j.StatusCode
	inv.State, inv.NextAttempt = e.waitState(&j, entry.Created())
	if ci.Paused && inv.State != ferry.StateRunning && inv.State != ferry.StateDelivering {
		inv.State = ferry.StatePaused
	}
	return inv
}

// waitState works out from a journal entry written at written whether its
// event waits for a retry or a backoff, and until when; past that time the
// event is running again.
func (e *Engine) waitState(j *ferry.Invocation, written time.Time) (string, time.Time) {
	if j.Condition != "" {
		return ferry.StateDelivering, time.Time{}
	}
	state, delay := "", time.Duration(0)
	if n := len(j.Attempts); n > 0 && j.Attempts[n-1].ErrorType != "" && j.Attempts[n-1].Start.Add(j.Attempts[n-1].Duration).Add(time.Second).After(written) {
		state, delay = ferry.StateRetryWait, e.scaled(retryDelays[min(n, len(retryDelays))-1])
	} else if j.Throttles > 0 {
		state, delay = ferry.StateBackoff, e.scaled(backoff(j.Throttles))
	}
	if state == "" {
		return ferry.StateRunning, time.Time{}
	}
	at := written.Add(delay).UTC()
	if time.Now().After(at) {
		return ferry.StateRunning, time.Time{}
	}
	return state, at
}
