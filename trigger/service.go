package trigger

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/natsjs"
)

// Bucket is the key-value bucket holding mappings.
const Bucket = "ferry_triggers"

// DefaultMaxPollers caps a mapping's pollers when it sets no
// MaximumConcurrency.
const DefaultMaxPollers = 5

// Queues is what the service needs of the queue service: receiving and
// deleting messages, and the queue's attributes (existence and visibility
// timeout at Create). *queue.Service implements it.
type Queues interface {
	ferry.QueueService
	// GetQueueAttributes returns the named attributes. Errors: ENOTFOUND.
	GetQueueAttributes(ctx context.Context, queue string, names []string) (map[string]string, error)
}

// Options configure a Service.
type Options struct {
	Realm ferry.Realm
	// Queues is the queue service (pass *queue.Service).
	Queues Queues
	// Functions is the function catalogue: existence checks at Create,
	// timeout and reserved concurrency.
	Functions ferry.FunctionStore
	// Invoker runs the function synchronously (the async engine's Invoke).
	Invoker ferry.Invoker
	// MaxPollers caps the pollers of a mapping without MaximumConcurrency;
	// default 5.
	MaxPollers int
	// WaitTime is the long poll of each receive, at most 20 s (the
	// default). An empty long poll scales the mapping down.
	WaitTime time.Duration
	// ThrottleBackoff is the first pause after a throttled invoke; it
	// doubles up to 30 times its value while throttles continue. Default 1 s.
	ThrottleBackoff time.Duration
	Logger          *slog.Logger
}

// Service stores mappings and runs their pollers.
type Service struct {
	opts   Options
	engine *natsjs.Engine
	log    *slog.Logger
	now    func() time.Time

	mu       sync.Mutex
	kv       jetstream.KeyValue
	mirror   *natsjs.Mirror
	started  bool
	stopped  bool
	mappings map[string]entry
	runners  map[string]*runner
	// delivered counts the messages each mapping (by UUID) handed to its
	// function on this node.
	delivered map[string]int64
	// pollCtx ends receiving (Stop, first phase); runCtx ends invocations
	// (Stop's deadline).
	pollCtx    context.Context
	pollCancel context.CancelFunc
	runCtx     context.Context
	runCancel  context.CancelFunc
	wg         sync.WaitGroup // pollers
}

type entry struct {
	m   Mapping
	rev uint64
}

// New returns a service on e; Start starts it.
func New(e *natsjs.Engine, opts Options) *Service {
	if opts.Realm.Region == "" {
		opts.Realm.Region = ferry.DefaultRegion
	}
	if opts.Realm.Account == "" {
		opts.Realm.Account = ferry.DefaultAccount
	}
	if opts.MaxPollers <= 0 {
		opts.MaxPollers = DefaultMaxPollers
	}
	if opts.WaitTime <= 0 || opts.WaitTime > maxWait {
		opts.WaitTime = maxWait
	}
	if opts.ThrottleBackoff <= 0 {
		opts.ThrottleBackoff = time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Service{
		opts: opts, engine: e, log: opts.Logger.With("component", "trigger"), now: time.Now,
		mappings: map[string]entry{}, runners: map[string]*runner{}, delivered: map[string]int64{},
	}
}

// Start opens the bucket, loads every mapping, starts the pollers of the
// enabled ones and watches for changes made on any node. Idempotent; a
// stopped service cannot restart.
func (s *Service) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return ferry.Errorf(ferry.EUNAVAILABLE, "trigger: service stopped")
	}
	if s.started {
		return nil
	}
	if s.opts.Queues == nil || s.opts.Functions == nil || s.opts.Invoker == nil {
		return errors.New("trigger: Queues, Functions and Invoker are required")
	}
	kv, err := s.engine.EnsureKV(ctx, jetstream.KeyValueConfig{Bucket: Bucket, History: 1})
	if err != nil {
		return fmt.Errorf("trigger: %w", err)
	}
	s.kv = kv
	s.pollCtx, s.pollCancel = context.WithCancel(context.Background())
	s.runCtx, s.runCancel = context.WithCancel(context.Background())
	// The initial mappings load here, under s.mu; later changes take it.
	m, err := natsjs.WatchKV(ctx, kv, nil, func(u jetstream.KeyValueEntry, initial bool) error {
		if !initial {
			s.mu.Lock()
			defer s.mu.Unlock()
			if s.stopped {
				return nil
			}
		}
		s.applyLocked(u)
		return nil
	})
	if err != nil {
		s.pollCancel()
		s.runCancel()
		return fmt.Errorf("trigger: mappings: %w", err)
	}
	s.mirror = m
	s.started = true
	return nil
}

