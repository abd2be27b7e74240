// Package catalog owns the durable catalogue of function configurations: a
// JetStream key-value bucket that every node reads, fronted by an in-memory
// copy kept current by a watch so lookups on the invoke path cost no I/O.
package catalog

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/natsjs"
)

// Bucket is the key-value bucket holding function configurations.
const Bucket = "ferry_functions"

var _ ferry.FunctionStore = (*Store)(nil)

type entry struct {
	fn  *ferry.Function
	rev uint64
}

// Store is the function catalogue.
type Store struct {
	engine *natsjs.Engine
	log    *slog.Logger
	now    func() time.Time

	kv     jetstream.KeyValue
	mu     sync.RWMutex
	fns    map[string]entry
	subs   []func(name string, fn *ferry.Function)
	mirror *natsjs.Mirror
	gate   ferry.Gate
}

// New returns a store on engine; Start opens it.
func New(engine *natsjs.Engine, log *slog.Logger) *Store {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Store{engine: engine, log: log, now: time.Now, fns: map[string]entry{}}
}

// OnChange registers f to be called (from the watch goroutine) with each
// changed function; fn is nil when the function was deleted. Register before Start.
func (s *Store) OnChange(f func(name string, fn *ferry.Function)) {
	s.mu.Lock()
	s.subs = append(s.subs, f)
	s.mu.Unlock()
}

// Start opens the bucket, loads every function and watches for changes.
func (s *Store) Start(ctx context.Context) error {
	if first, err := s.gate.Begin("catalog"); !first {
		return err
	}
	kv, err := s.engine.EnsureKV(ctx, jetstream.KeyValueConfig{Bucket: Bucket, History: 1})
	if err != nil {
		return err
	}
	s.kv = kv
	m, err := natsjs.WatchKV(ctx, kv, nil, func(u jetstream.KeyValueEntry, _ bool) error {
		s.apply(u)
		return nil
	})
	if err != nil {
		return fmt.Errorf("functions: %w", err)
	}
	s.mu.Lock()
	s.mirror = m
	s.mu.Unlock()
	if s.gate.Closed() {
		return m.Stop(ctx)
	}
	return nil
}

func (s *Store) apply(u jetstream.KeyValueEntry) {
	name := u.Key()
	var fn *ferry.Function
	if u.Operation() == jetstream.KeyValuePut {
		fn = new(ferry.Function)
		if err := json.Unmarshal(u.Value(), fn); err != nil {
			s.log.Error("bad function record", "function", name, "err", err)
			return
		}
	}
	s.mu.Lock()
	if cur, ok := s.fns[name]; ok && cur.rev >= u.Revision() {
		s.mu.Unlock()
		return
	}
	if fn == nil {
		// Keep a tombstone revision so a late, older put is not resurrected.
		s.fns[name] = entry{rev: u.Revision()}
	} else {
		s.fns[name] = entry{fn: fn, rev: u.Revision()}
	}
	subs := s.subs
	s.mu.Unlock()
	for _, f := range subs {
		f(name, fn)
	}
}

// Stop ends the watch. Idempotent.
func (s *Store) Stop(ctx context.Context) error {
	s.gate.Close()
	s.mu.RLock()
	m := s.mirror
	s.mu.RUnlock()
	return m.Stop(ctx)
}

// GetFunction returns a copy-safe pointer to the function's configuration
// (callers must not modify it).
func (s *Store) GetFunction(_ context.Context, name string) (*ferry.Function, error) {
	s.mu.RLock()
	e := s.fns[name]
	s.mu.RUnlock()
	if e.fn == nil {
		return nil, ferry.Errorf(ferry.ENOTFOUND, "Function not found: %s", name)
	}
	return e.fn, nil
}

// PutFunction validates and stores fn, stamping Modified.
func (s *Store) PutFunction(ctx context.Context, fn *ferry.Function) error {
	c, b, err := s.encode(fn)
	if err != nil {
		return err
	}
	rev, err := s.kv.Put(ctx, c.Name, b)
	if err != nil {
		return fmt.Errorf("store function %s: %w", c.Name, err)
	}
	s.apply(localEntry{key: c.Name, val: b, rev: rev, op: jetstream.KeyValuePut})
	fn.Modified = c.Modified
	return nil
}

// encode validates fn and returns a copy stamped Modified now, and its
// stored form.
func (s *Store) encode(fn *ferry.Function) (ferry.Function, []byte, error) {
	if err := fn.Validate(); err != nil {
		return ferry.Function{}, nil, err
	}
	c := *fn
	c.Modified = s.now().UTC()
	b, err := json.Marshal(&c)
	return c, b, err
}

// DeleteFunction removes a function. ENOTFOUND if it does not exist.
func (s *Store) DeleteFunction(ctx context.Context, name string) error {
	if _, err := s.GetFunction(ctx, name); err != nil {
		return err
	}
	if err := s.kv.Delete(ctx, name); err != nil {
		return fmt.Errorf("delete function %s: %w", name, err)
	}
	// Forget it now; the watch delivers the delete (with a newer revision) too.
	s.mu.Lock()
	cur := s.fns[name]
	s.fns[name] = entry{rev: cur.rev}
	subs := s.subs
	s.mu.Unlock()
	for _, f := range subs {
		f(name, nil)
	}
	return nil
}

// ListFunctions returns every function, sorted by name.
func (s *Store) ListFunctions(context.Context) ([]*ferry.Function, error) {
	s.mu.RLock()
	out := make([]*ferry.Function, 0, len(s.fns))
	for _, e := range s.fns {
		if e.fn != nil {
			out = append(out, e.fn)
		}
	}
	s.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// localEntry adapts a write this node made to the watch's entry type, so the
// in-memory copy is current before Put returns.
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
