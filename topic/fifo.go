package topic

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/ferry-run/ferry"
)

// FIFO topics.
//
// A topic whose name ends in ".fifo", created with FifoTopic=true (SNS
// requires both), is a FIFO topic. It shares the stream [Stream] with the
// standard topics and maps onto JetStream this way:
//
//   - Publish requires a MessageGroupId and a deduplication id: the
//     MessageDeduplicationId, or with ContentBasedDeduplication the hex
//     SHA-256 of the message. The deduplication id is the Nats-Msg-Id
//     header ("<topic>:fifo:<id>") and the stream's duplicate window (5
//     minutes, SNS's deduplication interval) drops a repeat: it answers
//     with the first copy's message id and sequence number, stores nothing
//     and delivers nothing.
//   - The SequenceNumber is the stream sequence (20 digits, zero-padded);
//     the message id is a UUID v5 of topic and sequence.
//   - Only SQS FIFO queues may subscribe (and FIFO queues only to FIFO
//     topics), as in SNS. A FIFO topic's subscription consumer has
//     MaxAckPending 1 and one delivery goroutine, so each subscription
//     delivers the topic's messages one at a time in publish order (a retry
//     holds the ones after it), which keeps every group's order. Each
//     delivery carries the message's group and, as deduplication id, the
//     delivery id "<messageId>:<subscriptionId>", so a redelivery after a
//     crash is dropped by the queue's own deduplication window.

// AttrContentBasedDeduplication is the FIFO topic attribute that derives
// the deduplication id from the message.
const AttrContentBasedDeduplication = "ContentBasedDeduplication"

const fifoSuffix = ".fifo"

// fifoTopicNS derives FIFO message ids from topic and stream sequence.
var fifoTopicNS = uuid.MustParse("3c9e1f7a-5b2d-5a40-8e61-2f4b7d9c0a18")

// IsFIFO reports whether a topic name (or ARN) names a FIFO topic.
func IsFIFO(nameOrARN string) bool { return strings.HasSuffix(nameOrARN, fifoSuffix) }

func fifoMessageID(topic string, seq uint64) string {
	return uuid.NewSHA1(fifoTopicNS, []byte(topic+"\x00"+strconv.FormatUint(seq, 10))).String()
}

func sequenceNumber(seq uint64) string { return fmt.Sprintf("%020d", seq) }

// checkFifoTopic checks the attributes a FIFO topic, or a standard topic,
// is created with.
func checkFifoTopic(name string, attrs map[string]string) error {
	fifo := attrs[AttrFifoTopic] == "true"
	switch {
	case IsFIFO(name) && !fifo:
		return ferry.Errorf(ferry.EINVALID, "Invalid parameter: Topic Name: the name of a FIFO topic ends in .fifo and it is created with the attribute FifoTopic=true; %q has no FifoTopic=true", name)
	case !IsFIFO(name) && fifo:
		return ferry.Errorf(ferry.EINVALID, "Fifo Topic names must end with .fifo and must be made up of only uppercase and lowercase ASCII letters, numbers, underscores, and hyphens, and must be between 1 and 256 characters long.")
	case !IsFIFO(name) && attrs[AttrContentBasedDeduplication] != "":
		return ferry.Errorf(ferry.EINVALID, "Invalid parameter: Attributes Reason: ContentBasedDeduplication applies to FIFO topics only")
	}
	return nil
}

// fifoNotification checks a notification for a FIFO topic, or the absence
// of FIFO fields for a standard one, and returns the deduplication id.
func fifoNotification(topic string, contentDedup bool, n *ferry.Notification) (string, error) {
	if !IsFIFO(topic) {
		if n.GroupID != "" {
			return "", ferry.Errorf(ferry.EINVALID, "Invalid parameter: The MessageGroupId parameter is only valid for FIFO topics")
		}
		return "", nil
	}
	if n.GroupID == "" {
		return "", ferry.Errorf(ferry.EINVALID, "Invalid parameter: The MessageGroupId parameter is required for FIFO topics")
	}
	if err := validFifoID("MessageGroupId", n.GroupID); err != nil {
		return "", err
	}
	if n.DedupID != "" {
		return n.DedupID, validFifoID("MessageDeduplicationId", n.DedupID)
	}
	if !contentDedup {
		return "", ferry.Errorf(ferry.EINVALID, "Invalid parameter: The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly")
	}
	h := sha256.Sum256([]byte(n.Message))
	return hex.EncodeToString(h[:]), nil
}

func validFifoID(param, v string) error {
	if v == "" || len(v) > 128 {
		return ferry.Errorf(ferry.EINVALID, "Invalid parameter: %s must be 1 to 128 characters long", param)
	}
	for _, r := range v {
		if r < 0x21 || r > 0x7e {
			return ferry.Errorf(ferry.EINVALID, "Invalid parameter: %s may contain only alphanumeric characters and punctuation", param)
		}
	}
	return nil
}

// checkFifoSubscription enforces SNS's pairing of FIFO topics with SQS
// FIFO queues.
func checkFifoSubscription(topic, protocol string, target ferry.ARN) error {
	switch {
	case IsFIFO(topic) && protocol != ProtocolSQS:
		return ferry.Errorf(ferry.EINVALID, "Invalid parameter: Invalid protocol type: %s: only SQS FIFO queues can subscribe to a FIFO topic", protocol)
	case IsFIFO(topic) && !IsFIFO(target.Name):
		return ferry.Errorf(ferry.EINVALID, "Invalid parameter: Endpoint Reason: Please use FIFO SQS queue")
	case !IsFIFO(topic) && protocol == ProtocolSQS && IsFIFO(target.Name):
		return ferry.Errorf(ferry.EINVALID, "Invalid parameter: Invalid parameter: Endpoint Reason: FIFO SQS Queues can not be subscribed to standard SNS topics")
	}
	return nil
}

// maxAckPending is a subscription consumer's MaxAckPending: one for a FIFO
// topic, so its messages are delivered one at a time in order.
func maxAckPending(topic string) int {
	if IsFIFO(topic) {
		return 1
	}
	return 1000
}

// concurrency bounds a subscription's deliveries in flight.
func concurrency(topic string) int {
	if IsFIFO(topic) {
		return 1
	}
	return perSubscriptionConcurrency
}
