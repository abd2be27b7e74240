package topic

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ferry-run/ferry"
)

// MaxMessageSize is SNS's limit on a message and its attributes (256 KiB).
const MaxMessageSize = 256 * 1024

// MaxBatchEntries is the most entries a PublishBatch takes.
const MaxBatchEntries = 10

// Batch errors, returned as is (compare with errors.Is) so the API layer can
// name SNS's exception for each.
var (
	ErrEmptyBatch          = ferry.Errorf(ferry.EINVALID, "the batch request contains no entries")
	ErrTooManyEntries      = ferry.Errorf(ferry.EINVALID, "the batch request contains more than 10 entries")
	ErrBatchIDsNotDistinct = ferry.Errorf(ferry.EINVALID, "two or more batch entries in the request have the same Id")
	ErrInvalidBatchID      = ferry.Errorf(ferry.EINVALID, "a batch entry Id must be 1-80 characters of letters, digits, '-' and '_'")
	ErrBatchTooLong        = ferry.Errorf(ferry.ETOOLARGE, "the batch request's messages total more than 262144 bytes")
)

// idNamespace derives message ids from dedup ids and request ids from
// message id + subscription.
var idNamespace = uuid.MustParse("5b0e6d1c-8a53-4f0e-9a57-3c1f1f6e2a10")

// stored is a published message as kept in the stream.
type stored struct {
	MessageID  string                            `json:"id"`
	Topic      string                            `json:"topic"`
	Subject    string                            `json:"subject,omitempty"`
	Message    string                            `json:"message"`
	Timestamp  time.Time                         `json:"ts"`
	Attributes map[string]ferry.MessageAttribute `json:"attrs,omitempty"`
	TraceID    string                            `json:"trace,omitempty"`
	Hops       int                               `json:"hops,omitempty"`
	// GroupID and DedupID are set on a FIFO topic's messages, whose
	// MessageID is derived from the stream sequence on delivery.
	GroupID  string `json:"group,omitempty"`
	DedupID  string `json:"dedup,omitempty"`
	Sequence string `json:"-"`
}

// Publish stores n on topic (a name or ARN) and returns its message id once
// it is durable. Errors: ENOTFOUND, EINVALID, ETOOLARGE, EUNAVAILABLE.
func (s *Service) Publish(ctx context.Context, topic string, n ferry.Notification) (string, error) {
	id, _, err := s.PublishSequenced(ctx, topic, n)
	return id, err
}

// PublishSequenced is Publish that also returns the SequenceNumber of a
// FIFO topic's message ("" for a standard topic). On a FIFO topic n needs a
// GroupID and, unless the topic has ContentBasedDeduplication, a DedupID;
// a repeat inside the deduplication window returns the first message's id
// and sequence number (see fifo.go).
func (s *Service) PublishSequenced(ctx context.Context, topic string, n ferry.Notification) (string, string, error) {
	name, t, err := s.existingTopic(topic)
	if err != nil {
		return "", "", err
	}
	if err := validateNotification(&n); err != nil {
		return "", "", err
	}
	return s.store(ctx, name, t, n)
}

func (s *Service) store(ctx context.Context, topic string, t *topicState, n ferry.Notification) (string, string, error) {
	m := stored{
		Topic: topic, Subject: n.Subject, Message: n.Message, Timestamp: s.now().UTC(),
		Attributes: n.Attributes, TraceID: n.TraceID, Hops: n.Hops,
	}
	msg := nats.NewMsg(jetstreamSubject(topic))
	dedup, err := fifoNotification(topic, t.rec.Attributes[AttrContentBasedDeduplication] == "true", &n)
	if err != nil {
		return "", "", err
	}
	if IsFIFO(topic) {
		m.GroupID, m.DedupID = n.GroupID, dedup
		msg.Header.Set(jetstream.MsgIDHeader, topic+":fifo:"+dedup)
	} else if n.DedupID != "" {
		m.MessageID = uuid.NewSHA1(idNamespace, []byte(topic+"\x00"+n.DedupID)).String()
		msg.Header.Set(jetstream.MsgIDHeader, topic+":"+n.DedupID)
	} else {
		m.MessageID = uuid.NewString()
	}
	b, err := json.Marshal(m)
	if err != nil {
		return "", "", err
	}
	msg.Data = b
	ack, err := s.engine.JetStream().PublishMsg(ctx, msg)
	if err != nil {
		if errors.Is(err, jetstream.ErrNoStreamResponse) || errors.Is(err, nats.ErrConnectionClosed) {
			return "", "", ferry.Wrap(ferry.EUNAVAILABLE, err, "topic %q: store unavailable", topic)
		}
		return "", "", fmt.Errorf("publish to topic %q: %w", topic, err)
	}
	if IsFIFO(topic) {
		return fifoMessageID(topic, ack.Sequence), sequenceNumber(ack.Sequence), nil
	}
	return m.MessageID, "", nil
}

