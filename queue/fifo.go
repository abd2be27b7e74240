package queue

// FIFO queues: see the package doc (# FIFO queues).

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/natsjs"
)

// FIFO attribute names (as in SQS).
const (
	AttrFifoQueue                 = "FifoQueue"
	AttrContentBasedDeduplication = "ContentBasedDeduplication"
	AttrDeduplicationScope        = "DeduplicationScope"
	AttrFifoThroughputLimit       = "FifoThroughputLimit"
)

// GroupBucket holds the in-flight lock of each message group of the FIFO
// queues.
const GroupBucket = "ferry_queue_groups"

// DefaultFifoDedupWindow is SQS's deduplication interval.
const DefaultFifoDedupWindow = 5 * time.Minute

const (
	fifoSuffix       = ".fifo"
	fifoStreamPrefix = "FERRYF_"
	fifoSubjPrefix   = "ferryf."
	// fifoScanLimit bounds the messages one receive walks past.
	fifoScanLimit = 4096
	// fifoPollInterval is how often a long poll on a FIFO queue looks again.
	fifoPollInterval = 50 * time.Millisecond
	// groupLockTTL outlasts the longest visibility timeout (12 h).
	groupLockTTL = 13 * time.Hour
	// maxFifoID is the longest MessageGroupId or MessageDeduplicationId.
	maxFifoID = 128
	hdrGroup  = "Ferry-Group"
	hdrDedupI = "Ferry-Dedup-Id"
)

// fifoNamespace derives FIFO message ids from queue and sequence.
var fifoNamespace = uuid.MustParse("0f6b8a3e-2d4c-5e71-9b0a-6c2d8e4f1a37")

// IsFIFO reports whether a queue name (or ARN) names a FIFO queue.
func IsFIFO(nameOrARN string) bool { return strings.HasSuffix(nameOrARN, fifoSuffix) }

func fifoBase(queue string) string { return strings.TrimSuffix(queue, fifoSuffix) }

func groupToken(group string) string { return hex.EncodeToString([]byte(group)) }

func groupSubject(queue, group string) string {
	return fifoSubjPrefix + fifoBase(queue) + ".g." + groupToken(group)
}

func fifoAllSubjects(queue string) string { return fifoSubjPrefix + fifoBase(queue) + ".g.>" }

func lockKey(queue, token string) string { return fifoBase(queue) + "." + token }

// normalizeFifo validates one FIFO attribute value.
func normalizeFifo(k, v string) (string, error) {
	switch k {
	case AttrFifoQueue, AttrContentBasedDeduplication:
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		if err != nil {
			return "", ferry.Errorf(ferry.EINVALID, "Invalid value for the parameter %s: %q is not true or false", k, v)
		}
		return strconv.FormatBool(b), nil
	case AttrDeduplicationScope:
		if v != "messageGroup" && v != "queue" {
			return "", ferry.Errorf(ferry.EINVALID, "Invalid value for the parameter DeduplicationScope: %q (messageGroup or queue)", v)
		}
	case AttrFifoThroughputLimit:
		if v != "perQueue" && v != "perMessageGroupId" {
			return "", ferry.Errorf(ferry.EINVALID, "Invalid value for the parameter FifoThroughputLimit: %q (perQueue or perMessageGroupId)", v)
		}
	}
	return v, nil
}

// fifoAttrs checks the FIFO attributes a CreateQueue (create) or
// SetQueueAttributes gives a queue, and on create of a FIFO queue returns
// the FIFO defaults to store under the given ones.
func fifoAttrs(name string, norm map[string]string, create bool) (map[string]string, error) {
	fifo := IsFIFO(name)
	if !fifo {
		for _, k := range []string{AttrFifoQueue, AttrContentBasedDeduplication, AttrDeduplicationScope, AttrFifoThroughputLimit} {
			if v, ok := norm[k]; ok && !(k == AttrFifoQueue && v == "false") {
				if k == AttrFifoQueue {
					return nil, ferry.Errorf(ferry.EINVALID, "The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length (queue %q has FifoQueue=true)", name)
				}
				return nil, ferry.Errorf(ferry.EINVALID, "Unknown Attribute %s (it applies to FIFO queues only)", k)
			}
		}
		delete(norm, AttrFifoQueue)
		return nil, nil
	}
	if v, ok := norm[AttrFifoQueue]; create && v != "true" || !create && ok && v != "true" {
		if !create {
			return nil, ferry.Errorf(ferry.EINVALID, "Invalid value for the parameter FifoQueue: the queue type cannot be changed")
		}
		return nil, ferry.Errorf(ferry.EINVALID, "The name of a FIFO queue %q needs the attribute FifoQueue=true; a standard queue's name cannot end in .fifo", name)
	}
	if !create {
		return nil, nil
	}
	return map[string]string{AttrFifoQueue: "true", AttrContentBasedDeduplication: "false",
		AttrDeduplicationScope: "queue", AttrFifoThroughputLimit: "perQueue"}, nil
}

