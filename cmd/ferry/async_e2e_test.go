package main

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/async"
)

func waitDone(t *testing.T, m *Main, id string) *ferry.Invocation {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		inv, err := m.History.GetInvocation(context.Background(), id)
		if err == nil && inv.Done {
			return inv
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("invocation %s never finished", id)
	return nil
}

// TestRetriesAndEventAgeWithRealFunction: a failing Node.js function is
// retried twice with the scaled 1 min / 2 min delays; with a 60 s max age
// the first retry finds the event too old.
func TestRetriesAndEventAgeWithRealFunction(t *testing.T) {
	t.Parallel()
	const scale = 0.005 // 1 min -> 300 ms, 2 min -> 600 ms, max age 60 s -> 300 ms
	m := setup(t, scale)
	c := lambdaClient(m)
	createFunction(t, c, nodeFn("flaky"))
	failed := createQueue(t, m, "failed")
	putDestinations(t, c, "flaky", 2, "", failed)

	id := invokeAsync(t, c, "flaky", pay(true))
	rec := record(t, receiveOne(t, m, "failed", 20*time.Second).Body)
	if path(rec, "requestContext", "condition") != "RetriesExhausted" || path(rec, "requestContext", "approximateInvokeCount") != 3.0 {
		t.Fatalf("record = %v", rec["requestContext"])
	}
	inv := waitDone(t, m, id)
	if len(inv.Attempts) != 3 {
		t.Fatalf("attempts = %d", len(inv.Attempts))
	}
	for i, want := range []time.Duration{300 * time.Millisecond, 600 * time.Millisecond} {
		prev := inv.Attempts[i]
		gap := inv.Attempts[i+1].Start.Sub(prev.Start.Add(prev.Duration))
		if gap < want-10*time.Millisecond || gap > want+3*time.Second {
			t.Fatalf("retry %d came %v after the failure, want about %v", i+1, gap, want)
		}
	}
	for _, a := range inv.Attempts {
		if a.ErrorType != "PaymentError" || !strings.Contains(a.Logs, "paying x") {
			t.Fatalf("attempt = %+v", a)
		}
	}

	if _, err := c.PutFunctionEventInvokeConfig(context.Background(), &lambda.PutFunctionEventInvokeConfigInput{
		FunctionName: aws.String("flaky"), MaximumRetryAttempts: aws.Int32(2), MaximumEventAgeInSeconds: aws.Int32(60),
		DestinationConfig: &types.DestinationConfig{OnFailure: &types.OnFailure{Destination: aws.String(failed)}},
	}); err != nil {
		t.Fatal(err)
	}
	id = invokeAsync(t, c, "flaky", pay(true))
	rec = record(t, receiveOne(t, m, "failed", 20*time.Second).Body)
	if path(rec, "requestContext", "requestId") != id || path(rec, "requestContext", "condition") != "EventAgeExceeded" || path(rec, "requestContext", "approximateInvokeCount") != 1.0 {
		t.Fatalf("record = %v", rec["requestContext"])
	}
}

// TestReservedConcurrencyAndThrottling: concurrency 0 sends async events
// straight to the failure path and throttles sync calls; with concurrency 1
// a second sync call is throttled while an async event backs off and then
// runs.
func TestReservedConcurrencyAndThrottling(t *testing.T) {
	t.Parallel()
	m := setup(t, 0.01)
	c := lambdaClient(m)
	ctx := context.Background()
	createFunction(t, c, nodeFn("pay"))
	okQ, failed := createQueue(t, m, "ok"), createQueue(t, m, "failed")
	putDestinations(t, c, "pay", 2, okQ, failed)

	if _, err := c.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String("pay"), ReservedConcurrentExecutions: aws.Int32(0)}); err != nil {
		t.Fatal(err)
	}
	id := invokeAsync(t, c, "pay", pay(false))
	rec := record(t, receiveOne(t, m, "failed", 20*time.Second).Body)
	if path(rec, "requestContext", "requestId") != id || path(rec, "requestContext", "condition") != "RetriesExhausted" ||
		path(rec, "requestContext", "approximateInvokeCount") != 0.0 || path(rec, "responseContext", "statusCode") != 429.0 ||
		path(rec, "responsePayload", "errorType") != "TooManyRequestsException" {
		t.Fatalf("concurrency 0 record = %v", rec)
	}
	_, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("pay"), Payload: []byte(`{}`)})
	var tooMany *types.TooManyRequestsException
	if !errors.As(err, &tooMany) {
		t.Fatalf("sync invoke at concurrency 0: %v, want TooManyRequestsException", err)
	}

	if _, err := c.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String("pay"), ReservedConcurrentExecutions: aws.Int32(1)}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	started := time.Now()
	go func() {
		defer wg.Done()
		invokeSync(t, c, "pay", map[string]any{"id": "slow", "amount": 1, "sleepMs": 1500})
	}()
	// Wait until the slow call holds the only instance.
	for busy, _ := m.Pool.Stats("pay"); busy == 0; busy, _ = m.Pool.Stats("pay") {
		if time.Since(started) > 10*time.Second {
			t.Fatal("slow invocation never started")
		}
		time.Sleep(5 * time.Millisecond)
	}
	_, err = c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("pay"), Payload: []byte(`{}`)})
	if !errors.As(err, &tooMany) {
		t.Fatalf("second sync invoke at concurrency 1: %v, want TooManyRequestsException", err)
	}
	id = invokeAsync(t, c, "pay", pay(false))
	rec = record(t, receiveOne(t, m, "ok", 20*time.Second).Body)
	wg.Wait()
	if path(rec, "requestContext", "requestId") != id || path(rec, "requestContext", "condition") != "Success" || path(rec, "requestContext", "approximateInvokeCount") != 1.0 {
		t.Fatalf("throttled async record = %v", rec["requestContext"])
	}
	if inv := waitDone(t, m, id); inv.Throttles == 0 {
		t.Fatal("the async event was never throttled; the test did not exercise backoff")
	}
	if got := m.Async.Stats().Get("pay").Throttles; got < 2 {
		t.Fatalf("Throttles counter = %d", got)
	}
}

