package ferry

import (
	"context"
	"time"
)

// MessageAttribute is an SQS/SNS message attribute.
type MessageAttribute struct {
	DataType    string `json:"DataType"` // String, Number, Binary (optionally with a .suffix)
	StringValue string `json:"StringValue,omitempty"`
	BinaryValue []byte `json:"BinaryValue,omitempty"`
}

// OutgoingMessage is a message sent to a queue.
type OutgoingMessage struct {
	Body       string
	Attributes map[string]MessageAttribute
	Delay      time.Duration
	// HasDelay says Delay was given (SendMessage DelaySeconds), so a zero
	// Delay overrides the queue's DelaySeconds instead of inheriting it.
	HasDelay bool
	// DedupID, when set, makes the send idempotent within the engine's
	// deduplication window (Ferry-internal; used for destination records).
	DedupID string
	// GroupID is the message group of a message sent to a FIFO queue
	// (required there, refused elsewhere). On a FIFO queue DedupID is the
	// message deduplication id, deduplicated within the queue's window.
	GroupID string
	// TraceID and Hops carry the trace and loop counters across hops.
	TraceID string
	Hops    int
}

// Message is a received queue message.
type Message struct {
	MessageID     string
	ReceiptHandle string
	Body          string
	MD5OfBody     string
	Attributes    map[string]MessageAttribute
	// SentTimestamp and FirstReceiveTimestamp are in Unix milliseconds.
	SentTimestamp         int64
	FirstReceiveTimestamp int64
	ReceiveCount          int
	SenderID              string
	TraceID               string
	Hops                  int
	// GroupID, DedupID and SequenceNumber are set on FIFO queue messages.
	GroupID        string
	DedupID        string
	SequenceNumber string
}

// ReceiveOptions control a receive.
type ReceiveOptions struct {
	MaxMessages int           // 1-10, default 1
	WaitTime    time.Duration // long poll, 0-20 s
	// Visibility overrides the queue's visibility timeout when >= 0 and set.
	Visibility    time.Duration
	HasVisibility bool
}

// QueueSender sends to a queue by name. Errors: ENOTFOUND, ETOOLARGE.
type QueueSender interface {
	SendMessage(ctx context.Context, queue string, msg OutgoingMessage) (messageID string, err error)
}

// QueueService is the SQS-like queue service.
type QueueService interface {
	QueueSender
	ReceiveMessages(ctx context.Context, queue string, opts ReceiveOptions) ([]Message, error)
	DeleteMessage(ctx context.Context, queue, receiptHandle string) error
	ChangeMessageVisibility(ctx context.Context, queue, receiptHandle string, timeout time.Duration) error
}

// Notification is a message published to a topic.
type Notification struct {
	Subject    string
	Message    string
	Attributes map[string]MessageAttribute
	DedupID    string
	// GroupID is the message group of a notification published to a FIFO
	// topic (required there, refused elsewhere).
	GroupID string
	TraceID string
	Hops    int
}

// TopicPublisher publishes to a topic by name. Errors: ENOTFOUND, ETOOLARGE.
type TopicPublisher interface {
	Publish(ctx context.Context, topic string, n Notification) (messageID string, err error)
}

// BusEvent is an event put on an event bus.
type BusEvent struct {
	Bus        string // bus name; "" is "default"
	Source     string
	DetailType string
	Detail     string // JSON object
	Resources  []string
	Time       time.Time
	DedupID    string
	TraceID    string
	Hops       int
}

// EventPutter puts events on a bus. Errors: ENOTFOUND for an unknown bus.
type EventPutter interface {
	PutEvent(ctx context.Context, ev BusEvent) (eventID string, err error)
}
