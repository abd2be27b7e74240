package queue_test

import (
	"context"
	"testing"
	"time"

	"github.com/ferry-run/ferry"
)

// FIFO messages, their order and a group's in-flight lock survive a
// restart of the engine and the service.
func TestFifoSurvivesRestart(t *testing.T) {
	t.Parallel()
	h := newJetStream(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s := h.svc
	if _, err := s.CreateQueue(ctx, "r.fifo", map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "true"}); err != nil {
		t.Fatal(err)
	}
	for _, b := range []string{"a1", "a2", "b1"} {
		if _, err := s.SendMessage(ctx, "r.fifo", ferry.OutgoingMessage{Body: b, GroupID: b[:1]}); err != nil {
			t.Fatal(err)
		}
	}
	first, err := s.ReceiveMessages(ctx, "r.fifo", ferry.ReceiveOptions{MaxMessages: 1})
	if err != nil || len(first) != 1 || first[0].Body != "a1" {
		t.Fatalf("first receive %v %v", first, err)
	}
	s = h.restart(t)
	got, err := s.ReceiveMessages(ctx, "r.fifo", ferry.ReceiveOptions{MaxMessages: 10})
	if err != nil || len(got) != 1 || got[0].Body != "b1" {
		t.Fatalf("after restart, with a1 in flight: %v %v, want [b1]", got, err)
	}
	// The handle issued before the restart still deletes a1; a2 follows.
	if err := s.DeleteMessage(ctx, "r.fifo", first[0].ReceiptHandle); err != nil {
		t.Fatal(err)
	}
	got, err = s.ReceiveMessages(ctx, "r.fifo", ferry.ReceiveOptions{MaxMessages: 10})
	if err != nil || len(got) != 1 || got[0].Body != "a2" || got[0].GroupID != "a" {
		t.Fatalf("after deleting a1: %v %v, want [a2]", got, err)
	}
	if _, err := s.SendMessage(ctx, "r.fifo", ferry.OutgoingMessage{Body: "x"}); ferry.ErrorCode(err) != ferry.EINVALID {
		t.Fatalf("send without group: %v", err)
	}
	if _, err := s.SendMessage(ctx, "r.fifo", ferry.OutgoingMessage{Body: "x", GroupID: "a", Delay: time.Second}); ferry.ErrorCode(err) != ferry.EINVALID {
		t.Fatalf("send with a per-message delay: %v", err)
	}
}

// The queue's DelaySeconds applies to FIFO messages, holding back the
// group behind a delayed message.
func TestFifoQueueDelay(t *testing.T) {
	t.Parallel()
	s, ctx := setup(t)
	if _, err := s.CreateQueue(ctx, "d.fifo", map[string]string{"FifoQueue": "true", "DelaySeconds": "1"}); err != nil {
		t.Fatal(err)
	}
	sent := time.Now()
	if _, err := s.SendMessage(ctx, "d.fifo", ferry.OutgoingMessage{Body: "late", GroupID: "g", DedupID: "1"}); err != nil {
		t.Fatal(err)
	}
	got, err := s.ReceiveMessages(ctx, "d.fifo", ferry.ReceiveOptions{MaxMessages: 10})
	if err != nil || len(got) != 0 {
		t.Fatalf("delayed message received at once: %v %v", got, err)
	}
	got, err = s.ReceiveMessages(ctx, "d.fifo", ferry.ReceiveOptions{MaxMessages: 10, WaitTime: 3 * time.Second})
	if err != nil || len(got) != 1 || time.Since(sent) < time.Second {
		t.Fatalf("after the delay: %v %v (%v after the send)", got, err, time.Since(sent))
	}
}
