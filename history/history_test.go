package history_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/history"
	"github.com/ferry-run/ferry/natsjs"
)

// setup starts an engine and a history store with opts, both stopped when
// the test ends.
func setup(t *testing.T, opts history.Options) *history.Store {
	t.Helper()
	ctx := context.Background()
	e := natsjs.New(natsjs.Config{DataDir: t.TempDir()})
	if err := e.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Stop(ctx) })
	s := history.New(e, opts)
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestPutGet(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := setup(t, history.Options{})
	if _, err := s.GetInvocation(ctx, "nope"); ferry.ErrorCode(err) != ferry.ENOTFOUND {
		t.Fatalf("missing: err = %v, want not found", err)
	}
	inv := &ferry.Invocation{RequestID: "r1", Function: "f", Type: ferry.InvokeEvent, Accepted: time.Now().UTC(),
		Attempts: []ferry.Attempt{{ErrorType: "Error", ErrorMessage: "boom"}}, Condition: ferry.ConditionRetriesExhausted}
	if err := s.PutInvocation(ctx, inv); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetInvocation(ctx, "r1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Condition != ferry.ConditionRetriesExhausted || len(got.Attempts) != 1 || got.Attempts[0].ErrorMessage != "boom" {
		t.Fatalf("got %+v", got)
	}
}

func TestRetentionExpiresRecords(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := setup(t, history.Options{Retention: 300 * time.Millisecond})
	if err := s.PutInvocation(ctx, &ferry.Invocation{RequestID: "short", Function: "f"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetInvocation(ctx, "short"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := s.GetInvocation(ctx, "short")
		if ferry.ErrorCode(err) == ferry.ENOTFOUND {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("record still there after its retention: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestImpossibleIDsNeverReachTheEngine: a request id that cannot be a key
// (4,100 bytes, or holding '*', '>', spaces) is not found, or refused when
// stored, without being sent: the engine connection stays usable.
func TestImpossibleIDsNeverReachTheEngine(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := natsjs.New(natsjs.Config{DataDir: t.TempDir()})
	if err := e.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Stop(ctx) })
	s := history.New(e, history.Options{})
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{strings.Repeat("a", 4100), "a b", "a.*", ">", "a\x00b", ""} {
		if _, err := s.GetInvocation(ctx, id); ferry.ErrorCode(err) != ferry.ENOTFOUND {
			t.Errorf("get %.20q: err = %v, want not found", id, err)
		}
		if err := s.PutInvocation(ctx, &ferry.Invocation{RequestID: id, Function: "f"}); ferry.ErrorCode(err) != ferry.EINVALID {
			t.Errorf("put %.20q: err = %v, want invalid", id, err)
		}
	}
	if e.Conn().IsClosed() {
		t.Fatal("the engine connection was closed")
	}
	if err := s.PutInvocation(ctx, &ferry.Invocation{RequestID: "after", Function: "f"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetInvocation(ctx, "after"); err != nil {
		t.Fatal(err)
	}
}
