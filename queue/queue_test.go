package queue_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/natsjs"
	"github.com/ferry-run/ferry/queue"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// nats-server keeps a few process-wide goroutines after shutdown.
		goleak.IgnoreAnyFunction("github.com/nats-io/nats-server/v2/server.(*Server).Start.func1"),
		goleak.IgnoreAnyFunction("github.com/nats-io/nats-server/v2/server.(*ipQueue[...]).push"),
		goleak.IgnoreTopFunction("internal/poll.runtime_pollWait"),
	)
}

// harness is what the conformance suite needs from a backend.
type harness struct {
	svc *queue.Service
	// restart stops the service and its engine and starts both again on
	// the same data.
	restart func(t testing.TB) *queue.Service
}

// newJetStream starts a real embedded JetStream in a temp dir.
func newJetStream(t testing.TB) *harness {
	t.Helper()
	dir := t.TempDir()
	secret := []byte("test-secret")
	start := func(t testing.TB) (*natsjs.Engine, *queue.Service) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		e := natsjs.New(natsjs.Config{DataDir: dir})
		if err := e.Start(ctx); err != nil {
			t.Fatal(err)
		}
		s := queue.New(e, queue.Options{Realm: ferry.DefaultRealm, Secret: secret})
		if err := s.Start(ctx); err != nil {
			e.Stop(ctx)
			t.Fatal(err)
		}
		return e, s
	}
	e, s := start(t)
	h := &harness{svc: s}
	stop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := h.svc.Stop(ctx); err != nil {
			t.Errorf("stop service: %v", err)
		}
		e.Stop(ctx)
	}
	t.Cleanup(func() { stop() })
	h.restart = func(t testing.TB) *queue.Service {
		stop()
		e, h.svc = start(t)
		return h.svc
	}
	return h
}

func TestConformanceJetStream(t *testing.T) {
	t.Parallel()
	runConformance(t, func(t *testing.T) *harness { return newJetStream(t) })
}

// setup returns a started service and a context for one test.
func setup(t *testing.T) (*queue.Service, context.Context) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return newJetStream(t).svc, ctx
}

func TestServiceLifecycle(t *testing.T) {
	t.Parallel()
	s, ctx := setup(t)
	if err := s.Start(ctx); err != nil {
		t.Fatalf("second Start: %v", err)
	}
	if err := s.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Stop(ctx); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	if _, err := s.SendMessage(ctx, "q", ferry.OutgoingMessage{Body: "x"}); ferry.ErrorCode(err) != ferry.EUNAVAILABLE {
		t.Fatalf("send after stop: err = %v, want %s", err, ferry.EUNAVAILABLE)
	}
}

func TestMD5OfAttributesIsOrderAndTypeSensitive(t *testing.T) {
	t.Parallel()
	a := map[string]ferry.MessageAttribute{"a": {DataType: "String", StringValue: "1"}, "b": {DataType: "Number", StringValue: "2"}}
	b := map[string]ferry.MessageAttribute{"b": {DataType: "Number", StringValue: "2"}, "a": {DataType: "String", StringValue: "1"}}
	c := map[string]ferry.MessageAttribute{"a": {DataType: "String", StringValue: "1"}, "b": {DataType: "String", StringValue: "2"}}
	if got, want := queue.MD5OfAttributes(a), queue.MD5OfAttributes(b); got != want {
		t.Fatalf("same attributes, different digests %s %s", got, want)
	}
	if queue.MD5OfAttributes(a) == queue.MD5OfAttributes(c) {
		t.Fatal("a different data type gave the same digest")
	}
	// Digests published by other SQS implementations' tests.
	vectors := []struct {
		attrs map[string]ferry.MessageAttribute
		want  string
	}{
		{map[string]ferry.MessageAttribute{"SellerName": {DataType: "String", StringValue: "Example Store"}}, "cd28f3b68aeee4b2eac9c66f2f694b58"},
		{map[string]ferry.MessageAttribute{"ordinal": {DataType: "Number", StringValue: "1"}, "category": {DataType: "String", StringValue: "test"}}, "d21ae90c49061e927f57df5f5d72be1f"},
	}
	for _, v := range vectors {
		if got := queue.MD5OfAttributes(v.attrs); got != v.want {
			t.Errorf("MD5OfAttributes(%v) = %s, want %s", v.attrs, got, v.want)
		}
	}
	if got := queue.MD5OfAttributes(nil); got != "" {
		t.Fatalf("no attributes: got %q, want empty", got)
	}
}

// mustCreate creates a queue or fails the test.
func mustCreate(t *testing.T, s *queue.Service, name string, attrs map[string]string) *queue.QueueInfo {
	t.Helper()
	qi, err := s.CreateQueue(context.Background(), name, attrs)
	if err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	return qi
}

func mustSend(t *testing.T, s *queue.Service, q, body string) string {
	t.Helper()
	id, err := s.SendMessage(context.Background(), q, ferry.OutgoingMessage{Body: body})
	if err != nil {
		t.Fatalf("send to %s: %v", q, err)
	}
	return id
}

func receive(t *testing.T, s *queue.Service, q string, opts ferry.ReceiveOptions) []ferry.Message {
	t.Helper()
	msgs, err := s.ReceiveMessages(context.Background(), q, opts)
	if err != nil {
		t.Fatalf("receive from %s: %v", q, err)
	}
	return msgs
}

// receiveOne long-polls until exactly one message arrives.
func receiveOne(t *testing.T, s *queue.Service, q string, opts ferry.ReceiveOptions) ferry.Message {
	t.Helper()
	if opts.WaitTime == 0 {
		opts.WaitTime = 5 * time.Second
	}
	msgs := receive(t, s, q, opts)
	if len(msgs) != 1 {
		t.Fatalf("receive from %s: got %d messages, want 1", q, len(msgs))
	}
	return msgs[0]
}

func attrs(t *testing.T, s *queue.Service, q string, names ...string) map[string]string {
	t.Helper()
	m, err := s.GetQueueAttributes(context.Background(), q, names)
	if err != nil {
		t.Fatalf("attributes of %s: %v", q, err)
	}
	return m
}

// waitAttr polls an attribute until it has want or the deadline passes.
func waitAttr(t *testing.T, s *queue.Service, q, name, want string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := attrs(t, s, q, name)[name]
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s of %s = %q, want %q", name, q, got, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if got := ferry.ErrorCode(err); got != code {
		t.Fatalf("%s: err = %v (code %q), want code %q", what, err, got, code)
	}
}

func wantMessageMentions(t *testing.T, err error, word string) {
	t.Helper()
	if err == nil || !strings.Contains(err.Error(), word) {
		t.Fatalf("error %v does not name %q", err, word)
	}
}
