package topic

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ferry-run/ferry"
)

// errClient marks a failure that retrying cannot fix (SNS's client-side errors).
type errClient struct{ err error }

func (e errClient) Error() string { return e.err.Error() }
func (e errClient) Unwrap() error { return e.err }

// dispatch hands one consumer message to a delivery goroutine, bounded per
// subscription.
func (s *Service) dispatch(r *subRunner, m jetstream.Msg) {
	select {
	case r.sem <- struct{}{}:
	case <-s.ctx.Done():
		return
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer func() { <-r.sem }()
		s.deliver(r, m)
	}()
}

// deliver makes one attempt and acks, naks with the policy's delay, or
// gives up.
func (s *Service) deliver(r *subRunner, m jetstream.Msg) {
	var msg stored
	if err := json.Unmarshal(m.Data(), &msg); err != nil {
		s.log.Error("unreadable topic message dropped", "subscription", r.arn, "err", err)
		r.failed.Add(1)
		_ = m.Ack()
		return
	}
	if IsFIFO(msg.Topic) {
		md, err := m.Metadata()
		if err != nil {
			s.log.Error("topic message without metadata", "subscription", r.arn, "err", err)
			return // redelivered after the ack wait
		}
		msg.MessageID = fifoMessageID(msg.Topic, md.Sequence.Stream)
		msg.Sequence = sequenceNumber(md.Sequence.Stream)
	}
	c := r.cfg.Load()
	if !c.filter.match(&msg) {
		r.filtered.Add(1)
		_ = m.Ack()
		return
	}
	policy := managedPolicy
	var err error
	switch c.rec.Protocol {
	case ProtocolLambda:
		err = s.toFunction(s.ctx, c, &msg)
	case ProtocolSQS:
		err = s.toQueue(s.ctx, c, &msg)
	default:
		var tp *topicDeliveryPolicy
		if t, terr := s.topic(msg.Topic); terr == nil {
			tp, _ = parseTopicDeliveryPolicy(t.rec.Attributes[AttrDeliveryPolicy])
		}
		hp := effectiveHTTP(tp, c.delivery)
		policy = hp.Retry
		if lim := r.limiter(hp.MaxPerSec); lim != nil {
			if werr := lim.Wait(s.ctx); werr != nil {
				_ = m.Nak()
				return
			}
		}
		err = s.toHTTP(s.ctx, c, &msg, hp)
	}
	if err == nil {
		r.delivered.Add(1)
		_ = m.Ack()
		return
	}
	if s.ctx.Err() != nil {
		return // stopping: JetStream redelivers after AckWait
	}
	attempt := 1
	if md, merr := m.Metadata(); merr == nil {
		attempt = int(md.NumDelivered)
	}
	var ce errClient
	if asClient(err, &ce) {
		r.failed.Add(1)
		s.log.Warn("topic delivery failed; not retried", "subscription", r.arn, "message", msg.MessageID, "err", err)
		_ = m.Ack()
		return
	}
	d, ok := policy.delay(attempt)
	if !ok {
		r.failed.Add(1)
		s.log.Warn("topic delivery failed; retry policy exhausted", "subscription", r.arn, "message", msg.MessageID, "attempts", attempt, "err", err)
		_ = m.Ack()
		return
	}
	r.retried.Add(1)
	s.log.Debug("topic delivery failed; retrying", "subscription", r.arn, "message", msg.MessageID, "attempt", attempt, "err", err)
	if d == 0 {
		_ = m.Nak()
	} else {
		_ = m.NakWithDelay(s.wait(d))
	}
}

func asClient(err error, ce *errClient) bool {
	e, ok := err.(errClient)
	if ok {
		*ce = e
	}
	return ok
}

// clientCodes are ferry codes that retrying does not fix.
func classify(err error) error {
	switch ferry.ErrorCode(err) {
	case ferry.ENOTFOUND, ferry.ETOOLARGE, ferry.EINVALID, ferry.EINVALIDJSON:
		return errClient{err}
	}
	return err
}

