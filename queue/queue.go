// Package queue owns Ferry's SQS-like standard and FIFO queues on JetStream.
//
// # Standard queues
//
// Each queue is one work-queue stream (FERRYQ_<name>) with one durable pull
// consumer: visibility is the consumer's AckWait, ChangeMessageVisibility is a
// NAK with delay, the receive count is the delivery count, a receipt handle is
// the ack reply subject signed with an HMAC, DelaySeconds uses JetStream
// message schedules on a per-message subject of the same stream, and the
// redrive to a dead-letter queue happens in this package on receive. Queue
// definitions live in the ferry_queues key-value bucket, watched so every
// node sees the same queues. No per-message state is kept in Go memory.
// Two buckets keep what JetStream does not keep across a crash: durable
// deduplication markers for messages sent with a DedupID (dedup.go) and
// the receive count of each received message (receives.go).
//
// One stream per queue (rather than one stream with a subject per queue)
// because retention (MaxAge), purge, deletion and the counters that back
// the Approximate* attributes are all per stream in JetStream, and a busy
// queue then never slows another queue's consumer.
//
// # FIFO queues
//
// A queue whose name ends in ".fifo" is a FIFO queue (created with the
// attribute FifoQueue=true, as SQS requires both). It maps onto JetStream
// differently from a standard queue:
//
//   - Stream: one stream per queue, FERRYF_<name without .fifo>, limits
//     retention (MaxAge = MessageRetentionPeriod), no consumer. Each message
//     is stored on a per-group subject ferryf.<name>.g.<hex(MessageGroupId)>,
//     so the stream sequence orders the messages of the queue and of every
//     group, and "the next message of group G" is one direct get by subject.
//   - SequenceNumber is the stream sequence (20 digits, zero-padded); the
//     message id is a UUID v5 of queue, creation time and sequence, so a
//     duplicate send answers with the first copy's id and sequence.
//   - Deduplication uses JetStream's own: the deduplication id (the
//     MessageDeduplicationId, or the hex SHA-256 of the body with
//     ContentBasedDeduplication; for a topic's delivery, the delivery's
//     DedupID) is the Nats-Msg-Id header, prefixed with
//     the group for DeduplicationScope=messageGroup, and the stream's
//     duplicate window is the 5-minute deduplication interval
//     (Options.FifoDedupWindow; shorter only when the retention period is).
//     A publish inside the window is acknowledged as a duplicate and stores
//     nothing. JetStream rebuilds the window from the stored messages when
//     the server restarts, so a message already received and deleted before
//     a restart is not recognised after it: a resend in what is left of its
//     window is stored again.
//   - One batch in flight per group: a key-value bucket (GroupBucket) holds,
//     per queue and group, the lock of the group's in-flight messages:
//     a random token and each message's visibility deadline. A receive walks
//     the stream from its first sequence (at most fifoScanLimit messages),
//     skips every group whose lock has a deadline in the future or whose
//     first message is still delayed (queue DelaySeconds), takes the
//     messages of the other groups in sequence order, and claims each group
//     with a compare-and-set on its lock (a group claimed concurrently, here
//     or on another node, is left out of the answer). After the claim each
//     message is looked up again (a delete removes the message before it
//     releases the group, so one read just before a delete is dropped). So a
//     group's messages are never received while an earlier one of the group
//     is in flight, and come back in order when their visibility ends.
//   - DeleteMessage removes the message from the stream (DeleteMsg) and its
//     entry from the group's lock; the lock goes with its last entry.
//     ChangeMessageVisibility moves one entry's deadline. A receipt handle
//     names the sequence, group and lock token: once the group was received
//     again after a visibility timeout, an older handle is refused.
//   - Receive counts are kept in ReceivesBucket as for standard queues; the
//     redrive policy moves a message past maxReceiveCount to its (FIFO)
//     dead-letter queue, keeping its group and deduplication id.
//   - Long polls re-scan every fifoPollInterval until a message is
//     available or the wait ends.
//
// Per-message DelaySeconds is refused on FIFO queues, as SQS does; the
// queue's DelaySeconds applies. FifoThroughputLimit is stored and returned
// (Ferry applies no throughput quota). ApproximateNumberOfMessagesDelayed
// is 0 on FIFO queues.
package queue

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/natsjs"
)

// Bucket is the key-value bucket holding queue definitions.
const Bucket = "ferry_queues"

const (
	streamPrefix = "FERRYQ_"
	subjPrefix   = "ferryq."
	consumerName = "receiver"
	// maxInFlight matches AWS's in-flight limit for standard queues.
	maxInFlight = 120000
	// maxWaiting bounds concurrent long polls per queue.
	maxWaiting = 4096
	opTimeout  = 10 * time.Second
)

var _ ferry.QueueService = (*Service)(nil)

