package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/ferry-run/ferry"
)

// memSource is an in-memory Source for the dashboard's tests.
type memSource struct {
	mu       sync.Mutex
	graph    Graph
	invs     []ferry.Invocation // oldest first
	queues   map[string][]ferry.Message
	dlqOf    map[string]string // DLQ -> source queue
	peeks    int
	next     int
	graphErr error
}

var _ Source = (*memSource)(nil)

// t0 is the fixed start of every seeded invocation.
var t0 = time.Date(2026, 11, 3, 10, 0, 0, 0, time.UTC)

// paymentsGraph is the reference payments stack.
func paymentsGraph() Graph {
	return Graph{
		Nodes: []Node{
			{ID: "route:POST /payments", Kind: KindRoute, Label: "POST /payments"},
			{ID: "topic:payments", Kind: KindTopic, Label: "payments"},
			{ID: "function:processPayment", Kind: KindFunction, Label: "processPayment"},
			{ID: "queue:paymentsNotification", Kind: KindQueue, Label: "paymentsNotification"},
			{ID: "queue:paymentsDLQ", Kind: KindQueue, Label: "paymentsDLQ"},
			{ID: "function:notifyCustomer", Kind: KindFunction, Label: "notifyCustomer"},
			{ID: "function:notifyPaymentsTeam", Kind: KindFunction, Label: "notifyPaymentsTeam"},
		},
		Edges: []Edge{
			{From: "route:POST /payments", To: "topic:payments", Label: EdgeRoute, Count: 4},
			{From: "topic:payments", To: "function:processPayment", Label: EdgeSubscription, Count: 4},
			{From: "function:processPayment", To: "queue:paymentsNotification", Label: EdgeOnSuccess, Count: 3},
			{From: "function:processPayment", To: "queue:paymentsDLQ", Label: EdgeOnFailure, Count: 1},
			{From: "queue:paymentsNotification", To: "function:notifyCustomer", Label: EdgeTrigger, Count: 3},
			{From: "queue:paymentsDLQ", To: "function:notifyPaymentsTeam", Label: EdgeTrigger, Count: 1},
		},
	}
}

// newMemSource returns the payments stack with one failed payment traced
// through its DLQ consumer, one success, and messages in both queues.
func newMemSource() *memSource {
	m := &memSource{
		graph:  paymentsGraph(),
		queues: map[string][]ferry.Message{},
		dlqOf:  map[string]string{"paymentsDLQ": "paymentsNotification"},
	}
	m.invs = []ferry.Invocation{
		{
			RequestID: "req-ok", Function: "processPayment", Type: "Event", TraceID: "trace-ok",
			Accepted: t0, Request: json.RawMessage(`{"amount":10}`),
			Attempts:  []ferry.Attempt{{Start: t0.Add(2 * time.Millisecond), Duration: 3 * time.Millisecond, Logs: "charged 10\n"}},
			Condition: "Success", Response: json.RawMessage(`{"paid":true}`), Finished: t0.Add(5 * time.Millisecond),
			Deliveries: []ferry.Delivery{{Kind: ferry.DeliveryOnSuccess, Target: "arn:aws:sqs:us-east-1:000000000000:paymentsNotification", At: t0.Add(6 * time.Millisecond)}},
			Done:       true,
		},
		{
			RequestID: "req-fail", Function: "processPayment", Type: "Event", TraceID: "trace-fail",
			Accepted: t0.Add(time.Second), Request: json.RawMessage(`{"amount":-1}`),
			Attempts: []ferry.Attempt{
				{Start: t0.Add(time.Second + 5*time.Millisecond), Duration: 3 * time.Millisecond,
					ErrorType: "PaymentDeclined", ErrorMessage: "amount must be positive", Logs: "declining -1\n"},
				{Start: t0.Add(time.Second + 60*time.Millisecond), Duration: 4 * time.Millisecond,
					ErrorType: "PaymentDeclined", ErrorMessage: "amount must be positive (again)", Logs: "declining -1 again\n"},
			},
			Condition: "RetriesExhausted", FunctionError: "Unhandled", Finished: t0.Add(time.Second + 70*time.Millisecond),
			Deliveries: []ferry.Delivery{
				{Kind: ferry.DeliveryOnFailure, Target: "arn:aws:sqs:us-east-1:000000000000:paymentsDLQ", At: t0.Add(time.Second + 71*time.Millisecond), Error: "first try: queue busy"},
				{Kind: ferry.DeliveryOnFailure, Target: "arn:aws:sqs:us-east-1:000000000000:paymentsDLQ", At: t0.Add(time.Second + 80*time.Millisecond)},
			},
			Done: true,
		},
		{
			RequestID: "req-team", Function: "notifyPaymentsTeam", Type: "Event", TraceID: "trace-fail", Hops: 1,
			Accepted:  t0.Add(time.Second + 90*time.Millisecond),
			Attempts:  []ferry.Attempt{{Start: t0.Add(time.Second + 91*time.Millisecond), Duration: time.Millisecond, Logs: "paged the team\n"}},
			Condition: "Success", Done: true,
		},
		{
			RequestID: "req-pending", Function: "notifyCustomer", Type: "Event", TraceID: "trace-ok", Hops: 1,
			Accepted: t0.Add(2 * time.Second),
		},
	}
	m.queues["paymentsNotification"] = []ferry.Message{
		{MessageID: "m-1", ReceiptHandle: "secret-1", Body: `{"responsePayload":{"paid":true}}`, SentTimestamp: t0.UnixMilli(), TraceID: "trace-ok"},
	}
	m.queues["paymentsDLQ"] = []ferry.Message{
		{MessageID: "m-2", ReceiptHandle: "secret-2", Body: `{"requestContext":{"condition":"RetriesExhausted"}}`, ReceiveCount: 1},
		{MessageID: "m-3", ReceiptHandle: "secret-3", Body: `{"n":3}`},
	}
	return m
}

