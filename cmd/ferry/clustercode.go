package main

import (
	"context"

	"github.com/ferry-run/ferry"
)

// localCodeRunner runs functions in the sandbox pool from this server's
// copy of their code: on a cluster a function created through another
// server names that server's code directory (lambdaapi.API.LocalCode).
type localCodeRunner struct{ m *Main }

func (r localCodeRunner) Invoke(ctx context.Context, fn *ferry.Function, req *ferry.InvokeRequest) (*ferry.Result, error) {
	fn, err := r.m.Lambda.LocalCode(ctx, fn)
	if err != nil {
		return nil, err
	}
	return r.m.Pool.Invoke(ctx, fn, req)
}
