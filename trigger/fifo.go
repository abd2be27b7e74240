package trigger

import "github.com/ferry-run/ferry"

// FIFO queue triggers.
//
// A mapping on a FIFO queue keeps each message group's order with the
// queue's own rule: a group's messages are not received while an earlier
// one of the group is in flight, so no two batches (of one poller or of
// several, on any node) ever hold messages of the same group, and a batch
// holds a group's messages in order. A failed batch is left on the queue
// and its groups stay blocked until the visibility timeout ends, then come
// back in order. With ReportBatchItemFailures, a failed item also holds
// back the later items of its group in the batch (they are not deleted and
// come back after it), as Lambda does for FIFO queues; items of other
// groups are deleted. The records carry the FIFO attributes
// MessageGroupId, MessageDeduplicationId and SequenceNumber.

// fifoRecordAttrs adds a FIFO message's system attributes to its record.
func fifoRecordAttrs(attrs map[string]string, msg *ferry.Message) {
	if msg.GroupID == "" {
		return
	}
	attrs["MessageGroupId"] = msg.GroupID
	attrs["MessageDeduplicationId"] = msg.DedupID
	attrs["SequenceNumber"] = msg.SequenceNumber
}

// holdGroupsAfterFailure extends a partial batch failure to the messages
// of a FIFO group that follow a failed one in the batch.
func holdGroupsAfterFailure(msgs []ferry.Message, failed map[string]bool) map[string]bool {
	held := map[string]bool{}
	out := make(map[string]bool, len(failed))
	for _, m := range msgs {
		switch {
		case failed[m.MessageID]:
			out[m.MessageID] = true
			if m.GroupID != "" {
				held[m.GroupID] = true
			}
		case m.GroupID != "" && held[m.GroupID]:
			out[m.MessageID] = true
		}
	}
	return out
}
