// Package bus owns Ferry's EventBridge-like event buses: buses, rules with
// event patterns, targets with input transformation, PutEvents, archives and
// replays, all on JetStream.
//
// Flow. PutEvents publishes each event to the BUS_EVENTS work-queue stream
// (Msg-Id = the entry's dedup id or event id) and returns only once it is
// stored. One durable dispatcher consumer reads BUS_EVENTS, matches the event
// against the bus's enabled rules (compiled patterns held in memory, fed by a
// watch on the KV bucket so every node sees every change), and publishes one
// delivery per matching target to the BUS_DELIVERIES work-queue stream with a
// Msg-Id of event id + rule + target (+ replay), then acks the event; a crash
// between the two re-dispatches and the Msg-Id drops the duplicates. Events
// matching an archive are copied to BUS_ARCHIVE with a per-message TTL equal
// to the archive's retention. A durable delivery consumer hands each delivery
// to its target (async invoke, queue send, topic publish, or PutEvent on
// another bus) and acks on success; a failure is counted and retried with
// NakWithDelay and exponential backoff from RetryBase (capped at 5 min, given
// up after 185 attempts or 24 h, as EventBridge's default retry policy).
// Nothing is held only in memory, so a restart loses no accepted event.
//
// Buses, rules with their targets, archives and replays live in the
// "ferry_bus" KV bucket and survive restart. The "default" bus always exists.
package bus

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/natsjs"
)

// DefaultBus is the bus that always exists.
const DefaultBus = "default"

// Limits as EventBridge's.
const (
	MaxEntries       = 10
	MaxEntrySize     = 256 * 1024
	MaxTargets       = 5
	MaxAttempts      = 185
	MaxEventAge      = 24 * time.Hour
	MaxHops          = 16
	maxRetryDelay    = 5 * time.Minute
	deliveryAckWait  = 60 * time.Second
	deliveryParallel = 8
)

const (
	kvBucket         = "ferry_bus"
	eventsStream     = "BUS_EVENTS"
	eventsSubject    = "ferry.bus.events"
	deliveriesStream = "BUS_DELIVERIES"
	deliverySubject  = "ferry.bus.deliveries"
	archiveStream    = "BUS_ARCHIVE"
	archivePrefix    = "ferry.bus.archive."
)

// Targets are the services a rule's targets are delivered to. Any may be nil:
// a delivery to a missing service fails and is retried. Bus targets are
// handled by the Service itself.
type Targets struct {
	Functions ferry.AsyncInvoker
	Queues    ferry.QueueSender
	Topics    ferry.TopicPublisher
}

// Options configure a Service.
type Options struct {
	Realm   ferry.Realm
	Logger  *slog.Logger
	Targets Targets
	// RetryBase is the first retry delay of a failing target (default 1 s);
	// later retries double it up to 5 minutes (scaled by RetryBase/1s).
	RetryBase time.Duration
}

// Stats are delivery counters since Start.
type Stats struct {
	Delivered uint64 // deliveries that reached their target
	Failures  uint64 // failed delivery attempts (each retry counts)
	Dropped   uint64 // deliveries given up (attempts, age or hop limit)
}

// Service is the event bus service.
type Service struct {
	e    *natsjs.Engine
	opts Options
	log  *slog.Logger

	mu      sync.Mutex
	state   *cache
	running bool
	cancel  context.CancelFunc
	runCtx  context.Context
	wg      sync.WaitGroup
	stops   []func()

	kv jetstream.KeyValue
	js jetstream.JetStream

	delivered, failures, dropped atomic.Uint64
}

var _ ferry.EventPutter = (*Service)(nil)

// New returns a service on engine e; call Start before use.
func New(e *natsjs.Engine, opts Options) *Service {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Realm == (ferry.Realm{}) {
		opts.Realm = ferry.DefaultRealm
	}
	if opts.RetryBase <= 0 {
		opts.RetryBase = time.Second
	}
	return &Service{e: e, opts: opts, log: opts.Logger.With("component", "bus")}
}

// Stats returns the delivery counters.
func (s *Service) Stats() Stats {
	return Stats{Delivered: s.delivered.Load(), Failures: s.failures.Load(), Dropped: s.dropped.Load()}
}

// Start creates the streams and bucket, loads the configuration and starts
// the dispatcher, the delivery workers and any unfinished replays.
func (s *Service) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running {
		return nil
	}
	if err := s.start(ctx); err != nil {
		s.stopLocked()
		return err
	}
	s.running = true
	return nil
}

func (s *Service) start(ctx context.Context) error {
	s.js = s.e.JetStream()
	kv, err := s.e.EnsureKV(ctx, jetstream.KeyValueConfig{Bucket: kvBucket, History: 1})
	if err != nil {
		return err
	}
	s.kv = kv
	if _, err := s.e.EnsureStream(ctx, jetstream.StreamConfig{
		Name: eventsStream, Subjects: []string{eventsSubject},
		Retention: jetstream.WorkQueuePolicy, Duplicates: 2 * time.Minute,
	}); err != nil {
		return err
	}
	if _, err := s.e.EnsureStream(ctx, jetstream.StreamConfig{
		Name: deliveriesStream, Subjects: []string{deliverySubject},
		Retention: jetstream.WorkQueuePolicy, Duplicates: 2 * time.Minute,
	}); err != nil {
		return err
	}
	if _, err := s.e.EnsureStream(ctx, jetstream.StreamConfig{
		Name: archiveStream, Subjects: []string{archivePrefix + "*"},
		AllowMsgTTL: true, Duplicates: 2 * time.Minute,
	}); err != nil {
		return err
	}
	runCtx, cancel := context.WithCancel(context.Background())
	s.cancel, s.runCtx = cancel, runCtx
	c, err := s.watch(ctx, runCtx)
	if err != nil {
		return err
	}
	s.state = c
	if err := s.ensureDefaultBus(ctx); err != nil {
		return err
	}
	if err := s.startDispatcher(ctx); err != nil {
		return err
	}
	if err := s.startDelivery(ctx); err != nil {
		return err
	}
	return s.resumeReplays(ctx, runCtx)
}

// Stop stops fetching, waits for in-flight deliveries and replays, and
// returns. It is idempotent.
func (s *Service) Stop(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.running {
		return nil
	}
	s.running = false
	done := make(chan struct{})
	go func() { s.stopLocked(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ferry.Errorf(ferry.EUNAVAILABLE, "bus: stop: %v", ctx.Err())
	}
}

func (s *Service) stopLocked() {
	for i := len(s.stops) - 1; i >= 0; i-- {
		s.stops[i]()
	}
	s.stops = nil
	if s.cancel != nil {
		s.cancel()
	}
	s.wg.Wait()
}

func (s *Service) ready() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.running || s.state == nil {
		return ferry.Errorf(ferry.EUNAVAILABLE, "bus: service is not running")
	}
	return nil
}
