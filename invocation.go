package ferry

import (
	"context"
	"encoding/json"
	"time"
)

// Invocation is the durable history of one invocation, looked up by request id.
type Invocation struct {
	RequestID string    `json:"requestId"`
	Function  string    `json:"function"`
	Type      string    `json:"type"` // Event or RequestResponse
	Accepted  time.Time `json:"accepted"`
	TraceID   string    `json:"traceId,omitempty"`
	Hops      int       `json:"hops,omitempty"`
	// Request is the event payload, kept so a failed invocation can be redriven.
	Request  json.RawMessage `json:"request,omitempty"`
	Attempts []Attempt       `json:"attempts,omitempty"`
	// Throttles counts deliveries that found no concurrency available.
	Throttles int `json:"throttles,omitempty"`
	// Condition is set once the outcome is final: Success, RetriesExhausted or EventAgeExceeded.
	Condition string `json:"condition,omitempty"`
	// Response is the final response or error payload.
	Response      json.RawMessage `json:"response,omitempty"`
	FunctionError string          `json:"functionError,omitempty"`
	// StatusCode is the invoke status of the outcome: 200 when the function
	// ran, 429 when it never got concurrency.
	StatusCode int `json:"statusCode,omitempty"`
	// Finished is when the outcome became final.
	Finished   time.Time  `json:"finished,omitempty"`
	Deliveries []Delivery `json:"deliveries,omitempty"`
	// Done is set when every delivery of the outcome has been made or given up.
	Done bool `json:"done,omitempty"`
	// Cancelled is set when the event was removed from its queue by hand.
	Cancelled bool `json:"cancelled,omitempty"`
	// RedriveOf is the request id this invocation re-runs; RedrivenAs lists
	// the invocations that re-ran this one.
	RedriveOf  string   `json:"redriveOf,omitempty"`
	RedrivenAs []string `json:"redrivenAs,omitempty"`
	// State is where an accepted async event without a final outcome is
	// now (one of the State constants); NextAttempt is when a waiting
	// event runs again. Both are worked out when the invocation is read,
	// never stored.
	State       string    `json:"state,omitempty"`
	NextAttempt time.Time `json:"nextAttempt,omitzero"`
}

// Where an async event without a final outcome is.
const (
	StateQueued     = "queued"     // accepted, never handed to a worker
	StatePaused     = "paused"     // queued on a paused function
	StateRunning    = "running"    // held by a worker: cold start or run
	StateRetryWait  = "retry-wait" // a failed attempt's retry is due at NextAttempt
	StateBackoff    = "backoff"    // throttled; tried again at NextAttempt
	StateDelivering = "delivering" // outcome decided, its records being delivered
)

// Attempt is one run of the function.
type Attempt struct {
	Start    time.Time     `json:"start"`
	Duration time.Duration `json:"duration"`
	// Init is the cold start the attempt waited for (0 when warm): the
	// function got the event Init after Start.
	Init         time.Duration `json:"init,omitempty"`
	ErrorType    string        `json:"errorType,omitempty"`
	ErrorMessage string        `json:"errorMessage,omitempty"`
	Logs         string        `json:"logs,omitempty"`
}

// Delivery kinds.
const (
	DeliveryOnSuccess = "OnSuccess"
	DeliveryOnFailure = "OnFailure"
	DeliveryDLQ       = "DeadLetterQueue"
)

// Delivery is one attempt to hand an outcome to a destination or DLQ.
type Delivery struct {
	Kind   string    `json:"kind"`
	Target string    `json:"target"`
	At     time.Time `json:"at"`
	Error  string    `json:"error,omitempty"`
	// Note says what was unusual about the delivery: the record's payloads
	// were dropped to fit the target, or the delivery stands in for another
	// that could not be made (and why).
	Note string `json:"note,omitempty"`
}

// InvocationStore keeps invocation histories. Get returns ENOTFOUND.
type InvocationStore interface {
	PutInvocation(ctx context.Context, inv *Invocation) error
	GetInvocation(ctx context.Context, requestID string) (*Invocation, error)
}
