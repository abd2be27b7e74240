package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/ferry-run/ferry/natsjs"
)

// Durable deduplication of sends with a DedupID (destination records, topic
// and bus deliveries).
//
// JetStream's duplicate window alone does not make such a send idempotent
// across a restart: the window is rebuilt from stored messages only, so a
// message already received and deleted, or one stored longer ago than the
// window, is not recognised and a resend stores a second copy. So the
// service keeps one marker per deduplicated message in its own bucket
// (DedupBucket), keyed by the message id derived from queue and DedupID:
//
//	send:    marker absent     -> create "pending" (with the time), publish
//	                              (Nats-Msg-Id = DedupID), set "stored"
//	         marker "stored"   -> already stored: answer with the same id
//	         marker "deleted"  -> already received and deleted: same answer
//	         marker "pending"  -> a send was interrupted between the marker
//	                              and "stored": look in the stream for the
//	                              message (by its Ferry-Id, from the marker's
//	                              time on); found -> "stored", else publish
//	delete:  set "deleted" before the ack that removes the message (also
//	         when a message is moved to a dead-letter queue)
//
// Crash points: before "pending" nothing happened; between "pending" and
// the publish the resend finds no message and publishes; between the
// publish and "stored" the message is either still stored (found by the
// look-up) or was deleted through DeleteMessage, which wrote "deleted"
// first; after "stored" the resend stops at the marker. A message that
// left the queue otherwise (retention expiry, PurgeQueue, DeleteQueue)
// while its marker was still "pending" can be stored again; that needs a
// crash inside the send and the message gone before the resend.
//
// Markers are kept for DedupRetention, longer than an async event can live
// (6 h maximum age plus retries) so every resend of a record finds its
// marker.
const DedupBucket = "ferry_queue_dedup"

// DefaultDedupRetention is how long dedup markers are kept by default.
const DefaultDedupRetention = 24 * time.Hour

// hdrDedup marks a message sent with a DedupID: deleting it writes its marker.
const hdrDedup = "Ferry-Dedup"

const (
	markPending = "pending"
	markStored  = "stored"
	markDeleted = "deleted"
)

type marker struct {
	State string `json:"s"`
	At    int64  `json:"at"` // Unix milliseconds of the first send
}

func (s *Service) openDedup(ctx context.Context) error {
	kv, err := s.engine.EnsureKV(ctx, jetstream.KeyValueConfig{Bucket: DedupBucket, History: 1, TTL: s.dedupTTL})
	if err != nil {
		return err
	}
	s.dedup = kv
	return nil
}

// claim decides whether a deduplicated send of message id to queue must
// publish (false) or was already stored (true), leaving a "pending" marker
// behind when it must publish.
func (s *Service) claim(ctx context.Context, queue, id string) (bool, error) {
	for range 3 {
		// The common case first: no marker yet.
		b, _ := json.Marshal(marker{State: markPending, At: s.now().UnixMilli()})
		_, err := s.dedup.Create(ctx, id, b)
		if err == nil {
			return false, nil
		}
		if !errors.Is(err, jetstream.ErrKeyExists) {
			return false, fmt.Errorf("send to queue %q: dedup marker: %w", queue, err)
		}
		ent, err := s.dedup.Get(ctx, id)
		if natsjs.IsNotFound(err) {
			continue // gone in between (expired)
		}
		if err != nil {
			return false, fmt.Errorf("send to queue %q: dedup marker: %w", queue, err)
		}
		var m marker
		if err := json.Unmarshal(ent.Value(), &m); err != nil {
			return false, fmt.Errorf("send to queue %q: dedup marker %s: %w", queue, id, err)
		}
		if m.State != markPending {
			return true, nil
		}
		found, err := s.storedSince(ctx, queue, id, time.UnixMilli(m.At))
		if err != nil {
			return false, err
		}
		if found {
			if err := s.mark(ctx, id, markStored); err != nil {
				s.log.Warn("send: dedup marker", "queue", queue, "err", err)
			}
		}
		return found, nil
	}
	return false, fmt.Errorf("send to queue %q: dedup marker %s keeps changing", queue, id)
}

// mark sets a message's dedup marker.
func (s *Service) mark(ctx context.Context, id, state string) error {
	b, _ := json.Marshal(marker{State: state, At: s.now().UnixMilli()})
	if _, err := s.dedup.Put(ctx, id, b); err != nil {
		return fmt.Errorf("dedup marker %s: %w", id, err)
	}
	return nil
}

// storedSince reports whether the queue's stream holds a message with
// Ferry-Id id stored at or after since (less a second of clock slack). It
// binary-searches the stream by time, then reads forward; it runs only
// after a send was interrupted.
func (s *Service) storedSince(ctx context.Context, queue, id string, since time.Time) (bool, error) {
	st, err := s.js.Stream(ctx, streamName(queue))
	if err != nil {
		return false, fmt.Errorf("queue %q: %w", queue, err)
	}
	state := st.CachedInfo().State
	subj := subjPrefix + queue + ".>"
	next := func(seq uint64) (*jetstream.RawStreamMsg, error) {
		m, err := st.GetMsg(ctx, seq, jetstream.WithGetMsgSubject(subj))
		if natsjs.IsNotFound(err) {
			return nil, nil
		}
		return m, err
	}
	since = since.Add(-time.Second)
	lo, hi := state.FirstSeq, state.LastSeq+1
	for lo < hi {
		mid := lo + (hi-lo)/2
		m, err := next(mid)
		if err != nil {
			return false, fmt.Errorf("queue %q: %w", queue, err)
		}
		if m == nil || !m.Time.Before(since) {
			hi = mid
			continue
		}
		lo = m.Sequence + 1
	}
	for seq := lo; ; {
		m, err := next(seq)
		if err != nil {
			return false, fmt.Errorf("queue %q: %w", queue, err)
		}
		if m == nil {
			return false, nil
		}
		if m.Header.Get(hdrID) == id {
			return true, nil
		}
		seq = m.Sequence + 1
	}
}

// fault calls the test fault hook at a named point.
func (s *Service) fault(point string) {
	if s.faultHook != nil {
		s.faultHook(point)
	}
}
