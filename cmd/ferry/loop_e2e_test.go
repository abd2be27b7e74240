package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ferry-run/ferry/history"
)

// TestRecursiveLoopStops: a function whose success record is sent back to
// itself runs 16 times, then the loop guard sends the event to its failure
// destination with the reason.
func TestRecursiveLoopStops(t *testing.T) {
	t.Parallel()
	m := setup(t, 0.001)
	c := lambdaClient(m)
	createFunction(t, c, fnSpec{name: "echo", runtime: "nodejs20.x", handler: "index.handler",
		zip: zipFiles(map[string]string{"index.js": `exports.handler = async (e) => ({ again: true });`}, 0o644)})
	loops := createQueue(t, m, "loops")
	putDestinations(t, c, "echo", 0, "arn:aws:lambda:us-east-1:000000000000:function:echo", loops)
	invokeAsync(t, c, "echo", map[string]any{"start": true})

	rec := record(t, receiveOne(t, m, "loops", 30*time.Second).Body)
	if path(rec, "responsePayload", "errorType") != "RecursiveInvocationException" {
		t.Fatalf("failure record = %v", rec)
	}
	if msg, _ := path(rec, "responsePayload", "errorMessage").(string); !strings.Contains(msg, "recursive loop detected") || !strings.Contains(msg, "16 hops") {
		t.Fatalf("loop reason = %q", msg)
	}
	runs, err := m.History.List(context.Background(), history.Filter{Function: "echo", Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	ran := 0
	for _, inv := range runs {
		ran += len(inv.Attempts)
	}
	if ran != 16 {
		t.Fatalf("echo ran %d times, want 16", ran)
	}
	if n := m.Async.Stats().Get("echo").RecursiveInvocationsDropped; n != 1 {
		t.Fatalf("RecursiveInvocationsDropped = %d", n)
	}
}
