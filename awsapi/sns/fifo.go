package snsapi

import (
	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/topic"
)

// fifoParams refuses a MessageDeduplicationId published to a standard
// topic, as SNS does; the topic service checks the rest (a FIFO topic's
// required MessageGroupId and deduplication id, a standard topic's group).
func fifoParams(target string, n ferry.Notification) error {
	name := target
	if a, err := ferry.ParseARN(target); err == nil {
		name = a.Name
	}
	if !topic.IsFIFO(name) && n.DedupID != "" {
		return invalidParameter("Invalid parameter: The request includes MessageDeduplicationId parameter that is not valid for this topic type")
	}
	return nil
}
