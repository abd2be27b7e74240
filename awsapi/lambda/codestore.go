package lambdaapi

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/ferry-run/ferry"
)

// CodeStore keeps the zip file of every code revision this API unpacks, so
// a function's code directory can be rebuilt when it is lost (Restore).
// Keys are "<function>/<revision>".
type CodeStore interface {
	// Put stores zip under key, replacing any previous value.
	Put(ctx context.Context, key string, zip []byte) error
	// Get returns the zip stored under key. Errors: ENOTFOUND.
	Get(ctx context.Context, key string) ([]byte, error)
	// Delete removes key; a missing key is not an error.
	Delete(ctx context.Context, key string) error
}

// CodeBucket is the JetStream object store bucket of ObjectCodeStore.
const CodeBucket = "ferry_code"

// JetStreamSource gives the JetStream context once the engine has started,
// and declares the bucket with the engine's replica count. *natsjs.Engine
// implements it.
type JetStreamSource interface {
	JetStream() jetstream.JetStream
	EnsureObjectStore(ctx context.Context, cfg jetstream.ObjectStoreConfig) (jetstream.ObjectStore, error)
}

// ObjectCodeStore is a CodeStore in the JetStream object store bucket
// ferry_code. The bucket is created on first use, so the store can be built
// before the engine starts.
type ObjectCodeStore struct {
	src JetStreamSource

	mu  sync.Mutex
	obs jetstream.ObjectStore
}

var _ CodeStore = (*ObjectCodeStore)(nil)

// NewObjectCodeStore returns a code store on src's JetStream.
func NewObjectCodeStore(src JetStreamSource) *ObjectCodeStore {
	return &ObjectCodeStore{src: src}
}

// bucket opens (creating if needed) the object store bucket.
func (s *ObjectCodeStore) bucket(ctx context.Context) (jetstream.ObjectStore, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.obs != nil {
		return s.obs, nil
	}
	if s.src.JetStream() == nil {
		return nil, ferry.Errorf(ferry.EUNAVAILABLE, "code store: JetStream is not connected")
	}
	obs, err := s.src.EnsureObjectStore(ctx, jetstream.ObjectStoreConfig{
		Bucket:      CodeBucket,
		Description: "Ferry function code zip files, <function>/<revision>",
		Storage:     jetstream.FileStorage,
	})
	if err != nil {
		return nil, fmt.Errorf("code store: open bucket %s: %w", CodeBucket, err)
	}
	s.obs = obs
	return obs, nil
}

// Put stores zip under key.
func (s *ObjectCodeStore) Put(ctx context.Context, key string, zip []byte) error {
	obs, err := s.bucket(ctx)
	if err != nil {
		return err
	}
	if _, err := obs.PutBytes(ctx, key, zip); err != nil {
		return fmt.Errorf("code store: put %s: %w", key, err)
	}
	return nil
}

// Get returns the zip stored under key. Errors: ENOTFOUND.
func (s *ObjectCodeStore) Get(ctx context.Context, key string) ([]byte, error) {
	obs, err := s.bucket(ctx)
	if err != nil {
		return nil, err
	}
	b, err := obs.GetBytes(ctx, key)
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return nil, ferry.Errorf(ferry.ENOTFOUND, "code store: no object %s in bucket %s", key, CodeBucket)
	}
	if err != nil {
		return nil, fmt.Errorf("code store: get %s: %w", key, err)
	}
	return b, nil
}

// Delete removes key; a missing key is not an error.
func (s *ObjectCodeStore) Delete(ctx context.Context, key string) error {
	obs, err := s.bucket(ctx)
	if err != nil {
		return err
	}
	if err := obs.Delete(ctx, key); err != nil && !errors.Is(err, jetstream.ErrObjectNotFound) {
		return fmt.Errorf("code store: delete %s: %w", key, err)
	}
	return nil
}
