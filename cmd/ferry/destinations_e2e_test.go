package main

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/ferry-run/ferry/bus"
)

// checkRecord asserts the AWS invocation record fields of rec.
func checkRecord(t *testing.T, what string, rec map[string]any, fn, requestID, condition string, invokeCount float64) {
	t.Helper()
	want := map[string]any{
		"version": "1.0", "requestContext.requestId": requestID,
		"requestContext.functionArn":            "arn:aws:lambda:us-east-1:000000000000:function:" + fn + ":$LATEST",
		"requestContext.condition":              condition,
		"requestContext.approximateInvokeCount": invokeCount,
		"responseContext.statusCode":            200.0,
		"responseContext.executedVersion":       "$LATEST",
	}
	if condition == "Success" {
		want["responsePayload.paid"] = 10.0
	} else {
		want["responseContext.functionError"] = "Unhandled"
		want["responsePayload.errorType"] = "PaymentError"
	}
	for k, v := range want {
		if got := path(rec, strings.Split(k, ".")...); got != v {
			t.Fatalf("%s: %s = %v, want %v\n%v", what, k, got, v, rec)
		}
	}
	if !reflect.DeepEqual(rec["requestPayload"], map[string]any{"id": "x", "amount": 10.0, "fail": condition != "Success"}) {
		t.Fatalf("%s: requestPayload = %v", what, rec["requestPayload"])
	}
}

func pay(fail bool) map[string]any { return map[string]any{"id": "x", "amount": 10, "fail": fail} }

