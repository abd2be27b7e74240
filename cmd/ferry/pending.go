package main

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/ferry-run/ferry"
)

// The history is written by the async engine as an event makes progress;
// an event accepted but not yet run (queued, paused) has none, and one
// waiting for its retry has a history that cannot say so. The functions
// here complete what the history says with what the engine's queue and
// journal say now, so every accepted event can be looked up.

// withUnfinished adds the accepted async events without an outcome (of
// function, or of every function) to list, gives the unfinished ones their
// current state, and returns the result newest-accepted first, at most
// limit long.
func (m *Main) withUnfinished(ctx context.Context, list []ferry.Invocation, function string, limit int) ([]ferry.Invocation, error) {
	live, err := m.Async.Unfinished(ctx, function, limit)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]int, len(list))
	for i := range list {
		byID[list[i].RequestID] = i
	}
	for _, u := range live {
		if i, ok := byID[u.RequestID]; ok {
			if !list[i].Done {
				list[i].State, list[i].NextAttempt = u.State, u.NextAttempt
			}
			continue
		}
		list = append(list, *u)
	}
	sortNewestAccepted(list)
	if limit > 0 && len(list) > limit {
		list = list[:limit]
	}
	return list, nil
}

// invocationNow is the history of request id, or for an accepted event
// the history does not know yet, what the engine knows of it; an
// unfinished async event gets its current state.
func (m *Main) invocationNow(ctx context.Context, id string) (*ferry.Invocation, error) {
	inv, err := m.History.GetInvocation(ctx, id)
	if ferry.ErrorCode(err) == ferry.ENOTFOUND {
		if u, uerr := m.Async.UnfinishedInvocation(ctx, "", id); uerr == nil {
			return u, nil
		}
	}
	if err != nil {
		return nil, err
	}
	if !inv.Done && inv.Type == ferry.InvokeEvent {
		if u, err := m.Async.UnfinishedInvocation(ctx, inv.Function, id); err == nil {
			inv.State, inv.NextAttempt = u.State, u.NextAttempt
		}
	}
	return inv, nil
}

func sortNewestAccepted(list []ferry.Invocation) {
	slices.SortStableFunc(list, func(a, b ferry.Invocation) int { return b.Accepted.Compare(a.Accepted) })
}

// pausedBanner names the functions whose async processing is paused (a
// pause holds across restarts), or is "" when none is.
func pausedBanner(ctx context.Context, m *Main) string {
	fns, err := m.Functions.ListFunctions(ctx)
	if err != nil {
		return ""
	}
	var paused []string
	for _, fn := range fns {
		if p, err := m.Async.Paused(ctx, fn.Name); err == nil && p {
			paused = append(paused, fn.Name)
		}
	}
	if len(paused) == 0 {
		return ""
	}
	slices.Sort(paused)
	return fmt.Sprintf("paused     %s: async events are accepted and kept, not run, until `ferry queue resume NAME`", strings.Join(paused, ", "))
}
