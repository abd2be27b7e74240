package catalog_test

import (
	"context"
	"testing"
	"time"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/catalog"
	"github.com/ferry-run/ferry/natsjs"
)

func startEngine(t *testing.T, dir string) *natsjs.Engine {
	t.Helper()
	e := natsjs.New(natsjs.Config{DataDir: dir})
	if err := e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Stop(context.Background()) })
	return e
}

func TestPutGetDeleteSurvivesRestart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	e := startEngine(t, dir)
	s := catalog.New(e, nil)
	changed := make(chan string, 10)
	s.OnChange(func(name string, fn *ferry.Function) { changed <- name })
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	retries := 1
	fn := &ferry.Function{Name: "pay", Runtime: "nodejs20.x", Handler: "index.handler",
		Async: ferry.AsyncConfig{MaximumRetryAttempts: &retries, MaximumEventAge: time.Minute}}
	if err := s.PutFunction(ctx, fn); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetFunction(ctx, "pay")
	if err != nil {
		t.Fatal(err)
	}
	if got.Async.Retries() != 1 || got.Async.MaxAge() != time.Minute || got.Modified.IsZero() {
		t.Fatalf("got %+v", got)
	}
	if name := <-changed; name != "pay" {
		t.Fatalf("change for %q", name)
	}
	if err := s.PutFunction(ctx, &ferry.Function{Name: "gone", Runtime: "provided.al2023"}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteFunction(ctx, "gone"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetFunction(ctx, "gone"); ferry.ErrorCode(err) != ferry.ENOTFOUND {
		t.Fatalf("deleted function: err = %v, want not found", err)
	}
	if err := s.DeleteFunction(ctx, "gone"); ferry.ErrorCode(err) != ferry.ENOTFOUND {
		t.Fatalf("second delete: err = %v, want not found", err)
	}
	s.Stop(ctx)
	e.Stop(ctx)

	e2 := startEngine(t, dir)
	s2 := catalog.New(e2, nil)
	if err := s2.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer s2.Stop(ctx)
	list, _ := s2.ListFunctions(ctx)
	if len(list) != 1 || list[0].Name != "pay" || list[0].Async.Retries() != 1 {
		t.Fatalf("after restart: %+v", list)
	}
}

func TestPutRejectsInvalidConfig(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := catalog.New(startEngine(t, t.TempDir()), nil)
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer s.Stop(ctx)
	bad := 3
	for _, fn := range []*ferry.Function{
		{Name: "", Runtime: "nodejs20.x"},
		{Name: "a b", Runtime: "nodejs20.x"},
		{Name: "x", Runtime: "nodejs20.x", Async: ferry.AsyncConfig{MaximumRetryAttempts: &bad}},
		{Name: "x", Runtime: "nodejs20.x", Async: ferry.AsyncConfig{MaximumEventAge: 30 * time.Second}},
		{Name: "x", Runtime: "nodejs20.x", Async: ferry.AsyncConfig{OnSuccess: "not-an-arn"}},
	} {
		if err := s.PutFunction(ctx, fn); ferry.ErrorCode(err) != ferry.EINVALID {
			t.Errorf("PutFunction(%+v) = %v, want invalid", fn, err)
		}
	}
}
