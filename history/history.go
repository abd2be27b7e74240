// Package history owns the durable invocation histories: one record per
// request id in a JetStream key-value bucket, kept for a bounded time and
// size. The history is a read model and best effort: when it reaches its
// size the oldest records make room for new ones, and a history write that
// fails never stops an invocation (the caller logs it and goes on).
package history

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/natsjs"
)

// Bucket is the key-value bucket of invocation histories.
const Bucket = "ferry_invocations"

// Options bound the history.
type Options struct {
	Retention time.Duration // default 24 h
	// MaxBytes bounds the bucket; JetStream reserves it in the store when
	// the bucket is created. Default: MaxBytesFor the engine's free store
	// space (1 GiB when that cannot be known, on an external cluster).
	MaxBytes int64
}

// Bounds of the default size.
const (
	DefaultMaxBytes = 1 << 30  // the most the default takes
	MinMaxBytes     = 16 << 20 // the least the default takes
)

// MaxBytesFor is the default history size for a store with free bytes
// available: a tenth of it, between MinMaxBytes and DefaultMaxBytes.
func MaxBytesFor(free uint64) int64 {
	return min(max(int64(free/10), MinMaxBytes), DefaultMaxBytes)
}

var _ ferry.InvocationStore = (*Store)(nil)

// Store is the invocation history.
type Store struct {
	engine *natsjs.Engine
	opts   Options
	kv     jetstream.KeyValue
}

// New returns a store on engine; Start opens it.
func New(engine *natsjs.Engine, opts Options) *Store {
	if opts.Retention <= 0 {
		opts.Retention = 24 * time.Hour
	}
	return &Store{engine: engine, opts: opts}
}

// Start opens the bucket, sized to MaxBytes, and makes it drop its oldest
// records when full rather than refuse new ones.
func (s *Store) Start(ctx context.Context) error {
	if s.opts.MaxBytes <= 0 {
		s.opts.MaxBytes = DefaultMaxBytes
		if free, err := s.engine.StoreFree(); err == nil {
			s.opts.MaxBytes = MaxBytesFor(free)
		}
	}
	kv, err := s.engine.EnsureKV(ctx, jetstream.KeyValueConfig{
		Bucket: Bucket, History: 1, TTL: s.opts.Retention, MaxBytes: s.opts.MaxBytes,
	})
	if err != nil {
		return fmt.Errorf("history of %d bytes (--history-max): %w", s.opts.MaxBytes, err)
	}
	st, err := s.engine.JetStream().Stream(ctx, "KV_"+Bucket)
	if err != nil {
		return err
	}
	if cfg := st.CachedInfo().Config; cfg.Discard != jetstream.DiscardOld {
		cfg.Discard = jetstream.DiscardOld
		if _, err := s.engine.JetStream().UpdateStream(ctx, cfg); err != nil {
			return fmt.Errorf("history: %w", err)
		}
	}
	s.kv = kv
	return nil
}

// MaxBytes is the bucket's size bound (known once started).
func (s *Store) MaxBytes() int64 { return s.opts.MaxBytes }

// Stop is a no-op kept for the common lifecycle.
func (s *Store) Stop(context.Context) error { return nil }

// PutInvocation stores inv under its request id, replacing any earlier version.
func (s *Store) PutInvocation(ctx context.Context, inv *ferry.Invocation) error {
	if err := natsjs.CheckKey("request id", inv.RequestID); err != nil {
		return err
	}
	b, err := json.Marshal(inv)
	if err != nil {
		return err
	}
	if _, err := s.kv.Put(ctx, inv.RequestID, b); err != nil {
		return fmt.Errorf("store invocation %s: %w", inv.RequestID, err)
	}
	return nil
}

// GetInvocation returns the history of one request id.
func (s *Store) GetInvocation(ctx context.Context, id string) (*ferry.Invocation, error) {
	if natsjs.CheckKey("request id", id) != nil {
		// No such key can have been stored.
		return nil, ferry.Errorf(ferry.ENOTFOUND, "invocation %s not found", ferry.Shorten(id))
	}
	inv := new(ferry.Invocation)
	err := natsjs.GetJSON(ctx, s.kv, id, inv)
	if natsjs.IsNotFound(err) {
		return nil, ferry.Errorf(ferry.ENOTFOUND, "invocation %s not found", id)
	}
	if err != nil {
		return nil, fmt.Errorf("read invocation: %w", err)
	}
	return inv, nil
}
