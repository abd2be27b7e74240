package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strconv"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/natsjs"
)

// CreateQueue creates a standard queue. It is idempotent: creating an
// existing queue with attributes equal to its current ones returns it;
// different values are ECONFLICT (AWS QueueAlreadyExists). Errors: EINVALID
// for a bad name or attribute (the message names it).
func (s *Service) CreateQueue(ctx context.Context, name string, attrs map[string]string) (*QueueInfo, error) {
	if !ferry.ValidQueueName(name) {
		return nil, ferry.Errorf(ferry.EINVALID, "queue name %q must be 1-80 characters of letters, digits, '-' and '_', a FIFO queue's ending in .fifo", name)
	}
	norm, err := normalize(attrs)
	if err != nil {
		return nil, err
	}
	fifoDefaults, err := fifoAttrs(name, norm, true)
	if err != nil {
		return nil, err
	}
	if q, err := s.lookup(name); err == nil {
		return s.sameOrConflict(q, norm)
	} else if ferry.ErrorCode(err) != ferry.ENOTFOUND {
		return nil, err
	}
	full := defaultAttrs()
	maps.Copy(full, fifoDefaults)
	for k, v := range norm {
		if v != "" {
			full[k] = v
		}
	}
	a, err := parseAttributes(full)
	if err != nil {
		return nil, err
	}
	if err := s.checkRedrive(name, a.Redrive); err != nil {
		return nil, err
	}
	now := s.now().Unix()
	def := definition{Name: name, Attrs: full, Created: now, Modified: now}
	cons, err := s.declare(ctx, name, a)
	if err != nil {
		return nil, err
	}
	b, _ := json.Marshal(def)
	if _, err := s.kv.Create(ctx, name, b); err != nil {
		if errors.Is(err, jetstream.ErrKeyExists) {
			// Created concurrently (maybe on another node): compare with it.
			e, gerr := s.kv.Get(ctx, name)
			if gerr != nil {
				return nil, fmt.Errorf("queue %q: %w", name, gerr)
			}
			var other definition
			if err := json.Unmarshal(e.Value(), &other); err != nil {
				return nil, fmt.Errorf("queue %q definition: %w", name, err)
			}
			oa, _ := parseAttributes(other.Attrs)
			return s.sameOrConflict(&queue{def: other, attr: oa}, norm)
		}
		return nil, fmt.Errorf("store queue %q: %w", name, err)
	}
	q := &queue{def: def, attr: a, cons: cons}
	s.mu.Lock()
	s.queues[name] = q
	s.mu.Unlock()
	s.log.Info("queue created", "queue", name)
	return s.info(q), nil
}

func (s *Service) sameOrConflict(q *queue, norm map[string]string) (*QueueInfo, error) {
	cur := defaultAttrs()
	maps.Copy(cur, q.def.Attrs)
	for k, v := range norm {
		if cur[k] != v {
			return nil, ferry.Errorf(ferry.ECONFLICT, "queue %q already exists with a different value for attribute %s", q.def.Name, k)
		}
	}
	return s.info(q), nil
}

// checkRedrive checks that a redrive policy's DLQ exists, is not the queue
// itself and allows the queue as a source.
func (s *Service) checkRedrive(source string, p *RedrivePolicy) error {
	if p == nil {
		return nil
	}
	if err := checkFifoRedrive(source, p); err != nil {
		return err
	}
	dlq := queueName(p.DeadLetterTargetArn)
	if dlq == source {
		return ferry.Errorf(ferry.EINVALID, "attribute RedrivePolicy: queue %q cannot be its own dead-letter queue", source)
	}
	d, err := s.lookup(dlq)
	if err != nil {
		return ferry.Errorf(ferry.EINVALID, "attribute RedrivePolicy: dead-letter target %s does not exist", p.DeadLetterTargetArn)
	}
	if !d.attr.RedriveAllow.allows(s.realm.QueueARN(source)) {
		return ferry.Errorf(ferry.EINVALID, "attribute RedrivePolicy: the RedriveAllowPolicy of %q does not allow %q as a source queue", dlq, source)
	}
	return nil
}

// DeleteQueue deletes a queue and its messages. Errors: ENOTFOUND.
func (s *Service) DeleteQueue(ctx context.Context, name string) error {
	name = queueName(name)
	if _, err := s.lookup(name); err != nil {
		return err
	}
	s.mu.Lock()
	delete(s.queues, name)
	s.mu.Unlock()
	if err := s.kv.Delete(ctx, name); err != nil {
		return fmt.Errorf("delete queue %q definition: %w", name, err)
	}
	if err := s.js.DeleteStream(ctx, streamName(name)); err != nil && !natsjs.IsNotFound(err) {
		return fmt.Errorf("delete queue %q stream: %w", name, err)
	}
	if IsFIFO(name) {
		s.dropLocks(ctx, name)
	}
	s.log.Info("queue deleted", "queue", name)
	return nil
}

// PurgeQueue deletes every message of a queue, delayed and in flight ones
// included. Errors: ENOTFOUND.
func (s *Service) PurgeQueue(ctx context.Context, name string) error {
	name = queueName(name)
	if _, err := s.lookup(name); err != nil {
		return err
	}
	st, err := s.js.Stream(ctx, streamName(name))
	if err != nil {
		return fmt.Errorf("purge queue %q: %w", name, err)
	}
	if err := st.Purge(ctx); err != nil {
		return fmt.Errorf("purge queue %q: %w", name, err)
	}
	if IsFIFO(name) {
		s.dropLocks(ctx, name)
	}
	return nil
}

