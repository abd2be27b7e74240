package async

import "sync"

// Counters are one function's async counters, named after Lambda's metrics.
type Counters struct {
	AsyncEventsReceived         int64
	AsyncEventsDropped          int64
	Invocations                 int64
	Errors                      int64
	Throttles                   int64
	DestinationDeliveryFailures int64
	DeadLetterErrors            int64
	// RecursiveInvocationsDropped counts events stopped by the loop guard.
	RecursiveInvocationsDropped int64
	// JournalWriteFailures counts progress the engine could not journal
	// (each puts the event back for a later try).
	JournalWriteFailures int64
}

// Stats holds Counters per function, and how many records went down each
// destination path.
type Stats struct {
	mu        sync.Mutex
	m         map[string]*Counters
	delivered map[deliveryKey]int64
}

type deliveryKey struct{ function, kind, target string }

func newStats() *Stats { return &Stats{m: map[string]*Counters{}, delivered: map[deliveryKey]int64{}} }

func (s *Stats) addDelivery(function, kind, target string) {
	s.mu.Lock()
	s.delivered[deliveryKey{function, kind, target}]++
	s.mu.Unlock()
}

// Delivered returns how many of function's outcomes were delivered as kind
// (OnSuccess, OnFailure, DeadLetterQueue) to target.
func (s *Stats) Delivered(function, kind, target string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.delivered[deliveryKey{function, kind, target}]
}

func (s *Stats) add(function string, f func(*Counters)) {
	s.mu.Lock()
	c := s.m[function]
	if c == nil {
		c = &Counters{}
		s.m[function] = c
	}
	f(c)
	s.mu.Unlock()
}

// Get returns a copy of function's counters.
func (s *Stats) Get(function string) Counters {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.m[function]; c != nil {
		return *c
	}
	return Counters{}
}
