package queue_test

import (
	"context"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/natsjs"
	"github.com/ferry-run/ferry/queue"
)

// restartable runs a queue service on a data dir that outlives restarts.
type restartable struct {
	dir  string
	opts queue.Options
	e    *natsjs.Engine
	svc  *queue.Service
}

func startRestartable(t *testing.T, opts queue.Options) *restartable {
	t.Helper()
	r := &restartable{dir: t.TempDir(), opts: opts}
	r.start(t)
	t.Cleanup(r.stop)
	return r
}

func (r *restartable) start(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r.e = natsjs.New(natsjs.Config{DataDir: r.dir})
	if err := r.e.Start(ctx); err != nil {
		t.Fatal(err)
	}
	r.opts.Secret = []byte("test-secret")
	r.svc = queue.New(r.e, r.opts)
	if err := r.svc.Start(ctx); err != nil {
		t.Fatal(err)
	}
}

func (r *restartable) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_ = r.svc.Stop(ctx)
	r.e.Stop(ctx)
}

func (r *restartable) restart(t *testing.T) {
	r.stop()
	r.start(t)
}

// drain receives and deletes every visible message and returns their ids.
func drain(t *testing.T, s *queue.Service, q string) []string {
	t.Helper()
	var ids []string
	for {
		msgs, err := s.ReceiveMessages(context.Background(), q, ferry.ReceiveOptions{MaxMessages: 10, WaitTime: 100 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) == 0 {
			return ids
		}
		for _, m := range msgs {
			ids = append(ids, m.MessageID)
			if err := s.DeleteMessage(context.Background(), q, m.ReceiptHandle); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func TestDedupHoldsAfterDeleteAndRestart(t *testing.T) {
	t.Parallel()
	r := startRestartable(t, queue.Options{Realm: ferry.DefaultRealm})
	ctx := context.Background()
	if _, err := r.svc.CreateQueue(ctx, "done", nil); err != nil {
		t.Fatal(err)
	}
	rec := ferry.OutgoingMessage{Body: `{"record":1}`, DedupID: "req-1:OnSuccess:Success"}
	first, err := r.svc.SendMessage(ctx, "done", rec)
	if err != nil {
		t.Fatal(err)
	}
	if got := drain(t, r.svc, "done"); len(got) != 1 || got[0] != first {
		t.Fatalf("received %v, want [%s]", got, first)
	}
	// JetStream's duplicate window is rebuilt from stored messages only: the
	// deleted record is not in it after a restart.
	r.restart(t)
	again, err := r.svc.SendMessage(ctx, "done", rec)
	if err != nil {
		t.Fatal(err)
	}
	if again != first {
		t.Fatalf("resend got message id %s, want %s", again, first)
	}
	if got := drain(t, r.svc, "done"); len(got) != 0 {
		t.Fatalf("a deleted record was stored again after a restart: %v", got)
	}
	// A different record still goes through.
	if _, err := r.svc.SendMessage(ctx, "done", ferry.OutgoingMessage{Body: "x", DedupID: "req-2:OnSuccess:Success"}); err != nil {
		t.Fatal(err)
	}
	if got := drain(t, r.svc, "done"); len(got) != 1 {
		t.Fatalf("received %v, want the second record", got)
	}
}

func TestDedupResolvesInterruptedSend(t *testing.T) {
	t.Parallel()
	// The first send stops right after its publish (as a crash would),
	// leaving the marker "pending"; the duplicate window is short, so only
	// the look-up in the stream can recognise the stored copy.
	var once sync.Once
	r := startRestartable(t, queue.Options{Realm: ferry.DefaultRealm, DuplicateWindow: 200 * time.Millisecond,
		Fault: func(point string) {
			if point == "queue-published" {
				once.Do(runtime.Goexit)
			}
		}})
	ctx := context.Background()
	if _, err := r.svc.CreateQueue(ctx, "done", nil); err != nil {
		t.Fatal(err)
	}
	rec := ferry.OutgoingMessage{Body: `{"record":1}`, DedupID: "req-1:OnSuccess:Success"}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = r.svc.SendMessage(ctx, "done", rec)
		t.Error("the first send was not interrupted")
	}()
	<-done
	time.Sleep(400 * time.Millisecond) // past the duplicate window
	for range 2 {
		if _, err := r.svc.SendMessage(ctx, "done", rec); err != nil {
			t.Fatal(err)
		}
	}
	if got := drain(t, r.svc, "done"); len(got) != 1 {
		t.Fatalf("received %d copies of one record, want 1", len(got))
	}
}

func TestReceiveCountsKeptUntilDelete(t *testing.T) {
	t.Parallel()
	r := startRestartable(t, queue.Options{Realm: ferry.DefaultRealm})
	ctx := context.Background()
	if _, err := r.svc.CreateQueue(ctx, "work", map[string]string{"VisibilityTimeout": "0"}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.svc.SendMessage(ctx, "work", ferry.OutgoingMessage{Body: "job"}); err != nil {
		t.Fatal(err)
	}
	var last ferry.Message
	for want := 1; want <= 3; want++ {
		msgs, err := r.svc.ReceiveMessages(ctx, "work", ferry.ReceiveOptions{WaitTime: 2 * time.Second})
		if err != nil || len(msgs) != 1 || msgs[0].ReceiveCount != want {
			t.Fatalf("receive %d: %+v, %v", want, msgs, err)
		}
		last = msgs[0]
	}
	kv, err := r.e.JetStream().KeyValue(ctx, queue.ReceivesBucket)
	if err != nil {
		t.Fatal(err)
	}
	if keys, err := kv.ListKeys(ctx); err != nil || len(keysOf(keys)) != 1 {
		t.Fatalf("receive counts before delete: %v, %v", keysOf(keys), err)
	}
	if err := r.svc.DeleteMessage(ctx, "work", last.ReceiptHandle); err != nil {
		t.Fatal(err)
	}
	if keys, err := kv.ListKeys(ctx); err != nil || len(keysOf(keys)) != 0 {
		t.Fatalf("receive counts after delete: %v, %v", keysOf(keys), err)
	}
}

func keysOf(l interface{ Keys() <-chan string }) []string {
	var out []string
	for k := range l.Keys() {
		out = append(out, k)
	}
	return out
}
