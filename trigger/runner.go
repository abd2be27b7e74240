package trigger

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/ferry-run/ferry"
)

// runner owns the pollers of one enabled mapping and applies the scaling
// rule (see the package doc).
type runner struct {
	s      *Service
	log    *slog.Logger
	ctx    context.Context // receiving; cancelled when the mapping stops
	cancel context.CancelFunc

	mu        sync.Mutex
	m         Mapping
	active    int
	throttles int // throttled invokes in a row; 0 when not throttled
}

func newRunner(s *Service, m Mapping) *runner {
	ctx, cancel := context.WithCancel(s.pollCtx)
	return &runner{s: s, log: s.log.With("uuid", m.UUID, "queue", m.Queue), ctx: ctx, cancel: cancel, m: m}
}

// start starts the first poller.
func (r *runner) start() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.spawnLocked()
}

// stop stops receiving; pollers settle their current batch and exit.
func (r *runner) stop() { r.cancel() }

func (r *runner) set(m Mapping) {
	r.mu.Lock()
	r.m = m
	r.mu.Unlock()
}

func (r *runner) mapping() Mapping {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.m
}

func (r *runner) spawnLocked() {
	r.active++
	r.s.wg.Add(1)
	go func() {
		defer r.s.wg.Done()
		r.poll()
	}()
}

// limit is the mapping's poller cap: MaximumConcurrency or MaxPollers,
// bounded by the function's reserved concurrency (at least 1).
func (r *runner) limit(m Mapping) int {
	n := r.s.opts.MaxPollers
	if m.MaximumConcurrency > 0 {
		n = m.MaximumConcurrency
	}
	if fn, err := r.s.opts.Functions.GetFunction(r.ctx, m.Function); err == nil && fn.ReservedConcurrency != nil {
		n = min(n, *fn.ReservedConcurrency)
	}
	return max(n, 1)
}

// grow starts one more poller if the mapping is below its cap.
func (r *runner) grow(m Mapping) {
	limit := r.limit(m)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ctx.Err() == nil && r.active < limit {
		r.spawnLocked()
		r.log.Debug("scaled up", "pollers", r.active)
	}
}

// shrink reports whether the calling poller should exit (it is not the last).
func (r *runner) shrink() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.active > 1 {
		r.active--
		r.log.Debug("scaled down", "pollers", r.active)
		return true
	}
	return false
}

// pollers returns the number of running pollers.
func (r *runner) pollers() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.active
}

func (r *runner) exit() {
	r.mu.Lock()
	r.active--
	r.mu.Unlock()
}

// throttled returns the pause after a throttled invoke, doubling it for the
// next one.
func (r *runner) throttled() time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	base := r.s.opts.ThrottleBackoff
	r.throttles++
	return ferry.Backoff(r.throttles, base, 30*base)
}

func (r *runner) unthrottled() {
	r.mu.Lock()
	r.throttles = 0
	r.mu.Unlock()
}

// sleep pauses for d or until the mapping stops; false when stopping.
func (r *runner) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.ctx.Done():
		return false
	}
}
