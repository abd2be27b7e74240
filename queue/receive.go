package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ferry-run/ferry"
)

// ReceiveMessages returns up to opts.MaxMessages (1-10, default 1) visible
// messages. With a wait time (opts.WaitTime, or the queue's
// ReceiveMessageWaitTimeSeconds when zero; at most 20 s) it long-polls and
// returns as soon as a message is available. Each returned message stays
// invisible for opts.Visibility when HasVisibility, else the queue's
// VisibilityTimeout. A message received more than its queue's redrive
// maxReceiveCount times is moved to the dead-letter queue instead of being
// returned. Errors: ENOTFOUND, EINVALID for out-of-range options.
func (s *Service) ReceiveMessages(ctx context.Context, queue string, opts ferry.ReceiveOptions) ([]ferry.Message, error) {
	queue = queueName(queue)
	q, err := s.lookup(queue)
	if err != nil {
		return nil, err
	}
	n := opts.MaxMessages
	if n == 0 {
		n = 1
	}
	if n < 1 || n > MaxBatch {
		return nil, ferry.Errorf(ferry.EINVALID, "MaxNumberOfMessages must be from 1 to 10, got %d", opts.MaxMessages)
	}
	wait := opts.WaitTime
	if wait == 0 {
		wait = q.attr.Wait
	}
	if wait < 0 || wait > MaxWait {
		return nil, ferry.Errorf(ferry.EINVALID, "WaitTimeSeconds must be from 0 to 20, got %v", wait.Seconds())
	}
	vis := q.attr.Visibility
	if opts.HasVisibility {
		if opts.Visibility < 0 || opts.Visibility > MaxVisibility {
			return nil, ferry.Errorf(ferry.EINVALID, "VisibilityTimeout must be from 0 to 43200, got %v", opts.Visibility.Seconds())
		}
		vis = opts.Visibility
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(s.ctx, cancel)
	defer stop()
	if IsFIFO(queue) {
		return s.receiveFifo(ctx, q, n, wait, vis)
	}

	deadline := s.now().Add(wait)
	var out []ferry.Message
	for {
		msgs, err := s.fetch(ctx, q, n-len(out), time.Until(deadline))
		if err != nil {
			return out, err
		}
		for _, m := range msgs {
			fm, ok, err := s.deliver(ctx, q, m, vis)
			if err != nil {
				s.log.Warn("receive", "queue", queue, "err", err)
				continue
			}
			if ok {
				out = append(out, fm)
			}
		}
		// Keep polling only when everything fetched was dead-lettered.
		if len(out) > 0 || len(msgs) == 0 || !s.now().Before(deadline) || ctx.Err() != nil {
			return out, nil
		}
	}
}

// fetch returns what is available at once, or long-polls for the first
// message and then takes what else is available.
func (s *Service) fetch(ctx context.Context, q *queue, n int, wait time.Duration) ([]jetstream.Msg, error) {
	msgs, err := collect(q.cons.FetchNoWait(n))
	if err != nil || len(msgs) > 0 || wait < 50*time.Millisecond {
		return msgs, err
	}
	wctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	msgs, err = collect(q.cons.Fetch(1, jetstream.FetchContext(wctx)))
	if err != nil || len(msgs) == 0 || n == 1 {
		return msgs, err
	}
	more, err := collect(q.cons.FetchNoWait(n - 1))
	return append(msgs, more...), err
}

func collect(b jetstream.MessageBatch, err error) ([]jetstream.Msg, error) {
	if err != nil {
		return nil, fetchErr(err)
	}
	var msgs []jetstream.Msg
	for m := range b.Messages() {
		msgs = append(msgs, m)
	}
	if err := b.Error(); err != nil && len(msgs) == 0 {
		return nil, fetchErr(err)
	}
	return msgs, nil
}

func fetchErr(err error) error {
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled),
		errors.Is(err, jetstream.ErrNoMessages), errors.Is(err, nats.ErrTimeout):
		return nil
	case strings.Contains(err.Error(), "MaxAckPending"):
		return ferry.Errorf(ferry.ETHROTTLED, "the queue has %d messages in flight, the maximum", maxInFlight)
	}
	return fmt.Errorf("receive: %w", err)
}

