package queue_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/queue"
)

// BenchmarkSendReceiveDelete measures one message's full trip: send,
// receive, delete. The batched variant moves 10 messages per call.
func BenchmarkSendReceiveDelete(b *testing.B) {
	for _, batch := range []int{1, 10} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			h := newJetStream(b)
			s := h.svc
			ctx := context.Background()
			if _, err := s.CreateQueue(ctx, "bench", nil); err != nil {
				b.Fatal(err)
			}
			body := fmt.Sprintf("%0128d", 7)
			entries := make([]queue.SendEntry, batch)
			for i := range entries {
				entries[i] = queue.SendEntry{ID: fmt.Sprint("e", i), Message: ferry.OutgoingMessage{Body: body}}
			}
			b.ResetTimer()
			for done := 0; done < b.N; done += batch {
				if batch == 1 {
					if _, err := s.SendMessage(ctx, "bench", entries[0].Message); err != nil {
						b.Fatal(err)
					}
				} else if _, err := s.SendMessageBatch(ctx, "bench", entries); err != nil {
					b.Fatal(err)
				}
				got := 0
				for got < batch {
					msgs, err := s.ReceiveMessages(ctx, "bench", ferry.ReceiveOptions{MaxMessages: batch, WaitTime: time.Second})
					if err != nil || len(msgs) == 0 {
						b.Fatalf("receive: %d messages, %v", len(msgs), err)
					}
					del := make([]queue.HandleEntry, len(msgs))
					for i, m := range msgs {
						del[i] = queue.HandleEntry{ID: fmt.Sprint("d", i), ReceiptHandle: m.ReceiptHandle}
					}
					if batch == 1 {
						if err := s.DeleteMessage(ctx, "bench", msgs[0].ReceiptHandle); err != nil {
							b.Fatal(err)
						}
					} else if _, err := s.DeleteMessageBatch(ctx, "bench", del); err != nil {
						b.Fatal(err)
					}
					got += len(msgs)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}
