package queue

import (
	"context"
	"crypto/hmac"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/natsjs"
)

// receiveFifo is ReceiveMessages on a FIFO queue (see fifo.go): it scans,
// and with a wait time scans again every fifoPollInterval until a message
// is available or the wait ends.
func (s *Service) receiveFifo(ctx context.Context, q *queue, n int, wait, vis time.Duration) ([]ferry.Message, error) {
	deadline := s.now().Add(wait)
	for {
		out, moved, err := s.scanFifo(ctx, q, n, vis)
		if err != nil || len(out) > 0 || !s.now().Add(fifoPollInterval).Before(deadline) && moved == 0 {
			return out, err
		}
		if moved > 0 {
			continue // everything taken was dead-lettered: look again at once
		}
		t := time.NewTimer(fifoPollInterval)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, nil
		}
	}
}

// fifoGroup is what one scan knows of a group.
type fifoGroup struct {
	key     string
	blocked bool
	rev     uint64
	msgs    []*jetstream.RawStreamMsg
}

// scanFifo takes up to n receivable messages, in sequence order, and
// claims their groups. moved counts the messages it dead-lettered instead.
func (s *Service) scanFifo(ctx context.Context, q *queue, n int, vis time.Duration) (out []ferry.Message, moved int, err error) {
	name := q.def.Name
	st, err := s.js.Stream(ctx, streamName(name))
	if err != nil {
		return nil, 0, fmt.Errorf("queue %q: %w", name, err)
	}
	now := s.now()
	groups := map[string]*fifoGroup{}
	var order []*fifoGroup
	taken := 0
	seq := st.CachedInfo().State.FirstSeq
	for scanned := 0; scanned < fifoScanLimit && taken < n; scanned++ {
		m, err := st.GetMsg(ctx, seq, jetstream.WithGetMsgSubject(fifoAllSubjects(name)))
		if natsjs.IsNotFound(err) {
			break
		}
		if err != nil {
			return nil, 0, fmt.Errorf("receive from queue %q: %w", name, err)
		}
		seq = m.Sequence + 1
		tok := m.Subject[strings.LastIndexByte(m.Subject, '.')+1:]
		g := groups[tok]
		if g == nil {
			g = &fifoGroup{key: lockKey(name, tok)}
			l, rev, err := s.readLock(ctx, g.key)
			if err != nil {
				return nil, 0, err
			}
			g.rev, g.blocked = rev, l != nil && l.active(now)
			groups[tok] = g
			order = append(order, g)
		}
		if g.blocked {
			continue
		}
		if q.attr.Delay > 0 {
			sent, _ := strconv.ParseInt(m.Header.Get(hdrSent), 10, 64)
			if time.UnixMilli(sent).Add(q.attr.Delay).After(now) {
				g.blocked = true // the group's first message is still delayed
				continue
			}
		}
		g.msgs = append(g.msgs, m)
		taken++
	}
	for _, g := range order {
		if len(g.msgs) == 0 {
			continue
		}
		l := &groupLock{Token: newToken(), Until: map[string]int64{}}
		until := now.Add(vis).UnixMilli()
		for _, m := range g.msgs {
			l.Until[strconv.FormatUint(m.Sequence, 10)] = until
		}
		if err := s.writeLock(ctx, g.key, l, g.rev); err != nil {
			continue // claimed concurrently
		}
		// A message read before another receiver deleted it and released
		// the group is gone now: deletes remove the message first.
		var gone []string
		kept := g.msgs[:0]
		for _, m := range g.msgs {
			if s.fifoStored(ctx, name, m.Sequence) {
				kept = append(kept, m)
			} else {
				gone = append(gone, strconv.FormatUint(m.Sequence, 10))
			}
		}
		if len(gone) > 0 {
			if err := s.updateLock(ctx, g.key, l.Token, func(l *groupLock) {
				for _, k := range gone {
					delete(l.Until, k)
				}
			}); err != nil {
				return out, moved, err
			}
		}
		for _, m := range kept {
			fm, ok, err := s.deliverFifo(ctx, q, g.key, l.Token, m, now)
			if err != nil {
				s.log.Warn("receive", "queue", name, "err", err)
				continue
			}
			if ok {
				out = append(out, fm)
			} else {
				moved++
			}
		}
	}
	sortBySequence(out)
	return out, moved, nil
}

func sortBySequence(ms []ferry.Message) {
	for i := 1; i < len(ms); i++ {
		for j := i; j > 0 && ms[j].SequenceNumber < ms[j-1].SequenceNumber; j-- {
			ms[j], ms[j-1] = ms[j-1], ms[j]
		}
	}
}