// TestBadInvokeInput: unknown function, oversize and invalid payloads get
// AWS's errors through the SDK, and nothing is queued or recorded.
func TestBadInvokeInput(t *testing.T) {
	t.Parallel()
	m := setup(t, 1)
	c := lambdaClient(m)
	ctx := context.Background()
	createFunction(t, c, nodeFn("pay"))
	big := func(n int) []byte {
		b := []byte(strings.Repeat(" ", n))
		b[0] = '1'
		return b
	}
	for _, tc := range []struct {
		name, fn string
		kind     types.InvocationType
		payload  []byte
		check    func(error) bool
	}{
		{"unknown function", "nope", types.InvocationTypeEvent, []byte(`{}`), func(err error) bool { var e *types.ResourceNotFoundException; return errors.As(err, &e) }},
		{"unknown function sync", "nope", types.InvocationTypeRequestResponse, []byte(`{}`), func(err error) bool { var e *types.ResourceNotFoundException; return errors.As(err, &e) }},
		{"async over 1 MB", "pay", types.InvocationTypeEvent, big(ferry.MaxAsyncPayload + 1), func(err error) bool { var e *types.RequestTooLargeException; return errors.As(err, &e) }},
		{"sync over 6 MB", "pay", types.InvocationTypeRequestResponse, big(ferry.MaxSyncPayload + 1), func(err error) bool { var e *types.RequestTooLargeException; return errors.As(err, &e) }},
		{"invalid JSON async", "pay", types.InvocationTypeEvent, []byte(`{"amount":`), func(err error) bool { var e *types.InvalidRequestContentException; return errors.As(err, &e) }},
		{"invalid JSON sync", "pay", types.InvocationTypeRequestResponse, []byte(`{"amount":`), func(err error) bool { var e *types.InvalidRequestContentException; return errors.As(err, &e) }},
	} {
		_, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(tc.fn), InvocationType: tc.kind, Payload: tc.payload})
		if !tc.check(err) {
			t.Fatalf("%s: err = %v", tc.name, err)
		}
		if !strings.Contains(err.Error(), map[bool]string{true: "nope", false: ""}[tc.fn == "nope"]) {
			t.Fatalf("%s: message does not name the function: %v", tc.name, err)
		}
	}
	st, err := m.Engine.JetStream().Stream(ctx, async.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.LastSeq != 0 {
		t.Fatalf("%d events were queued", info.State.LastSeq)
	}
	if busy, idle := m.Pool.Stats("pay"); busy+idle != 0 {
		t.Fatalf("function instances started: busy %d idle %d", busy, idle)
	}
}
