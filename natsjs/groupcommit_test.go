package natsjs_test

import (
	"context"
	"sync"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ferry-run/ferry/natsjs"
)

// TestPublishAckedAnswersEachWithItsOwnAck publishes from many goroutines
// at once: each caller gets its own acknowledgement (a distinct sequence),
// every message is stored, a duplicate is reported as such, and a message
// the stream refuses comes back as an error, never as stored.
func TestPublishAckedAnswersEachWithItsOwnAck(t *testing.T) {
	t.Parallel()
	e := startEngine(t, natsjs.Config{DataDir: t.TempDir()})
	ctx := context.Background()
	const n = 300
	st, err := e.EnsureStream(ctx, jetstream.StreamConfig{Name: "G", Subjects: []string{"g.>"}, MaxMsgs: n, Discard: jetstream.DiscardNew})
	if err != nil {
		t.Fatal(err)
	}
	seqs := make([]uint64, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			msg := nats.NewMsg("g.x")
			msg.Data = []byte("event")
			msg.Header.Set(jetstream.MsgIDHeader, "id-"+string(rune('A'+i%26))+string(rune('a'+i/26)))
			ack, err := e.PublishAcked(ctx, msg)
			if err != nil {
				t.Errorf("publish %d: %v", i, err)
				return
			}
			seqs[i] = ack.Sequence
		}()
	}
	wg.Wait()
	seen := map[uint64]bool{}
	for i, s := range seqs {
		if s == 0 || seen[s] {
			t.Fatalf("publish %d: sequence %d (zero or shared with another caller)", i, s)
		}
		seen[s] = true
	}
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != n {
		t.Fatalf("stream holds %d messages, want %d", info.State.Msgs, n)
	}
	dup := nats.NewMsg("g.x")
	dup.Header.Set(jetstream.MsgIDHeader, "id-Aa")
	if ack, err := e.PublishAcked(ctx, dup); err != nil || !ack.Duplicate {
		t.Fatalf("duplicate: ack %+v, err %v; want a duplicate ack", ack, err)
	}
	over := nats.NewMsg("g.x")
	over.Data = []byte("one too many")
	if ack, err := e.PublishAcked(ctx, over); err == nil {
		t.Fatalf("a message over the stream's limit was acknowledged: %+v", ack)
	}
}
