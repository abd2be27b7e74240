package bus

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ferry-run/ferry"
)

func (s *Service) startDelivery(ctx context.Context) error {
	cons, err := s.js.CreateOrUpdateConsumer(ctx, deliveriesStream, jetstream.ConsumerConfig{
		Durable: "deliver", AckPolicy: jetstream.AckExplicitPolicy, AckWait: deliveryAckWait,
		MaxAckPending: 10000,
	})
	if err != nil {
		return fmt.Errorf("bus: delivery consumer: %w", err)
	}
	sem := make(chan struct{}, deliveryParallel)
	cc, err := cons.Consume(func(msg jetstream.Msg) {
		sem <- struct{}{}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer func() { <-sem }()
			s.deliver(msg)
		}()
	})
	if err != nil {
		return fmt.Errorf("bus: delivery: %w", err)
	}
	s.stops = append(s.stops, func() { cc.Drain(); <-cc.Closed() })
	return nil
}

// retryDelay is RetryBase doubled per earlier attempt, capped at 5 minutes
// scaled by RetryBase.
func (s *Service) retryDelay(attempt uint64) time.Duration {
	limit := time.Duration(float64(maxRetryDelay) * float64(s.opts.RetryBase) / float64(time.Second))
	return ferry.Backoff(int(min(attempt, 64)), s.opts.RetryBase, limit)
}

func (s *Service) deliver(msg jetstream.Msg) {
	var d delivery
	if err := json.Unmarshal(msg.Data(), &d); err != nil {
		s.log.Error("dropping undecodable delivery", "err", err)
		s.dropped.Add(1)
		_ = msg.Term()
		return
	}
	meta, err := msg.Metadata()
	if err != nil {
		_ = msg.Nak()
		return
	}
	log := s.log.With("event", d.EventID, "rule", d.Rule, "target", d.TargetID, "attempt", meta.NumDelivered)
	if d.Hops+1 > MaxHops {
		log.Warn("dropping delivery: hop limit reached", "hops", d.Hops)
		s.dropped.Add(1)
		_ = msg.Term()
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), deliveryAckWait/2)
	defer cancel()
	err = s.send(ctx, &d)
	if err == nil {
		s.delivered.Add(1)
		_ = msg.Ack()
		return
	}
	s.failures.Add(1)
	if meta.NumDelivered >= MaxAttempts || time.Since(meta.Timestamp) > MaxEventAge {
		log.Error("dropping delivery: retries exhausted", "err", err)
		s.dropped.Add(1)
		_ = msg.Term()
		return
	}
	delay := s.retryDelay(meta.NumDelivered)
	log.Warn("delivery failed; will retry", "err", err, "delay", delay)
	_ = msg.NakWithDelay(delay)
}

// send hands one delivery to its target. The dedup key makes a repeated
// send after a crash idempotent at the target.
func (s *Service) send(ctx context.Context, d *delivery) error {
	a, err := ferry.ParseARN(d.Arn)
	if err != nil {
		return err
	}
	t := s.opts.Targets
	switch a.Kind {
	case ferry.KindFunction:
		if t.Functions == nil {
			return ferry.Errorf(ferry.EUNAVAILABLE, "no function service for target %s", d.Arn)
		}
		return t.Functions.InvokeAsync(ctx, &ferry.InvokeRequest{
			RequestID: uuid.NewSHA1(uuid.NameSpaceOID, []byte("bus-delivery:"+d.Key)).String(), Dedup: true,
			Function: a.Name, Qualifier: a.Qualifier, Payload: json.RawMessage(d.Payload),
			TraceID: d.TraceID, Hops: d.Hops + 1,
		})
	case ferry.KindQueue:
		if t.Queues == nil {
			return ferry.Errorf(ferry.EUNAVAILABLE, "no queue service for target %s", d.Arn)
		}
		_, err := t.Queues.SendMessage(ctx, a.Name, ferry.OutgoingMessage{
			Body: d.Payload, DedupID: d.Key, TraceID: d.TraceID, Hops: d.Hops + 1,
		})
		return err
	case ferry.KindTopic:
		if t.Topics == nil {
			return ferry.Errorf(ferry.EUNAVAILABLE, "no topic service for target %s", d.Arn)
		}
		_, err := t.Topics.Publish(ctx, a.Name, ferry.Notification{
			Message: d.Payload, DedupID: d.Key, TraceID: d.TraceID, Hops: d.Hops + 1,
		})
		return err
	case ferry.KindBus:
		return s.forward(ctx, a.Name, d)
	}
	return ferry.Errorf(ferry.EINVALID, "unsupported target %s", d.Arn)
}

// forward puts an event on another bus as EventBridge does for bus targets:
// the event keeps its source, detail-type, detail, resources and time. A
// transformed payload that is not an event is sent as the detail.
func (s *Service) forward(ctx context.Context, bus string, d *delivery) error {
	var ev Event
	if err := json.Unmarshal([]byte(d.Payload), &ev); err != nil || ev.Source == "" || ev.DetailType == "" || len(ev.Detail) == 0 {
		ev = Event{Source: "ferry.bus", DetailType: "Forwarded Event", Detail: json.RawMessage(d.Payload)}
	}
	var t time.Time
	if ev.Time != "" {
		t, _ = time.Parse(time.RFC3339, ev.Time)
	}
	_, err := s.PutEvent(ctx, ferry.BusEvent{
		Bus: bus, Source: ev.Source, DetailType: ev.DetailType, Detail: string(ev.Detail),
		Resources: ev.Resources, Time: t, DedupID: d.Key, TraceID: d.TraceID, Hops: d.Hops + 1,
	})
	return err
}
