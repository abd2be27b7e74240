package destination_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/destination"
)

// recorder stands in for the queue, topic, bus and function services at
// the router's seam and keeps what each received.
type recorder struct {
	mu      sync.Mutex
	queue   []ferry.OutgoingMessage
	queues  []string
	topic   []ferry.Notification
	bus     []ferry.BusEvent
	invokes []*ferry.InvokeRequest
	err     error
}

func (r *recorder) SendMessage(_ context.Context, q string, m ferry.OutgoingMessage) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.queue, r.queues = append(r.queue, m), append(r.queues, q)
	return "m1", r.err
}

func (r *recorder) Publish(_ context.Context, _ string, n ferry.Notification) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.topic = append(r.topic, n)
	return "n1", r.err
}

func (r *recorder) PutEvent(_ context.Context, e ferry.BusEvent) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.bus = append(r.bus, e)
	return "e1", r.err
}

func (r *recorder) InvokeAsync(_ context.Context, req *ferry.InvokeRequest) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.invokes = append(r.invokes, req)
	return r.err
}

const (
	reqID   = "5d3f1e2a-9f55-4c3b-8a43-0e8b5c7a1b2c"
	fnARN   = "arn:aws:lambda:us-east-1:000000000000:function:processPayment:$LATEST"
	stamp   = "2026-01-02T03:04:05.678Z"
	queueOK = "arn:aws:sqs:us-east-1:000000000000:paymentsNotification"
	queueKO = "arn:aws:sqs:us-east-1:000000000000:paymentsDLQ"
)

func setup(t *testing.T) (*destination.Router, *recorder) {
	t.Helper()
	rec := &recorder{}
	return destination.New(ferry.DefaultRealm, destination.Targets{Queues: rec, Topics: rec, Buses: rec, Functions: rec}), rec
}

func outcome(condition string, onSuccess, onFailure string) *ferry.Outcome {
	at, _ := time.Parse(time.RFC3339Nano, "2026-01-02T03:04:05.678Z")
	o := &ferry.Outcome{
		Function:  &ferry.Function{Name: "processPayment", Async: ferry.AsyncConfig{OnSuccess: onSuccess, OnFailure: onFailure}},
		Request:   &ferry.InvokeRequest{RequestID: reqID, Function: "processPayment", Payload: json.RawMessage(`{"amount":42}`), TraceID: "Root=1-abc", Hops: 1},
		Condition: condition, StatusCode: 200, Time: at,
	}
	switch condition {
	case ferry.ConditionSuccess:
		o.InvokeCount = 1
		o.Result = &ferry.Result{Payload: json.RawMessage(`{"status":"paid"}`)}
	case ferry.ConditionRetriesExhausted:
		o.InvokeCount = 3
		o.Result = &ferry.Result{
			Payload:       json.RawMessage(`{"errorMessage":"card declined","errorType":"Error","stackTrace":["Error: card declined","    at handler (/var/task/index.js:3:9)"]}`),
			FunctionError: ferry.FunctionErrorUnhandled, ErrorType: "Error", ErrorMessage: "card declined",
		}
	}
	return o
}

const successRecord = `{"version":"1.0","timestamp":"` + stamp + `",
 "requestContext":{"requestId":"` + reqID + `","functionArn":"` + fnARN + `","condition":"Success","approximateInvokeCount":1},
 "requestPayload":{"amount":42},
 "responseContext":{"statusCode":200,"executedVersion":"$LATEST"},
 "responsePayload":{"status":"paid"}}`

const failureRecord = `{"version":"1.0","timestamp":"` + stamp + `",
 "requestContext":{"requestId":"` + reqID + `","functionArn":"` + fnARN + `","condition":"RetriesExhausted","approximateInvokeCount":3},
 "requestPayload":{"amount":42},
 "responseContext":{"statusCode":200,"executedVersion":"$LATEST","functionError":"Unhandled"},
 "responsePayload":{"errorMessage":"card declined","errorType":"Error","stackTrace":["Error: card declined","    at handler (/var/task/index.js:3:9)"]}}`