func (m *memSource) Graph(context.Context) (Graph, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.graphErr != nil {
		return Graph{}, m.graphErr
	}
	g := Graph{Nodes: slices.Clone(m.graph.Nodes), Edges: slices.Clone(m.graph.Edges)}
	return g, nil
}

// bump adds n to the count of every edge with this label.
func (m *memSource) bump(label string, n int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := range m.graph.Edges {
		if m.graph.Edges[i].Label == label {
			m.graph.Edges[i].Count += n
		}
	}
}

// status is the status history.Filter gives inv.
func status(inv ferry.Invocation) string {
	switch {
	case !inv.Done:
		return StatusPending
	case inv.Condition != "" && inv.Condition != "Success" || inv.FunctionError != "":
		return StatusFailed
	}
	return StatusSucceeded
}

func (m *memSource) Invocations(_ context.Context, f Filter) ([]ferry.Invocation, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []ferry.Invocation
	for i := len(m.invs) - 1; i >= 0 && len(out) < f.Limit; i-- {
		inv := m.invs[i]
		if (f.Function == "" || inv.Function == f.Function) && (f.Status == "" || status(inv) == f.Status) {
			out = append(out, inv)
		}
	}
	return out, nil
}

func (m *memSource) find(id string) (ferry.Invocation, error) {
	for _, inv := range m.invs {
		if inv.RequestID == id {
			return inv, nil
		}
	}
	return ferry.Invocation{}, ferry.Errorf(ferry.ENOTFOUND, "invocation %q not found", id)
}

func (m *memSource) Invocation(_ context.Context, id string) (*ferry.Invocation, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	inv, err := m.find(id)
	if err != nil {
		return nil, err
	}
	return &inv, nil
}

func (m *memSource) Trace(_ context.Context, id string) ([]ferry.Invocation, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	inv, err := m.find(id)
	if err != nil {
		return nil, err
	}
	var out []ferry.Invocation
	for _, x := range m.invs {
		if x.TraceID == inv.TraceID {
			out = append(out, x)
		}
	}
	return out, nil
}

func (m *memSource) Queues(context.Context) ([]QueueSummary, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []QueueSummary
	for _, name := range []string{"paymentsDLQ", "paymentsNotification"} {
		q := QueueSummary{Name: name, Visible: int64(len(m.queues[name])), InFlight: 1, Delayed: 2}
		if src, ok := m.dlqOf[name]; ok {
			q.IsDLQ, q.Sources = true, []string{src}
		}
		out = append(out, q)
	}
	return out, nil
}

func (m *memSource) queue(name string) ([]ferry.Message, error) {
	msgs, ok := m.queues[name]
	if !ok {
		return nil, ferry.Errorf(ferry.ENOTFOUND, "queue %q not found", name)
	}
	return msgs, nil
}

func (m *memSource) Peek(_ context.Context, name string, max int) ([]ferry.Message, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	msgs, err := m.queue(name)
	if err != nil {
		return nil, err
	}
	m.peeks++
	return slices.Clone(msgs[:min(max, len(msgs))]), nil
}

func (m *memSource) Purge(_ context.Context, name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, err := m.queue(name); err != nil {
		return err
	}
	m.queues[name] = []ferry.Message{}
	return nil
}

func (m *memSource) RedriveDLQ(_ context.Context, name string) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	msgs, err := m.queue(name)
	if err != nil {
		return 0, err
	}
	src, ok := m.dlqOf[name]
	if !ok {
		return 0, ferry.Errorf(ferry.EINVALID, "queue %q is not a dead-letter queue", name)
	}
	m.queues[src] = append(m.queues[src], msgs...)
	m.queues[name] = []ferry.Message{}
	return len(msgs), nil
}

func (m *memSource) InvokeAsync(_ context.Context, function string, payload []byte) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	found := false
	for _, n := range m.graph.Nodes {
		found = found || (n.Kind == KindFunction && n.Label == function)
	}
	if !found {
		return "", ferry.Errorf(ferry.ENOTFOUND, "function %q not found", function)
	}
	if !json.Valid(payload) {
		return "", ferry.Errorf(ferry.EINVALIDJSON, "payload is not JSON")
	}
	m.next++
	id := fmt.Sprintf("req-new-%d", m.next)
	now := time.Now().UTC()
	m.invs = append(m.invs, ferry.Invocation{
		RequestID: id, Function: function, Type: "Event", TraceID: "trace-" + id,
		Accepted: now, Request: json.RawMessage(payload),
		Attempts:  []ferry.Attempt{{Start: now.Add(time.Millisecond), Duration: 2 * time.Millisecond, Logs: "handled " + string(payload) + "\n"}},
		Condition: "Success", Finished: now.Add(3 * time.Millisecond), Done: true,
	})
	return id, nil
}

// request returns the stored request payload of an invocation.
func (m *memSource) request(id string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	inv, err := m.find(id)
	if err != nil {
		return "", err
	}
	if inv.Request == nil {
		return "", errors.New("no request stored")
	}
	return string(inv.Request), nil
}