// deliveryID identifies a message's delivery to one subscription; it is the
// same on every redelivery.
func deliveryID(m *stored, c *subConfig) string { return m.MessageID + ":" + c.rec.ID }

func (s *Service) toFunction(ctx context.Context, c *subConfig, m *stored) error {
	if s.t.Functions == nil {
		return errClient{ferry.Errorf(ferry.EUNAVAILABLE, "no function service to deliver to %s", c.rec.Endpoint)}
	}
	payload, err := s.eventJSON(m, c)
	if err != nil {
		return err
	}
	req := &ferry.InvokeRequest{
		RequestID: uuid.NewSHA1(idNamespace, []byte(deliveryID(m, c))).String(),
		Dedup:     true,
		Function:  c.target.Name,
		Qualifier: c.target.Qualifier,
		Payload:   payload,
		TraceID:   m.TraceID,
		Hops:      m.Hops + 1,
	}
	return classify(s.t.Functions.InvokeAsync(ctx, req))
}

func (s *Service) toQueue(ctx context.Context, c *subConfig, m *stored) error {
	if s.t.Queues == nil {
		return errClient{ferry.Errorf(ferry.EUNAVAILABLE, "no queue service to deliver to %s", c.rec.Endpoint)}
	}
	out := ferry.OutgoingMessage{DedupID: deliveryID(m, c), GroupID: m.GroupID, TraceID: m.TraceID, Hops: m.Hops}
	if c.raw {
		if len(m.Attributes) > 10 {
			return errClient{ferry.Errorf(ferry.EINVALID, "raw delivery to queue %s takes at most 10 message attributes, message has %d", c.target.Name, len(m.Attributes))}
		}
		out.Body = m.Message
		if len(m.Attributes) > 0 {
			out.Attributes = make(map[string]ferry.MessageAttribute, len(m.Attributes))
			for k, a := range m.Attributes {
				if a.DataType == "String.Array" {
					a.DataType = "String"
				}
				out.Attributes[k] = a
			}
		}
	} else {
		b, err := s.envelopeJSON(m, c)
		if err != nil {
			return err
		}
		out.Body = string(b)
	}
	_, err := s.t.Queues.SendMessage(ctx, c.target.Name, out)
	return classify(err)
}

func (s *Service) toHTTP(ctx context.Context, c *subConfig, m *stored, hp httpPolicy) error {
	var body []byte
	if c.raw {
		body = []byte(m.Message)
	} else {
		b, err := s.envelopeJSON(m, c)
		if err != nil {
			return err
		}
		body = b
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.rec.Endpoint, bytes.NewReader(body))
	if err != nil {
		return errClient{err}
	}
	ct := hp.ContentType
	if ct == "" {
		ct = "text/plain; charset=UTF-8"
	}
	req.Header.Set("Content-Type", ct)
	req.Header.Set("User-Agent", "Amazon Simple Notification Service Agent")
	req.Header.Set("x-amz-sns-message-type", "Notification")
	req.Header.Set("x-amz-sns-message-id", m.MessageID)
	req.Header.Set("x-amz-sns-topic-arn", c.topicArn)
	req.Header.Set("x-amz-sns-subscription-arn", c.arn)
	if c.raw {
		req.Header.Set("x-amz-sns-rawdelivery", "true")
	}
	start := time.Now()
	resp, err := s.client.Do(req)
	if err != nil {
		return fmt.Errorf("POST %s: %w", c.rec.Endpoint, err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return nil
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests:
		return fmt.Errorf("POST %s: status %d after %s", c.rec.Endpoint, resp.StatusCode, time.Since(start).Round(time.Millisecond))
	}
	return errClient{fmt.Errorf("POST %s: status %d", c.rec.Endpoint, resp.StatusCode)}
}
