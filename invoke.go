package ferry

import (
	"context"
	"encoding/json"
	"time"
)

// Invocation types.
const (
	InvokeRequestResponse = "RequestResponse"
	InvokeEvent           = "Event"
	InvokeDryRun          = "DryRun"
)

// Function error values and the runtime error types Ferry itself produces.
const (
	FunctionErrorUnhandled = "Unhandled"
	ErrTypeExit            = "Runtime.ExitError"
	ErrTypeInit            = "Runtime.InitError"
	ErrTypeTimeout         = "Sandbox.Timedout"
	ErrTypeOutOfMemory     = "Runtime.OutOfMemory"
	ErrTypeUnknown         = "Runtime.Unknown"
)

// InvokeRequest is one invocation of a function.
type InvokeRequest struct {
	RequestID     string          `json:"requestId"`
	Function      string          `json:"function"`
	Qualifier     string          `json:"qualifier,omitempty"`
	Payload       json.RawMessage `json:"payload"`
	ClientContext string          `json:"clientContext,omitempty"` // base64 JSON, as in X-Amz-Client-Context
	TraceID       string          `json:"traceId,omitempty"`
	// Hops counts function -> destination/trigger -> function links so far (loop guard).
	Hops int `json:"hops,omitempty"`
	// Dedup asks the async engine to accept a repeat of this request id
	// (within ten minutes) without queueing it again. Ferry's own deliveries
	// set it (destinations, topics, buses, schedules derive their request ids,
	// so a delivery retried after a crash runs once); an Invoke call gets a
	// fresh request id and needs none.
	Dedup bool `json:"dedup,omitempty"`
}

// Result is the outcome of running a function once.
type Result struct {
	RequestID string
	// Payload is the function's response, or for a failure the error object
	// {"errorMessage","errorType","stackTrace"}.
	Payload json.RawMessage
	// FunctionError is "" on success, "Unhandled" on failure.
	FunctionError string
	ErrorType     string
	ErrorMessage  string
	// Logs are the captured log lines, START ... REPORT.
	Logs            []byte
	Duration        time.Duration
	InitDuration    time.Duration // non-zero on a cold start
	ExecutedVersion string
}

// Failed reports whether the function returned an error.
func (r *Result) Failed() bool { return r.FunctionError != "" }

// ErrorPayload is the JSON body of a function error.
type ErrorPayload struct {
	ErrorMessage string   `json:"errorMessage"`
	ErrorType    string   `json:"errorType"`
	StackTrace   []string `json:"stackTrace,omitempty"`
}

// Invoker runs a function synchronously. A function's own failure is a
// Result with FunctionError set, never a Go error. Errors: ENOTFOUND for an
// unknown function, ETHROTTLED when no concurrency is available,
// EUNAVAILABLE while stopping.
type Invoker interface {
	Invoke(ctx context.Context, req *InvokeRequest) (*Result, error)
}

// AsyncInvoker accepts events for asynchronous invocation. When it returns
// nil the event is durably stored. The request's RequestID is used as the
// deduplication id; an empty one is filled in.
type AsyncInvoker interface {
	InvokeAsync(ctx context.Context, req *InvokeRequest) error
}

// FunctionStore holds function configurations. Get returns ENOTFOUND for an
// unknown name. CreateFunction answers ECONFLICT when the name is taken;
// UpdateFunction applies change to a fresh copy with compare-and-swap, so
// concurrent updates from any node are all kept.
type FunctionStore interface {
	GetFunction(ctx context.Context, name string) (*Function, error)
	PutFunction(ctx context.Context, fn *Function) error
	CreateFunction(ctx context.Context, fn *Function) error
	UpdateFunction(ctx context.Context, name string, change func(fn *Function) error) (*Function, error)
	DeleteFunction(ctx context.Context, name string) error
	ListFunctions(ctx context.Context) ([]*Function, error)
}
