package queue

import (
	"context"
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ferry-run/ferry"
)

// Message headers Ferry stores with each message.
const (
	hdrID     = "Ferry-Id"
	hdrSent   = "Ferry-Sent" // Unix milliseconds
	hdrSender = "Ferry-Sender"
	hdrAttrs  = "Ferry-Attrs" // JSON map of message attributes
	hdrTrace  = "Ferry-Trace"
	hdrHops   = "Ferry-Hops"
	hdrSource = "Ferry-Source" // the queue a dead-lettered message came from
)

// SendResult is the outcome of one accepted send.
type SendResult struct {
	MessageID              string
	MD5OfBody              string
	MD5OfMessageAttributes string // "" without attributes
	SequenceNumber         string // FIFO queues only
}

// SendEntry is one entry of SendMessageBatch.
type SendEntry struct {
	ID      string
	Message ferry.OutgoingMessage
}

// EntryResult is the per-entry outcome of a batch call; Err is nil on success.
type EntryResult struct {
	ID string
	SendResult
	Err error
}

// dedupNamespace derives stable message ids from DedupID.
var dedupNamespace = uuid.MustParse("6f0c2a51-36c7-4d8e-9a2e-3b7e8f0d1c55")

// SendMessage implements ferry.QueueSender.
func (s *Service) SendMessage(ctx context.Context, queue string, msg ferry.OutgoingMessage) (string, error) {
	r, err := s.Send(ctx, queue, msg)
	return r.MessageID, err
}

// Send stores a message durably and returns its id and checksums. A message
// with a DedupID sent again is not stored twice and gets the same message
// id, also after a restart and after the first copy was received and
// deleted (dedup.go). Errors: ENOTFOUND, EINVALID
// (empty body, invalid characters, too large, bad attributes or delay).
func (s *Service) Send(ctx context.Context, queue string, msg ferry.OutgoingMessage) (SendResult, error) {
	queue = queueName(queue)
	q, err := s.lookup(queue)
	if err != nil {
		return SendResult{}, err
	}
	if IsFIFO(queue) {
		return s.sendFifo(ctx, q, msg)
	}
	if msg.GroupID != "" {
		return SendResult{}, ferry.Errorf(ferry.EINVALID, "MessageGroupId is only valid for FIFO queues; %q is a standard queue", queue)
	}
	if err := validateMessage(msg, q.attr.MaxSize); err != nil {
		return SendResult{}, err
	}
	delay := q.attr.Delay
	if msg.Delay != 0 || msg.HasDelay {
		if msg.Delay < 0 || msg.Delay > MaxDelay {
			return SendResult{}, ferry.Errorf(ferry.EINVALID, "DelaySeconds must be from 0 to 900, got %v", msg.Delay.Seconds())
		}
		delay = msg.Delay
	}
	id := uuid.NewString()
	if msg.DedupID != "" {
		id = uuid.NewSHA1(dedupNamespace, []byte(queue+"\x00"+msg.DedupID)).String()
	}
	m := nats.NewMsg(readySubject(queue))
	m.Data = []byte(msg.Body)
	m.Header.Set(hdrID, id)
	m.Header.Set(hdrSent, strconv.FormatInt(s.now().UnixMilli(), 10))
	m.Header.Set(hdrSender, s.realm.Account)
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
	res := SendResult{MessageID: id, MD5OfBody: md5Hex([]byte(msg.Body)), MD5OfMessageAttributes: MD5OfAttributes(msg.Attributes)}
	if msg.DedupID != "" {
		m.Header.Set(jetstream.MsgIDHeader, msg.DedupID)
		m.Header.Set(hdrDedup, "1")
		stored, err := s.claim(ctx, queue, id)
		if err != nil {
			return SendResult{}, err
		}
		if stored {
			return res, nil
		}
	}
	if delay > 0 {
		schedule(m, queue, id, s.now().Add(delay))
	}
	if _, err := s.js.PublishMsg(ctx, m); err != nil {
		return SendResult{}, fmt.Errorf("send to queue %q: %w", queue, err)
	}
	if msg.DedupID != "" {
		s.fault("queue-published")
		if err := s.mark(ctx, id, markStored); err != nil {
			// The marker stays "pending"; a resend looks the message up.
			s.log.Warn("send: dedup marker", "queue", queue, "err", err)
		}
	}
	return res, nil
}

// schedule turns m into a message schedule on its own subject that the
// server publishes to the queue's ready subject at (rounded up to the
// second, the schedules' resolution).
func schedule(m *nats.Msg, queue, id string, at time.Time) {
	if t := at.Truncate(time.Second); !t.Equal(at) {
		at = t.Add(time.Second)
	}
	m.Header.Set("Nats-Schedule", "@at "+at.UTC().Format(time.RFC3339))
	m.Header.Set("Nats-Schedule-Target", m.Subject)
	m.Subject = delaySubject(queue, id+"."+uuid.NewString()[:8])
}

