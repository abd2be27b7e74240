package async_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/async"
	"github.com/ferry-run/ferry/history"
)

// fill writes junk keys under "junk." into a bucket until it refuses even
// the smallest.
func fill(t *testing.T, b *bundle, bucket string) {
	t.Helper()
	kv, err := b.nats.JetStream().KeyValue(context.Background(), bucket)
	if err != nil {
		t.Fatal(err)
	}
	i := 0
	for _, size := range []int{1024, 64, 1} {
		junk := []byte(strings.Repeat("x", size))
		for ; ; i++ {
			if _, err := kv.Put(context.Background(), fmt.Sprintf("junk.%d", i), junk); err != nil {
				break
			}
			if i > 100000 {
				t.Fatalf("bucket %s never filled up", bucket)
			}
		}
	}
}

func TestRetriesCountedWithHistoryFull(t *testing.T) {
	t.Parallel()
	b := setupWith(t, 0.001, func(*ferry.Function, *ferry.InvokeRequest, int) (*ferry.Result, error) {
		return fail("card declined"), nil
	}, nil)
	// The history cannot be written at all (a full history drops its oldest
	// records instead): retries must not depend on it.
	if err := b.nats.JetStream().DeleteKeyValue(context.Background(), history.Bucket); err != nil {
		t.Fatal(err)
	}
	b.addFunction(t, &ferry.Function{Name: "pay"})
	id := invoke(t, b, "pay", `{}`)
	o := b.outcome(t, 5*time.Second)
	if o.Condition != ferry.ConditionRetriesExhausted || o.InvokeCount != 3 {
		t.Fatalf("outcome %s count %d, want RetriesExhausted 3", o.Condition, o.InvokeCount)
	}
	b.noOutcome(t, 200*time.Millisecond)
	if n := len(b.runner.callTimes(id)); n != 3 {
		t.Fatalf("function ran %d times, want 3 (first run and 2 retries)", n)
	}
	if _, err := b.history.GetInvocation(context.Background(), id); err == nil {
		t.Fatalf("history holds the invocation (err %v); it could not be written", err)
	}
}

func TestJournalWriteFailurePutsEventBack(t *testing.T) {
	t.Parallel()
	b := setupWith(t, 0.001, func(*ferry.Function, *ferry.InvokeRequest, int) (*ferry.Result, error) {
		return ok(`"paid"`), nil
	}, func(e *async.Options, _ *history.Options) { e.JournalMaxBytes = 64 << 10 })
	fill(t, b, async.JournalBucket)
	b.addFunction(t, &ferry.Function{Name: "pay"})
	id := invoke(t, b, "pay", `{}`)

	// While the journal refuses writes the event keeps coming back and no
	// record goes out.
	deadline := time.Now().Add(5 * time.Second)
	for len(b.runner.callTimes(id)) < 3 || b.engine.Stats().Get("pay").JournalWriteFailures < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("event ran %d times with the journal full, want it put back and retried", len(b.runner.callTimes(id)))
		}
		time.Sleep(5 * time.Millisecond)
	}
	b.noOutcome(t, 50*time.Millisecond)

	// Room again: exactly one record, counting only the journaled attempt.
	st, err := b.nats.JetStream().Stream(context.Background(), "KV_"+async.JournalBucket)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Purge(context.Background(), jetstream.WithPurgeSubject("$KV."+async.JournalBucket+".junk.>")); err != nil {
		t.Fatal(err)
	}
	o := b.outcome(t, 5*time.Second)
	if o.Condition != ferry.ConditionSuccess || o.InvokeCount != 1 || o.Request.RequestID != id {
		t.Fatalf("outcome %s count %d for %s", o.Condition, o.InvokeCount, o.Request.RequestID)
	}
	inv := b.waitDone(t, id)
	if len(inv.Deliveries) != 1 {
		t.Fatalf("deliveries = %+v, want one", inv.Deliveries)
	}
	b.noOutcome(t, 300*time.Millisecond)
}

// TestDerivedEventRunsOnceAfterTheWindow: a function destination's event
// (accepted with a deduplication id) that JetStream stores a second time,
// as it does once its duplicate window no longer knows the first copy, is
// recognised by the journal and not run again.
func TestDerivedEventRunsOnceAfterTheWindow(t *testing.T) {
	t.Parallel()
	b := setup(t, 0.001, func(*ferry.Function, *ferry.InvokeRequest, int) (*ferry.Result, error) {
		return ok(`"notified"`), nil
	})
	b.addFunction(t, &ferry.Function{Name: "notify"})
	req := &ferry.InvokeRequest{RequestID: "0b7e1c7e-1d2a-5b8e-9a57-6f3c1d2e4a10", Dedup: true, Function: "notify", Payload: []byte(`{"record":1}`)}
	if err := b.engine.InvokeAsync(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	b.outcome(t, 5*time.Second)
	b.waitDone(t, req.RequestID)

	// The second copy, stored under another Msg-Id as if the window had
	// forgotten the first.
	msg := nats.NewMsg("ferry.async.notify")
	msg.Data = req.Payload
	msg.Header.Set("Ferry-Request-Id", req.RequestID)
	msg.Header.Set(jetstream.MsgIDHeader, req.RequestID+"-again")
	if _, err := b.nats.JetStream().PublishMsg(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	b.noOutcome(t, 500*time.Millisecond)
	if n := len(b.runner.callTimes(req.RequestID)); n != 1 {
		t.Fatalf("function ran %d times for one derived event", n)
	}
}
