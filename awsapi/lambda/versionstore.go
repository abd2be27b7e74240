package lambdaapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/ferry-run/ferry"
)

// functionVersions is everything published for one function: its numbered
// versions (oldest first) and its aliases.
type functionVersions struct {
	Next     int                    `json:"next"` // the number the next version gets, from 1
	Versions []versionRecord        `json:"versions,omitempty"`
	Aliases  map[string]aliasRecord `json:"aliases,omitempty"`
}

// versionRecord is one published version: a snapshot of the function's
// configuration and the code revision it ran.
type versionRecord struct {
	Version     string                `json:"version"`
	Config      functionConfiguration `json:"config"`
	CodeDir     string                `json:"codeDir"`
	Fingerprint string                `json:"fingerprint"` // code and configuration, to tell a version from $LATEST
}

// aliasRecord is one alias.
type aliasRecord struct {
	Name            string `json:"name"`
	FunctionVersion string `json:"functionVersion"`
	Description     string `json:"description,omitempty"`
	RevisionID      string `json:"revisionId"`
}

// VersionStore keeps functions' published versions and aliases.
type VersionStore interface {
	// Get returns what is published for function name (empty when nothing).
	Get(ctx context.Context, name string) (functionVersions, error)
	// Update applies change to it atomically.
	Update(ctx context.Context, name string, change func(*functionVersions) error) (functionVersions, error)
	// Delete forgets the function's versions and aliases.
	Delete(ctx context.Context, name string) error
}

// memoryVersions is a VersionStore in memory, the default.
type memoryVersions struct {
	mu sync.Mutex
	m  map[string][]byte
}

func (s *memoryVersions) Get(_ context.Context, name string) (functionVersions, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var v functionVersions
	if b := s.m[name]; b != nil {
		_ = json.Unmarshal(b, &v)
	}
	return v, nil
}

func (s *memoryVersions) Update(ctx context.Context, name string, change func(*functionVersions) error) (functionVersions, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var v functionVersions
	if b := s.m[name]; b != nil {
		_ = json.Unmarshal(b, &v)
	}
	if err := change(&v); err != nil {
		return functionVersions{}, err
	}
	b, _ := json.Marshal(v)
	if s.m == nil {
		s.m = map[string][]byte{}
	}
	s.m[name] = b
	return v, nil
}

func (s *memoryVersions) Delete(_ context.Context, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, name)
	return nil
}

// VersionBucket is the key-value bucket of KVVersionStore.
const VersionBucket = "ferry_function_versions"

// KVSource opens key-value buckets; *natsjs.Engine implements it.
type KVSource interface {
	EnsureKV(ctx context.Context, cfg jetstream.KeyValueConfig) (jetstream.KeyValue, error)
}

// KVVersionStore keeps versions and aliases in the JetStream key-value
// bucket ferry_function_versions, one JSON document per function, updated
// with compare-and-set. The bucket is opened on first use.
type KVVersionStore struct {
	src KVSource
	mu  sync.Mutex
	kv  jetstream.KeyValue
}

// NewKVVersionStore returns a version store on src.
func NewKVVersionStore(src KVSource) *KVVersionStore { return &KVVersionStore{src: src} }

func (s *KVVersionStore) bucket(ctx context.Context) (jetstream.KeyValue, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.kv == nil {
		kv, err := s.src.EnsureKV(ctx, jetstream.KeyValueConfig{Bucket: VersionBucket, History: 1})
		if err != nil {
			return nil, ferry.Wrap(ferry.EUNAVAILABLE, err, "function versions")
		}
		s.kv = kv
	}
	return s.kv, nil
}

func (s *KVVersionStore) read(ctx context.Context, name string) (functionVersions, uint64, error) {
	kv, err := s.bucket(ctx)
	if err != nil {
		return functionVersions{}, 0, err
	}
	e, err := kv.Get(ctx, name)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return functionVersions{}, 0, nil
	}
	if err != nil {
		return functionVersions{}, 0, fmt.Errorf("versions of %s: %w", name, err)
	}
	var v functionVersions
	if err := json.Unmarshal(e.Value(), &v); err != nil {
		return functionVersions{}, 0, fmt.Errorf("versions of %s: %w", name, err)
	}
	return v, e.Revision(), nil
}

// Get returns what is published for the function.
func (s *KVVersionStore) Get(ctx context.Context, name string) (functionVersions, error) {
	v, _, err := s.read(ctx, name)
	return v, err
}

// Update applies change with compare-and-set, retrying on a concurrent write.
func (s *KVVersionStore) Update(ctx context.Context, name string, change func(*functionVersions) error) (functionVersions, error) {
	kv, err := s.bucket(ctx)
	if err != nil {
		return functionVersions{}, err
	}
	for range 16 {
		v, rev, err := s.read(ctx, name)
		if err != nil {
			return functionVersions{}, err
		}
		if err := change(&v); err != nil {
			return functionVersions{}, err
		}
		b, _ := json.Marshal(v)
		if rev == 0 {
			_, err = kv.Create(ctx, name, b)
		} else {
			_, err = kv.Update(ctx, name, b, rev)
		}
		if err == nil {
			return v, nil
		}
		if ctx.Err() != nil {
			return functionVersions{}, ctx.Err()
		}
	}
	return functionVersions{}, ferry.Errorf(ferry.ECONFLICT, "the versions of function %s are changing too fast; try again", name)
}

// Delete forgets the function's versions and aliases.
func (s *KVVersionStore) Delete(ctx context.Context, name string) error {
	kv, err := s.bucket(ctx)
	if err != nil {
		return err
	}
	if err := kv.Purge(ctx, name); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		return fmt.Errorf("forget versions of %s: %w", name, err)
	}
	return nil
}