// SendMessageBatch sends up to 10 messages; each entry succeeds or fails on
// its own. The whole call fails (EINVALID) when the batch is empty, has more
// than 10 entries, repeats or misuses an entry id, or exceeds the size limit
// in total; ENOTFOUND for an unknown queue.
func (s *Service) SendMessageBatch(ctx context.Context, queue string, entries []SendEntry) ([]EntryResult, error) {
	queue = queueName(queue)
	q, err := s.lookup(queue)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(entries))
	total := 0
	for i, e := range entries {
		ids[i] = e.ID
		total += messageSize(e.Message)
	}
	if err := checkBatchIDs(ids); err != nil {
		return nil, err
	}
	if total > q.attr.MaxSize {
		return nil, ferry.Errorf(ferry.EINVALID, "batch requests must be shorter than %d bytes in total, got %d", q.attr.MaxSize, total)
	}
	out := make([]EntryResult, len(entries))
	for i, e := range entries {
		r, err := s.Send(ctx, queue, e.Message)
		out[i] = EntryResult{ID: e.ID, SendResult: r, Err: err}
	}
	return out, nil
}

// checkBatchIDs enforces AWS's batch rules on entry ids.
func checkBatchIDs(ids []string) error {
	if len(ids) == 0 {
		return ferry.Errorf(ferry.EINVALID, "the batch request contains no entries")
	}
	if len(ids) > MaxBatch {
		return ferry.Errorf(ferry.EINVALID, "the batch request contains %d entries; the maximum is %d", len(ids), MaxBatch)
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if !ferry.ValidResourceName(id) {
			return ferry.Errorf(ferry.EINVALID, "batch entry id %q must be 1-80 characters of letters, digits, '-' and '_'", id)
		}
		if seen[id] {
			return ferry.Errorf(ferry.EINVALID, "batch entry id %q is not distinct", id)
		}
		seen[id] = true
	}
	return nil
}

// messageSize counts the body and every attribute's name, type and value.
func messageSize(m ferry.OutgoingMessage) int {
	n := len(m.Body)
	for k, a := range m.Attributes {
		n += len(k) + len(a.DataType) + len(a.StringValue) + len(a.BinaryValue)
	}
	return n
}

func validateMessage(m ferry.OutgoingMessage, maxSize int) error {
	if m.Body == "" {
		return ferry.Errorf(ferry.EINVALID, "the message body must not be empty")
	}
	if i := ferry.InvalidMessageChar(m.Body); i >= 0 {
		return ferry.Errorf(ferry.EINVALID, "the message body contains an invalid character at byte %d (allowed: #x9, #xA, #xD, #x20-#xD7FF, #xE000-#xFFFD, #x10000-#x10FFFF)", i)
	}
	if len(m.Attributes) > MaxMessageAttributes {
		return ferry.Errorf(ferry.EINVALID, "a message can have at most %d message attributes, got %d", MaxMessageAttributes, len(m.Attributes))
	}
	for name, a := range m.Attributes {
		if err := ferry.ValidateMessageAttribute(name, a, false); err != nil {
			return err
		}
	}
	if n := messageSize(m); n > maxSize {
		return ferry.Errorf(ferry.ETOOLARGE, "the message (body and attributes) must be shorter than %d bytes, got %d", maxSize, n)
	}
	return nil
}

func md5Hex(b []byte) string {
	h := md5.Sum(b)
	return hex.EncodeToString(h[:])
}

// MD5OfAttributes is SQS's MD5OfMessageAttributes: for each attribute in
// name order, the length-prefixed (4 bytes, big endian) name and data type,
// a transport byte (1 string/number, 2 binary) and the length-prefixed
// value, all hashed together. "" without attributes.
func MD5OfAttributes(attrs map[string]ferry.MessageAttribute) string {
	if len(attrs) == 0 {
		return ""
	}
	names := make([]string, 0, len(attrs))
	for k := range attrs {
		names = append(names, k)
	}
	sort.Strings(names)
	h := md5.New()
	put := func(b []byte) {
		var l [4]byte
		binary.BigEndian.PutUint32(l[:], uint32(len(b)))
		h.Write(l[:])
		h.Write(b)
	}
	for _, k := range names {
		a := attrs[k]
		put([]byte(k))
		put([]byte(a.DataType))
		if strings.HasPrefix(a.DataType, "Binary") {
			h.Write([]byte{2})
			put(a.BinaryValue)
		} else {
			h.Write([]byte{1})
			put([]byte(a.StringValue))
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}
