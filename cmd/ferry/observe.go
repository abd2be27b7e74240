package main

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/ferry-run/ferry/metrics"
	"github.com/ferry-run/ferry/queue"
)

// metricsSource adapts the services' counters to the metrics registry.
func (m *Main) metricsSource() metrics.Source {
	src := metrics.Source{
		Functions: func(ctx context.Context) []string {
			fns, err := m.Functions.ListFunctions(ctx)
			if err != nil {
				return nil
			}
			names := make([]string, len(fns))
			for i, fn := range fns {
				names[i] = fn.Name
			}
			return names
		},
		Counters: func(fn string) metrics.FunctionCounters {
			c := m.Async.Stats().Get(fn)
			busy, _ := m.Pool.Stats(fn)
			return metrics.FunctionCounters{
				Invocations: c.Invocations, Errors: c.Errors, Throttles: c.Throttles,
				AsyncEventsReceived: c.AsyncEventsReceived, AsyncEventsDropped: c.AsyncEventsDropped,
				DestinationDeliveryFailures: c.DestinationDeliveryFailures, DeadLetterErrors: c.DeadLetterErrors,
				RecursiveInvocationsDropped: c.RecursiveInvocationsDropped, ConcurrentExecutions: busy,
			}
		},
		Queues: func(ctx context.Context) []metrics.QueueDepth {
			qs, err := m.Queues.ListQueues(ctx, "")
			if err != nil {
				return nil
			}
			out := make([]metrics.QueueDepth, 0, len(qs))
			for _, q := range qs {
				st, err := m.queueState(ctx, q.Name)
				if err != nil {
					continue
				}
				age, _ := m.Queues.OldestMessageAge(ctx, q.Name)
				out = append(out, metrics.QueueDepth{Name: q.Name, OldestAge: age,
					Visible: st.visible, InFlight: st.inFlight, Delayed: st.delayed})
			}
			return out
		},
	}
	if m.Config.NATSURL != "" || m.Config.NATSConfig != "" {
		src.Node = m.Config.NodeName
		src.Cluster = m.clusterTotals
	}
	return src
}

// queueState is a queue's attributes with its approximate counts read out.
type queueState struct {
	attrs                      map[string]string
	visible, inFlight, delayed int64
}

func (m *Main) queueState(ctx context.Context, name string) (queueState, error) {
	a, err := m.Queues.GetQueueAttributes(ctx, name, []string{queue.AttrAll})
	if err != nil {
		return queueState{}, err
	}
	n := func(k string) int64 { v, _ := strconv.ParseInt(a[k], 10, 64); return v }
	return queueState{attrs: a, visible: n(queue.AttrNumMessages), inFlight: n(queue.AttrNumNotVisible),
		delayed: n(queue.AttrNumDelayed)}, nil
}

// healthz answers 200 while the engine connection is usable (503 while it
// is closed, or lost for longer than a short grace); readyz answers 200
// while the engine takes writes (503 while the store is full or JetStream
// is off or not answering).
func (m *Main) healthz(w http.ResponseWriter, _ *http.Request) {
	if err := m.Engine.Healthy(); err != nil {
		http.Error(w, "engine: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	w.Write([]byte("ok\n"))
}

func (m *Main) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := m.Engine.Ready(ctx); err != nil {
		http.Error(w, "engine not ready: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	w.Write([]byte("ready\n"))
}
