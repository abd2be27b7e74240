package async_test

import (
	"context"
	"testing"
	"time"

	"github.com/ferry-run/ferry"
)

func TestPauseListCancelPurgeResume(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t, 0.001, func(*ferry.Function, *ferry.InvokeRequest, int) (*ferry.Result, error) {
		return ok(`true`), nil
	})
	b.addFunction(t, &ferry.Function{Name: "pay"})
	if err := b.engine.Pause(ctx, "pay"); err != nil {
		t.Fatal(err)
	}
	if p, err := b.engine.Paused(ctx, "pay"); err != nil || !p {
		t.Fatalf("paused = %v %v", p, err)
	}
	ids := []string{invoke(t, b, "pay", `1`), invoke(t, b, "pay", `2`), invoke(t, b, "pay", `3`)}
	b.noOutcome(t, 200*time.Millisecond)
	evs, err := b.engine.Pending(ctx, "pay", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 3 || evs[0].RequestID != ids[0] || evs[2].RequestID != ids[2] || evs[0].State != ferry.StatePaused {
		t.Fatalf("pending = %+v", evs)
	}
	if err := b.engine.Cancel(ctx, "pay", ids[1]); err != nil {
		t.Fatal(err)
	}
	if err := b.engine.Cancel(ctx, "pay", "nope"); ferry.ErrorCode(err) != ferry.ENOTFOUND {
		t.Fatalf("cancel unknown: %v", err)
	}
	if inv := b.waitDone(t, ids[1]); !inv.Cancelled {
		t.Fatalf("cancelled invocation = %+v", inv)
	}
	if err := b.engine.Resume(ctx, "pay"); err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for range 2 {
		got[b.outcome(t, 5*time.Second).Request.RequestID] = true
	}
	if !got[ids[0]] || !got[ids[2]] {
		t.Fatalf("outcomes after resume = %v", got)
	}
	b.noOutcome(t, 100*time.Millisecond)

	if err := b.engine.Pause(ctx, "pay"); err != nil {
		t.Fatal(err)
	}
	invoke(t, b, "pay", `4`)
	invoke(t, b, "pay", `5`)
	if n, err := b.engine.Purge(ctx, "pay"); err != nil || n != 2 {
		t.Fatalf("purge = %d %v", n, err)
	}
	if evs, _ := b.engine.Pending(ctx, "pay", 10); len(evs) != 0 {
		t.Fatalf("pending after purge = %+v", evs)
	}
	if _, err := b.engine.Pending(ctx, "missing", 10); ferry.ErrorCode(err) != ferry.ENOTFOUND {
		t.Fatalf("unknown function: %v", err)
	}
}

func TestRedriveLinksBothWays(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t, 0.001, func(_ *ferry.Function, _ *ferry.InvokeRequest, n int) (*ferry.Result, error) {
		return fail("down"), nil
	})
	b.addFunction(t, &ferry.Function{Name: "pay", Async: ferry.AsyncConfig{MaximumRetryAttempts: ptr(0)}})
	orig := invoke(t, b, "pay", `{"id":7}`)
	b.outcome(t, 5*time.Second)
	b.waitDone(t, orig)
	b.runner.next = func(*ferry.Function, *ferry.InvokeRequest, int) (*ferry.Result, error) { return ok(`"fixed"`), nil }
	again, err := b.engine.Redrive(ctx, orig)
	if err != nil {
		t.Fatal(err)
	}
	o := b.outcome(t, 5*time.Second)
	if o.Request.RequestID != again || o.Condition != ferry.ConditionSuccess || o.InvokeCount != 1 || string(o.Request.Payload) != `{"id":7}` {
		t.Fatalf("redriven outcome = %s %s count %d payload %s", o.Request.RequestID, o.Condition, o.InvokeCount, o.Request.Payload)
	}
	if inv := b.waitDone(t, again); inv.RedriveOf != orig {
		t.Fatalf("new invocation's RedriveOf = %q", inv.RedriveOf)
	}
	first, err := b.history.GetInvocation(ctx, orig)
	if err != nil || len(first.RedrivenAs) != 1 || first.RedrivenAs[0] != again {
		t.Fatalf("original's RedrivenAs = %v %v", first.RedrivenAs, err)
	}
	if _, err := b.engine.Redrive(ctx, "nope"); ferry.ErrorCode(err) != ferry.ENOTFOUND {
		t.Fatalf("redrive unknown: %v", err)
	}
}

func TestDeletingAFunctionDiscardsItsQueue(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t, 0.001, func(*ferry.Function, *ferry.InvokeRequest, int) (*ferry.Result, error) {
		return ok(`true`), nil
	})
	b.addFunction(t, &ferry.Function{Name: "gone"})
	if err := b.engine.Pause(ctx, "gone"); err != nil {
		t.Fatal(err)
	}
	invoke(t, b, "gone", `1`)
	invoke(t, b, "gone", `2`)
	if err := b.catalog.DeleteFunction(ctx, "gone"); err != nil {
		t.Fatal(err)
	}
	st, err := b.nats.JetStream().Stream(ctx, "FERRY_ASYNC")
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		info, err := st.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if info.State.Msgs == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d events of a deleted function are still queued", info.State.Msgs)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if n := b.engine.Stats().Get("gone").AsyncEventsDropped; n != 2 {
		t.Fatalf("AsyncEventsDropped = %d, want 2", n)
	}
	// A function created again under the name starts with an empty queue.
	b.addFunction(t, &ferry.Function{Name: "gone"})
	id := invoke(t, b, "gone", `3`)
	if o := b.outcome(t, 5*time.Second); o.Request.RequestID != id {
		t.Fatalf("outcome for %s, want %s", o.Request.RequestID, id)
	}
	b.noOutcome(t, 100*time.Millisecond)
}
