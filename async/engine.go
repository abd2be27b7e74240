// Package async owns Ferry's asynchronous invocation engine: it accepts
// Event invocations into a durable JetStream work queue, runs them with
// per-function workers, applies AWS Lambda's event-age, retry and throttle
// rules, and hands the final outcome to the destination router before the
// event is acknowledged.
//
// Durability: an event is stored (stream FERRY_ASYNC, one subject per
// function, Nats-Msg-Id = request id) before InvokeAsync returns. A worker
// holds the message while it runs the function (heartbeating the ack
// deadline), journals every step (attempts, throttles, the decided outcome,
// each delivery) in its own key-value journal before it goes on, makes
// every delivery with a deduplication id, and acks only after "done" is
// journaled. A crash at any point redelivers the event; the journal
// (journal.go) tells the next worker how far the previous one got, and a
// journal write that fails puts the event back instead. The invocation
// history is written from the journal for people to read; a full or failing
// history changes nothing about retries. See finish.go for why no record is
// delivered twice across crashes.
package async

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/natsjs"
)

// Stream and subject names.
const (
	StreamName    = "FERRY_ASYNC"
	subjectPrefix = "ferry.async."
	dedupWindow   = 10 * time.Minute
	fetchWait     = 10 * time.Second
)

// Runner runs one invocation of a function; the sandbox pool implements it.
// A function's own failure is a Result, not an error; errors are throttles
// (ferry.ETHROTTLED) or system errors.
type Runner interface {
	Invoke(ctx context.Context, fn *ferry.Function, req *ferry.InvokeRequest) (*ferry.Result, error)
}

// Options configure an Engine.
type Options struct {
	Functions ferry.FunctionStore
	History   ferry.InvocationStore
	Runner    Runner
	// ClockScale multiplies every AWS duration the engine applies: retry
	// delays, throttle backoff and maximum event age. 1 (the default) is
	// AWS's clock; 0.001 turns a minute into 60 ms for tests and demos.
	// Function timeouts are not scaled.
	ClockScale float64
	// AckWait is how long a worker's hold on an event lasts without a
	// heartbeat; a crashed worker's events are redelivered after it.
	// Default 30 s.
	AckWait time.Duration
	// Concurrency is the account's limit: how many async invocations run
	// at once across every function. Default DefaultConcurrency (AWS's
	// 1000).
	Concurrency int
	// MaxConcurrency caps the invocations of one function running at once
	// (its reserved concurrency, when lower, caps them further). Default:
	// what the machine can run, eight per CPU. Within it a function runs
	// as many as add throughput (climb.go).
	MaxConcurrency int
	// DeliveryRounds is how many times a failing destination delivery is
	// tried before it is given up (and left visible on the invocation).
	// Default 3.
	DeliveryRounds int
	// JournalRetention is how long a journal entry is kept (default
	// DefaultJournalRetention); it must outlast an event's maximum age plus
	// its retries and delivery rounds.
	JournalRetention time.Duration
	// JournalMaxBytes caps the journal bucket (0: no cap). When the journal
	// refuses a write the event is put back, never run on unjournaled.
	JournalMaxBytes int64
	// Fault, when set, is called at named points of the finish path; crash
	// tests use it to kill the process there. Points: "record-published"
	// (a record was delivered, its delivery not yet journaled).
	Fault func(point string)
	// Observer, when set, receives each run's duration and each async
	// event's age at the start of a run.
	Observer Observer
	Logger   *slog.Logger
}

// Observer receives timings for metrics.
type Observer interface {
	ObserveDuration(function string, d time.Duration)
	ObserveEventAge(function string, d time.Duration)
}

// Engine is the asynchronous invocation engine.
type Engine struct {
	opts   Options
	engine *natsjs.Engine
	js     jetstream.JetStream
	stream jetstream.Stream
	router ferry.OutcomeRouter
	log    *slog.Logger
	stats  *Stats

	// journal holds each async event's progress (journal.go).
	journal jetstream.KeyValue

	mu      sync.Mutex
	started bool
	working bool
	stopped bool
	workers map[string]*worker
	runCtx  context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup

	// syncHistory carries invocations' histories (synchronous ones, and
	// each async step after its journal entry) to a writer goroutine, off
	// the caller's path. writeCtx ends when Stop's deadline
	// passes: the histories still waiting are then dropped (they are a read
	// model; no event waits on them).
	syncHistory chan *ferry.Invocation
	writerDone  chan struct{}
	writeCtx    context.Context
	writeCancel context.CancelFunc
	syncDropped int // set by the writer before writerDone closes

	discardMu sync.Mutex

	// account holds one token per running async invocation, across every
	// function: Options.Concurrency of them.
	account chan struct{}
}