func sameJSON(t *testing.T, got, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		t.Fatalf("got is not JSON: %v\n%s", err, got)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("want is not JSON: %v", err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("record mismatch\n got: %s\nwant: %s", got, want)
	}
}

func deliverAll(t *testing.T, r *destination.Router, o *ferry.Outcome) []ferry.Delivery {
	t.Helper()
	plan := r.Plan(o)
	for i := range plan {
		if err := r.Deliver(context.Background(), o, &plan[i]); err != nil {
			t.Fatal(err)
		}
	}
	return plan
}

func TestQueueDestination(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		condition, want, queue string
	}{
		{ferry.ConditionSuccess, successRecord, "paymentsNotification"},
		{ferry.ConditionRetriesExhausted, failureRecord, "paymentsDLQ"},
	} {
		r, rec := setup(t)
		deliverAll(t, r, outcome(tc.condition, queueOK, queueKO))
		if len(rec.queue) != 1 || rec.queues[0] != tc.queue {
			t.Fatalf("%s: queue messages %v to %v", tc.condition, len(rec.queue), rec.queues)
		}
		m := rec.queue[0]
		sameJSON(t, m.Body, tc.want)
		if want := reqID + ":" + map[bool]string{true: "OnSuccess", false: "OnFailure"}[tc.condition == ferry.ConditionSuccess] + ":" + tc.condition; m.DedupID != want {
			t.Fatalf("dedup id %q, want %q", m.DedupID, want)
		}
		if m.TraceID != "Root=1-abc" || m.Hops != 2 {
			t.Fatalf("trace %q hops %d", m.TraceID, m.Hops)
		}
	}
}

func TestEventAgeExceededRecord(t *testing.T) {
	t.Parallel()
	r, rec := setup(t)
	o := outcome(ferry.ConditionEventAgeExceeded, "", queueKO)
	deliverAll(t, r, o)
	sameJSON(t, rec.queue[0].Body, `{"version":"1.0","timestamp":"`+stamp+`",
	 "requestContext":{"requestId":"`+reqID+`","functionArn":"`+fnARN+`","condition":"EventAgeExceeded","approximateInvokeCount":0},
	 "requestPayload":{"amount":42},
	 "responseContext":{"statusCode":200,"executedVersion":"$LATEST"}}`)
}

func TestTopicDestination(t *testing.T) {
	t.Parallel()
	r, rec := setup(t)
	deliverAll(t, r, outcome(ferry.ConditionSuccess, "arn:aws:sns:us-east-1:000000000000:paid", ""))
	deliverAll(t, r, outcome(ferry.ConditionRetriesExhausted, "", "arn:aws:sns:us-east-1:000000000000:failed"))
	if len(rec.topic) != 2 {
		t.Fatalf("notifications = %d", len(rec.topic))
	}
	sameJSON(t, rec.topic[0].Message, successRecord)
	sameJSON(t, rec.topic[1].Message, failureRecord)
}

func TestTopicDestinationDropsLargePayloads(t *testing.T) {
	t.Parallel()
	r, rec := setup(t)
	o := outcome(ferry.ConditionSuccess, "arn:aws:sns:us-east-1:000000000000:paid", "")
	big, _ := json.Marshal(map[string]string{"blob": string(make([]byte, destination.TopicRecordLimit))})
	o.Request.Payload = big
	deliverAll(t, r, o)
	var got map[string]any
	if err := json.Unmarshal([]byte(rec.topic[0].Message), &got); err != nil {
		t.Fatal(err)
	}
	if got["requestPayload"] != nil || got["responsePayload"] != nil {
		t.Fatalf("payloads kept in an oversized topic record")
	}
	if got["requestContext"].(map[string]any)["condition"] != "Success" {
		t.Fatalf("record lost its context: %v", got)
	}
}

