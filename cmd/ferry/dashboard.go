package main

import (
	"context"
	"encoding/json"
	"slices"
	"strings"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/gateway"
	"github.com/ferry-run/ferry/history"
	"github.com/ferry-run/ferry/web"
)

// dashboardSource adapts the running services to the dashboard.
type dashboardSource struct{ m *Main }

var _ web.Source = dashboardSource{}

func nodeID(a ferry.ARN) string {
	switch a.Kind {
	case ferry.KindFunction:
		return "function:" + a.Name
	case ferry.KindQueue:
		return "queue:" + a.Name
	case ferry.KindTopic:
		return "topic:" + a.Name
	case ferry.KindBus:
		return "bus:" + a.Name
	}
	return a.Kind + ":" + a.Name
}

// Graph draws every resource of the server and the paths between them,
// with live counts.
func (s dashboardSource) Graph(ctx context.Context) (web.Graph, error) {
	m := s.m
	var g web.Graph
	have := map[string]bool{}
	node := func(id, kind, label string) {
		if !have[id] {
			have[id] = true
			g.Nodes = append(g.Nodes, web.Node{ID: id, Kind: kind, Label: label})
		}
	}
	var edges []web.Edge
	fns, err := m.Functions.ListFunctions(ctx)
	if err != nil {
		return g, err
	}
	for _, fn := range fns {
		node("function:"+fn.Name, web.KindFunction, fn.Name)
	}
	qs, err := m.Queues.ListQueues(ctx, "")
	if err != nil {
		return g, err
	}
	for _, q := range qs {
		node("queue:"+q.Name, web.KindQueue, q.Name)
	}
	topics, err := m.Topics.ListTopics(ctx)
	if err != nil {
		return g, err
	}
	for _, t := range topics {
		if a, err := ferry.ParseARN(t); err == nil {
			node(nodeID(a), web.KindTopic, a.Name)
		}
	}
	buses, err := m.Buses.ListBuses(ctx)
	if err != nil {
		return g, err
	}
	for _, b := range buses {
		node("bus:"+b.Name, web.KindBus, b.Name)
		rules, err := m.Buses.ListRules(ctx, b.Name, "")
		if err != nil {
			return g, err
		}
		for _, r := range rules {
			rid := "rule:" + b.Name + "/" + r.Name
			node(rid, web.KindRule, r.Name)
			edges = append(edges, web.Edge{From: "bus:" + b.Name, To: rid, Label: "rule"})
			targets, err := m.Buses.ListTargetsByRule(ctx, b.Name, r.Name)
			if err != nil {
				return g, err
			}
			for _, t := range targets {
				if a, err := ferry.ParseARN(t.Arn); err == nil {
					edges = append(edges, web.Edge{From: rid, To: nodeID(a), Label: web.EdgeTarget})
				}
			}
		}
	}
	for _, fn := range fns {
		for _, d := range []struct{ kind, label, target string }{
			{ferry.DeliveryOnSuccess, web.EdgeOnSuccess, fn.Async.OnSuccess},
			{ferry.DeliveryOnFailure, web.EdgeOnFailure, fn.Async.OnFailure},
			{ferry.DeliveryDLQ, web.EdgeDLQ, fn.DeadLetterTarget},
		} {
			if a, err := ferry.ParseARN(d.target); err == nil && d.target != "" {
				edges = append(edges, web.Edge{From: "function:" + fn.Name, To: nodeID(a), Label: d.label,
					Count: m.Async.Stats().Delivered(fn.Name, d.kind, d.target)})
			}
		}
	}
	subs, err := m.Topics.ListSubscriptions(ctx)
	if err != nil {
		return g, err
	}
	for _, sub := range subs {
		from, err1 := ferry.ParseARN(sub.TopicArn)
		to, err2 := ferry.ParseARN(sub.Endpoint)
		if err1 != nil || err2 != nil {
			continue
		}
		e := web.Edge{From: nodeID(from), To: nodeID(to), Label: web.EdgeSubscription}
		if st, err := m.Topics.DeliveryStats(sub.SubscriptionArn); err == nil {
			e.Count = int64(st.Delivered)
		}
		edges = append(edges, e)
	}
	mappings, err := m.Triggers.List(ctx, "", "")
	if err != nil {
		return g, err
	}
	for _, mp := range mappings {
		edges = append(edges, web.Edge{From: "queue:" + mp.Queue, To: "function:" + mp.Function, Label: web.EdgeTrigger,
			Count: m.Triggers.Delivered(mp.UUID)})
	}
	for _, r := range m.routes() {
		id := "route:" + r.Method + " " + r.Path
		node(id, web.KindRoute, r.Method+" "+r.Path)
		served := m.Gateway.Served(r)
		switch {
		case r.Function != "":
			edges = append(edges, web.Edge{From: id, To: "function:" + r.Function, Label: web.EdgeRoute, Count: served})
		case r.Proxy != nil:
			edges = append(edges, web.Edge{From: id, To: proxyNode(r.Proxy), Label: web.EdgeRoute, Count: served})
		}
	}
	// Edges to resources that do not exist (yet) are left out.
	for _, e := range edges {
		if have[e.From] && have[e.To] {
			g.Edges = append(g.Edges, e)
		}
	}
	return g, nil
}

