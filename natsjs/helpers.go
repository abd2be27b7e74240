package natsjs

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"

	"github.com/nats-io/nats.go/jetstream"
)

// EnsureStream creates the stream or updates it to cfg. Replicas default to
// the engine's; an existing stream with fewer is raised (or, if JetStream
// refuses, kept and the shortfall logged), one with more keeps them.
func (e *Engine) EnsureStream(ctx context.Context, cfg jetstream.StreamConfig) (jetstream.Stream, error) {
	if cfg.Storage == 0 {
		cfg.Storage = jetstream.FileStorage
	}
	var s jetstream.Stream
	err := e.declare(ctx, "stream", cfg.Name, cfg.Name, cfg.Replicas, func(n int) (err error) {
		cfg.Replicas = n
		s, err = e.js.CreateOrUpdateStream(ctx, cfg)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("stream %s: %w", cfg.Name, err)
	}
	return s, nil
}

// EnsureKV creates or opens a key-value bucket, with replicas as EnsureStream.
func (e *Engine) EnsureKV(ctx context.Context, cfg jetstream.KeyValueConfig) (jetstream.KeyValue, error) {
	var kv jetstream.KeyValue
	err := e.declare(ctx, "kv", cfg.Bucket, "KV_"+cfg.Bucket, cfg.Replicas, func(n int) (err error) {
		cfg.Replicas = n
		kv, err = e.js.CreateOrUpdateKeyValue(ctx, cfg)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("kv %s: %w", cfg.Bucket, err)
	}
	return kv, nil
}

// EnsureObjectStore creates or opens an object store bucket, with replicas
// as EnsureStream.
func (e *Engine) EnsureObjectStore(ctx context.Context, cfg jetstream.ObjectStoreConfig) (jetstream.ObjectStore, error) {
	var obs jetstream.ObjectStore
	err := e.declare(ctx, "object store", cfg.Bucket, "OBJ_"+cfg.Bucket, cfg.Replicas, func(n int) (err error) {
		cfg.Replicas = n
		obs, err = e.js.CreateOrUpdateObjectStore(ctx, cfg)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("object store %s: %w", cfg.Bucket, err)
	}
	return obs, nil
}

// IsNotFound reports whether err means a stream, consumer, message or key is missing.
func IsNotFound(err error) bool {
	return errors.Is(err, jetstream.ErrStreamNotFound) ||
		errors.Is(err, jetstream.ErrConsumerNotFound) ||
		errors.Is(err, jetstream.ErrMsgNotFound) ||
		errors.Is(err, jetstream.ErrKeyNotFound)
}

func splitHostPort(hp string) (string, int, error) {
	host, p, err := net.SplitHostPort(hp)
	if err != nil {
		return "", 0, fmt.Errorf("listen address %q: %w", hp, err)
	}
	port, err := strconv.Atoi(p)
	if err != nil {
		return "", 0, fmt.Errorf("listen port %q: %w", p, err)
	}
	return host, port, nil
}