// fifoAttributes are the FIFO part of a queue's attributes.
type fifoAttributes struct {
	Fifo         bool
	ContentDedup bool
	GroupScope   bool // DeduplicationScope=messageGroup
}

func parseFifo(full map[string]string) fifoAttributes {
	return fifoAttributes{Fifo: full[AttrFifoQueue] == "true", ContentDedup: full[AttrContentBasedDeduplication] == "true",
		GroupScope: full[AttrDeduplicationScope] == "messageGroup"}
}

// checkFifoRedrive enforces SQS's rule that a FIFO queue's dead-letter
// queue is a FIFO queue and a standard queue's a standard one.
func checkFifoRedrive(source string, p *RedrivePolicy) error {
	if p == nil {
		return nil
	}
	if IsFIFO(source) != IsFIFO(queueName(p.DeadLetterTargetArn)) {
		return ferry.Errorf(ferry.EINVALID, "attribute RedrivePolicy: the dead-letter queue of a FIFO queue must be a FIFO queue, and of a standard queue a standard queue")
	}
	return nil
}

func (s *Service) openGroups(ctx context.Context) error {
	kv, err := s.engine.EnsureKV(ctx, jetstream.KeyValueConfig{Bucket: GroupBucket, History: 1, TTL: groupLockTTL})
	if err != nil {
		return err
	}
	s.groups = kv
	return nil
}

// declareFifo creates or updates the stream of a FIFO queue.
func (s *Service) declareFifo(ctx context.Context, name string, a attributes) error {
	window := min(s.fifoWindow, a.Retention)
	_, err := s.engine.EnsureStream(ctx, jetstream.StreamConfig{
		Name:        streamName(name),
		Subjects:    []string{fifoSubjPrefix + fifoBase(name) + ".>"},
		Retention:   jetstream.LimitsPolicy,
		MaxAge:      a.Retention,
		Discard:     jetstream.DiscardOld,
		Duplicates:  window,
		AllowDirect: true,
	})
	if err != nil {
		return fmt.Errorf("queue %q: %w", name, err)
	}
	return nil
}

// validFifoID checks a MessageGroupId or MessageDeduplicationId: 1-128
// alphanumeric and punctuation characters, as SQS.
func validFifoID(param, v string) error {
	if v == "" || len(v) > maxFifoID {
		return ferry.Errorf(ferry.EINVALID, "Value %q for parameter %s is invalid. Reason: it must be 1 to 128 characters long", ferry.Shorten(v), param)
	}
	for _, r := range v {
		if r < 0x21 || r > 0x7e {
			return ferry.Errorf(ferry.EINVALID, "Value %q for parameter %s is invalid. Reason: it may contain only alphanumeric characters and punctuation", ferry.Shorten(v), param)
		}
	}
	return nil
}

// errNoDedupID is the error of a FIFO send without deduplication id to a
// queue without ContentBasedDeduplication (SQS's wording).
const errNoDedupID = "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly"

// fifoMessageID is the id of the message stored at seq in a FIFO queue.
func fifoMessageID(q *queue, seq uint64) string {
	return uuid.NewSHA1(fifoNamespace, []byte(q.def.Name+"\x00"+strconv.FormatInt(q.def.Created, 10)+"\x00"+strconv.FormatUint(seq, 10))).String()
}

// sequenceNumber formats a FIFO stream sequence as SQS's SequenceNumber.
func sequenceNumber(seq uint64) string { return fmt.Sprintf("%020d", seq) }

