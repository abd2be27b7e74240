package ferry

import (
	"context"
	"fmt"
	"sync"
)

// Service is a part of Ferry with a lifecycle. Start makes it work (once;
// a second Start is a no-op, a Start after Stop is refused with
// EUNAVAILABLE). Stop ends it and joins every goroutine it started, at most
// until ctx ends; it is idempotent. cmd/ferry starts services in dependency
// order and stops them in reverse.
type Service interface {
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
}

// Gate is a service's lifecycle state and the owner of its goroutines: a
// service starts goroutines only through Go, which refuses once the gate is
// closed, so no goroutine outlives Stop. Closing is the service's one
// stopping signal (Stopping). The zero Gate is ready to use.
type Gate struct {
	mu       sync.Mutex
	started  bool
	closed   bool
	stopping chan struct{}
	wg       sync.WaitGroup
}

func (g *Gate) init() {
	if g.stopping == nil {
		g.stopping = make(chan struct{})
	}
}

// Begin marks the service started. It returns first=false when it already
// was, and an EUNAVAILABLE error naming what when the gate is closed.
func (g *Gate) Begin(what string) (first bool, err error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.init()
	if g.closed {
		return false, Errorf(EUNAVAILABLE, "%s is stopped", what)
	}
	if g.started {
		return false, nil
	}
	g.started = true
	return true, nil
}

// Started reports whether Begin succeeded once.
func (g *Gate) Started() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.started
}

// Go runs f in a goroutine the gate owns; false (and f not run) once the
// gate is closed.
func (g *Gate) Go(f func()) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.init()
	if g.closed {
		return false
	}
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		f()
	}()
	return true
}

// Hold counts work running in a goroutine the gate did not start (an HTTP
// handler): Wait waits for its release too. ok is false, and nothing is
// held, once the gate is closed.
func (g *Gate) Hold() (release func(), ok bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.init()
	if g.closed {
		return nil, false
	}
	g.wg.Add(1)
	return sync.OnceFunc(g.wg.Done), true
}

// Stopping is closed when the gate closes.
func (g *Gate) Stopping() <-chan struct{} {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.init()
	return g.stopping
}

// Closed reports whether the gate is closed.
func (g *Gate) Closed() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.closed
}

// Close closes the gate: Go refuses from now on and Stopping is closed.
// It reports whether this call closed it.
func (g *Gate) Close() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.init()
	if g.closed {
		return false
	}
	g.closed = true
	close(g.stopping)
	return true
}

// Wait joins the gate's goroutines, or returns an error naming what when
// ctx ends first (the goroutines are then still running).
func (g *Gate) Wait(ctx context.Context, what string) error {
	done := make(chan struct{})
	go func() {
		g.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%s: stop: %w", what, ctx.Err())
	}
}
