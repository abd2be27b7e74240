// Package resmeta owns the tags and resource policies deployment tools
// attach to Ferry's functions, queues, topics, buses and rules: one
// JetStream key-value bucket keyed by the resource's ARN, read and written
// with compare-and-set so concurrent TagResource calls do not lose tags.
//
// Policies (queue Policy attributes, topic policies, function permission
// statements) are stored and returned exactly and never enforced; the
// first policy stored logs that once.
package resmeta

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"sync"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/natsjs"
)

// Bucket is the key-value bucket holding resource metadata.
const Bucket = "ferry_resource_meta"

var _ ferry.ResourceMeta = (*Store)(nil)

// record is one resource's stored metadata.
type record struct {
	Tags   map[string]string `json:"tags,omitempty"`
	Policy string            `json:"policy,omitempty"`
}

// Store is the resource metadata store.
type Store struct {
	engine *natsjs.Engine
	log    *slog.Logger

	mu   sync.Mutex
	kv   jetstream.KeyValue
	warn sync.Once
}

// New returns a store on engine; the bucket is opened on first use, so the
// store needs no Start of its own.
func New(engine *natsjs.Engine, log *slog.Logger) *Store {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Store{engine: engine, log: log}
}

func (s *Store) bucket(ctx context.Context) (jetstream.KeyValue, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.kv != nil {
		return s.kv, nil
	}
	kv, err := s.engine.EnsureKV(ctx, jetstream.KeyValueConfig{Bucket: Bucket, History: 1})
	if err != nil {
		return nil, ferry.Wrap(ferry.EUNAVAILABLE, err, "resource metadata store")
	}
	s.kv = kv
	return kv, nil
}

// key maps an ARN (which has ':' and '$') onto the bucket's key alphabet.
func key(arn string) string { return base64.RawURLEncoding.EncodeToString([]byte(arn)) }

func (s *Store) read(ctx context.Context, arn string) (record, uint64, error) {
	kv, err := s.bucket(ctx)
	if err != nil {
		return record{}, 0, err
	}
	e, err := kv.Get(ctx, key(arn))
	if natsjs.IsNotFound(err) {
		return record{}, 0, nil
	}
	if err != nil {
		return record{}, 0, fmt.Errorf("read metadata of %s: %w", arn, err)
	}
	var r record
	if err := json.Unmarshal(e.Value(), &r); err != nil {
		return record{}, 0, fmt.Errorf("metadata of %s: %w", arn, err)
	}
	return r, e.Revision(), nil
}

// update applies f to the ARN's record with compare-and-set, retrying when
// another writer got there first.
func (s *Store) update(ctx context.Context, arn string, f func(*record) error) error {
	kv, err := s.bucket(ctx)
	if err != nil {
		return err
	}
	for range 16 {
		r, rev, err := s.read(ctx, arn)
		if err != nil {
			return err
		}
		if err := f(&r); err != nil {
			return err
		}
		if len(r.Tags) == 0 && r.Policy == "" {
			if rev == 0 {
				return nil
			}
			err = kv.Delete(ctx, key(arn), jetstream.LastRevision(rev))
		} else {
			b, _ := json.Marshal(r)
			if rev == 0 {
				_, err = kv.Create(ctx, key(arn), b)
			} else {
				_, err = kv.Update(ctx, key(arn), b, rev)
			}
		}
		if err == nil {
			return nil
		}
		var apiErr *jetstream.APIError
		if !errors.Is(err, jetstream.ErrKeyExists) && !(errors.As(err, &apiErr) && apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence) {
			return fmt.Errorf("write metadata of %s: %w", arn, err)
		}
	}
	return ferry.Errorf(ferry.EUNAVAILABLE, "metadata of %s is changing too fast; try again", arn)
}

// Tags returns the ARN's tags.
func (s *Store) Tags(ctx context.Context, arn string) (map[string]string, error) {
	r, _, err := s.read(ctx, arn)
	if err != nil {
		return nil, err
	}
	if r.Tags == nil {
		return map[string]string{}, nil
	}
	return r.Tags, nil
}

// Tag merges tags into the ARN's tags.
func (s *Store) Tag(ctx context.Context, arn string, tags map[string]string) error {
	return s.update(ctx, arn, func(r *record) error {
		if err := ferry.ValidateTags(r.Tags, tags); err != nil {
			return err
		}
		if r.Tags == nil {
			r.Tags = map[string]string{}
		}
		maps.Copy(r.Tags, tags)
		return nil
	})
}

// Untag removes keys from the ARN's tags.
func (s *Store) Untag(ctx context.Context, arn string, keys []string) error {
	return s.update(ctx, arn, func(r *record) error {
		for _, k := range keys {
			delete(r.Tags, k)
		}
		return nil
	})
}

// Policy returns the ARN's policy document.
func (s *Store) Policy(ctx context.Context, arn string) (string, error) {
	r, _, err := s.read(ctx, arn)
	return r.Policy, err
}

// SetPolicy stores the ARN's policy document exactly.
func (s *Store) SetPolicy(ctx context.Context, arn, policy string) error {
	err := s.update(ctx, arn, func(r *record) error {
		r.Policy = policy
		return nil
	})
	if err == nil && policy != "" {
		s.warn.Do(func() {
			s.log.Warn("resource policies are accepted, not enforced: Ferry stores and returns them but does not check them", "resource", arn)
		})
	}
	return err
}

// Forget removes the ARN's metadata.
func (s *Store) Forget(ctx context.Context, arn string) error {
	kv, err := s.bucket(ctx)
	if err != nil {
		return err
	}
	if err := kv.Purge(ctx, key(arn)); err != nil && !natsjs.IsNotFound(err) {
		return fmt.Errorf("forget metadata of %s: %w", arn, err)
	}
	return nil
}