// sendFifo stores a message on a FIFO queue.
func (s *Service) sendFifo(ctx context.Context, q *queue, msg ferry.OutgoingMessage) (SendResult, error) {
	if msg.GroupID == "" {
		return SendResult{}, ferry.Errorf(ferry.EINVALID, "The request must contain the parameter MessageGroupId.")
	}
	if err := validFifoID("MessageGroupId", msg.GroupID); err != nil {
		return SendResult{}, err
	}
	if msg.Delay != 0 {
		return SendResult{}, ferry.Errorf(ferry.EINVALID, "Value %d for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for this queue type.", int(msg.Delay/time.Second))
	}
	if err := validateMessage(msg, q.attr.MaxSize); err != nil {
		return SendResult{}, err
	}
	fa := parseFifo(q.def.Attrs)
	dedup := msg.DedupID
	if dedup == "" {
		if !fa.ContentDedup {
			return SendResult{}, ferry.Errorf(ferry.EINVALID, errNoDedupID)
		}
		h := sha256.Sum256([]byte(msg.Body))
		dedup = hex.EncodeToString(h[:])
	} else if err := validFifoID("MessageDeduplicationId", dedup); err != nil {
		return SendResult{}, err
	}
	m := nats.NewMsg(groupSubject(q.def.Name, msg.GroupID))
	m.Data = []byte(msg.Body)
	m.Header.Set(hdrSent, strconv.FormatInt(s.now().UnixMilli(), 10))
	m.Header.Set(hdrSender, s.realm.Account)
	m.Header.Set(hdrGroup, msg.GroupID)
	m.Header.Set(hdrDedupI, dedup)
	if len(msg.Attributes) > 0 {
		b, _ := json.Marshal(msg.Attributes)
		m.Header.Set(hdrAttrs, string(b))
	}
	if msg.TraceID != "" {
		m.Header.Set(hdrTrace, msg.TraceID)
	}
	if msg.Hops != 0 {
		m.Header.Set(hdrHops, strconv.Itoa(msg.Hops))
	}
	msgID := dedup
	if fa.GroupScope {
		msgID = groupToken(msg.GroupID) + "." + dedup
	}
	m.Header.Set(jetstream.MsgIDHeader, msgID)
	ack, err := s.js.PublishMsg(ctx, m)
	if err != nil {
		return SendResult{}, fmt.Errorf("send to queue %q: %w", q.def.Name, err)
	}
	return SendResult{MessageID: fifoMessageID(q, ack.Sequence), MD5OfBody: md5Hex(m.Data),
		MD5OfMessageAttributes: MD5OfAttributes(msg.Attributes), SequenceNumber: sequenceNumber(ack.Sequence)}, nil
}

// groupLock is the value of a group's lock: the token of the receive that
// holds it and the visibility deadline (Unix ms) of each in-flight message
// by stream sequence.
type groupLock struct {
	Token string           `json:"t"`
	Until map[string]int64 `json:"u"`
}

// active reports whether any entry's deadline is after now.
func (l *groupLock) active(now time.Time) bool {
	for _, u := range l.Until {
		if u > now.UnixMilli() {
			return true
		}
	}
	return false
}

func newToken() string {
	b := make([]byte, 9)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// readLock returns a group's lock and its revision (0, nil when none).
func (s *Service) readLock(ctx context.Context, key string) (*groupLock, uint64, error) {
	e, err := s.groups.Get(ctx, key)
	if natsjs.IsNotFound(err) || errors.Is(err, jetstream.ErrKeyDeleted) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("group lock: %w", err)
	}
	var l groupLock
	if err := json.Unmarshal(e.Value(), &l); err != nil {
		return nil, 0, fmt.Errorf("group lock %s: %w", key, err)
	}
	return &l, e.Revision(), nil
}

// writeLock stores l at key if its revision is still rev (0: absent).
func (s *Service) writeLock(ctx context.Context, key string, l *groupLock, rev uint64) error {
	b, _ := json.Marshal(l)
	var err error
	if rev == 0 {
		_, err = s.groups.Create(ctx, key, b)
	} else {
		_, err = s.groups.Update(ctx, key, b, rev)
	}
	return err
}

// dropLocks removes the group locks of a queue (purge, delete).
func (s *Service) dropLocks(ctx context.Context, queue string) {
	l, err := s.groups.ListKeysFiltered(ctx, fifoBase(queue)+".*")
	if err != nil {
		s.log.Warn("drop group locks", "queue", queue, "err", err)
		return
	}
	var keys []string
	for k := range l.Keys() {
		keys = append(keys, k)
	}
	for _, k := range keys {
		if err := s.groups.Purge(ctx, k); err != nil {
			s.log.Warn("drop group lock", "queue", queue, "err", err)
		}
	}
}