// SetQueueAttributes changes settable attributes. Errors: ENOTFOUND,
// EINVALID naming the attribute.
func (s *Service) SetQueueAttributes(ctx context.Context, name string, attrs map[string]string) error {
	name = queueName(name)
	q, err := s.lookup(name)
	if err != nil {
		return err
	}
	norm, err := normalize(attrs)
	if err != nil {
		return err
	}
	if _, err := fifoAttrs(name, norm, false); err != nil {
		return err
	}
	def := q.def
	def.Attrs = maps.Clone(q.def.Attrs)
	for k, v := range norm {
		if v == "" {
			delete(def.Attrs, k)
		} else {
			def.Attrs[k] = v
		}
	}
	a, err := parseAttributes(def.Attrs)
	if err != nil {
		return err
	}
	if err := s.checkRedrive(name, a.Redrive); err != nil {
		return err
	}
	def.Modified = s.now().Unix()
	cons := q.cons
	if a.Retention != q.attr.Retention || a.Visibility != q.attr.Visibility {
		if cons, err = s.declare(ctx, name, a); err != nil {
			return err
		}
	}
	b, _ := json.Marshal(def)
	if _, err := s.kv.Put(ctx, name, b); err != nil {
		return fmt.Errorf("store queue %q: %w", name, err)
	}
	s.mu.Lock()
	if _, ok := s.queues[name]; ok {
		s.queues[name] = &queue{def: def, attr: a, cons: cons}
	}
	s.mu.Unlock()
	return nil
}

// GetQueueAttributes returns the named attributes ("All" for every one).
// Errors: ENOTFOUND, EINVALID for an unknown attribute name.
func (s *Service) GetQueueAttributes(ctx context.Context, name string, names []string) (map[string]string, error) {
	name = queueName(name)
	q, err := s.lookup(name)
	if err != nil {
		return nil, err
	}
	want := map[string]bool{}
	for _, n := range names {
		switch {
		case n == AttrAll:
			for _, k := range settable {
				want[k] = true
			}
			for _, k := range readOnly {
				want[k] = true
			}
		case isKnownAttr(n):
			want[n] = true
		default:
			return nil, ferry.Errorf(ferry.EINVALID, "unknown queue attribute %s", n)
		}
	}
	out := map[string]string{}
	cur := defaultAttrs()
	maps.Copy(cur, q.def.Attrs)
	for _, k := range settable {
		if want[k] && cur[k] != "" {
			out[k] = cur[k]
		}
	}
	if want[AttrCreatedTimestamp] {
		out[AttrCreatedTimestamp] = strconv.FormatInt(q.def.Created, 10)
	}
	if want[AttrLastModifiedTimestmp] {
		out[AttrLastModifiedTimestmp] = strconv.FormatInt(q.def.Modified, 10)
	}
	if want[AttrQueueArn] {
		out[AttrQueueArn] = s.realm.QueueARN(name)
	}
	if want[AttrNumMessages] || want[AttrNumNotVisible] || want[AttrNumDelayed] {
		c, err := s.counts(ctx, q, want[AttrNumDelayed])
		if err != nil {
			return nil, err
		}
		if want[AttrNumMessages] {
			out[AttrNumMessages] = strconv.FormatInt(c.visible, 10)
		}
		if want[AttrNumNotVisible] {
			out[AttrNumNotVisible] = strconv.FormatInt(c.inFlight, 10)
		}
		if want[AttrNumDelayed] {
			out[AttrNumDelayed] = strconv.FormatInt(c.delayed, 10)
		}
	}
	return out, nil
}

func isKnownAttr(n string) bool {
	for _, k := range settable {
		if k == n {
			return true
		}
	}
	for _, k := range readOnly {
		if k == n {
			return true
		}
	}
	return false
}

type counts struct{ visible, inFlight, delayed int64 }

// counts derives the approximate counters from the consumer (never
// delivered, delivered and not deleted) and the stream (everything else stored is
// a pending schedule, i.e. a delayed message).
func (s *Service) counts(ctx context.Context, q *queue, delayed bool) (counts, error) {
	if IsFIFO(q.def.Name) {
		return s.fifoCounts(ctx, q)
	}
	ci, err := q.cons.Info(ctx)
	if err != nil {
		return counts{}, fmt.Errorf("queue %q counters: %w", q.def.Name, err)
	}
	// JetStream does not report how many delivered messages are waiting for
	// redelivery, so a message whose visibility timeout ran out counts as
	// not visible until it is received again.
	c := counts{visible: int64(ci.NumPending), inFlight: int64(ci.NumAckPending)}
	if delayed {
		si, err := s.js.Stream(ctx, streamName(q.def.Name))
		if err != nil {
			return counts{}, fmt.Errorf("queue %q counters: %w", q.def.Name, err)
		}
		st := si.CachedInfo().State
		c.delayed = int64(st.Msgs) - int64(ci.NumPending) - int64(ci.NumAckPending)
		if c.delayed < 0 {
			c.delayed = 0
		}
	}
	return c, nil
}