// validateNotification checks a notification as SNS's Publish does.
func validateNotification(n *ferry.Notification) error {
	if n.Message == "" {
		return ferry.Errorf(ferry.EINVALID, "Message must not be empty")
	}
	if len(n.Subject) > 100 {
		return ferry.Errorf(ferry.EINVALID, "Subject must be at most 100 characters")
	}
	for _, r := range n.Subject {
		if r < 0x20 || r > 0x7e {
			return ferry.Errorf(ferry.EINVALID, "Subject must be printable ASCII without line breaks")
		}
	}
	if n.Subject != "" && n.Subject[0] == ' ' {
		return ferry.Errorf(ferry.EINVALID, "Subject must begin with a letter, number or punctuation mark")
	}
	size := len(n.Message)
	for name, a := range n.Attributes {
		if err := ferry.ValidateMessageAttribute(name, a, true); err != nil {
			return err
		}
		size += len(name) + len(a.DataType) + len(a.StringValue) + len(a.BinaryValue)
	}
	if size > MaxMessageSize {
		return ferry.Errorf(ferry.ETOOLARGE, "message and attributes are %d bytes, more than the limit of %d", size, MaxMessageSize)
	}
	return nil
}

// BatchEntry is one entry of PublishBatch.
type BatchEntry struct {
	ID string
	ferry.Notification
}

// BatchResult is the outcome of one entry: MessageID on success, Err (with a
// ferry code) on failure.
type BatchResult struct {
	ID             string
	MessageID      string
	SequenceNumber string // FIFO topics only
	Err            error
}

// PublishBatch publishes up to 10 entries and reports each entry's outcome
// in order. Errors for the whole request: ENOTFOUND for the topic, and the
// Err* batch errors of this package.
func (s *Service) PublishBatch(ctx context.Context, topic string, entries []BatchEntry) ([]BatchResult, error) {
	name, t, err := s.existingTopic(topic)
	if err != nil {
		return nil, err
	}
	switch {
	case len(entries) == 0:
		return nil, ErrEmptyBatch
	case len(entries) > MaxBatchEntries:
		return nil, ErrTooManyEntries
	}
	seen := map[string]bool{}
	total := 0
	for _, e := range entries {
		if !validBatchID(e.ID) {
			return nil, ErrInvalidBatchID
		}
		if seen[e.ID] {
			return nil, ErrBatchIDsNotDistinct
		}
		seen[e.ID] = true
		total += len(e.Message)
		for k, a := range e.Attributes {
			total += len(k) + len(a.DataType) + len(a.StringValue) + len(a.BinaryValue)
		}
	}
	if total > MaxMessageSize {
		return nil, ErrBatchTooLong
	}
	out := make([]BatchResult, len(entries))
	for i, e := range entries {
		out[i].ID = e.ID
		n := e.Notification
		if err := validateNotification(&n); err != nil {
			out[i].Err = err
			continue
		}
		out[i].MessageID, out[i].SequenceNumber, out[i].Err = s.store(ctx, name, t, n)
	}
	return out, nil
}

func validBatchID(id string) bool {
	if id == "" || len(id) > 80 {
		return false
	}
	for _, r := range id {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '-':
		default:
			return false
		}
	}
	return true
}
