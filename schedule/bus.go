package schedule

import (
	"context"
	"time"

	"github.com/ferry-run/ferry"
)

// fireOnBus puts one occurrence's Scheduled Event on the schedule's bus,
// with the occurrence id as the dedup id so every node's timer yields one
// event. The rule matching it (resources = its ARN) sends it to its targets.
func (s *Service) fireOnBus(ctx context.Context, rec record, id string, at time.Time) {
	if s.opts.Events == nil {
		s.log.Warn("scheduled event dropped: no event bus service", "schedule", rec.Name, "bus", rec.Bus)
		return
	}
	_, err := s.opts.Events.PutEvent(ctx, ferry.BusEvent{
		Bus: rec.Bus, Source: "aws.events", DetailType: "Scheduled Event", Detail: "{}",
		Resources: []string{rec.RuleARN}, Time: at.UTC(), DedupID: id,
	})
	if err != nil {
		s.log.Warn("scheduled event not put", "schedule", rec.Name, "bus", rec.Bus,
			"time", at.UTC().Format(time.RFC3339), "err", err)
		return
	}
	s.log.Debug("schedule fired", "schedule", rec.Name, "bus", rec.Bus, "eventId", id)
}
