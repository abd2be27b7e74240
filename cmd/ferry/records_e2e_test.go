package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/bus"
	"github.com/ferry-run/ferry/destination"
)

// echoFn is a Node.js function answering with its event.
func echoFn(name string) fnSpec {
	return fnSpec{name: name, runtime: "nodejs20.x", handler: "index.handler",
		zip: zipFiles(map[string]string{"index.js": `exports.handler = async (event) => event;`}, 0o644)}
}

// checkReduced checks a record whose payloads were dropped to fit.
func checkReduced(t *testing.T, what string, rec map[string]any, fn, id string) {
	t.Helper()
	if path(rec, "requestContext", "requestId") != id || path(rec, "requestContext", "condition") != "Success" ||
		path(rec, "requestContext", "functionArn") != "arn:aws:lambda:us-east-1:000000000000:function:"+fn+":$LATEST" ||
		path(rec, "responseContext", "statusCode") != 200.0 || rec["version"] != "1.0" {
		t.Fatalf("%s: record = %v", what, rec)
	}
	if v, ok := rec["requestPayload"]; !ok || v != nil {
		t.Fatalf("%s: requestPayload = %.80v, want null", what, v)
	}
	if _, ok := rec["responsePayload"]; ok {
		t.Fatalf("%s: responsePayload kept in a reduced record", what)
	}
}

// deliveryNote waits for an invocation to finish and returns its one
// delivery's note.
func deliveryNote(t *testing.T, m *Main, id string) string {
	t.Helper()
	inv := waitDone(t, m, id)
	if len(inv.Deliveries) != 1 || inv.Deliveries[0].Error != "" {
		t.Fatalf("deliveries = %+v", inv.Deliveries)
	}
	return inv.Deliveries[0].Note
}