// TestDestinationKinds sends success and failure records to a topic, an
// event bus and a function, through the real services.
func TestDestinationKinds(t *testing.T) {
	t.Parallel()
	m := setup(t, 0.001)
	c := lambdaClient(m)
	ctx := context.Background()
	realm := m.Config.Realm

	// Topic destination: a raw queue subscription shows the message itself.
	if _, err := m.Topics.CreateTopic(ctx, "outcomes", nil); err != nil {
		t.Fatal(err)
	}
	createQueue(t, m, "from-topic")
	if _, err := m.Topics.Subscribe(ctx, "outcomes", "sqs", realm.QueueARN("from-topic"), map[string]string{"RawMessageDelivery": "true"}); err != nil {
		t.Fatal(err)
	}
	createFunction(t, c, nodeFn("to-topic"))
	putDestinations(t, c, "to-topic", 0, realm.TopicARN("outcomes"), realm.TopicARN("outcomes"))
	for _, fail := range []bool{false, true} {
		id := invokeAsync(t, c, "to-topic", pay(fail))
		cond := map[bool]string{false: "Success", true: "RetriesExhausted"}[fail]
		checkRecord(t, "topic "+cond, record(t, receiveOne(t, m, "from-topic", 20*time.Second).Body), "to-topic", id, cond, 1)
	}

	// Event bus destination: a rule on the Lambda detail-types forwards to a queue.
	if _, err := m.Buses.CreateBus(ctx, "payments", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Buses.PutRule(ctx, bus.Rule{Bus: "payments", Name: "results", State: "ENABLED",
		EventPattern: `{"source":["lambda"],"detail-type":["Lambda Function Invocation Result - Success","Lambda Function Invocation Result - Failure"]}`}); err != nil {
		t.Fatal(err)
	}
	createQueue(t, m, "from-bus")
	if f, err := m.Buses.PutTargets(ctx, "payments", "results", []bus.Target{{Id: "q", Arn: realm.QueueARN("from-bus")}}); err != nil || len(f) > 0 {
		t.Fatal(err, f)
	}
	createFunction(t, c, nodeFn("to-bus"))
	putDestinations(t, c, "to-bus", 0, realm.BusARN("payments"), realm.BusARN("payments"))
	for _, fail := range []bool{false, true} {
		id := invokeAsync(t, c, "to-bus", pay(fail))
		var ev map[string]any
		if err := json.Unmarshal([]byte(receiveOne(t, m, "from-bus", 20*time.Second).Body), &ev); err != nil {
			t.Fatal(err)
		}
		cond, dt := "Success", "Lambda Function Invocation Result - Success"
		if fail {
			cond, dt = "RetriesExhausted", "Lambda Function Invocation Result - Failure"
		}
		if ev["source"] != "lambda" || ev["detail-type"] != dt || ev["version"] != "0" || ev["account"] != "000000000000" || ev["region"] != "us-east-1" {
			t.Fatalf("bus event envelope = %v", ev)
		}
		if !reflect.DeepEqual(ev["resources"], []any{"arn:aws:lambda:us-east-1:000000000000:function:to-bus:$LATEST"}) {
			t.Fatalf("resources = %v", ev["resources"])
		}
		checkRecord(t, "bus "+cond, ev["detail"].(map[string]any), "to-bus", id, cond, 1)
	}

	// Function destination: the record is the event of an async invoke of
	// the destination, whose own success record lands on a queue.
	createFunction(t, c, fnSpec{name: "notify", runtime: "nodejs20.x", handler: "index.handler",
		zip: zipFiles(map[string]string{"index.js": `exports.handler = async (e) => ({ got: e });`}, 0o644)})
	notified := createQueue(t, m, "notified")
	putDestinations(t, c, "notify", 0, notified, "")
	createFunction(t, c, nodeFn("to-fn"))
	fnDest := "arn:aws:lambda:us-east-1:000000000000:function:notify"
	putDestinations(t, c, "to-fn", 0, fnDest, fnDest)
	for _, fail := range []bool{false, true} {
		id := invokeAsync(t, c, "to-fn", pay(fail))
		outer := record(t, receiveOne(t, m, "notified", 20*time.Second).Body)
		if path(outer, "requestContext", "functionArn") != "arn:aws:lambda:us-east-1:000000000000:function:notify:$LATEST" {
			t.Fatalf("outer record = %v", outer)
		}
		inner, _ := outer["requestPayload"].(map[string]any)
		cond := map[bool]string{false: "Success", true: "RetriesExhausted"}[fail]
		checkRecord(t, "function "+cond, inner, "to-fn", id, cond, 1)
		if !reflect.DeepEqual(path(outer, "responsePayload", "got"), outer["requestPayload"]) {
			t.Fatalf("notify did not receive the record as its event")
		}
	}
}

// TestDeadLetterQueueAndOnFailure: both receive on failure; the DLQ gets
// the event only, with RequestID, ErrorCode and ErrorMessage attributes.
func TestDeadLetterQueueAndOnFailure(t *testing.T) {
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
	putDestinations(t, c, "pay", 0, "", failed)
	id := invokeAsync(t, c, "pay", pay(true))
	checkRecord(t, "OnFailure", record(t, receiveOne(t, m, "failed", 20*time.Second).Body), "pay", id, "RetriesExhausted", 1)
	msg := receiveOne(t, m, "dlq", 20*time.Second)
	var body map[string]any
	if err := json.Unmarshal([]byte(msg.Body), &body); err != nil || !reflect.DeepEqual(body, map[string]any{"id": "x", "amount": 10.0, "fail": true}) {
		t.Fatalf("DLQ body = %s", msg.Body)
	}
	if a := msg.Attributes["RequestID"]; a.StringValue != id || a.DataType != "String" {
		t.Fatalf("RequestID attribute = %+v", a)
	}
	if a := msg.Attributes["ErrorCode"]; a.StringValue != "200" || a.DataType != "Number" {
		t.Fatalf("ErrorCode attribute = %+v", a)
	}
	if a := msg.Attributes["ErrorMessage"]; a.StringValue != "card declined for x" {
		t.Fatalf("ErrorMessage attribute = %+v", a)
	}
	inv := waitDone(t, m, id)
	if len(inv.Deliveries) != 2 || inv.Deliveries[0].Kind != "OnFailure" || inv.Deliveries[1].Kind != "DeadLetterQueue" {
		t.Fatalf("deliveries = %+v", inv.Deliveries)
	}
}
