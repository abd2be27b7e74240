package topic

import (
	"fmt"
	"testing"

	"github.com/ferry-run/ferry"
)

// BenchmarkFanout10Queues publishes to a topic with 10 queue subscriptions
// and waits until every message reached every queue; ns/op is per published
// message (10 deliveries, each enveloped and signed once per message).
func BenchmarkFanout10Queues(b *testing.B) { benchFanout(b, nil) }

// BenchmarkFanout10QueuesRaw is the same with RawMessageDelivery: no
// envelope, no signature.
func BenchmarkFanout10QueuesRaw(b *testing.B) {
	benchFanout(b, map[string]string{AttrRawMessageDelivery: "true"})
}

func benchFanout(b *testing.B, attrs map[string]string) {
	bb := setup(b)
	bb.topic(b, "fan", nil)
	for i := range 10 {
		bb.subscribe(b, "fan", ProtocolSQS, ferry.DefaultRealm.QueueARN(fmt.Sprint("q", i)), attrs)
	}
	n := ferry.Notification{Message: `{"order":42,"status":"paid"}`}
	b.ResetTimer()
	for range b.N {
		if _, err := bb.svc.Publish(bb.ctx, "fan", n); err != nil {
			b.Fatal(err)
		}
	}
	waitFor(b, "fan-out", func() bool { return bb.q.count() == 10*b.N })
	b.StopTimer()
	b.ReportMetric(float64(10*b.N)/b.Elapsed().Seconds(), "deliveries/s")
}