// Options configure the service.
type Options struct {
	Realm  ferry.Realm
	Logger *slog.Logger
	// Secret is the HMAC key for receipt handles; random when nil (handles
	// issued before a restart are then refused).
	Secret []byte
	// DedupRetention is how long the marker of a message sent with a
	// DedupID is kept (default DefaultDedupRetention); see dedup.go.
	DedupRetention time.Duration
	// DuplicateWindow is JetStream's duplicate window on each queue stream
	// (default 2 min); the durable markers of dedup.go hold beyond it.
	DuplicateWindow time.Duration
	// FifoDedupWindow is the deduplication interval of FIFO queues
	// (default DefaultFifoDedupWindow, SQS's 5 minutes); see fifo.go.
	FifoDedupWindow time.Duration
	// Fault, when set, is called at named points; crash tests use it to
	// kill the process there. Points: "queue-published" (a deduplicated
	// message is stored, its marker not yet set to stored).
	Fault func(point string)
}

// QueueInfo describes a queue.
type QueueInfo struct {
	Name    string
	ARN     string
	Created time.Time
}

// definition is what the bucket stores for a queue.
type definition struct {
	Name     string            `json:"name"`
	Attrs    map[string]string `json:"attributes"`
	Created  int64             `json:"created"`  // Unix seconds
	Modified int64             `json:"modified"` // Unix seconds
}

// queue is a known queue: its definition and JetStream handles.
type queue struct {
	def  definition
	attr attributes
	cons jetstream.Consumer
}

// Service is the queue service.
type Service struct {
	engine *natsjs.Engine
	js     jetstream.JetStream
	realm  ferry.Realm
	log    *slog.Logger
	secret []byte
	now    func() time.Time

	dedupTTL   time.Duration
	dupWindow  time.Duration
	dedup      jetstream.KeyValue
	receives   jetstream.KeyValue
	groups     jetstream.KeyValue // FIFO group locks (fifo.go)
	fifoWindow time.Duration
	startedAt  time.Time // messages stored before may have been received by an earlier process
	faultHook  func(string)

	mu      sync.RWMutex
	queues  map[string]*queue
	kv      jetstream.KeyValue
	mirror  *natsjs.Mirror
	ctx     context.Context // cancelled on Stop; bounds long polls
	cancel  context.CancelFunc
	started bool
	stopped bool
}

// New returns a service on engine; Start opens it.
func New(e *natsjs.Engine, opts Options) *Service {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Realm == (ferry.Realm{}) {
		opts.Realm = ferry.DefaultRealm
	}
	secret := opts.Secret
	if len(secret) == 0 {
		secret = make([]byte, 32)
		_, _ = rand.Read(secret)
	}
	if opts.DedupRetention <= 0 {
		opts.DedupRetention = DefaultDedupRetention
	}
	if opts.DuplicateWindow <= 0 {
		opts.DuplicateWindow = 2 * time.Minute
	}
	if opts.FifoDedupWindow <= 0 {
		opts.FifoDedupWindow = DefaultFifoDedupWindow
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Service{engine: e, fifoWindow: opts.FifoDedupWindow, realm: opts.Realm, log: opts.Logger, secret: secret, now: time.Now,
		dedupTTL: opts.DedupRetention, dupWindow: opts.DuplicateWindow, faultHook: opts.Fault,
		queues: map[string]*queue{}, ctx: ctx, cancel: cancel}
}

// Start opens the bucket, loads every existing queue (re-declaring its
// stream and consumer) and watches for queues created elsewhere. Idempotent.
func (s *Service) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return nil
	}
	if s.stopped {
		return ferry.Errorf(ferry.EUNAVAILABLE, "queue service is stopped")
	}
	s.js = s.engine.JetStream()
	kv, err := s.engine.EnsureKV(ctx, jetstream.KeyValueConfig{Bucket: Bucket, History: 1})
	if err != nil {
		return err
	}
	if err := s.openDedup(ctx); err != nil {
		return err
	}
	if err := s.openReceives(ctx); err != nil {
		return err
	}
	if err := s.openGroups(ctx); err != nil {
		return err
	}
	if s.engine.Embedded() {
		// The server's consumer state started with this process; an
		// external server's may be older than it.
		s.startedAt = s.now()
	} else {
		s.startedAt = time.Unix(1<<40, 0)
	}
	// The initial queues load here, under s.mu (held by Start); later
	// changes take it.
	m, err := natsjs.WatchKV(ctx, kv, nil, func(u jetstream.KeyValueEntry, initial bool) error {
		if initial {
			return s.applyLocked(ctx, u, true)
		}
		actx, cancel := context.WithTimeout(s.ctx, opTimeout)
		defer cancel()
		s.mu.Lock()
		defer s.mu.Unlock()
		if err := s.applyLocked(actx, u, false); err != nil {
			s.log.Warn("queue definition update", "queue", u.Key(), "err", err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("queues: %w", err)
	}
	s.kv, s.mirror, s.started = kv, m, true
	return nil
}

// Stop ends long polls and the watch. Idempotent.
func (s *Service) Stop(ctx context.Context) error {
	s.mu.Lock()
	if s.stopped {
		s.mu.Unlock()
		return nil
	}
	s.stopped = true
	s.cancel()
	m := s.mirror
	s.mu.Unlock()
	return m.Stop(ctx)
}

// applyLocked brings the cache in line with one bucket entry. With ensure,
// the stream and consumer are re-declared (startup heals a crash between
// declaring the stream and storing the definition).
func (s *Service) applyLocked(ctx context.Context, e jetstream.KeyValueEntry, ensure bool) error {
	name := e.Key()
	if e.Operation() != jetstream.KeyValuePut {
		delete(s.queues, name)
		return nil
	}
	var def definition
	if err := json.Unmarshal(e.Value(), &def); err != nil {
		return fmt.Errorf("queue %q definition: %w", name, err)
	}
	a, err := parseAttributes(def.Attrs)
	if err != nil {
		return fmt.Errorf("queue %q: %w", name, err)
	}
	if q, ok := s.queues[name]; ok && !ensure {
		q2 := *q
		q2.def, q2.attr = def, a
		s.queues[name] = &q2
		return nil
	}
	var cons jetstream.Consumer
	if ensure {
		cons, err = s.declare(ctx, name, a)
	} else if !IsFIFO(name) {
		cons, err = s.js.Consumer(ctx, streamName(name), consumerName)
	}
	if err != nil {
		return err
	}
	s.queues[name] = &queue{def: def, attr: a, cons: cons}
	return nil
}

// declare creates or updates the stream and consumer of a queue.
func (s *Service) declare(ctx context.Context, name string, a attributes) (jetstream.Consumer, error) {
	if IsFIFO(name) {
		return nil, s.declareFifo(ctx, name, a) // no consumer: fifo.go
	}
	st, err := s.engine.EnsureStream(ctx, jetstream.StreamConfig{
		Name:              streamName(name),
		Subjects:          []string{subjPrefix + name + ".>"},
		Retention:         jetstream.WorkQueuePolicy,
		MaxAge:            a.Retention,
		Discard:           jetstream.DiscardOld,
		AllowMsgSchedules: true,
		AllowRollup:       true,
		Duplicates:        s.dupWindow,
	})
	if err != nil {
		return nil, fmt.Errorf("queue %q: %w", name, err)
	}
	cons, err := st.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
		Durable:       consumerName,
		FilterSubject: readySubject(name),
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       ackWait(a.Visibility),
		MaxDeliver:    -1,
		MaxAckPending: maxInFlight,
		MaxWaiting:    maxWaiting,
		DeliverPolicy: jetstream.DeliverAllPolicy,
	})
	if err != nil {
		return nil, fmt.Errorf("queue %q consumer: %w", name, err)
	}
	return cons, nil
}