// deliverFifo counts a receive of a claimed message and turns it into a
// received one, or moves it to the dead-letter queue (ok false).
func (s *Service) deliverFifo(ctx context.Context, q *queue, key, token string, m *jetstream.RawStreamMsg, now time.Time) (ferry.Message, bool, error) {
	name := q.def.Name
	count, err := s.countFifoReceive(ctx, name, m.Sequence)
	if err != nil {
		return ferry.Message{}, false, err
	}
	if p := q.attr.Redrive; p != nil && count > p.MaxReceiveCount {
		return ferry.Message{}, false, s.deadLetterFifo(ctx, q, key, token, m)
	}
	h := m.Header
	fm := ferry.Message{
		MessageID:      fifoMessageID(q, m.Sequence),
		ReceiptHandle:  s.signFifo(name, m.Sequence, key, token),
		Body:           string(m.Data),
		MD5OfBody:      md5Hex(m.Data),
		ReceiveCount:   count,
		SenderID:       h.Get(hdrSender),
		TraceID:        h.Get(hdrTrace),
		GroupID:        h.Get(hdrGroup),
		DedupID:        h.Get(hdrDedupI),
		SequenceNumber: sequenceNumber(m.Sequence),
	}
	fm.Hops, _ = strconv.Atoi(h.Get(hdrHops))
	fm.SentTimestamp, _ = strconv.ParseInt(h.Get(hdrSent), 10, 64)
	if a := h.Get(hdrAttrs); a != "" {
		if err := json.Unmarshal([]byte(a), &fm.Attributes); err != nil {
			return ferry.Message{}, false, fmt.Errorf("message %s attributes: %w", fm.MessageID, err)
		}
	}
	fm.FirstReceiveTimestamp = firstReceive(now, fm.SentTimestamp, count, q.attr.Visibility)
	return fm, true, nil
}

// countFifoReceive adds one to a FIFO message's stored receive count.
func (s *Service) countFifoReceive(ctx context.Context, queue string, seq uint64) (int, error) {
	key := receivesKey(queue, seq)
	count := 1
	ent, err := s.receives.Get(ctx, key)
	switch {
	case err == nil:
		c, _ := strconv.Atoi(string(ent.Value()))
		count = c + 1
	case !natsjs.IsNotFound(err):
		return 0, fmt.Errorf("receive count of message %d: %w", seq, err)
	}
	if _, err := s.receives.Put(ctx, key, []byte(strconv.Itoa(count))); err != nil {
		return 0, fmt.Errorf("receive count of message %d: %w", seq, err)
	}
	return count, nil
}

// deadLetterFifo moves a message to its queue's FIFO dead-letter queue,
// keeping its group and deduplication id, then deletes it.
func (s *Service) deadLetterFifo(ctx context.Context, q *queue, key, token string, m *jetstream.RawStreamMsg) error {
	dlq := queueName(q.attr.Redrive.DeadLetterTargetArn)
	if _, err := s.lookup(dlq); err != nil {
		return fmt.Errorf("dead-letter queue of %q: %w", q.def.Name, err)
	}
	out := nats.NewMsg(groupSubject(dlq, m.Header.Get(hdrGroup)))
	out.Data = m.Data
	for k, v := range m.Header {
		if k == hdrSent || k == hdrSender || k == hdrAttrs || k == hdrTrace || k == hdrHops || k == hdrGroup || k == hdrDedupI {
			out.Header[k] = v
		}
	}
	out.Header.Set(hdrSource, q.def.Name)
	out.Header.Set(jetstream.MsgIDHeader, fmt.Sprintf("dlq.%s.%d", q.def.Name, m.Sequence))
	if _, err := s.js.PublishMsg(ctx, out); err != nil {
		return fmt.Errorf("move message to dead-letter queue %q: %w", dlq, err)
	}
	return s.settleFifo(ctx, q.def.Name, m.Sequence, key, token)
}

// A FIFO receipt handle is "F" base64url("<seq>.<lock key>.<token>") "."
// base64url(HMAC of queue name and that text).
func (s *Service) signFifo(queue string, seq uint64, key, token string) string {
	p := strconv.FormatUint(seq, 10) + "." + token + "." + key
	return "F" + base64.RawURLEncoding.EncodeToString([]byte(p)) + "." + base64.RawURLEncoding.EncodeToString(s.mac(queue, p, ""))
}

type fifoHandle struct {
	seq        uint64
	key, token string
}

func (s *Service) verifyFifo(queue, receipt string) (fifoHandle, error) {
	bad := ferry.Errorf(ferry.ERECEIPT, "The input receipt handle %q is not a valid receipt handle for queue %q.", abbreviate(receipt), queue)
	a, b, ok := strings.Cut(strings.TrimPrefix(receipt, "F"), ".")
	if !ok || !strings.HasPrefix(receipt, "F") {
		return fifoHandle{}, bad
	}
	p, err1 := base64.RawURLEncoding.DecodeString(a)
	sig, err2 := base64.RawURLEncoding.DecodeString(b)
	if err1 != nil || err2 != nil || !hmac.Equal(sig, s.mac(queue, string(p), "")) {
		return fifoHandle{}, bad
	}
	parts := strings.SplitN(string(p), ".", 3)
	if len(parts) != 3 {
		return fifoHandle{}, bad
	}
	seq, err := strconv.ParseUint(parts[0], 10, 64)
	if err != nil {
		return fifoHandle{}, bad
	}
	return fifoHandle{seq: seq, token: parts[1], key: parts[2]}, nil
}

