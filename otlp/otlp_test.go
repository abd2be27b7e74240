package otlp_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/otlp"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// collector is an OTLP/HTTP receiver recording the JSON it gets.
type collector struct {
	mu     sync.Mutex
	bodies []map[string]any
	status int
}

func (c *collector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	var v map[string]any
	if r.URL.Path != "/v1/traces" || r.Header.Get("Content-Type") != "application/json" || json.Unmarshal(b, &v) != nil {
		http.Error(w, "bad request", 400)
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.status != 0 {
		w.WriteHeader(c.status)
		return
	}
	c.bodies = append(c.bodies, v)
}

func (c *collector) spans() []map[string]any {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []map[string]any
	for _, b := range c.bodies {
		for _, rs := range b["resourceSpans"].([]any) {
			for _, ss := range rs.(map[string]any)["scopeSpans"].([]any) {
				for _, sp := range ss.(map[string]any)["spans"].([]any) {
					out = append(out, sp.(map[string]any))
				}
			}
		}
	}
	return out
}

func TestExportsFinishedInvocations(t *testing.T) {
	t.Parallel()
	col := &collector{}
	srv := httptest.NewServer(col)
	defer srv.Close()
	ex := otlp.New(otlp.Options{Endpoint: srv.URL, Interval: 20 * time.Millisecond})
	if err := ex.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	trace := "Root=1-6b044155-207036c87e7281f033d22d2e"
	ex.Export(&ferry.Invocation{RequestID: "r-pending", Function: "f", TraceID: trace})
	ex.Export(&ferry.Invocation{RequestID: "r-untraced", Function: "f", Done: true})
	ex.Export(&ferry.Invocation{
		RequestID: "r1", Function: "pay", Type: ferry.InvokeEvent, TraceID: trace, Accepted: at, Hops: 1,
		Attempts:  []ferry.Attempt{{Start: at.Add(2 * time.Millisecond), Duration: 5 * time.Millisecond, ErrorType: "PaymentDeclined", ErrorMessage: "no"}},
		Condition: ferry.ConditionRetriesExhausted, Finished: at.Add(8 * time.Millisecond), Done: true,
		Deliveries: []ferry.Delivery{{Kind: ferry.DeliveryOnFailure, Target: "arn:aws:sqs:us-east-1:000000000000:dlq", At: at.Add(9 * time.Millisecond)}},
	})
	deadline := time.Now().Add(5 * time.Second)
	for len(col.spans()) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	spans := col.spans()
	if len(spans) != 1 {
		t.Fatalf("%d spans exported, want 1 (pending and untraced invocations are skipped)", len(spans))
	}
	sp := spans[0]
	for k, want := range map[string]any{
		"traceId": "6b044155207036c87e7281f033d22d2e", "name": "pay", "kind": 5.0,
		"startTimeUnixNano": "1767323045000000000", "endTimeUnixNano": "1767323045009000000",
	} {
		if sp[k] != want {
			t.Errorf("%s = %v, want %v", k, sp[k], want)
		}
	}
	if st := sp["status"].(map[string]any); st["code"] != 2.0 || st["message"] != "PaymentDeclined: no" {
		t.Errorf("status = %v", st)
	}
	if evs := sp["events"].([]any); len(evs) != 2 || evs[0].(map[string]any)["name"] != "attempt 1" || evs[1].(map[string]any)["name"] != "OnFailure" {
		t.Errorf("events = %v", evs)
	}
	if len(sp["spanId"].(string)) != 16 {
		t.Errorf("spanId = %v", sp["spanId"])
	}
	if err := ex.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if sent, dropped := ex.Stats(); sent != 1 || dropped != 0 {
		t.Fatalf("sent %d dropped %d", sent, dropped)
	}
}

func TestRefusedBatchesAreCountedAsDropped(t *testing.T) {
	t.Parallel()
	col := &collector{status: http.StatusServiceUnavailable}
	srv := httptest.NewServer(col)
	defer srv.Close()
	ex := otlp.New(otlp.Options{Endpoint: srv.URL, Interval: time.Hour})
	if err := ex.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	ex.Export(&ferry.Invocation{RequestID: "r", Function: "f", TraceID: "Root=1-6b044155-207036c87e7281f033d22d2e", Done: true})
	if err := ex.Stop(context.Background()); err != nil { // Stop flushes
		t.Fatal(err)
	}
	if sent, dropped := ex.Stats(); sent != 0 || dropped != 1 {
		t.Fatalf("sent %d dropped %d", sent, dropped)
	}
	if err := otlp.New(otlp.Options{Endpoint: "localhost:4318"}).Start(context.Background()); ferry.ErrorCode(err) != ferry.EINVALID {
		t.Fatalf("bad endpoint: %v", err)
	}
}

func TestTraceIDHex(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"Root=1-6b044155-207036c87e7281f033d22d2e":                                   "6b044155207036c87e7281f033d22d2e",
		"Root=1-6B044155-207036C87E7281F033D22D2E;Parent=53995c3f42cd8ad8;Sampled=1": "6b044155207036c87e7281f033d22d2e",
		"Root=1-zz": "", "": "", "Parent=1": "",
	} {
		got, ok := otlp.TraceIDHex(in)
		if got != want || ok != (want != "") {
			t.Errorf("TraceIDHex(%q) = %q %v, want %q", in, got, ok, want)
		}
	}
}
