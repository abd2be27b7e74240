package async

// Delivery is how many of a function's outcomes went down one destination
// path (kind OnSuccess, OnFailure or DeadLetterQueue, to target).
type Delivery struct {
	Function, Kind, Target string
	Count                  int64
}

// Snapshot returns a copy of every function's counters and every delivery
// count, for keeping them across a restart.
func (s *Stats) Snapshot() (map[string]Counters, []Delivery) {
	s.mu.Lock()
	defer s.mu.Unlock()
	counters := make(map[string]Counters, len(s.m))
	for fn, c := range s.m {
		counters[fn] = *c
	}
	deliveries := make([]Delivery, 0, len(s.delivered))
	for k, n := range s.delivered {
		deliveries = append(deliveries, Delivery{Function: k.function, Kind: k.kind, Target: k.target, Count: n})
	}
	return counters, deliveries
}

// Restore adds totals kept from an earlier run to the counters, so they
// continue where they were.
func (s *Stats) Restore(counters map[string]Counters, deliveries []Delivery) {
	for fn, saved := range counters {
		s.add(fn, func(c *Counters) { c.plus(saved) })
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, d := range deliveries {
		s.delivered[deliveryKey{d.Function, d.Kind, d.Target}] += d.Count
	}
}

func (c *Counters) plus(o Counters) {
	c.AsyncEventsReceived += o.AsyncEventsReceived
	c.AsyncEventsDropped += o.AsyncEventsDropped
	c.Invocations += o.Invocations
	c.Errors += o.Errors
	c.Throttles += o.Throttles
	c.DestinationDeliveryFailures += o.DestinationDeliveryFailures
	c.DeadLetterErrors += o.DeadLetterErrors
	c.RecursiveInvocationsDropped += o.RecursiveInvocationsDropped
	c.JournalWriteFailures += o.JournalWriteFailures
}
