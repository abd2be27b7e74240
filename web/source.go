package web

import (
	"context"

	"github.com/ferry-run/ferry"
)

// Source is everything the dashboard reads and does. Methods return errors
// carrying ferry codes: ENOTFOUND for an unknown function, queue or request
// id; EINVALID or EINVALIDJSON for a bad argument.
type Source interface {
	// Graph returns the stack drawing with live edge counts.
	Graph(ctx context.Context) (Graph, error)
	// Invocations lists invocations matching f, newest first.
	Invocations(ctx context.Context, f Filter) ([]ferry.Invocation, error)
	// Invocation returns one invocation by request id.
	Invocation(ctx context.Context, requestID string) (*ferry.Invocation, error)
	// Trace returns every invocation sharing this one's TraceID, in order:
	// the path of one event across hops.
	Trace(ctx context.Context, requestID string) ([]ferry.Invocation, error)
	// Queues summarises every queue.
	Queues(ctx context.Context) ([]QueueSummary, error)
	// Peek returns up to max messages without consuming them (the
	// implementer receives with visibility 0).
	Peek(ctx context.Context, queue string, max int) ([]ferry.Message, error)
	// Purge deletes every message of a queue.
	Purge(ctx context.Context, queue string) error
	// RedriveDLQ moves a dead-letter queue's messages back to their source
	// queues and reports how many moved.
	RedriveDLQ(ctx context.Context, queue string) (moved int, err error)
	// InvokeAsync invokes a function with invocation type Event.
	InvokeAsync(ctx context.Context, function string, payload []byte) (requestID string, err error)
}

// Node kinds.
const (
	KindRoute    = "route"
	KindTopic    = "topic"
	KindFunction = "function"
	KindQueue    = "queue"
	KindBus      = "bus"
	KindRule     = "rule"
)

// Edge labels used by Ferry's stacks. Any other label is drawn as given.
const (
	EdgeOnSuccess    = "onSuccess"
	EdgeOnFailure    = "onFailure"
	EdgeDLQ          = "DLQ"
	EdgeSubscription = "subscription"
	EdgeTrigger      = "trigger"
	EdgeTarget       = "target"
	EdgeRoute        = "route"
)

// Graph is the stack drawing: resources and the paths events take between
// them.
type Graph struct {
	Nodes []Node `json:"nodes"`
	Edges []Edge `json:"edges"`
}

// Node is one resource. ID is unique in the graph; Label is the resource's
// name (the function name for a function, the queue name for a queue), and
// the dashboard links function and queue nodes by it.
type Node struct {
	ID    string `json:"id"`
	Kind  string `json:"kind"`
	Label string `json:"label"`
}

// Edge is one path events take. Count is live: how many events took it.
type Edge struct {
	From  string `json:"from"`
	To    string `json:"to"`
	Label string `json:"label"`
	Count int64  `json:"count"`
}

// Invocation statuses a Filter accepts.
const (
	StatusAny       = ""
	StatusFailed    = "failed"
	StatusSucceeded = "succeeded"
	StatusPending   = "pending"
)

// Filter selects invocations. Status: pending until Done; failed for a
// final condition other than Success or a function error; succeeded
// otherwise (history.Filter's meaning). The API always sets Limit (default
// 50, at most 1000).
type Filter struct {
	Function string
	Status   string
	Limit    int
}

// QueueSummary is one queue's counts and, for a dead-letter queue, the
// queues that send to it.
type QueueSummary struct {
	Name     string   `json:"name"`
	Visible  int64    `json:"visible"`
	InFlight int64    `json:"inFlight"`
	Delayed  int64    `json:"delayed"`
	IsDLQ    bool     `json:"isDLQ"`
	Sources  []string `json:"sources,omitempty"`
}
