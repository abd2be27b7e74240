package trigger

import (
	"strings"
	"time"

	"github.com/ferry-run/ferry"
)

// Mapping states, as AWS reports them. Get and List report Enabled or
// Disabled; Create, Update and Delete answer with the transitional state
// (Creating, Updating, Deleting) as the AWS API does.
const (
	StateCreating  = "Creating"
	StateEnabled   = "Enabled"
	StateDisabled  = "Disabled"
	StateUpdating  = "Updating"
	StateDeleting  = "Deleting"
	StateEnabling  = "Enabling"
	StateDisabling = "Disabling"
)

// Limits of an SQS event source mapping.
const (
	DefaultBatchSize  = 10
	MaxBatchSize      = 10000
	MaxBatchingWindow = 300 * time.Second
	MinConcurrency    = 2
	MaxConcurrency    = 1000
	// receiveMax is the most messages one receive returns.
	receiveMax = 10
)

// Mapping is one queue event source mapping.
type Mapping struct {
	UUID string `json:"uuid"`
	// Queue is the queue name; QueueARN its ARN. Create accepts either.
	Queue    string `json:"queue"`
	QueueARN string `json:"queueArn"`
	// Function is the function name (Create also accepts its ARN).
	Function string `json:"function"`
	// BatchSize is 1-10000, default 10; above 10 a batching window is required.
	BatchSize int `json:"batchSize"`
	// MaximumBatchingWindow is 0-300 s.
	MaximumBatchingWindow   time.Duration `json:"maximumBatchingWindow,omitempty"`
	ReportBatchItemFailures bool          `json:"reportBatchItemFailures,omitempty"`
	// Enabled is set by the caller; the AWS API's default is true.
	Enabled bool `json:"enabled"`
	// MaximumConcurrency is 2-1000, or 0 for unset.
	MaximumConcurrency    int       `json:"maximumConcurrency,omitempty"`
	State                 string    `json:"state"`
	StateTransitionReason string    `json:"stateTransitionReason,omitempty"`
	LastModified          time.Time `json:"lastModified"`
}

// FunctionARN returns the mapping's function ARN in realm.
func (m *Mapping) FunctionARN(realm ferry.Realm) string { return realm.FunctionARN(m.Function) }

// normalize resolves names and ARNs and applies defaults; it checks the
// ranges AWS checks, not whether the queue or function exist.
func (m *Mapping) normalize(realm ferry.Realm) error {
	name, err := queueName(m.Queue, m.QueueARN)
	if err != nil {
		return err
	}
	m.Queue, m.QueueARN = name, realm.QueueARN(name)
	fn, err := functionName(m.Function)
	if err != nil {
		return err
	}
	m.Function = fn
	if m.BatchSize == 0 {
		m.BatchSize = DefaultBatchSize
	}
	return m.validate()
}

func (m *Mapping) validate() error {
	if m.BatchSize < 1 || m.BatchSize > MaxBatchSize {
		return ferry.Errorf(ferry.EINVALID, "BatchSize must be between 1 and %d for a queue, got %d", MaxBatchSize, m.BatchSize)
	}
	if m.MaximumBatchingWindow < 0 || m.MaximumBatchingWindow > MaxBatchingWindow {
		return ferry.Errorf(ferry.EINVALID, "MaximumBatchingWindowInSeconds must be between 0 and 300, got %v", m.MaximumBatchingWindow.Seconds())
	}
	if m.BatchSize > receiveMax && m.MaximumBatchingWindow == 0 {
		return ferry.Errorf(ferry.EINVALID, "MaximumBatchingWindowInSeconds must be greater than 0 when BatchSize is greater than %d (got BatchSize %d)", receiveMax, m.BatchSize)
	}
	if c := m.MaximumConcurrency; c != 0 && (c < MinConcurrency || c > MaxConcurrency) {
		return ferry.Errorf(ferry.EINVALID, "ScalingConfig.MaximumConcurrency must be between %d and %d, got %d", MinConcurrency, MaxConcurrency, c)
	}
	return nil
}

// stateOf is the steady state of a stored mapping.
func stateOf(enabled bool) string {
	if enabled {
		return StateEnabled
	}
	return StateDisabled
}

// queueName resolves a queue given by name and/or ARN.
func queueName(name, arn string) (string, error) {
	if strings.HasPrefix(name, "arn:") {
		if arn != "" && arn != name {
			return "", ferry.Errorf(ferry.EINVALID, "queue %q and queue ARN %q disagree", name, arn)
		}
		name, arn = "", name
	}
	if arn != "" {
		a, err := ferry.ParseARN(arn)
		if err != nil {
			return "", err
		}
		if a.Kind != ferry.KindQueue {
			return "", ferry.Errorf(ferry.EINVALID, "event source %q is not a queue ARN", arn)
		}
		if name != "" && name != a.Name {
			return "", ferry.Errorf(ferry.EINVALID, "queue %q and queue ARN %q disagree", name, arn)
		}
		name = a.Name
	}
	if name == "" {
		return "", ferry.Errorf(ferry.EINVALID, "an event source queue is required")
	}
	if !ferry.ValidQueueName(name) {
		return "", ferry.Errorf(ferry.EINVALID, "invalid queue name %q", name)
	}
	return name, nil
}

// functionName resolves a function name or ARN. Versions and aliases are
// not supported: a qualifier other than $LATEST is an error.
func functionName(s string) (string, error) {
	if s == "" {
		return "", ferry.Errorf(ferry.EINVALID, "a function name is required")
	}
	if strings.HasPrefix(s, "arn:") {
		a, err := ferry.ParseARN(s)
		if err != nil {
			return "", err
		}
		if a.Kind != ferry.KindFunction {
			return "", ferry.Errorf(ferry.EINVALID, "%q is not a function ARN", s)
		}
		if a.Qualifier != "" && a.Qualifier != ferry.LatestVersion {
			return "", ferry.Errorf(ferry.EINVALID, "function %q: event source mappings on versions and aliases are not supported", s)
		}
		return a.Name, nil
	}
	if name, q, ok := strings.Cut(s, ":"); ok {
		if q != ferry.LatestVersion {
			return "", ferry.Errorf(ferry.EINVALID, "function %q: event source mappings on versions and aliases are not supported", s)
		}
		s = name
	}
	if !ferry.ValidResourceName(s) {
		return "", ferry.Errorf(ferry.EINVALID, "invalid function name %q", s)
	}
	return s, nil
}