// deleteFifo deletes the message a FIFO receipt handle names. Deleting a
// message already gone succeeds; a handle whose group was received again
// since (its visibility ended) is ERECEIPT while the message exists.
func (s *Service) deleteFifo(ctx context.Context, queue, receipt string) error {
	h, err := s.verifyFifo(queue, receipt)
	if err != nil {
		return err
	}
	l, _, err := s.readLock(ctx, h.key)
	if err != nil {
		return err
	}
	if l == nil || l.Token != h.token {
		if s.fifoStored(ctx, queue, h.seq) {
			return ferry.Errorf(ferry.ERECEIPT, "The receipt handle %q has expired: the message was received again.", abbreviate(receipt))
		}
		return nil
	}
	return s.settleFifo(ctx, queue, h.seq, h.key, h.token)
}

// settleFifo removes a message from the stream and from its group's lock.
func (s *Service) settleFifo(ctx context.Context, queue string, seq uint64, key, token string) error {
	st, err := s.js.Stream(ctx, streamName(queue))
	if err != nil {
		return fmt.Errorf("queue %q: %w", queue, err)
	}
	if err := st.DeleteMsg(ctx, seq); err != nil && !natsjs.IsNotFound(err) && !strings.Contains(err.Error(), "no message found") {
		return fmt.Errorf("delete message from queue %q: %w", queue, err)
	}
	s.forgetReceives(ctx, queue, seq)
	return s.updateLock(ctx, key, token, func(l *groupLock) { delete(l.Until, strconv.FormatUint(seq, 10)) })
}

// updateLock changes a group's lock held with token; the lock goes when it
// has no entry left. A lock held by another token is left alone.
func (s *Service) updateLock(ctx context.Context, key, token string, change func(*groupLock)) error {
	for range 8 {
		l, rev, err := s.readLock(ctx, key)
		if err != nil {
			return err
		}
		if l == nil || l.Token != token {
			return nil
		}
		change(l)
		if len(l.Until) == 0 {
			err = s.groups.Delete(ctx, key, jetstream.LastRevision(rev))
		} else {
			err = s.writeLock(ctx, key, l, rev)
		}
		if err == nil {
			return nil
		}
	}
	return fmt.Errorf("group lock %s keeps changing", key)
}

func (s *Service) fifoStored(ctx context.Context, queue string, seq uint64) bool {
	st, err := s.js.Stream(ctx, streamName(queue))
	if err != nil {
		return false
	}
	_, err = st.GetMsg(ctx, seq)
	return err == nil
}

// changeVisibilityFifo moves one in-flight message's visibility deadline.
func (s *Service) changeVisibilityFifo(ctx context.Context, queue, receipt string, timeout time.Duration) error {
	h, err := s.verifyFifo(queue, receipt)
	if err != nil {
		return err
	}
	k := strconv.FormatUint(h.seq, 10)
	l, _, err := s.readLock(ctx, h.key)
	if err != nil {
		return err
	}
	if l == nil || l.Token != h.token || l.Until[k] == 0 || !s.fifoStored(ctx, queue, h.seq) {
		return ferry.Errorf(ferry.ERECEIPT, "The message of receipt handle %q does not exist or is not in flight.", abbreviate(receipt))
	}
	until := s.now().Add(timeout).UnixMilli()
	return s.updateLock(ctx, h.key, h.token, func(l *groupLock) {
		if _, ok := l.Until[k]; ok {
			l.Until[k] = until
		}
	})
}

// fifoCounts derives the approximate counters of a FIFO queue: in flight
// are the entries of active group locks, visible the rest of the stream.
func (s *Service) fifoCounts(ctx context.Context, q *queue) (counts, error) {
	st, err := s.js.Stream(ctx, streamName(q.def.Name))
	if err != nil {
		return counts{}, fmt.Errorf("queue %q counters: %w", q.def.Name, err)
	}
	total := int64(st.CachedInfo().State.Msgs)
	var inFlight int64
	l, err := s.groups.ListKeysFiltered(ctx, fifoBase(q.def.Name)+".*")
	if err != nil {
		return counts{}, fmt.Errorf("queue %q counters: %w", q.def.Name, err)
	}
	var keys []string
	for k := range l.Keys() {
		keys = append(keys, k)
	}
	now := s.now().UnixMilli()
	for _, k := range keys {
		gl, _, err := s.readLock(ctx, k)
		if err != nil || gl == nil {
			continue
		}
		for _, u := range gl.Until {
			if u > now {
				inFlight++
			}
		}
	}
	inFlight = min(inFlight, total)
	return counts{visible: total - inFlight, inFlight: inFlight}, nil
}
