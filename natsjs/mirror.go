package natsjs

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/nats-io/nats.go/jetstream"
)

// Mirror keeps a service's in-memory copy of a KV bucket current: the one
// place Ferry watches a bucket. Every node of a cluster holds its own copy
// and sees every other node's changes through the same watch.
//
// WatchKV delivers the bucket's current entries (initial set) before it
// returns, then every later put or delete from a goroutine the Mirror owns
// until Stop. Entries arrive in revision order; a delete arrives as an entry
// whose Operation is not KeyValuePut.
type Mirror struct {
	w    jetstream.KeyWatcher
	done chan struct{}
	once sync.Once
}

// MirrorApply receives one entry; initial is true while the current entries
// load. An error during the load ends WatchKV with it; later errors are the
// callback's to log.
type MirrorApply func(e jetstream.KeyValueEntry, initial bool) error

// WatchKV watches the keys of kv matching filters (every key when there
// are none) and applies them as Mirror describes.
func WatchKV(ctx context.Context, kv jetstream.KeyValue, filters []string, apply MirrorApply) (*Mirror, error) {
	var w jetstream.KeyWatcher
	var err error
	if len(filters) == 0 {
		w, err = kv.WatchAll(ctx)
	} else {
		w, err = kv.WatchFiltered(ctx, filters)
	}
	if err != nil {
		return nil, fmt.Errorf("watch %s: %w", kv.Bucket(), err)
	}
	// The initial entries end with a nil entry.
	for loaded := false; !loaded; {
		select {
		case e, ok := <-w.Updates():
			if !ok {
				return nil, fmt.Errorf("watch %s: %w", kv.Bucket(), errors.New("watcher closed while loading"))
			}
			if e == nil {
				loaded = true
				break
			}
			if err := apply(e, true); err != nil {
				_ = w.Stop()
				return nil, err
			}
		case <-ctx.Done():
			_ = w.Stop()
			return nil, fmt.Errorf("watch %s: %w", kv.Bucket(), ctx.Err())
		}
	}
	m := &Mirror{w: w, done: make(chan struct{})}
	go func() {
		defer close(m.done)
		for e := range w.Updates() {
			if e != nil {
				_ = apply(e, false)
			}
		}
	}()
	return m, nil
}

// Stop ends the watch and waits for the entry being applied, at most until
// ctx ends. Idempotent; a nil Mirror is stopped.
func (m *Mirror) Stop(ctx context.Context) error {
	if m == nil {
		return nil
	}
	m.once.Do(func() { _ = m.w.Stop() })
	select {
	case <-m.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("mirror: stop: %w", ctx.Err())
	}
}
