package queue

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/ferry-run/ferry/natsjs"
)

// ReceivesBucket holds the receive count of every message received and not
// yet deleted, keyed by queue and stream sequence.
//
// The count is JetStream's delivery count in normal operation, but
// JetStream writes a consumer's state to disk at most every 100 ms, so the
// deliveries of a crash's last moments are forgotten and those messages
// come back with a count too low (also for the redrive policy's
// maxReceiveCount). The service therefore stores each message's count
// before it returns the message: the count is the stored one plus one, or
// JetStream's if that is higher (a message received before the bucket
// existed). A message whose count cannot be stored is not returned.
const ReceivesBucket = "ferry_queue_receives"

// receivesTTL outlasts the longest queue retention (14 days); markerTTL is
// how long the marker a delete leaves behind is kept.
const (
	receivesTTL = 15 * 24 * time.Hour
	markerTTL   = time.Minute
)

func (s *Service) openReceives(ctx context.Context) error {
	kv, err := s.engine.EnsureKV(ctx, jetstream.KeyValueConfig{Bucket: ReceivesBucket, History: 1, TTL: receivesTTL, LimitMarkerTTL: markerTTL})
	if err != nil {
		return err
	}
	s.receives = kv
	return nil
}

func receivesKey(queue string, seq uint64) string { return queue + "." + strconv.FormatUint(seq, 10) }

// countReceive records one more receive of a message and returns its
// receive count. Only a message stored before this service started can have
// been received by an earlier process, so only its stored count is read;
// for the others JetStream's count, kept in memory since, is exact.
func (s *Service) countReceive(ctx context.Context, queue string, seq uint64, stored time.Time, delivered int) (int, error) {
	key := receivesKey(queue, seq)
	count := delivered
	if stored.Before(s.startedAt) {
		ent, err := s.receives.Get(ctx, key)
		switch {
		case err == nil:
			if c, _ := strconv.Atoi(string(ent.Value())); c+1 > count {
				count = c + 1
			}
		case !natsjs.IsNotFound(err):
			return 0, fmt.Errorf("receive count of message %d: %w", seq, err)
		}
	}
	if _, err := s.receives.Put(ctx, key, []byte(strconv.Itoa(count))); err != nil {
		return 0, fmt.Errorf("receive count of message %d: %w", seq, err)
	}
	return count, nil
}

// forgetReceives drops the receive count of a deleted message; the purge
// marker goes after markerTTL, so deleted messages leave nothing behind.
func (s *Service) forgetReceives(ctx context.Context, queue string, seq uint64) {
	if err := s.receives.Purge(ctx, receivesKey(queue, seq), jetstream.PurgeTTL(markerTTL)); err != nil {
		s.log.Warn("forget receive count", "queue", queue, "seq", seq, "err", err)
	}
}
