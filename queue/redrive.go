package queue

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ferry-run/ferry"
)

// Redrive moves the visible messages of a dead-letter queue back to
// destination (like SQS StartMessageMoveTask, run to completion). With an
// empty destination each message returns to the queue it was dead-lettered
// from, or, for a message sent to the DLQ directly, to the one queue whose
// RedrivePolicy names the DLQ. Messages keep their id, body and attributes.
// It moves at most the messages stored when it starts (in-flight ones stay) and returns how many
// it moved. Errors: ENOTFOUND, EINVALID (no destination can be determined,
// or destination is the DLQ itself).
func (s *Service) Redrive(ctx context.Context, dlq, destination string) (int, error) {
	dlq, destination = queueName(dlq), queueName(destination)
	q, err := s.lookup(dlq)
	if err != nil {
		return 0, err
	}
	if IsFIFO(dlq) {
		return 0, ferry.Errorf(ferry.EINVALID, "moving messages out of the FIFO queue %q is not supported by Ferry", dlq)
	}
	if destination == dlq {
		return 0, ferry.Errorf(ferry.EINVALID, "the destination of a message move must differ from the source queue %q", dlq)
	}
	if destination != "" {
		if _, err := s.lookup(destination); err != nil {
			return 0, err
		}
	}
	sources := s.sourcesOf(dlq)
	if destination == "" && len(sources) == 0 {
		return 0, ferry.Errorf(ferry.EINVALID, "no queue uses %q as its dead-letter queue; give a destination", dlq)
	}
	st, err := s.js.Stream(ctx, streamName(dlq))
	if err != nil {
		return 0, fmt.Errorf("queue %q: %w", dlq, err)
	}
	moved := 0
	for remaining := int(st.CachedInfo().State.Msgs); remaining > 0; {
		// A short wait, not a no-wait pull: the consumer may not have
		// caught up with a message stored a moment ago.
		msgs, err := collect(q.cons.Fetch(min(remaining, 256), jetstream.FetchMaxWait(200*time.Millisecond)))
		if err != nil {
			return moved, err
		}
		if len(msgs) == 0 {
			break
		}
		remaining -= len(msgs)
		for i, m := range msgs {
			if err := s.move(ctx, dlq, destination, sources, m); err != nil {
				for _, rest := range msgs[i:] {
					_ = rest.Nak()
				}
				return moved, err
			}
			moved++
		}
	}
	if moved > 0 {
		s.log.Info("dead-letter queue redriven", "queue", dlq, "moved", moved)
	}
	return moved, nil
}

// sourcesOf lists the queues whose RedrivePolicy targets dlq.
func (s *Service) sourcesOf(dlq string) []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []string
	for name, q := range s.queues {
		if p := q.attr.Redrive; p != nil && queueName(p.DeadLetterTargetArn) == dlq {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

func (s *Service) move(ctx context.Context, dlq, dest string, sources []string, m jetstream.Msg) error {
	meta, err := m.Metadata()
	if err != nil {
		return err
	}
	h := m.Headers()
	if dest == "" {
		dest = h.Get(hdrSource)
		if _, err := s.lookup(dest); dest == "" || err != nil {
			if len(sources) != 1 {
				return ferry.Errorf(ferry.EINVALID, "message %s in %q has no known source queue and %d queues use it as their dead-letter queue; give a destination", h.Get(hdrID), dlq, len(sources))
			}
			dest = sources[0]
		}
	}
	out := nats.NewMsg(readySubject(dest))
	out.Data = m.Data()
	for k, v := range h {
		if k == hdrID || k == hdrSent || k == hdrSender || k == hdrAttrs || k == hdrTrace || k == hdrHops || k == hdrDedup {
			out.Header[k] = v
		}
	}
	out.Header.Set(jetstream.MsgIDHeader, fmt.Sprintf("move.%s.%d", dlq, meta.Sequence.Stream))
	if _, err := s.js.PublishMsg(ctx, out); err != nil {
		return fmt.Errorf("move message to queue %q: %w", dest, err)
	}
	if err := m.DoubleAck(ctx); err != nil {
		return fmt.Errorf("ack moved message: %w", err)
	}
	s.forgetReceives(ctx, dlq, meta.Sequence.Stream)
	return nil
}
