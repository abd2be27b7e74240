package sqsapi

import (
	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/queue"
)

// FIFO message system attribute names.
const (
	sysGroupID        = "MessageGroupId"
	sysDedupID        = "MessageDeduplicationId"
	sysSequenceNumber = "SequenceNumber"
)

// fifoFields applies a send's MessageGroupId and MessageDeduplicationId to
// m, with SQS's errors: on a FIFO queue the group is required and a
// per-message DelaySeconds is refused; on a standard queue neither id is
// valid. The queue service checks the deduplication rule
// (ContentBasedDeduplication or an explicit id) and the ids' characters.
func fifoFields(m *ferry.OutgoingMessage, f sendFields, queueName string) error {
	if !queue.IsFIFO(queueName) {
		if f.MessageDeduplicationID != "" {
			return fail(errInvalidParameter, "Value %s for parameter MessageDeduplicationId is invalid. Reason: The request includes a parameter that is not valid for this queue type.", ferry.Shorten(f.MessageDeduplicationID))
		}
		if f.MessageGroupID != "" {
			return fail(errInvalidParameter, "Value %s for parameter MessageGroupId is invalid. Reason: The request includes a parameter that is not valid for this queue type (Ferry has no fair queues).", ferry.Shorten(f.MessageGroupID))
		}
		return nil
	}
	if f.MessageGroupID == "" {
		return fail(errMissingParameter, "The request must contain the parameter MessageGroupId.")
	}
	if f.DelaySeconds != nil && *f.DelaySeconds != 0 {
		return fail(errInvalidParameter, "Value %d for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for this queue type.", *f.DelaySeconds)
	}
	m.GroupID, m.DedupID = f.MessageGroupID, f.MessageDeduplicationID
	return nil
}
