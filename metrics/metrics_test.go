package metrics_test

import (
	"context"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ferry-run/ferry/metrics"
)

func TestScrapeShowsLambdaMetricNames(t *testing.T) {
	t.Parallel()
	counters := map[string]metrics.FunctionCounters{
		"pay": {Invocations: 3, Errors: 1, Throttles: 2, AsyncEventsReceived: 4, AsyncEventsDropped: 1,
			DestinationDeliveryFailures: 5, DeadLetterErrors: 6, RecursiveInvocationsDropped: 7, ConcurrentExecutions: 2},
	}
	r := metrics.New(metrics.Source{
		Functions: func(context.Context) []string { return []string{"pay"} },
		Counters:  func(fn string) metrics.FunctionCounters { return counters[fn] },
		Queues: func(context.Context) []metrics.QueueDepth {
			return []metrics.QueueDepth{{Name: "dlq", Visible: 9, InFlight: 8, Delayed: 7, OldestAge: 1500 * time.Millisecond}}
		},
	})
	r.ObserveDuration("pay", 12*time.Millisecond)
	r.ObserveEventAge("pay", 3*time.Millisecond)
	rec := httptest.NewRecorder()
	r.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	for _, want := range []string{
		`ferry_Invocations{function="pay"} 3`, `ferry_Errors{function="pay"} 1`, `ferry_Throttles{function="pay"} 2`,
		`ferry_AsyncEventsReceived{function="pay"} 4`, `ferry_AsyncEventsDropped{function="pay"} 1`,
		`ferry_DestinationDeliveryFailures{function="pay"} 5`, `ferry_DeadLetterErrors{function="pay"} 6`,
		`ferry_RecursiveInvocationsDropped{function="pay"} 7`, `ferry_ConcurrentExecutions{function="pay"} 2`,
		`ferry_Duration_count{function="pay"} 1`, `ferry_Duration_sum{function="pay"} 12`,
		`ferry_AsyncEventAge_count{function="pay"} 1`,
		`ferry_ApproximateNumberOfMessagesVisible{queue="dlq"} 9`, `ferry_ApproximateNumberOfMessagesNotVisible{queue="dlq"} 8`,
		`ferry_ApproximateNumberOfMessagesDelayed{queue="dlq"} 7`, `ferry_ApproximateAgeOfOldestMessage{queue="dlq"} 1.5`,
	} {
		if !strings.Contains(string(body), want+"\n") {
			t.Errorf("scrape lacks %q", want)
		}
	}
}

func TestNodeLabelAndClusterTotals(t *testing.T) {
	t.Parallel()
	r := metrics.New(metrics.Source{
		Functions: func(context.Context) []string { return []string{"pay"} },
		Counters:  func(string) metrics.FunctionCounters { return metrics.FunctionCounters{Invocations: 3} },
		Node:      "node-a",
		Cluster: func(context.Context) map[string]metrics.FunctionCounters {
			return map[string]metrics.FunctionCounters{"pay": {Invocations: 7, Errors: 2}}
		},
	})
	r.ObserveDuration("pay", time.Millisecond)
	rec := httptest.NewRecorder()
	r.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	for _, want := range []string{
		`ferry_Invocations{function="pay",node="node-a"} 3`, `ferry_Duration_count{function="pay",node="node-a"} 1`,
		`ferry_cluster_Invocations{function="pay"} 7`, `ferry_cluster_Errors{function="pay"} 2`,
	} {
		if !strings.Contains(string(body), want+"\n") {
			t.Errorf("scrape lacks %q", want)
		}
	}
}