func TestBusDestination(t *testing.T) {
	t.Parallel()
	r, rec := setup(t)
	deliverAll(t, r, outcome(ferry.ConditionSuccess, "arn:aws:events:us-east-1:000000000000:event-bus/payments", ""))
	deliverAll(t, r, outcome(ferry.ConditionRetriesExhausted, "", "arn:aws:events:us-east-1:000000000000:event-bus/default"))
	if len(rec.bus) != 2 {
		t.Fatalf("events = %d", len(rec.bus))
	}
	for i, want := range []struct{ bus, detailType, record string }{
		{"payments", "Lambda Function Invocation Result - Success", successRecord},
		{"default", "Lambda Function Invocation Result - Failure", failureRecord},
	} {
		ev := rec.bus[i]
		if ev.Bus != want.bus || ev.Source != "lambda" || ev.DetailType != want.detailType {
			t.Fatalf("event %d: bus %q source %q detail-type %q", i, ev.Bus, ev.Source, ev.DetailType)
		}
		if !reflect.DeepEqual(ev.Resources, []string{fnARN}) {
			t.Fatalf("resources = %v", ev.Resources)
		}
		sameJSON(t, ev.Detail, want.record)
	}
}

func TestFunctionDestination(t *testing.T) {
	t.Parallel()
	r, rec := setup(t)
	o := outcome(ferry.ConditionSuccess, "arn:aws:lambda:us-east-1:000000000000:function:notify", "")
	deliverAll(t, r, o)
	deliverAll(t, r, o) // a redelivery after a crash gets the same request id
	if len(rec.invokes) != 2 {
		t.Fatalf("invokes = %d", len(rec.invokes))
	}
	got := rec.invokes[0]
	if got.Function != "notify" || got.RequestID == reqID || got.RequestID != rec.invokes[1].RequestID {
		t.Fatalf("invoke %+v / %+v", got, rec.invokes[1])
	}
	if !got.Dedup {
		t.Fatal("a function destination's invoke must ask for deduplication")
	}
	if got.Hops != 2 || got.TraceID != "Root=1-abc" {
		t.Fatalf("hops %d trace %q", got.Hops, got.TraceID)
	}
	sameJSON(t, string(got.Payload), successRecord)
}

func TestDeadLetterQueueGetsEventAndAttributes(t *testing.T) {
	t.Parallel()
	r, rec := setup(t)
	o := outcome(ferry.ConditionRetriesExhausted, "", queueKO)
	o.Function.DeadLetterTarget = "arn:aws:sqs:us-east-1:000000000000:dlq"
	plan := deliverAll(t, r, o)
	if len(plan) != 2 || plan[0].Kind != ferry.DeliveryOnFailure || plan[1].Kind != ferry.DeliveryDLQ {
		t.Fatalf("plan = %+v, want OnFailure and DLQ", plan)
	}
	if len(rec.queue) != 2 || rec.queues[1] != "dlq" {
		t.Fatalf("queue sends to %v", rec.queues)
	}
	dl := rec.queue[1]
	if dl.Body != `{"amount":42}` {
		t.Fatalf("DLQ body = %s, want the original event", dl.Body)
	}
	want := map[string]ferry.MessageAttribute{
		"RequestID":    {DataType: "String", StringValue: reqID},
		"ErrorCode":    {DataType: "Number", StringValue: "200"},
		"ErrorMessage": {DataType: "String", StringValue: "card declined"},
	}
	if !reflect.DeepEqual(dl.Attributes, want) {
		t.Fatalf("DLQ attributes = %+v", dl.Attributes)
	}
}

func TestPlanSuccessSkipsFailurePaths(t *testing.T) {
	t.Parallel()
	r, _ := setup(t)
	o := outcome(ferry.ConditionSuccess, "", queueKO)
	o.Function.DeadLetterTarget = "arn:aws:sqs:us-east-1:000000000000:dlq"
	if plan := r.Plan(o); len(plan) != 0 {
		t.Fatalf("plan = %+v, want nothing for a success without OnSuccess", plan)
	}
}

