package ferry

import (
	"context"
	"time"
)

// Outcome is the final result of an asynchronous invocation: what the
// destination router turns into an invocation record.
type Outcome struct {
	Function    *Function
	Request     *InvokeRequest
	Condition   string
	InvokeCount int
	// Result is the last attempt's result; nil when the function never ran.
	Result *Result
	// StatusCode is the invoke status: 200 when the function ran, 429 when
	// it was throttled throughout.
	StatusCode int
	Time       time.Time
}

// Failed reports whether the outcome takes the failure path.
func (o *Outcome) Failed() bool { return o.Condition != ConditionSuccess }

// OutcomeRouter delivers an asynchronous invocation's outcome. Plan lists
// the deliveries the outcome needs; Deliver makes one of them and must be
// idempotent for the same outcome and delivery (a retried delivery after a
// crash produces no second record). A Note already set on d (why the
// delivery stands in for another) travels with the record; Deliver sets
// d.Note when it had to change the record to fit the target.
type OutcomeRouter interface {
	Plan(o *Outcome) []Delivery
	Deliver(ctx context.Context, o *Outcome, d *Delivery) error
}
