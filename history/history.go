// Package history owns the durable invocation histories: one record per
// request id in a JetStream key-value bucket, kept for a bounded time and size.
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
	MaxBytes  int64         // default 1 GiB
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
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = 1 << 30
	}
	return &Store{engine: engine, opts: opts}
}

// Start opens the bucket.
func (s *Store) Start(ctx context.Context) error {
	kv, err := s.engine.EnsureKV(ctx, jetstream.KeyValueConfig{
		Bucket: Bucket, History: 1, TTL: s.opts.Retention, MaxBytes: s.opts.MaxBytes,
	})
	if err != nil {
		return err
	}
	s.kv = kv
	return nil
}

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
	e, err := s.kv.Get(ctx, id)
	if natsjs.IsNotFound(err) {
		return nil, ferry.Errorf(ferry.ENOTFOUND, "invocation %s not found", id)
	}
	if err != nil {
		return nil, fmt.Errorf("read invocation %s: %w", id, err)
	}
	inv := new(ferry.Invocation)
	if err := json.Unmarshal(e.Value(), inv); err != nil {
		return nil, fmt.Errorf("invocation %s: %w", id, err)
	}
	return inv, nil
}
