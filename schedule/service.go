package schedule

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/natsjs"
)

// Bucket is the key-value bucket holding schedules.
const Bucket = "ferry_schedules"

// fireTimeout bounds one hand-off of an occurrence to the async engine.
const fireTimeout = 10 * time.Second

// Options configure a Service.
type Options struct {
	Realm ferry.Realm
	// Async queues the invocations (the async engine).
	Async ferry.AsyncInvoker
	// Events puts the Scheduled Events of schedules with a Bus.
	Events ferry.EventPutter
	Logger *slog.Logger
	// Now is the clock (tests); default time.Now.
	Now func() time.Time
	// Scale is Ferry's clock scale: it multiplies rate intervals; cron
	// expressions keep wall-clock time. Default 1.
	Scale float64
	// Node names this node in the schedule lease; default a random id.
	Node string
	// LeaseTTL is how long the schedule lease lasts without renewal;
	// default DefaultLeaseTTL.
	LeaseTTL time.Duration
}

// Service stores schedules and fires them.
type Service struct {
	opts   Options
	engine *natsjs.Engine
	log    *slog.Logger
	now    func() time.Time

	mu        sync.Mutex
	kv        jetstream.KeyValue
	watcher   jetstream.KeyWatcher
	started   bool
	stopped   bool
	entries   map[string]*entry // live schedules by key
	revs      map[string]uint64 // last revision applied per key, tombstones included
	wake      chan struct{}
	quit      chan struct{}
	done      chan struct{}
	runCtx    context.Context
	runCancel context.CancelFunc
	leader    bool  // this node holds the lease (under mu, for Leader)
	lease     lease // owned by run
}

// entry is a live schedule and its next occurrence (zero when disabled or
// when the expression has no more occurrences).
type entry struct {
	rec  record
	expr Expression
	next time.Time
}

// New returns a service on e; Start starts it.
func New(e *natsjs.Engine, opts Options) *Service {
	if opts.Realm.Region == "" {
		opts.Realm.Region = ferry.DefaultRegion
	}
	if opts.Realm.Account == "" {
		opts.Realm.Account = ferry.DefaultAccount
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Scale <= 0 {
		opts.Scale = 1
	}
	if opts.Node == "" {
		opts.Node = uuid.NewString()
	}
	if opts.LeaseTTL <= 0 {
		opts.LeaseTTL = DefaultLeaseTTL
	}
	return &Service{
		opts: opts, engine: e, log: opts.Logger.With("component", "schedule"), now: opts.Now,
		entries: map[string]*entry{}, revs: map[string]uint64{},
		wake: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{}),
	}
}

// Start opens the bucket, loads every schedule, and starts the timer, which
// also follows changes made on any node. Idempotent; a stopped service
// cannot restart.
func (s *Service) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return ferry.Errorf(ferry.EUNAVAILABLE, "schedule: service stopped")
	}
	if s.started {
		return nil
	}
	if s.opts.Async == nil {
		return errors.New("schedule: Options.Async is required")
	}
	kv, err := s.engine.EnsureKV(ctx, jetstream.KeyValueConfig{Bucket: Bucket, History: 1})
	if err != nil {
		return fmt.Errorf("schedule: %w", err)
	}
	lkv, err := s.engine.EnsureKV(ctx, jetstream.KeyValueConfig{Bucket: LeaseBucket, History: 1})
	if err != nil {
		return fmt.Errorf("schedule: %w", err)
	}
	s.lease.kv = lkv
	// The watch lives until Stop, not until ctx ends.
	s.runCtx, s.runCancel = context.WithCancel(context.Background())
	w, err := kv.WatchAll(s.runCtx)
	if err != nil {
		s.runCancel()
		return fmt.Errorf("schedule: watch schedules: %w", err)
	}
	for u := range w.Updates() {
		if u == nil {
			break
		}
		s.applyLocked(u.Key(), u.Revision(), u.Operation(), u.Value())
	}
	s.kv, s.watcher = kv, w
	s.started = true
	go s.run(w.Updates())
	return nil
}

// Stop stops the timer and waits for it, at most until ctx ends (then the
// hand-off in progress is cancelled). Idempotent.
func (s *Service) Stop(ctx context.Context) error {
	s.mu.Lock()
	if !s.started || s.stopped {
		s.mu.Unlock()
		return nil
	}
	s.stopped = true
	_ = s.watcher.Stop()
	close(s.quit)
	s.mu.Unlock()
	var err error
	select {
	case <-s.done:
	case <-ctx.Done():
		err = fmt.Errorf("schedule: stop: %w (invoke in progress cancelled)", ctx.Err())
		s.runCancel()
		<-s.done
	}
	s.runCancel()
	return err
}