func TestDeliveryErrorsNameTheTarget(t *testing.T) {
	t.Parallel()
	r, rec := setup(t)
	rec.err = errors.New("queue paymentsNotification does not exist")
	o := outcome(ferry.ConditionSuccess, queueOK, "")
	err := r.Deliver(context.Background(), o, &r.Plan(o)[0])
	if err == nil || !strings.Contains(err.Error(), queueOK) {
		t.Fatalf("err = %v, want it to name %s", err, queueOK)
	}
	bare := destination.New(ferry.DefaultRealm, destination.Targets{})
	if err := bare.Deliver(context.Background(), o, &bare.Plan(o)[0]); err == nil {
		t.Fatal("delivery without a queue service succeeded")
	}
	bad := outcome(ferry.ConditionSuccess, "arn:aws:s3:::bucket", "")
	if err := r.Deliver(context.Background(), bad, &r.Plan(bad)[0]); ferry.ErrorCode(err) != ferry.EINVALID {
		t.Fatalf("bucket OnSuccess: %v, want EINVALID", err)
	}
}

// limited refuses anything over limit bytes as ETOOLARGE, as the real
// queue, topic, bus and async invoke do.
type limited struct {
	recorder
	limit int
}

func (l *limited) SendMessage(ctx context.Context, q string, m ferry.OutgoingMessage) (string, error) {
	if len(m.Body) > l.limit {
		return "", ferry.Errorf(ferry.ETOOLARGE, "message of %d bytes", len(m.Body))
	}
	return l.recorder.SendMessage(ctx, q, m)
}

func (l *limited) InvokeAsync(ctx context.Context, req *ferry.InvokeRequest) error {
	if len(req.Payload) > l.limit {
		return ferry.Errorf(ferry.ETOOLARGE, "payload of %d bytes", len(req.Payload))
	}
	return l.recorder.InvokeAsync(ctx, req)
}

func TestTooLargeRecordIsReducedWithANote(t *testing.T) {
	t.Parallel()
	l := &limited{limit: 1 << 20}
	r := destination.New(ferry.DefaultRealm, destination.Targets{Queues: l, Functions: l})
	big, _ := json.Marshal(map[string]string{"blob": strings.Repeat("x", 600<<10)})
	for _, target := range []string{queueOK, "arn:aws:lambda:us-east-1:000000000000:function:notify"} {
		o := outcome(ferry.ConditionSuccess, target, "")
		o.Request.Payload, o.Result.Payload = big, big // an echo: 1.2 MB of record
		plan := r.Plan(o)
		if err := r.Deliver(context.Background(), o, &plan[0]); err != nil {
			t.Fatalf("%s: %v", target, err)
		}
		if !strings.Contains(plan[0].Note, "requestPayload and responsePayload dropped") || !strings.Contains(plan[0].Note, target) {
			t.Fatalf("%s: note = %q", target, plan[0].Note)
		}
	}
	if len(l.queue) != 1 || len(l.invokes) != 1 {
		t.Fatalf("sent %d queue records and %d invokes, want 1 each", len(l.queue), len(l.invokes))
	}
	for _, body := range []string{l.queue[0].Body, string(l.invokes[0].Payload)} {
		var got map[string]any
		if err := json.Unmarshal([]byte(body), &got); err != nil {
			t.Fatal(err)
		}
		if got["requestPayload"] != nil || got["responsePayload"] != nil || got["requestContext"].(map[string]any)["requestId"] != reqID {
			t.Fatalf("reduced record = %.300s", body)
		}
	}
	if n := l.queue[0].Attributes[destination.NoteAttribute].StringValue; !strings.Contains(n, "dropped") {
		t.Fatalf("queue record note attribute = %q", n)
	}
}

func TestStandInNoteReachesTheDeadLetterQueue(t *testing.T) {
	t.Parallel()
	r, rec := setup(t)
	o := outcome(ferry.ConditionSuccess, queueOK, "")
	d := ferry.Delivery{Kind: ferry.DeliveryDLQ, Target: queueKO, Note: "stands in for the OnSuccess delivery"}
	if err := r.Deliver(context.Background(), o, &d); err != nil {
		t.Fatal(err)
	}
	if got := rec.queue[0].Attributes["ErrorMessage"].StringValue; got != d.Note {
		t.Fatalf("ErrorMessage = %q, want the note", got)
	}
}