// proxyNode is the node a service proxy writes to; its target is a name or
// an ARN.
func proxyNode(p *gateway.ServiceProxy) string {
	if a, err := ferry.ParseARN(p.Target); err == nil {
		return nodeID(a)
	}
	if p.Kind == gateway.ProxySNS {
		return "topic:" + p.Target
	}
	return "queue:" + p.Target
}

func (s dashboardSource) Invocations(ctx context.Context, f web.Filter) ([]ferry.Invocation, error) {
	list, err := s.m.History.List(ctx, history.Filter{Function: f.Function, Status: f.Status, Limit: f.Limit})
	if err != nil {
		return nil, err
	}
	out := make([]ferry.Invocation, len(list))
	for i, inv := range list {
		out[i] = *inv
	}
	if f.Status == "" || f.Status == history.StatusPending {
		return s.m.withUnfinished(ctx, out, f.Function, f.Limit)
	}
	return out, nil
}

func (s dashboardSource) Invocation(ctx context.Context, id string) (*ferry.Invocation, error) {
	return s.m.invocationNow(ctx, id)
}

// Trace returns the invocations sharing id's trace id, oldest first.
func (s dashboardSource) Trace(ctx context.Context, id string) ([]ferry.Invocation, error) {
	inv, err := s.m.invocationNow(ctx, id)
	if err != nil {
		return nil, err
	}
	if inv.TraceID == "" {
		return []ferry.Invocation{*inv}, nil
	}
	list, err := s.m.History.List(ctx, history.Filter{TraceID: inv.TraceID, Limit: 1000})
	if err != nil {
		return nil, err
	}
	out := make([]ferry.Invocation, 0, len(list))
	for _, x := range list {
		if x.RequestID == id {
			x = inv
		}
		out = append(out, *x)
	}
	if !slices.ContainsFunc(out, func(x ferry.Invocation) bool { return x.RequestID == id }) {
		out = append(out, *inv)
	}
	slices.SortStableFunc(out, func(a, b ferry.Invocation) int { return a.Accepted.Compare(b.Accepted) })
	return out, nil
}

func (s dashboardSource) Queues(ctx context.Context) ([]web.QueueSummary, error) {
	qs, err := s.m.Queues.ListQueues(ctx, "")
	if err != nil {
		return nil, err
	}
	out := make([]web.QueueSummary, 0, len(qs))
	sources := map[string][]string{}
	for _, q := range qs {
		st, err := s.m.queueState(ctx, q.Name)
		if err != nil {
			return nil, err
		}
		out = append(out, web.QueueSummary{Name: q.Name, Visible: st.visible, InFlight: st.inFlight, Delayed: st.delayed})
		var rp struct{ DeadLetterTargetArn string }
		if json.Unmarshal([]byte(st.attrs["RedrivePolicy"]), &rp) == nil && rp.DeadLetterTargetArn != "" {
			dlq := rp.DeadLetterTargetArn[strings.LastIndexByte(rp.DeadLetterTargetArn, ':')+1:]
			sources[dlq] = append(sources[dlq], q.Name)
		}
	}
	for i := range out {
		if src := sources[out[i].Name]; len(src) > 0 {
			out[i].IsDLQ, out[i].Sources = true, src
		}
	}
	return out, nil
}

func (s dashboardSource) Peek(ctx context.Context, q string, max int) ([]ferry.Message, error) {
	return s.m.Queues.ReceiveMessages(ctx, q, ferry.ReceiveOptions{MaxMessages: max, HasVisibility: true})
}

func (s dashboardSource) Purge(ctx context.Context, q string) error {
	return s.m.Queues.PurgeQueue(ctx, q)
}

func (s dashboardSource) RedriveDLQ(ctx context.Context, q string) (int, error) {
	return s.m.Queues.Redrive(ctx, q, "")
}

func (s dashboardSource) InvokeAsync(ctx context.Context, function string, payload []byte) (string, error) {
	req := &ferry.InvokeRequest{Function: function, Payload: payload}
	if err := s.m.Async.InvokeAsync(ctx, req); err != nil {
		return "", err
	}
	return req.RequestID, nil
}