// deliver turns a fetched message into a received one, or dead-letters it
// (ok false) when it exceeded the redrive policy's maxReceiveCount.
func (s *Service) deliver(ctx context.Context, q *queue, m jetstream.Msg, vis time.Duration) (ferry.Message, bool, error) {
	meta, err := m.Metadata()
	if err != nil {
		return ferry.Message{}, false, err
	}
	count, err := s.countReceive(ctx, q.def.Name, meta.Sequence.Stream, meta.Timestamp, int(meta.NumDelivered))
	if err != nil {
		_ = m.Nak()
		return ferry.Message{}, false, err
	}
	if p := q.attr.Redrive; p != nil && count > p.MaxReceiveCount {
		return ferry.Message{}, false, s.deadLetter(ctx, q, m, meta)
	}
	if vis != q.attr.Visibility || vis == 0 {
		var err error
		if vis == 0 {
			err = m.Nak()
		} else {
			err = m.NakWithDelay(vis)
		}
		if err != nil {
			return ferry.Message{}, false, fmt.Errorf("set visibility: %w", err)
		}
	}
	h := m.Headers()
	dedupID := ""
	if h.Get(hdrDedup) != "" {
		dedupID = h.Get(hdrID)
	}
	fm := ferry.Message{
		MessageID:     h.Get(hdrID),
		ReceiptHandle: s.sign(q.def.Name, m.Reply(), dedupID),
		Body:          string(m.Data()),
		MD5OfBody:     md5Hex(m.Data()),
		ReceiveCount:  count,
		SenderID:      h.Get(hdrSender),
		TraceID:       h.Get(hdrTrace),
	}
	fm.Hops, _ = strconv.Atoi(h.Get(hdrHops))
	fm.SentTimestamp, _ = strconv.ParseInt(h.Get(hdrSent), 10, 64)
	if a := h.Get(hdrAttrs); a != "" {
		if err := json.Unmarshal([]byte(a), &fm.Attributes); err != nil {
			return ferry.Message{}, false, fmt.Errorf("message %s attributes: %w", fm.MessageID, err)
		}
	}
	fm.FirstReceiveTimestamp = firstReceive(s.now(), fm.SentTimestamp, count, q.attr.Visibility)
	return fm, true, nil
}

// firstReceive approximates ApproximateFirstReceiveTimestamp without
// per-message state: exact on the first receive; on a later one, as many
// visibility timeouts back as there were earlier receives, never before the
// send.
func firstReceive(now time.Time, sent int64, count int, vis time.Duration) int64 {
	t := now.Add(-time.Duration(count-1) * vis).UnixMilli()
	if t < sent {
		t = sent
	}
	return t
}

// deadLetter moves a message to its queue's DLQ: publish (deduplicated by
// source stream sequence, so a crash before the ack stores no duplicate),
// then acknowledge.
func (s *Service) deadLetter(ctx context.Context, q *queue, m jetstream.Msg, meta *jetstream.MsgMetadata) error {
	dlq := queueName(q.attr.Redrive.DeadLetterTargetArn)
	if _, err := s.lookup(dlq); err != nil {
		return fmt.Errorf("dead-letter queue of %q: %w", q.def.Name, err)
	}
	out := nats.NewMsg(readySubject(dlq))
	out.Data = m.Data()
	for k, v := range m.Headers() {
		if k == hdrID || k == hdrSent || k == hdrSender || k == hdrAttrs || k == hdrTrace || k == hdrHops || k == hdrDedup {
			out.Header[k] = v
		}
	}
	out.Header.Set(hdrSource, q.def.Name)
	out.Header.Set(jetstream.MsgIDHeader, fmt.Sprintf("dlq.%s.%d", q.def.Name, meta.Sequence.Stream))
	if _, err := s.js.PublishMsg(ctx, out); err != nil {
		return fmt.Errorf("move message to dead-letter queue %q: %w", dlq, err)
	}
	if m.Headers().Get(hdrDedup) != "" {
		if err := s.mark(ctx, m.Headers().Get(hdrID), markDeleted); err != nil {
			return err
		}
	}
	if err := m.DoubleAck(ctx); err != nil {
		return fmt.Errorf("ack dead-lettered message: %w", err)
	}
	s.forgetReceives(ctx, q.def.Name, meta.Sequence.Stream)
	s.log.Debug("message dead-lettered", "queue", q.def.Name, "dlq", dlq, "message", m.Headers().Get(hdrID))
	return nil
}
