package queue

import (
	"context"
	"fmt"
	"time"
)

// OldestMessageAge is the age of the oldest message still in the queue
// (visible, in flight or delayed), as CloudWatch's
// ApproximateAgeOfOldestMessage; 0 for an empty queue. Errors: ENOTFOUND.
func (s *Service) OldestMessageAge(ctx context.Context, name string) (time.Duration, error) {
	if _, err := s.lookup(name); err != nil {
		return 0, err
	}
	st, err := s.js.Stream(ctx, streamName(name))
	if err != nil {
		return 0, fmt.Errorf("queue %s: %w", name, err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("queue %s: %w", name, err)
	}
	if info.State.Msgs == 0 || info.State.FirstTime.IsZero() {
		return 0, nil
	}
	return max(s.now().Sub(info.State.FirstTime), 0), nil
}
