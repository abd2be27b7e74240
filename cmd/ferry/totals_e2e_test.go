package main

import (
	"context"
	"testing"
	"time"

	"github.com/ferry-run/ferry"
)

// The cumulative counters of /metrics, and the dashboard's delivery
// counts, continue from where they were after a restart on the same data
// dir.
func TestMetricTotalsSurviveRestart(t *testing.T) {
	t.Parallel()
	cfg := Config{DataDir: t.TempDir(), APIAddr: "127.0.0.1:0", GatewayAddr: "127.0.0.1:0", ClockScale: 0.001}
	start := func() *Main {
		m := NewMain(cfg)
		if err := m.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		return m
	}
	stop := func(m *Main) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := m.Close(ctx); err != nil {
			t.Errorf("close: %v", err)
		}
	}

	m := start()
	c := lambdaClient(m)
	createFunction(t, c, nodeFn("pay"))
	failed := createQueue(t, m, "failed")
	putDestinations(t, c, "pay", 0, "", failed)
	invokeSync(t, c, "pay", pay(false))
	invokeSync(t, c, "pay", pay(true))
	invokeAsync(t, c, "pay", pay(true))
	receiveOne(t, m, "failed", 20*time.Second)
	before := scrape(t, m)
	delivered := m.Async.Stats().Delivered("pay", ferry.DeliveryOnFailure, failed)
	stop(m)

	names := []string{
		`ferry_Invocations{function="pay"}`, `ferry_Errors{function="pay"}`,
		`ferry_AsyncEventsReceived{function="pay"}`,
	}
	for _, name := range names {
		if before[name] < 1 {
			t.Fatalf("before the restart %s = %v, want counts", name, before[name])
		}
	}
	if delivered != 1 {
		t.Fatalf("before the restart %d OnFailure deliveries, want 1", delivered)
	}

	m = start()
	defer stop(m)
	after := scrape(t, m)
	for _, name := range names {
		if after[name] < before[name] {
			t.Errorf("after the restart %s = %v, want at least %v", name, after[name], before[name])
		}
	}
	if got := m.Async.Stats().Delivered("pay", ferry.DeliveryOnFailure, failed); got < delivered {
		t.Errorf("after the restart %d OnFailure deliveries, want at least %d", got, delivered)
	}
	// And they count on from there.
	invokeSync(t, lambdaClient(m), "pay", pay(false))
	name := `ferry_Invocations{function="pay"}`
	if got := scrape(t, m)[name]; got != after[name]+1 {
		t.Errorf("one more invocation: %s = %v, want %v", name, got, after[name]+1)
	}
}
