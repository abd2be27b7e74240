package history

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/natsjs"
)

// Invocation statuses a Filter can select.
const (
	StatusFailed    = "failed"    // final outcome is a failure, or a sync call's function error
	StatusSucceeded = "succeeded" // final outcome is a success
	StatusPending   = "pending"   // no final outcome yet
)

// kvOperation is the header JetStream KV marks deletes and purges with.
const kvOperation = "KV-Operation"

// Filter selects invocations for List.
type Filter struct {
	Function string
	Status   string
	TraceID  string
	// Limit caps the result (default 100); Scan caps how many stored
	// records are examined (default 100,000).
	Limit, Scan int
}

// Matches reports whether inv passes f.
func (f Filter) Matches(inv *ferry.Invocation) bool {
	if f.Function != "" && inv.Function != f.Function {
		return false
	}
	if f.TraceID != "" && inv.TraceID != f.TraceID {
		return false
	}
	switch f.Status {
	case "":
	case StatusPending:
		return !inv.Done
	case StatusFailed:
		return inv.Done && (inv.Condition != "" && inv.Condition != ferry.ConditionSuccess || inv.FunctionError != "")
	case StatusSucceeded:
		return inv.Done && (inv.Condition == ferry.ConditionSuccess || inv.Condition == "" && inv.FunctionError == "")
	}
	return true
}

// List returns the invocations passing f, newest first. It walks the
// bucket's stream backwards, so recent invocations are found without
// reading the whole history.
func (s *Store) List(ctx context.Context, f Filter) ([]*ferry.Invocation, error) {
	switch f.Status {
	case "", StatusPending, StatusFailed, StatusSucceeded:
	default:
		return nil, ferry.Errorf(ferry.EINVALID, "status %q: want failed, succeeded or pending", f.Status)
	}
	if f.Limit <= 0 {
		f.Limit = 100
	}
	if f.Scan <= 0 {
		f.Scan = 100_000
	}
	st, err := s.engine.JetStream().Stream(ctx, "KV_"+Bucket)
	if err != nil {
		return nil, fmt.Errorf("history stream: %w", err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		return nil, fmt.Errorf("history stream: %w", err)
	}
	var out []*ferry.Invocation
	for seq, scanned := info.State.LastSeq, 0; seq >= info.State.FirstSeq && seq > 0 && len(out) < f.Limit && scanned < f.Scan; seq, scanned = seq-1, scanned+1 {
		raw, err := st.GetMsg(ctx, seq)
		if natsjs.IsNotFound(err) {
			continue // superseded by a newer version of the same key, or expired
		}
		if err != nil {
			return nil, fmt.Errorf("history record %d: %w", seq, err)
		}
		if op := raw.Header.Get(kvOperation); op != "" && op != "PUT" || len(raw.Data) == 0 {
			continue
		}
		inv := new(ferry.Invocation)
		if json.Unmarshal(raw.Data, inv) != nil || !f.Matches(inv) {
			continue
		}
		out = append(out, inv)
	}
	// The walk finds records in the order they were last written; newest
	// means last accepted.
	slices.SortStableFunc(out, func(a, b *ferry.Invocation) int { return b.Accepted.Compare(a.Accepted) })
	return out, nil
}
