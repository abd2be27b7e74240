package main

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/ferry-run/ferry/history"
)

// TestTraceFollowsAPaymentAcrossHops: one POST's trace shows the gateway's
// trace id through processPayment (async) and notifyCustomer (queue
// trigger), in order, with the record's delivery and the consumer's logs.
func TestTraceFollowsAPaymentAcrossHops(t *testing.T) {
	t.Parallel()
	m, st := loadPayments(t)
	resp, err := http.Post(m.Gateway.URL()+"/payments", "application/json", strings.NewReader(`{"id":"traced","amount":42}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	trace := resp.Header.Get("X-Amzn-Trace-Id")
	if resp.StatusCode != 200 || trace == "" {
		t.Fatalf("POST: %s, trace %q", resp.Status, trace)
	}
	nc, _ := st.Function("notifyCustomer")
	var id string
	deadline := time.Now().Add(30 * time.Second)
	for id == "" {
		invs, err := m.History.List(context.Background(), history.Filter{TraceID: trace})
		if err != nil {
			t.Fatal(err)
		}
		for _, inv := range invs {
			if inv.Function == nc.Name && inv.Done {
				id = invs[len(invs)-1].RequestID // the first hop
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the payment never reached %s", nc.Name)
		}
		time.Sleep(20 * time.Millisecond)
	}
	out, err := runCLI(t, "trace", "--endpoint="+m.APIURL(), id)
	if err != nil {
		t.Fatalf("trace: %v\n%s", err, out)
	}
	want := []*regexp.Regexp{
		regexp.MustCompile(`trace ` + regexp.QuoteMeta(trace) + ` \(2 hops\)`),
		regexp.MustCompile(`\*1\. payments-dev-processPayment Event  ` + id + `  accepted \S+  -> Success\n     waited [\d.]+ ms( \(queue [\d.]+ ms \+ cold start [\d.]+ ms\))?  ran [\d.]+ ms`),
		regexp.MustCompile(`processing payment traced of 42`),
		regexp.MustCompile(`OnSuccess -> arn:aws:sqs:us-east-1:000000000000:paymentsNotification at \S+: delivered`),
		regexp.MustCompile(` 2\. payments-dev-notifyCustomer RequestResponse  \S+  accepted \S+  -> Success\n     waited [\d.]+ ms( \(queue [\d.]+ ms \+ cold start [\d.]+ ms\))?  ran [\d.]+ ms`),
		regexp.MustCompile(`notifying customer: payment traced of 42 is paid`),
	}
	at := 0
	for _, re := range want {
		loc := re.FindStringIndex(out[at:])
		if loc == nil {
			t.Fatalf("trace output lacks %q after offset %d:\n%s", re, at, out)
		}
		at += loc[1]
	}
}

// TestFailedInvocationHistoryAndRedrive: each attempt with its error and
// both failure deliveries are in the history; a redrive runs it again and
// links both ways.
func TestFailedInvocationHistoryAndRedrive(t *testing.T) {
	t.Parallel()
	m := setup(t, 0.001)
	c := lambdaClient(m)
	ctx := context.Background()
	createFunction(t, c, nodeFn("pay"))
	failed, dlq := createQueue(t, m, "failed"), createQueue(t, m, "dlq")
	if _, err := c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{
		FunctionName: aws.String("pay"), DeadLetterConfig: &types.DeadLetterConfig{TargetArn: aws.String(dlq)}}); err != nil {
		t.Fatal(err)
	}
	putDestinations(t, c, "pay", 1, "", failed)
	id := invokeAsync(t, c, "pay", pay(true))
	inv := waitDone(t, m, id)
	if len(inv.Attempts) != 2 || len(inv.Deliveries) != 2 {
		t.Fatalf("history: %d attempts, %d deliveries", len(inv.Attempts), len(inv.Deliveries))
	}
	ep := "--endpoint=" + m.APIURL()
	out, err := runCLI(t, "trace", ep, id)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"attempt 1 at", "attempt 2 at", "PaymentError: card declined for x",
		"OnFailure -> " + failed, "DeadLetterQueue -> " + dlq, "-> RetriesExhausted",
	} {
		if !strings.Contains(out, want) {
			t.Fatalf("trace lacks %q:\n%s", want, out)
		}
	}
	if n := len(regexp.MustCompile(`attempt \d at \S+, \S+: PaymentError: card declined for x\n`).FindAllString(out, -1)); n != 2 {
		t.Fatalf("%d failed attempts shown, want 2:\n%s", n, out)
	}

	out, err = runCLI(t, "redrive", ep, "--function", "pay", "--dry-run")
	if err != nil || !strings.Contains(out, id) || !strings.Contains(out, "(dry run)") {
		t.Fatalf("dry run: %v\n%s", err, out)
	}
	if inv, _ := m.History.GetInvocation(ctx, id); len(inv.RedrivenAs) != 0 {
		t.Fatal("a dry run redrove")
	}
	out, err = runCLI(t, "redrive", ep, "--function", "pay", "--error-type", "PaymentError")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile(id + `\s+\S+\s+RetriesExhausted\s+PaymentError\s+([0-9a-f-]{36})`).FindStringSubmatch(out)
	if row == nil {
		t.Fatalf("redrive output:\n%s", out)
	}
	again := waitDone(t, m, row[1])
	if again.RedriveOf != id || len(again.Attempts) != 2 {
		t.Fatalf("redriven invocation: RedriveOf %q, %d attempts", again.RedriveOf, len(again.Attempts))
	}
	if orig, _ := m.History.GetInvocation(ctx, id); len(orig.RedrivenAs) != 1 || orig.RedrivenAs[0] != row[1] {
		t.Fatalf("original's RedrivenAs = %v", orig.RedrivenAs)
	}
	out, _ = runCLI(t, "trace", ep, row[1])
	if !strings.Contains(out, "redrive of "+id) {
		t.Fatalf("trace of the redrive does not link back:\n%s", out)
	}
	if out, err := runCLI(t, "redrive", ep, "--function", "pay", "--dry-run", "--error-type", "PaymentError"); err != nil || strings.Contains(out, id+" ") {
		t.Fatalf("an already redriven invocation is offered again: %v\n%s", err, out)
	}
}

func TestQueueControlAndGraphFromTheCLI(t *testing.T) {
	t.Parallel()
	m := setup(t, 0.001)
	c := lambdaClient(m)
	createFunction(t, c, nodeFn("pay"))
	okQ := createQueue(t, m, "ok")
	putDestinations(t, c, "pay", 0, okQ, "")
	ep := "--endpoint=" + m.APIURL()
	if out, err := runCLI(t, "queue", "pause", ep, "pay"); err != nil {
		t.Fatalf("pause: %v %s", err, out)
	}
	ids := []string{invokeAsync(t, c, "pay", pay(false)), invokeAsync(t, c, "pay", pay(false))}
	out, err := runCLI(t, "queue", "list", ep, "pay")
	if err != nil || !strings.Contains(out, "async processing is paused") || !strings.Contains(out, ids[0]) || !strings.Contains(out, ids[1]) {
		t.Fatalf("list: %v\n%s", err, out)
	}
	if out, err := runCLI(t, "queue", "cancel", ep, "pay", ids[0]); err != nil {
		t.Fatalf("cancel: %v %s", err, out)
	}
	if out, err := runCLI(t, "queue", "resume", ep, "pay"); err != nil {
		t.Fatalf("resume: %v %s", err, out)
	}
	rec := record(t, receiveOne(t, m, "ok", 20*time.Second).Body)
	if path(rec, "requestContext", "requestId") != ids[1] {
		t.Fatalf("the record is for %v, want the uncancelled %s", path(rec, "requestContext", "requestId"), ids[1])
	}
	if inv := waitDone(t, m, ids[0]); !inv.Cancelled || len(inv.Attempts) != 0 {
		t.Fatalf("cancelled event: %+v", inv)
	}
	if _, err := runCLI(t, "queue", "list", ep, "nope"); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Fatalf("unknown function: %v", err)
	}
	out, err = runCLI(t, "graph", ep)
	if err != nil || !strings.Contains(out, "pay") || !strings.Contains(out, "onSuccess") || !strings.Contains(out, "ok") {
		t.Fatalf("graph: %v\n%s", err, out)
	}
	out, err = runCLI(t, "graph", ep, "--format", "dot")
	if err != nil || !strings.HasPrefix(strings.TrimSpace(out), "digraph") {
		t.Fatalf("graph dot: %v\n%s", err, out)
	}
	out, err = runCLI(t, "invocations", ep, "--function", "pay")
	if err != nil || !strings.Contains(out, ids[1]) || !strings.Contains(out, "Cancelled") {
		t.Fatalf("invocations: %v\n%s", err, out)
	}
}
