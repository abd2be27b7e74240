package async

import (
	"context"
	"errors"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/natsjs"
)

// worker pulls one function's events, at most par at a time on this node
// (as many as its climber finds add throughput) and at most pending at a
// time across the cluster.
type worker struct {
	e       *Engine
	name    string
	par     int
	pending int
	cl      *climber

	fetchCtx context.Context
	stop     context.CancelFunc
}

func newWorker(e *Engine, name string, par, pending int) *worker {
	ctx, cancel := context.WithCancel(e.runCtx)
	return &worker{e: e, name: name, par: par, pending: pending, cl: newClimber(par), fetchCtx: ctx, stop: cancel}
}

// defaultMaxAckPending is the consumer's cap on events handed out and not
// yet finished, across every node, for a function without reserved
// concurrency.
const defaultMaxAckPending = 10000

// maxAckPending is the cap on fn's events in flight across the cluster:
// its reserved concurrency when it has one. All nodes pull from the one
// durable consumer, so JetStream holds the cap cluster-wide. An event
// waiting for a retry (NakWithDelay) keeps its place in the count until it
// is redelivered.
func maxAckPending(fn *ferry.Function) int {
	if r := fn.ReservedConcurrency; r != nil && *r > 0 {
		return *r
	}
	return defaultMaxAckPending
}

// stopFetching ends the fetch loop; running invocations continue under the
// engine's run context.
func (w *worker) stopFetching() { w.stop() }

// consumer opens the function's durable consumer, creating it the first
// time. An existing one is kept as it is (so a pause survives restarts),
// except for its MaxAckPending, set to pending.
func (e *Engine) consumer(ctx context.Context, function string, pending int) (jetstream.Consumer, error) {
	c, err := e.stream.Consumer(ctx, consumerName(function))
	if err == nil {
		cfg := c.CachedInfo().Config
		if cfg.MaxAckPending == pending {
			return c, nil
		}
		cfg.MaxAckPending = pending
		return e.stream.UpdateConsumer(ctx, cfg)
	}
	if !natsjs.IsNotFound(err) {
		return c, err
	}
	return e.stream.CreateConsumer(ctx, jetstream.ConsumerConfig{
		Durable:       consumerName(function),
		FilterSubject: subject(function),
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       e.opts.AckWait,
		MaxDeliver:    -1,
		MaxAckPending: pending,
	})
}

func (w *worker) run() {
	// A discard of the name's earlier incarnation finishes before the
	// consumer is made, or it would delete this worker's consumer.
	w.e.discardMu.Lock()
	//lint:ignore SA2001 a barrier, not a critical section
	w.e.discardMu.Unlock()
	var cons jetstream.Consumer
	for {
		var err error
		if cons, err = w.e.consumer(w.fetchCtx, w.name, w.pending); err == nil {
			break
		}
		if w.fetchCtx.Err() != nil {
			return
		}
		w.e.log.Error("async consumer", "function", w.name, "err", err)
		if !sleepCtx(w.fetchCtx, time.Second) {
			return
		}
	}
	// slots holds one token per running invocation, at most the climber's
	// level (see climb.go); each also holds one of the account's.
	slots := make(chan struct{}, w.par)
	freed := make(chan struct{}, 1)
	for w.fetchCtx.Err() == nil {
		level := w.cl.Level()
		for len(slots) >= level {
			w.cl.Limited()
			select {
			case <-freed:
			case <-w.fetchCtx.Done():
				return
			}
			level = w.cl.Level()
		}
		// Wait for one of the account's slots, then take every free one up
		// to the level: one fetch for all of them.
		select {
		case w.e.account <- struct{}{}:
		case <-w.fetchCtx.Done():
			return
		}
		slots <- struct{}{}
		n := 1
	fill:
		for len(slots) < level {
			select {
			case w.e.account <- struct{}{}:
				slots <- struct{}{}
				n++
			default:
				break fill
			}
		}
		got := w.fetch(cons, n, slots, freed)
		for ; got < n; got++ {
			<-slots
			<-w.e.account
		}
		w.cl.Tick(time.Now())
	}
}

// fetch pulls up to n events and starts each as it arrives; it returns how
// many it started (each releases its slots and signals freed when done).
func (w *worker) fetch(cons jetstream.Consumer, n int, slots, freed chan struct{}) int {
	ctx, cancel := context.WithTimeout(w.fetchCtx, fetchWait)
	defer cancel()
	batch, err := cons.Fetch(n, jetstream.FetchContext(ctx))
	if err != nil {
		if w.fetchCtx.Err() == nil && !errors.Is(err, context.DeadlineExceeded) {
			w.e.log.Error("async fetch", "function", w.name, "err", err)
			sleepCtx(w.fetchCtx, 100*time.Millisecond)
		}
		return 0
	}
	got := 0
	for msg := range batch.Messages() {
		got++
		w.e.wg.Add(1)
		go func() {
			defer w.e.wg.Done()
			defer func() {
				<-slots
				<-w.e.account
				w.cl.Done()
				select {
				case freed <- struct{}{}:
				default:
				}
			}()
			w.e.handle(w.e.runCtx, w.name, msg)
		}()
	}
	return got
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
