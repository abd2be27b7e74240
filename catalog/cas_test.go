package catalog_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/catalog"
)

// Two stores on one engine stand for two nodes: their updates race on the
// bucket, not on a process-local lock, and none is lost.
func TestConcurrentUpdatesFromTwoNodesAreNotLost(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := startEngine(t, t.TempDir())
	nodes := []*catalog.Store{catalog.New(e, nil), catalog.New(e, nil)}
	for _, s := range nodes {
		if err := s.Start(ctx); err != nil {
			t.Fatal(err)
		}
		defer s.Stop(ctx)
	}
	fn := &ferry.Function{Name: "pay", Runtime: "provided.al2023"}
	if err := nodes[0].CreateFunction(ctx, fn); err != nil {
		t.Fatal(err)
	}
	if err := nodes[1].CreateFunction(ctx, &ferry.Function{Name: "pay", Runtime: "provided.al2023"}); ferry.ErrorCode(err) != ferry.ECONFLICT {
		t.Fatalf("second create on the other node: %v, want conflict", err)
	}
	const each = 12
	var wg sync.WaitGroup
	errs := make(chan error, 2*each)
	for n, s := range nodes {
		for i := range each {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := s.UpdateFunction(ctx, "pay", func(fn *ferry.Function) error {
					if fn.Env == nil {
						fn.Env = map[string]string{}
					}
					fn.Env[fmt.Sprintf("K%d_%d", n, i)] = "v"
					return nil
				})
				if err != nil {
					errs <- err
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	got, err := nodes[0].UpdateFunction(ctx, "pay", func(*ferry.Function) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Env) != 2*each {
		t.Fatalf("%d of %d concurrent updates kept: %v", len(got.Env), 2*each, got.Env)
	}
	if _, err := nodes[1].UpdateFunction(ctx, "nope", func(*ferry.Function) error { return nil }); ferry.ErrorCode(err) != ferry.ENOTFOUND {
		t.Fatalf("update of an unknown function: %v", err)
	}
	bad := ferry.Errorf(ferry.EINVALID, "refused")
	if _, err := nodes[1].UpdateFunction(ctx, "pay", func(*ferry.Function) error { return bad }); err != bad {
		t.Fatalf("change's error = %v", err)
	}
}
