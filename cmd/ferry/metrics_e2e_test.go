package main

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// scrape returns the value of every sample line of /metrics.
func scrape(t *testing.T, m *Main) map[string]float64 {
	t.Helper()
	resp, err := http.Get(m.APIURL() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("/metrics: %d %s", resp.StatusCode, b)
	}
	out := map[string]float64{}
	for _, line := range strings.Split(string(b), "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err == nil {
			out[line[:i]] = v
		}
	}
	return out
}

func TestMetricsFollowInvocations(t *testing.T) {
	t.Parallel()
	m := setup(t, 0.001)
	c := lambdaClient(m)
	createFunction(t, c, nodeFn("pay"))
	failed := createQueue(t, m, "failed")
	putDestinations(t, c, "pay", 0, "", failed)
	before := scrape(t, m)
	if before[`ferry_Invocations{function="pay"}`] != 0 {
		t.Fatalf("fresh function has invocations: %v", before[`ferry_Invocations{function="pay"}`])
	}
	invokeSync(t, c, "pay", pay(false))
	invokeAsync(t, c, "pay", pay(true))
	receiveOne(t, m, "failed", 20*time.Second)
	after := scrape(t, m)
	for name, want := range map[string]float64{
		`ferry_Invocations{function="pay"}`:          2,
		`ferry_Errors{function="pay"}`:               1,
		`ferry_AsyncEventsReceived{function="pay"}`:  1,
		`ferry_Duration_count{function="pay"}`:       2,
		`ferry_AsyncEventAge_count{function="pay"}`:  1,
		`ferry_ConcurrentExecutions{function="pay"}`: 0,
	} {
		if got := after[name]; got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	for _, name := range []string{`ferry_ApproximateNumberOfMessagesVisible{queue="failed"}`, `ferry_ApproximateAgeOfOldestMessage{queue="failed"}`} {
		if _, ok := after[name]; !ok {
			t.Errorf("no %s", name)
		}
	}
	for _, p := range []string{"/healthz", "/readyz"} {
		resp, err := http.Get(m.APIURL() + p)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("%s: %v %v", p, resp, err)
		}
		resp.Body.Close()
	}
}
