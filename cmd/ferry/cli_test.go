package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ferry-run/ferry/bus"
)

// runCLI runs the ferry command line in-process and returns its output.
func runCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := newRootCommand()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := cmd.ExecuteContext(ctx)
	return out.String(), err
}

func TestCLIInvokeAndLogs(t *testing.T) {
	t.Parallel()
	m := setup(t, 0.001)
	createFunction(t, lambdaClient(m), nodeFn("pay"))
	ep := "--endpoint=" + m.APIURL()

	out, err := runCLI(t, "invoke", ep, "pay", `{"id":"cli","amount":3}`)
	if err != nil || !strings.Contains(out, `"paid":3`) {
		t.Fatalf("invoke: %v\n%s", err, out)
	}
	out, err = runCLI(t, "invoke", ep, "pay", `{"id":"cli","fail":true}`)
	if ee, ok := err.(*exitError); !ok || ee.code != 2 || !strings.Contains(out, "card declined for cli") {
		t.Fatalf("failing invoke: %v\n%s", err, out)
	}
	out, err = runCLI(t, "invoke", ep, "--async", "pay", `{"id":"cli-async","amount":4}`)
	if err != nil || len(strings.TrimSpace(out)) != 36 {
		t.Fatalf("async invoke: %v\n%s", err, out)
	}
	id := strings.TrimSpace(out)
	waitDone(t, m, id)
	out, err = runCLI(t, "logs", ep, "pay")
	if err != nil || !strings.Contains(out, "paying cli-async") || !strings.Contains(out, " pay "+id+" ") {
		t.Fatalf("logs: %v\n%s", err, out)
	}
	if _, err := runCLI(t, "invoke", ep, "missing"); err == nil || !strings.Contains(err.Error(), "ResourceNotFoundException") {
		t.Fatalf("unknown function: %v", err)
	}
}

func TestCLIMessaging(t *testing.T) {
	t.Parallel()
	m := setup(t, 0.001)
	ctx := context.Background()
	ep := "--endpoint=" + m.APIURL()
	createQueue(t, m, "inbox")
	out, err := runCLI(t, "send", ep, "inbox", "hello", "--attr", "kind=greeting")
	if err != nil || len(strings.TrimSpace(out)) != 36 {
		t.Fatalf("send: %v\n%s", err, out)
	}
	out, err = runCLI(t, "receive", ep, "inbox", "--wait", "1s")
	if err != nil || !strings.Contains(out, `"body":"hello"`) || !strings.Contains(out, `"kind"`) {
		t.Fatalf("receive: %v\n%s", err, out)
	}
	if out, _ := runCLI(t, "receive", ep, "inbox", "--wait", "0s"); strings.Contains(out, "hello") {
		t.Fatalf("receive did not delete the message:\n%s", out)
	}

	if _, err := m.Topics.CreateTopic(ctx, "news", nil); err != nil {
		t.Fatal(err)
	}
	createQueue(t, m, "news-copy")
	if _, err := m.Topics.Subscribe(ctx, "news", "sqs", m.Config.Realm.QueueARN("news-copy"), map[string]string{"RawMessageDelivery": "true"}); err != nil {
		t.Fatal(err)
	}
	if out, err := runCLI(t, "publish", ep, "news", "extra extra", "--subject", "today"); err != nil {
		t.Fatalf("publish: %v\n%s", err, out)
	}
	if got := receiveOne(t, m, "news-copy", 10*time.Second).Body; got != "extra extra" {
		t.Fatalf("published message = %q", got)
	}

	createQueue(t, m, "events")
	if _, err := m.Buses.PutRule(ctx, bus.Rule{Bus: "default", Name: "all", State: "ENABLED", EventPattern: `{"source":["cli"]}`}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Buses.PutTargets(ctx, "default", "all", []bus.Target{{Id: "q", Arn: m.Config.Realm.QueueARN("events")}}); err != nil {
		t.Fatal(err)
	}
	if out, err := runCLI(t, "put-events", ep, "--source", "cli", "--detail-type", "Test", "--detail", `{"n":1}`); err != nil {
		t.Fatalf("put-events: %v\n%s", err, out)
	}
	if got := receiveOne(t, m, "events", 10*time.Second).Body; !strings.Contains(got, `"detail":{"n":1}`) || !strings.Contains(got, `"source":"cli"`) {
		t.Fatalf("event = %s", got)
	}
	if _, err := runCLI(t, "send", ep, "no-such-queue", "x"); err == nil || !strings.Contains(err.Error(), "QueueDoesNotExist") && !strings.Contains(err.Error(), "NonExistentQueue") {
		t.Fatalf("send to an unknown queue: %v", err)
	}
}

// TestCLIShortFunctionNames: the names a stack file uses work on the
// command line.
func TestCLIShortFunctionNames(t *testing.T) {
	t.Parallel()
	m, _ := loadPayments(t)
	ep := "--endpoint=" + m.APIURL()
	event := `{"Records":[{"Sns":{"Message":"{\"id\":\"short\",\"amount\":7}"}}]}`
	out, err := runCLI(t, "invoke", ep, "processPayment", event)
	if err != nil || !strings.Contains(out, `"status":"paid"`) {
		t.Fatalf("invoke processPayment: %v\n%s", err, out)
	}
	out, err = runCLI(t, "logs", ep, "processPayment")
	if err != nil || !strings.Contains(out, "payments-dev-processPayment") || !strings.Contains(out, "processing payment short of 7") {
		t.Fatalf("logs processPayment: %v\n%s", err, out)
	}
	if out, err := runCLI(t, "queue", "list", ep, "notifyCustomer"); err != nil {
		t.Fatalf("queue list notifyCustomer: %v\n%s", err, out)
	}
	if _, err := runCLI(t, "invoke", ep, "Payment"); err == nil {
		t.Fatal("a name that is no function's suffix after a dash was accepted")
	}
}
