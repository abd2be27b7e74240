package ferry

import (
	"context"
	"maps"
	"sync"
)

// MemoryMeta is a ResourceMeta kept in memory, lost on restart: the
// default of an AWS front door built without a durable store.
type MemoryMeta struct {
	mu     sync.Mutex
	tags   map[string]map[string]string
	policy map[string]string
}

var _ ResourceMeta = (*MemoryMeta)(nil)

// NewMemoryMeta returns an empty in-memory store.
func NewMemoryMeta() *MemoryMeta {
	return &MemoryMeta{tags: map[string]map[string]string{}, policy: map[string]string{}}
}

// Tags returns a copy of the ARN's tags.
func (m *MemoryMeta) Tags(_ context.Context, arn string) (map[string]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string]string{}
	maps.Copy(out, m.tags[arn])
	return out, nil
}

// Tag merges tags into the ARN's tags.
func (m *MemoryMeta) Tag(_ context.Context, arn string, tags map[string]string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := ValidateTags(m.tags[arn], tags); err != nil {
		return err
	}
	if m.tags[arn] == nil {
		m.tags[arn] = map[string]string{}
	}
	maps.Copy(m.tags[arn], tags)
	return nil
}

// Untag removes keys from the ARN's tags.
func (m *MemoryMeta) Untag(_ context.Context, arn string, keys []string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, k := range keys {
		delete(m.tags[arn], k)
	}
	return nil
}

// Policy returns the ARN's policy.
func (m *MemoryMeta) Policy(_ context.Context, arn string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.policy[arn], nil
}

// SetPolicy stores the ARN's policy; "" removes it.
func (m *MemoryMeta) SetPolicy(_ context.Context, arn, policy string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if policy == "" {
		delete(m.policy, arn)
	} else {
		m.policy[arn] = policy
	}
	return nil
}

// Forget removes the ARN's tags and policy.
func (m *MemoryMeta) Forget(_ context.Context, arn string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.tags, arn)
	delete(m.policy, arn)
	return nil
}