// run is the service's one timer: it keeps the schedule lease, fires due
// occurrences while it holds the lease, sleeps until the next one, and
// applies bucket updates from every node. Every node's timer runs; only the
// lease holder's fires. The holder records in the lease the latest
// occurrence it handed off (after the hand-off: an occurrence is fired at
// least once, and the async engine's Msg-Id deduplication of its
// occurrence request id keeps it once).
func (s *Service) run(updates <-chan jetstream.KeyValueEntry) {
	defer close(s.done)
	defer s.releaseLease()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		now := s.now()
		fires := s.tickLease(now)
		fires = append(fires, s.takeDue()...)
		if len(fires) > 0 && s.holding(now) {
			sort.Slice(fires, func(i, j int) bool { return fires[i].at.Before(fires[j].at) })
			latest := s.lease.fired
			for _, f := range fires {
				if !s.holding(s.now()) {
					break
				}
				s.fire(f.rec, f.at)
				if f.at.After(latest) {
					latest = f.at
				}
			}
			if s.lease.rev != 0 {
				if err := s.writeLease(s.now(), latest); err != nil {
					s.log.Warn("schedule lease lost", "node", s.opts.Node, "err", err)
				}
			}
		}
		timer.Reset(min(s.untilNext(), s.untilLease(s.now())))
		select {
		case <-s.quit:
			return
		case <-s.wake:
		case <-timer.C:
		case u, ok := <-updates:
			if !ok {
				updates = nil
				continue
			}
			if u != nil {
				s.mu.Lock()
				if !s.stopped {
					s.applyLocked(u.Key(), u.Revision(), u.Operation(), u.Value())
				}
				s.mu.Unlock()
			}
		}
	}
}

// due is one occurrence to fire.
type due struct {
	rec record
	at  time.Time
}

// takeDue returns the occurrences whose time has come and moves each
// schedule to its next occurrence after now (missed ones are skipped).
func (s *Service) takeDue() []due {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	var out []due
	for _, e := range s.entries {
		if e.next.IsZero() || e.next.After(now) {
			continue
		}
		out = append(out, due{rec: e.rec, at: e.next})
		e.next = s.nextAfter(e, now)
	}
	return out
}

// untilNext is how long the timer sleeps: until the earliest occurrence, at
// most an hour (it recomputes on waking anyway).
func (s *Service) untilNext() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	wait := time.Hour
	now := s.now()
	for _, e := range s.entries {
		if e.next.IsZero() {
			continue
		}
		if d := e.next.Sub(now); d < wait {
			wait = d
		}
	}
	return max(wait, 0)
}

// nextAfter returns e's first occurrence strictly after t. A rate's
// occurrences are its anchor plus whole (scaled) intervals.
func (s *Service) nextAfter(e *entry, t time.Time) time.Time {
	if !e.rec.Enabled {
		return time.Time{}
	}
	if !e.expr.IsRate() {
		return e.expr.Next(t)
	}
	iv := max(time.Duration(float64(e.expr.Interval())*s.opts.Scale), time.Millisecond)
	a := e.rec.Anchor
	if t.Before(a) {
		return a.Add(iv)
	}
	return a.Add((t.Sub(a)/iv + 1) * iv)
}

// applyLocked applies one bucket update (newer revisions only).
func (s *Service) applyLocked(key string, rev uint64, op jetstream.KeyValueOp, val []byte) {
	if rev <= s.revs[key] {
		return
	}
	s.revs[key] = rev
	if op != jetstream.KeyValuePut {
		delete(s.entries, key)
		s.poke()
		return
	}
	rec, err := decodeRecord(val)
	if err != nil {
		s.log.Error("bad schedule record", "key", key, "err", err)
		return
	}
	expr, err := ParseExpression(rec.Expression)
	if err != nil {
		s.log.Error("bad schedule record", "schedule", rec.Name, "err", err)
		return
	}
	e := &entry{rec: rec, expr: expr}
	e.next = s.nextAfter(e, s.now())
	s.entries[key] = e
	s.poke()
}

// poke wakes the timer to recompute its sleep.
func (s *Service) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// fire hands one occurrence to the async engine.
func (s *Service) fire(rec record, at time.Time) {
	id := requestID(rec.Name, at)
	payload, err := rec.payload(s.opts.Realm, id, at)
	if err != nil {
		s.log.Error("schedule input", "schedule", rec.Name, "err", err)
		return
	}
	ctx, cancel := context.WithTimeout(s.runCtx, fireTimeout)
	defer cancel()
	if rec.Bus != "" {
		s.fireOnBus(ctx, rec, id, at)
		return
	}
	req := &ferry.InvokeRequest{RequestID: id, Dedup: true, Function: rec.Function, Payload: payload}
	if err := s.opts.Async.InvokeAsync(ctx, req); err != nil {
		s.log.Warn("scheduled invoke not queued", "schedule", rec.Name, "function", rec.Function,
			"time", at.UTC().Format(time.RFC3339), "err", err)
		return
	}
	s.log.Debug("schedule fired", "schedule", rec.Name, "function", rec.Function, "requestId", id)
}

// ready returns the bucket, or EUNAVAILABLE when the service is not running.
func (s *Service) ready() (jetstream.KeyValue, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.started || s.stopped {
		return nil, ferry.Errorf(ferry.EUNAVAILABLE, "schedule: service is not running")
	}
	return s.kv, nil
}

// NextFire returns when the named schedule fires next on this node's
// timer; false when it is unknown, disabled or has no more occurrences.
func (s *Service) NextFire(name string) (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.entries[key(name)]
	if e == nil || e.next.IsZero() {
		return time.Time{}, false
	}
	return e.next, true
}