// TestOversizedRecordIsReducedNotDropped: a 600 KB event echoed by its
// function makes a 1.2 MB record, more than a queue (1 MiB), a topic
// (256 KiB) or an event bus entry accepts. Each destination receives the
// record without its payloads, with a note saying why.
func TestOversizedRecordIsReducedNotDropped(t *testing.T) {
	t.Parallel()
	m := setup(t, 0.001)
	c := lambdaClient(m)
	ctx := context.Background()
	realm := m.Config.Realm
	event := map[string]any{"blob": strings.Repeat("x", 600<<10)}

	createFunction(t, c, echoFn("echo-q"))
	putDestinations(t, c, "echo-q", 0, createQueue(t, m, "records"), "")
	id := invokeAsync(t, c, "echo-q", event)
	msg := receiveOne(t, m, "records", 20*time.Second)
	checkReduced(t, "queue", record(t, msg.Body), "echo-q", id)
	note := msg.Attributes[destination.NoteAttribute].StringValue
	if !strings.Contains(note, "requestPayload and responsePayload dropped") || !strings.Contains(note, "records") {
		t.Fatalf("queue record note = %q", note)
	}
	if got := deliveryNote(t, m, id); got != note {
		t.Fatalf("invocation delivery note = %q, want %q", got, note)
	}

	if _, err := m.Topics.CreateTopic(ctx, "outcomes", nil); err != nil {
		t.Fatal(err)
	}
	createQueue(t, m, "from-topic")
	if _, err := m.Topics.Subscribe(ctx, "outcomes", "sqs", realm.QueueARN("from-topic"), map[string]string{"RawMessageDelivery": "true"}); err != nil {
		t.Fatal(err)
	}
	createFunction(t, c, echoFn("echo-t"))
	putDestinations(t, c, "echo-t", 0, realm.TopicARN("outcomes"), "")
	id = invokeAsync(t, c, "echo-t", event)
	msg = receiveOne(t, m, "from-topic", 20*time.Second)
	checkReduced(t, "topic", record(t, msg.Body), "echo-t", id)
	if n := msg.Attributes[destination.NoteAttribute].StringValue; !strings.Contains(n, "dropped") {
		t.Fatalf("topic record note = %q", n)
	}
	if n := deliveryNote(t, m, id); !strings.Contains(n, "dropped") {
		t.Fatalf("topic delivery note = %q", n)
	}

	if _, err := m.Buses.CreateBus(ctx, "payments", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Buses.PutRule(ctx, bus.Rule{Bus: "payments", Name: "results", State: "ENABLED",
		EventPattern: `{"source":["lambda"]}`}); err != nil {
		t.Fatal(err)
	}
	createQueue(t, m, "from-bus")
	if f, err := m.Buses.PutTargets(ctx, "payments", "results", []bus.Target{{Id: "q", Arn: realm.QueueARN("from-bus")}}); err != nil || len(f) > 0 {
		t.Fatal(err, f)
	}
	createFunction(t, c, echoFn("echo-b"))
	putDestinations(t, c, "echo-b", 0, realm.BusARN("payments"), "")
	id = invokeAsync(t, c, "echo-b", event)
	var ev map[string]any
	if err := json.Unmarshal([]byte(receiveOne(t, m, "from-bus", 20*time.Second).Body), &ev); err != nil {
		t.Fatal(err)
	}
	checkReduced(t, "bus", ev["detail"].(map[string]any), "echo-b", id)
	if n := deliveryNote(t, m, id); !strings.Contains(n, "dropped") {
		t.Fatalf("bus delivery note = %q", n)
	}
}

// TestUndeliverableRecordTakesTheFailurePath: a success record that cannot
// be delivered (its queue does not exist) is retried, counted and then
// sent down the failure path with the reason: the OnFailure destination
// gets the record, the dead-letter queue the event.
func TestUndeliverableRecordTakesTheFailurePath(t *testing.T) {
	t.Parallel()
	m := setup(t, 0.001)
	c := lambdaClient(m)
	createFunction(t, c, nodeFn("pay"))
	dlq, failed := createQueue(t, m, "dlq"), createQueue(t, m, "failed")
	if _, err := c.UpdateFunctionConfiguration(context.Background(), &lambda.UpdateFunctionConfigurationInput{
		FunctionName: aws.String("pay"), DeadLetterConfig: &types.DeadLetterConfig{TargetArn: aws.String(dlq)},
	}); err != nil {
		t.Fatal(err)
	}
	missing := m.Config.Realm.QueueARN("no-such-queue")
	putDestinations(t, c, "pay", 0, missing, failed)
	id := invokeAsync(t, c, "pay", pay(false))

	rec := receiveOne(t, m, "failed", 20*time.Second)
	checkRecord(t, "OnFailure stand-in", record(t, rec.Body), "pay", id, "Success", 1)
	note := rec.Attributes[destination.NoteAttribute].StringValue
	if !strings.Contains(note, "OnSuccess delivery to "+missing) || !strings.Contains(note, "does not exist") {
		t.Fatalf("stand-in record note = %q", note)
	}
	ev := receiveOne(t, m, "dlq", 20*time.Second)
	if a := ev.Attributes["ErrorMessage"].StringValue; !strings.Contains(a, "no-such-queue") || ev.Attributes["RequestID"].StringValue != id {
		t.Fatalf("DLQ attributes = %+v", ev.Attributes)
	}
	inv := waitDone(t, m, id)
	if len(inv.Deliveries) != 5 || inv.Deliveries[2].Kind != ferry.DeliveryOnSuccess || inv.Deliveries[3].Kind != ferry.DeliveryOnFailure || inv.Deliveries[4].Kind != ferry.DeliveryDLQ {
		t.Fatalf("deliveries = %+v, want 3 failed OnSuccess tries, then OnFailure and DLQ", inv.Deliveries)
	}
	if n := m.Async.Stats().Get("pay").DestinationDeliveryFailures; n != 3 {
		t.Fatalf("DestinationDeliveryFailures = %d, want 3", n)
	}
}

// TestUndeliverableRecordIsKeptUntilMaxAge: with no failure path, an
// outcome none of whose deliveries succeeds stays queued and retried until
// the event's maximum age, then is given up and counted, never acked after
// the first rounds.
func TestUndeliverableRecordIsKeptUntilMaxAge(t *testing.T) {
	t.Parallel()
	m := setup(t, 0.01) // 180 s max age -> 1.8 s
	c := lambdaClient(m)
	createFunction(t, c, nodeFn("pay"))
	if _, err := c.PutFunctionEventInvokeConfig(context.Background(), &lambda.PutFunctionEventInvokeConfigInput{
		FunctionName: aws.String("pay"), MaximumRetryAttempts: aws.Int32(0), MaximumEventAgeInSeconds: aws.Int32(180),
		DestinationConfig: &types.DestinationConfig{OnSuccess: &types.OnSuccess{Destination: aws.String(m.Config.Realm.QueueARN("no-such-queue"))}},
	}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	id := invokeAsync(t, c, "pay", pay(false))
	inv := waitDone(t, m, id)
	if time.Since(start) < 1800*time.Millisecond {
		t.Fatalf("outcome given up after %v, before the event's maximum age", time.Since(start))
	}
	if len(inv.Deliveries) < 4 {
		t.Fatalf("deliveries = %+v, want tries past the first 3 rounds", inv.Deliveries)
	}
	for _, d := range inv.Deliveries {
		if !strings.Contains(d.Error, "no-such-queue") {
			t.Fatalf("delivery = %+v", d)
		}
	}
	st := m.Async.Stats().Get("pay")
	if st.DestinationDeliveryFailures != int64(len(inv.Deliveries)) || st.AsyncEventsDropped != 1 {
		t.Fatalf("counters = %+v", st)
	}
}