// Stop stops receiving, lets received batches be invoked and settled until
// ctx ends, then cancels the rest. Idempotent.
func (s *Service) Stop(ctx context.Context) error {
	s.mu.Lock()
	if !s.started || s.stopped {
		s.mu.Unlock()
		return nil
	}
	s.stopped = true
	for _, r := range s.runners {
		r.stop()
	}
	s.runners = map[string]*runner{}
	mirror := s.mirror
	s.mu.Unlock()
	s.pollCancel()

	done := make(chan struct{})
	go func() { s.wg.Wait(); _ = mirror.Stop(context.Background()); close(done) }()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = fmt.Errorf("trigger: stop: %w (in-flight batches cancelled)", ctx.Err())
		s.runCancel()
		<-done
	}
	s.runCancel()
	return err
}

// applyLocked applies one bucket update: newer revisions only; pollers
// follow the mapping's Enabled flag.
func (s *Service) applyLocked(u jetstream.KeyValueEntry) {
	id := u.Key()
	if cur, ok := s.mappings[id]; ok && cur.rev >= u.Revision() {
		return
	}
	if u.Operation() != jetstream.KeyValuePut {
		s.mappings[id] = entry{rev: u.Revision()} // tombstone
		if r := s.runners[id]; r != nil {
			r.stop()
			delete(s.runners, id)
		}
		return
	}
	var m Mapping
	if err := jsonUnmarshal(u.Value(), &m); err != nil {
		s.log.Error("bad mapping record", "uuid", id, "err", err)
		return
	}
	s.mappings[id] = entry{m: m, rev: u.Revision()}
	r := s.runners[id]
	switch {
	case m.Enabled && r == nil:
		r = newRunner(s, m)
		s.runners[id] = r
		r.start()
	case m.Enabled:
		r.set(m)
	case r != nil:
		r.stop()
		delete(s.runners, id)
	}
}

// lookupLocked returns a live mapping.
func (s *Service) lookupLocked(id string) (entry, error) {
	e, ok := s.mappings[id]
	if !ok || e.m.UUID == "" {
		return entry{}, ferry.Errorf(ferry.ENOTFOUND, "event source mapping %q does not exist", id)
	}
	return e, nil
}

// ready returns the bucket, or EUNAVAILABLE when the service is not running.
func (s *Service) ready() (jetstream.KeyValue, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.started || s.stopped {
		return nil, ferry.Errorf(ferry.EUNAVAILABLE, "trigger: service is not running")
	}
	return s.kv, nil
}

// applyPut applies a write this node just made, without waiting for the watch.
func (s *Service) applyPut(m Mapping, rev uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.stopped {
		s.applyLocked(localEntry{key: m.UUID, val: jsonMarshal(m), rev: rev, op: jetstream.KeyValuePut})
	}
}

func (s *Service) applyDelete(id string, rev uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.stopped {
		s.applyLocked(localEntry{key: id, rev: rev, op: jetstream.KeyValueDelete})
	}
}

// localEntry is a bucket update made by this node.
type localEntry struct {
	jetstream.KeyValueEntry
	key string
	val []byte
	rev uint64
	op  jetstream.KeyValueOp
}

func (e localEntry) Key() string                     { return e.key }
func (e localEntry) Value() []byte                   { return e.val }
func (e localEntry) Revision() uint64                { return e.rev }
func (e localEntry) Operation() jetstream.KeyValueOp { return e.op }

// Pollers returns how many pollers a mapping runs on this node (0 when it
// is disabled, deleted or unknown).
func (s *Service) Pollers(id string) int {
	s.mu.Lock()
	r := s.runners[id]
	s.mu.Unlock()
	if r == nil {
		return 0
	}
	return r.pollers()
}

// Delivered returns how many messages a mapping handed to its function on
// this node since Start (a message received again counts again).
func (s *Service) Delivered(id string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.delivered[id]
}

func (s *Service) addDelivered(id string, n int) {
	s.mu.Lock()
	s.delivered[id] += int64(n)
	s.mu.Unlock()
}
