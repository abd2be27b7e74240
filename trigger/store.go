package trigger

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ferry-run/ferry"
)

const visibilityAttr = "VisibilityTimeout"

// Create stores a new mapping and, when it is enabled, starts polling.
// Errors: EINVALID for out-of-range settings or a queue whose visibility
// timeout is shorter than the function's timeout, ENOTFOUND for an unknown
// queue or function, ECONFLICT when the queue already feeds the function.
func (s *Service) Create(ctx context.Context, m Mapping) (Mapping, error) {
	kv, err := s.ready()
	if err != nil {
		return Mapping{}, err
	}
	if err := m.normalize(s.opts.Realm); err != nil {
		return Mapping{}, err
	}
	if err := s.checkTargets(ctx, &m); err != nil {
		return Mapping{}, err
	}
	s.mu.Lock()
	for _, e := range s.mappings {
		if e.m.UUID != "" && e.m.Queue == m.Queue && e.m.Function == m.Function {
			s.mu.Unlock()
			return Mapping{}, ferry.Errorf(ferry.ECONFLICT,
				"an event source mapping with SQS arn %q and function %q already exists; update or delete the existing mapping with UUID %s",
				m.QueueARN, m.Function, e.m.UUID)
		}
	}
	s.mu.Unlock()
	m.UUID = uuid.NewString()
	m.State = stateOf(m.Enabled)
	m.StateTransitionReason = "USER_INITIATED"
	m.LastModified = s.now().UTC().Truncate(time.Millisecond)
	rev, err := kv.Create(ctx, m.UUID, jsonMarshal(m))
	if err != nil {
		return Mapping{}, fmt.Errorf("store event source mapping: %w", err)
	}
	s.applyPut(m, rev)
	s.log.Info("mapping created", "uuid", m.UUID, "queue", m.Queue, "function", m.Function, "enabled", m.Enabled)
	m.State = StateCreating
	return m, nil
}

// checkTargets checks that the queue and function exist and that the
// queue's visibility timeout is at least the function's timeout (as AWS
// requires).
func (s *Service) checkTargets(ctx context.Context, m *Mapping) error {
	attrs, err := s.opts.Queues.GetQueueAttributes(ctx, m.Queue, []string{visibilityAttr})
	if err != nil {
		return err
	}
	fn, err := s.opts.Functions.GetFunction(ctx, m.Function)
	if err != nil {
		return err
	}
	vis, err := strconv.Atoi(attrs[visibilityAttr])
	if err != nil {
		return fmt.Errorf("queue %q: visibility timeout %q: %w", m.Queue, attrs[visibilityAttr], err)
	}
	if t := fn.TimeoutOrDefault(); time.Duration(vis)*time.Second < t {
		return ferry.Errorf(ferry.EINVALID, "queue visibility timeout: %d seconds is less than function timeout: %v seconds",
			vis, t.Seconds())
	}
	return nil
}

// Get returns a mapping. Errors: ENOTFOUND.
func (s *Service) Get(ctx context.Context, id string) (Mapping, error) {
	if _, err := s.ready(); err != nil {
		return Mapping{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e, err := s.lookupLocked(id)
	return e.m, err
}

// List returns the mappings, oldest change first, optionally only those of
// one function (name or ARN) and/or one queue (name or ARN).
func (s *Service) List(ctx context.Context, functionFilter, queueFilter string) ([]Mapping, error) {
	if _, err := s.ready(); err != nil {
		return nil, err
	}
	var fn, q string
	var err error
	if functionFilter != "" {
		if fn, err = functionName(functionFilter); err != nil {
			return nil, err
		}
	}
	if queueFilter != "" {
		if q, err = queueName(queueFilter, ""); err != nil {
			return nil, err
		}
	}
	s.mu.Lock()
	out := []Mapping{}
	for _, e := range s.mappings {
		if e.m.UUID == "" || (fn != "" && e.m.Function != fn) || (q != "" && e.m.Queue != q) {
			continue
		}
		out = append(out, e.m)
	}
	s.mu.Unlock()
	sort.Slice(out, func(i, j int) bool {
		if !out[i].LastModified.Equal(out[j].LastModified) {
			return out[i].LastModified.Before(out[j].LastModified)
		}
		return out[i].UUID < out[j].UUID
	})
	return out, nil
}

// Update replaces a mapping's settings with m's: Function, BatchSize,
// MaximumBatchingWindow, ReportBatchItemFailures, Enabled and
// MaximumConcurrency (callers applying a partial update Get first and
// merge). The queue cannot change; m.Queue/QueueARN may be empty or must
// name the same queue. Pollers pick the new settings up with their next
// batch; disabling stops them after their current batch. Errors: ENOTFOUND,
// EINVALID, ECONFLICT when the mapping changed concurrently.
func (s *Service) Update(ctx context.Context, m Mapping) (Mapping, error) {
	kv, err := s.ready()
	if err != nil {
		return Mapping{}, err
	}
	s.mu.Lock()
	cur, err := s.lookupLocked(m.UUID)
	s.mu.Unlock()
	if err != nil {
		return Mapping{}, err
	}
	if m.Queue != "" || m.QueueARN != "" {
		name, err := queueName(m.Queue, m.QueueARN)
		if err != nil {
			return Mapping{}, err
		}
		if name != cur.m.Queue {
			return Mapping{}, ferry.Errorf(ferry.EINVALID, "the event source of mapping %s cannot change (from %q to %q)", m.UUID, cur.m.Queue, name)
		}
	}
	m.Queue, m.QueueARN = cur.m.Queue, cur.m.QueueARN
	if err := m.normalize(s.opts.Realm); err != nil {
		return Mapping{}, err
	}
	if m.Function != cur.m.Function {
		if err := s.checkTargets(ctx, &m); err != nil {
			return Mapping{}, err
		}
	}
	m.State = stateOf(m.Enabled)
	m.StateTransitionReason = "USER_INITIATED"
	m.LastModified = s.now().UTC().Truncate(time.Millisecond)
	rev, err := kv.Update(ctx, m.UUID, jsonMarshal(m), cur.rev)
	if err != nil {
		if errors.Is(err, jetstream.ErrKeyExists) {
			return Mapping{}, ferry.Errorf(ferry.ECONFLICT, "event source mapping %s was changed concurrently; retry", m.UUID)
		}
		return Mapping{}, fmt.Errorf("update event source mapping %s: %w", m.UUID, err)
	}
	s.applyPut(m, rev)
	m.State = StateUpdating
	return m, nil
}

// Delete removes a mapping; its pollers stop after their current batch.
// It returns the mapping as it was, in state Deleting. Errors: ENOTFOUND.
func (s *Service) Delete(ctx context.Context, id string) (Mapping, error) {
	kv, err := s.ready()
	if err != nil {
		return Mapping{}, err
	}
	s.mu.Lock()
	cur, err := s.lookupLocked(id)
	s.mu.Unlock()
	if err != nil {
		return Mapping{}, err
	}
	if err := kv.Delete(ctx, id); err != nil {
		return Mapping{}, fmt.Errorf("delete event source mapping %s: %w", id, err)
	}
	// The delete marker's revision is not returned; any revision above the
	// last put keeps the tombstone (UUIDs are never reused).
	s.applyDelete(id, cur.rev+1)
	m := cur.m
	m.State = StateDeleting
	return m, nil
}

func jsonMarshal(m Mapping) []byte {
	b, err := json.Marshal(m)
	if err != nil {
		panic(err) // plain data: cannot fail
	}
	return b
}

func jsonUnmarshal(b []byte, m *Mapping) error { return json.Unmarshal(b, m) }
