package main

import (
	"context"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/control"
	"github.com/ferry-run/ferry/history"
	"github.com/ferry-run/ferry/web"
)

// controlQueues adapts the async engine to the control API.
type controlQueues struct{ m *Main }

func (c controlQueues) Pending(ctx context.Context, fn string, max int) ([]control.Event, error) {
	evs, err := c.m.Async.Pending(ctx, fn, max)
	if err != nil {
		return nil, err
	}
	out := make([]control.Event, len(evs))
	for i, e := range evs {
		out[i] = control.Event(e)
	}
	return out, nil
}

func (c controlQueues) Cancel(ctx context.Context, fn, id string) error {
	return c.m.Async.Cancel(ctx, fn, id)
}
func (c controlQueues) Purge(ctx context.Context, fn string) (uint64, error) {
	return c.m.Async.Purge(ctx, fn)
}
func (c controlQueues) Pause(ctx context.Context, fn string) error  { return c.m.Async.Pause(ctx, fn) }
func (c controlQueues) Resume(ctx context.Context, fn string) error { return c.m.Async.Resume(ctx, fn) }
func (c controlQueues) Paused(ctx context.Context, fn string) (bool, error) {
	return c.m.Async.Paused(ctx, fn)
}
func (c controlQueues) Redrive(ctx context.Context, id string) (string, error) {
	return c.m.Async.Redrive(ctx, id)
}

func (m *Main) newControl() *control.API {
	failed := func(ctx context.Context, fn string, limit int) ([]*ferry.Invocation, error) {
		if _, err := m.Functions.GetFunction(ctx, fn); err != nil {
			return nil, err
		}
		return m.History.List(ctx, history.Filter{Function: fn, Status: history.StatusFailed, Limit: limit})
	}
	drawing := func(ctx context.Context, format string) (string, error) {
		g, err := dashboardSource{m}.Graph(ctx)
		if err != nil {
			return "", err
		}
		if format == "dot" {
			return web.DOT(g), nil
		}
		return web.Mermaid(g), nil
	}
	return control.New(controlQueues{m}, failed, drawing, m.Config.Logger)
}
