package catalog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/ferry-run/ferry"
)

// casAttempts bounds how often an update is retried after another writer
// (on this node or another) changed the function in between.
const casAttempts = 16

// CreateFunction stores fn only if no function has its name: ECONFLICT
// otherwise, decided by the bucket, so two nodes cannot both create it.
func (s *Store) CreateFunction(ctx context.Context, fn *ferry.Function) error {
	c, b, err := s.encode(fn)
	if err != nil {
		return err
	}
	rev, err := s.kv.Create(ctx, c.Name, b)
	if errors.Is(err, jetstream.ErrKeyExists) {
		return ferry.Errorf(ferry.ECONFLICT, "Function already exist: %s", c.Name)
	}
	if err != nil {
		return fmt.Errorf("store function %s: %w", c.Name, err)
	}
	s.apply(localEntry{key: c.Name, val: b, rev: rev, op: jetstream.KeyValuePut})
	fn.Modified = c.Modified
	return nil
}

// UpdateFunction applies change to a fresh copy of the named function and
// stores it with compare-and-swap on the bucket's revision: a concurrent
// update from any node makes this one re-read and re-apply change, so no
// update is lost. ENOTFOUND for an unknown function; change's error is
// returned as is.
func (s *Store) UpdateFunction(ctx context.Context, name string, change func(fn *ferry.Function) error) (*ferry.Function, error) {
	for range casAttempts {
		e, err := s.kv.Get(ctx, name)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			return nil, ferry.Errorf(ferry.ENOTFOUND, "Function not found: %s", name)
		}
		if err != nil {
			return nil, fmt.Errorf("read function %s: %w", name, err)
		}
		fn := new(ferry.Function)
		if err := json.Unmarshal(e.Value(), fn); err != nil {
			return nil, fmt.Errorf("function %s: %w", name, err)
		}
		if err := change(fn); err != nil {
			return nil, err
		}
		if err := fn.Validate(); err != nil {
			return nil, err
		}
		fn.Name = name
		fn.Modified = s.now().UTC()
		b, err := json.Marshal(fn)
		if err != nil {
			return nil, err
		}
		rev, err := s.kv.Update(ctx, name, b, e.Revision())
		if isWrongRevision(err) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("store function %s: %w", name, err)
		}
		s.apply(localEntry{key: name, val: b, rev: rev, op: jetstream.KeyValuePut})
		return fn, nil
	}
	return nil, ferry.Errorf(ferry.ECONFLICT, "function %s is being updated by others; retry", name)
}

// isWrongRevision reports a compare-and-swap that lost to another writer.
func isWrongRevision(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, jetstream.ErrKeyExists) {
		return true
	}
	var api *jetstream.APIError
	return errors.As(err, &api) && api.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence
}