// ackWait is the consumer's AckWait for a visibility timeout; a zero
// visibility is applied per receive with an immediate NAK.
func ackWait(v time.Duration) time.Duration {
	if v <= 0 {
		return time.Second
	}
	return v
}

func streamName(queue string) string {
	if IsFIFO(queue) {
		return fifoStreamPrefix + fifoBase(queue)
	}
	return streamPrefix + queue
}
func readySubject(queue string) string { return subjPrefix + queue + ".m" }
func delaySubject(queue, id string) string {
	return subjPrefix + queue + ".d." + id
}

// lookup returns a known queue or ENOTFOUND.
func (s *Service) lookup(name string) (*queue, error) {
	s.mu.RLock()
	q, ok := s.queues[name]
	started := s.started && !s.stopped
	s.mu.RUnlock()
	if !started {
		return nil, ferry.Errorf(ferry.EUNAVAILABLE, "queue service is not running")
	}
	if !ok {
		return nil, ferry.Errorf(ferry.ENOTFOUND, "queue %q does not exist", name)
	}
	return q, nil
}

// Info returns a queue's name, ARN and creation time. Errors: ENOTFOUND.
func (s *Service) Info(name string) (*QueueInfo, error) {
	q, err := s.lookup(name)
	if err != nil {
		return nil, err
	}
	return s.info(q), nil
}

func (s *Service) info(q *queue) *QueueInfo {
	return &QueueInfo{Name: q.def.Name, ARN: s.realm.QueueARN(q.def.Name), Created: time.Unix(q.def.Created, 0).UTC()}
}

// ListQueues returns the queues whose name starts with prefix, sorted by name.
func (s *Service) ListQueues(ctx context.Context, prefix string) ([]QueueInfo, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []QueueInfo
	for name, q := range s.queues {
		if strings.HasPrefix(name, prefix) {
			out = append(out, *s.info(q))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// queueName resolves a queue name or ARN to a name.
func queueName(nameOrARN string) string {
	if strings.HasPrefix(nameOrARN, "arn:") {
		if a, err := ferry.ParseARN(nameOrARN); err == nil && a.Kind == ferry.KindQueue {
			return a.Name
		}
	}
	return nameOrARN
}