// syncHistoryBuffer bounds the synchronous histories waiting to be written;
// when it is full the caller writes its own.
const syncHistoryBuffer = 4096

var (
	_ ferry.AsyncInvoker = (*Engine)(nil)
	_ ferry.Invoker      = (*Engine)(nil)
)

// New returns an engine on e. SetRouter must be called before Start.
func New(e *natsjs.Engine, opts Options) *Engine {
	if opts.ClockScale <= 0 {
		opts.ClockScale = 1
	}
	if opts.AckWait <= 0 {
		opts.AckWait = 30 * time.Second
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = DefaultConcurrency
	}
	if opts.MaxConcurrency <= 0 {
		opts.MaxConcurrency = machineConcurrency()
	}
	opts.MaxConcurrency = min(opts.MaxConcurrency, opts.Concurrency)
	if opts.DeliveryRounds <= 0 {
		opts.DeliveryRounds = 3
	}
	if opts.JournalRetention <= 0 {
		opts.JournalRetention = DefaultJournalRetention
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Engine{opts: opts, engine: e, log: opts.Logger, stats: newStats(), workers: map[string]*worker{},
		account: make(chan struct{}, opts.Concurrency)}
}

// SetRouter sets the outcome router. The router usually delivers function
// destinations back through this engine, hence the late binding.
func (e *Engine) SetRouter(r ferry.OutcomeRouter) { e.router = r }

// Stats returns the engine's counters.
func (e *Engine) Stats() *Stats { return e.stats }

// Start creates the stream; from then on InvokeAsync accepts events.
// Events run once StartWorkers is called, which the wiring does after
// every destination service has started.
func (e *Engine) Start(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.started {
		return nil
	}
	if e.router == nil {
		return errors.New("async: no outcome router set")
	}
	js := e.engine.JetStream()
	st, err := e.engine.EnsureStream(ctx, jetstream.StreamConfig{
		Name:       StreamName,
		Subjects:   []string{subjectPrefix + ">"},
		Retention:  jetstream.WorkQueuePolicy,
		Storage:    jetstream.FileStorage,
		Duplicates: dedupWindow,
	})
	if err != nil {
		return fmt.Errorf("async: stream: %w", err)
	}
	if err := e.openJournal(ctx); err != nil {
		return err
	}
	e.js, e.stream = js, st
	e.engine.OnRecover(e.refetch)
	e.runCtx, e.cancel = context.WithCancel(context.Background())
	e.syncHistory, e.writerDone = make(chan *ferry.Invocation, syncHistoryBuffer), make(chan struct{})
	e.writeCtx, e.writeCancel = context.WithCancel(context.Background())
	go e.writeSyncHistory()
	e.started = true
	return nil
}

// writeSyncHistory stores synchronous invocations' histories until Stop
// closes the channel; after Stop's deadline it drops the rest.
func (e *Engine) writeSyncHistory() {
	defer close(e.writerDone)
	dropped := 0
	for inv := range e.syncHistory {
		if e.writeCtx.Err() != nil {
			dropped++
			continue
		}
		e.save(e.writeCtx, inv)
	}
	e.syncDropped = dropped
}

// StartWorkers starts a worker for every function; later functions get
// theirs through FunctionChanged.
func (e *Engine) StartWorkers(ctx context.Context) error {
	fns, err := e.opts.Functions.ListFunctions(ctx)
	if err != nil {
		return fmt.Errorf("async: list functions: %w", err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.started || e.stopped {
		return errors.New("async: engine not running")
	}
	e.working = true
	for _, fn := range fns {
		if e.workers[fn.Name] == nil {
			e.startWorkerLocked(fn)
		}
	}
	return nil
}

// Stop stops fetching, lets running invocations finish until ctx ends, then
// cancels the rest (their events are not acknowledged, so they are
// redelivered after a restart), and writes the synchronous invocations'
// histories still waiting until ctx ends (the rest are dropped). It returns
// soon after ctx ends, however slow the store.
func (e *Engine) Stop(ctx context.Context) error {
	e.mu.Lock()
	if !e.started || e.stopped {
		e.mu.Unlock()
		return nil
	}
	e.stopped = true
	ws := make([]*worker, 0, len(e.workers))
	for _, w := range e.workers {
		ws = append(ws, w)
	}
	e.workers = map[string]*worker{}
	e.mu.Unlock()
	for _, w := range ws {
		w.stopFetching()
	}
	var cut []string
	done := make(chan struct{})
	go func() { e.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		cut = append(cut, "running invocations cancelled (their events run again after a restart)")
		e.cancel()
		<-done
	}
	e.cancel()
	e.mu.Lock()
	e.js = nil
	close(e.syncHistory)
	e.mu.Unlock()
	select {
	case <-e.writerDone:
	case <-ctx.Done():
		e.writeCancel()
		<-e.writerDone
	}
	if e.syncDropped > 0 {
		cut = append(cut, fmt.Sprintf("%d invocation histories not written", e.syncDropped))
	}
	e.writeCancel()
	if len(cut) > 0 {
		return fmt.Errorf("async: stop: %w: %s", ctx.Err(), strings.Join(cut, "; "))
	}
	return nil
}

// refetch replaces every worker by a fresh one after the store restarted:
// the old pull requests were lost with it and would otherwise hold each
// worker until they expire. Running invocations go on.
func (e *Engine) refetch() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.working || e.stopped {
		return
	}
	for name, w := range e.workers {
		w.stopFetching()
		nw := newWorker(e, name, w.par, w.pending)
		e.workers[name] = nw
		e.wg.Add(1)
		go func() {
			defer e.wg.Done()
			nw.run()
		}()
	}
	e.log.Info("async: the store restarted; workers fetch again", "functions", len(e.workers))
}

// FunctionChanged adjusts the workers to a created, updated (fn != nil) or
// deleted (fn == nil) function. Wire it to the function store's change feed.
// A deletion discards the function's queued events before it returns, so a
// function created again under the name never loses events to it; a repeated
// notice of a deletion already handled (no worker left) does nothing.
func (e *Engine) FunctionChanged(name string, fn *ferry.Function) {
	e.mu.Lock()
	if !e.working || e.stopped {
		e.mu.Unlock()
		return
	}
	w := e.workers[name]
	if fn != nil && w != nil && w.par == e.parallelism(fn) && w.pending == maxAckPending(fn) {
		e.mu.Unlock()
		return
	}
	if w != nil {
		delete(e.workers, name)
		w.stopFetching()
	}
	if fn != nil {
		e.startWorkerLocked(fn)
		e.mu.Unlock()
		return
	}
	if w == nil {
		e.mu.Unlock()
		return
	}
	// A deleted function's queued events go with it, as on AWS. The discard
	// lock is taken before e.mu is released: a worker started for a function
	// created again waits on it before it makes its consumer.
	e.discardMu.Lock()
	e.mu.Unlock()
	defer e.discardMu.Unlock()
	e.discard(name)
}

// discard removes a deleted function's queued events and its consumer.
// The caller holds discardMu.
func (e *Engine) discard(name string) {
	ctx, cancel := context.WithTimeout(e.runCtx, 30*time.Second)
	defer cancel()
	info, err := e.stream.Info(ctx, jetstream.WithSubjectFilter(subject(name)))
	if err == nil {
		if n := info.State.Subjects[subject(name)]; n > 0 {
			e.stats.add(name, func(c *Counters) { c.AsyncEventsDropped += int64(n) })
			e.log.Info("async: deleted function's queued events discarded", "function", name, "events", n)
		}
	}
	if err := e.stream.Purge(ctx, jetstream.WithPurgeSubject(subject(name))); err != nil {
		e.log.Warn("async: discard deleted function's events", "function", name, "err", err)
	}
	if err := e.stream.DeleteConsumer(ctx, consumerName(name)); err != nil && !natsjs.IsNotFound(err) {
		e.log.Warn("async: delete consumer", "function", name, "err", err)
	}
}

func (e *Engine) parallelism(fn *ferry.Function) int {
	if r := fn.ReservedConcurrency; r != nil && *r > 0 && *r < e.opts.MaxConcurrency {
		return *r
	}
	return e.opts.MaxConcurrency
}

func (e *Engine) startWorkerLocked(fn *ferry.Function) {
	w := newWorker(e, fn.Name, e.parallelism(fn), maxAckPending(fn))
	e.workers[fn.Name] = w
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		w.run()
	}()
}

// scaled converts an AWS duration to the engine's clock.
func (e *Engine) scaled(d time.Duration) time.Duration {
	return time.Duration(float64(d) * e.opts.ClockScale)
}

func subject(function string) string { return subjectPrefix + function }
