package trigger_test

import (
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/trigger"
)

// nodeHandler echoes the event it received and fails as the message bodies
// ask: {"fail":true} throws (the whole batch fails), {"partial":true} lists
// the message in batchItemFailures; "failTimes" limits either to the first
// receives.
const nodeHandler = `exports.handler = async (event) => {
  const batchItemFailures = [];
  for (const r of event.Records) {
    let b = {};
    try { b = JSON.parse(r.body); } catch (e) { /* not JSON: nothing to fail */ }
    const n = Number(r.attributes.ApproximateReceiveCount);
    const failing = b.failTimes === undefined || n <= b.failTimes;
    if (b.fail && failing) throw new Error("cannot process " + b.id);
    if (b.partial && failing) batchItemFailures.push({ itemIdentifier: r.messageId });
  }
  return { batchItemFailures, echo: event };
};
`

func body(v map[string]any) ferry.OutgoingMessage {
	b, _ := json.Marshal(v)
	return ferry.OutgoingMessage{Body: string(b)}
}

func TestNodeFunctionReceivesSQSEvent(t *testing.T) {
	t.Parallel()
	b := setup(t, config{node: true})
	b.addQueue(t, "orders", map[string]string{"VisibilityTimeout": "2"})
	b.addFunction(t, "consume", nodeHandler, time.Second)
	msg := ferry.OutgoingMessage{
		Body: `{"id":"o-1"}`, TraceID: "Root=1-5759e988-bd862e3fe1be46a994272793", Hops: 2,
		Attributes: map[string]ferry.MessageAttribute{
			"kind":  {DataType: "String", StringValue: "order"},
			"count": {DataType: "Number", StringValue: "3"},
			"blob":  {DataType: "Binary", BinaryValue: []byte{1, 2, 3}},
		},
	}
	ids := b.send(t, "orders", msg, ferry.OutgoingMessage{Body: "plain text"})
	// A batching window, so both messages arrive in one batch even when a
	// receive returns them one at a time.
	m := b.create(t, trigger.Mapping{Queue: "orders", Function: "consume", Enabled: true, MaximumBatchingWindow: time.Second})

	c := b.invoker.next1(t, 10*time.Second)
	if c.err != nil || c.res.Failed() {
		t.Fatalf("invoke: %v %+v", c.err, c.res)
	}
	if c.req.TraceID != msg.TraceID || c.req.Hops != 2 {
		t.Errorf("trace/hops = %q/%d, want %q/2", c.req.TraceID, c.req.Hops, msg.TraceID)
	}
	// What Node.js parsed is what was sent, and has AWS's shape.
	var resp struct {
		Echo struct {
			Records []map[string]any `json:"Records"`
		} `json:"echo"`
	}
	if err := json.Unmarshal(c.res.Payload, &resp); err != nil {
		t.Fatalf("response %s: %v", c.res.Payload, err)
	}
	if got := len(resp.Echo.Records); got != 2 {
		t.Fatalf("function saw %d records, want 2: %s", got, c.res.Payload)
	}
	var sent map[string]any
	if err := json.Unmarshal(c.req.Payload, &sent); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(sent["Records"], anySlice(resp.Echo.Records)) {
		t.Errorf("function saw\n%v\nwant\n%v", resp.Echo.Records, sent["Records"])
	}
	r := resp.Echo.Records[0]
	wantKeys := []string{"attributes", "awsRegion", "body", "eventSource", "eventSourceARN", "md5OfBody",
		"messageAttributes", "messageId", "receiptHandle"}
	if got := keys(r); !slices.Equal(got, wantKeys) {
		t.Errorf("record keys = %v, want %v", got, wantKeys)
	}
	for k, want := range map[string]any{
		"messageId": ids[0], "body": msg.Body, "eventSource": "aws:sqs",
		"eventSourceARN": m.QueueARN, "awsRegion": "us-east-1",
		"md5OfBody": fmt.Sprintf("%x", md5.Sum([]byte(msg.Body))),
	} {
		if r[k] != want {
			t.Errorf("%s = %v, want %v", k, r[k], want)
		}
	}
	if m.QueueARN != "arn:aws:sqs:us-east-1:000000000000:orders" {
		t.Errorf("QueueARN = %q", m.QueueARN)
	}
	if h, _ := r["receiptHandle"].(string); h == "" {
		t.Errorf("receiptHandle %v must be set", r["receiptHandle"])
	}
	attrs := r["attributes"].(map[string]any)
	wantAttrs := []string{"AWSTraceHeader", "ApproximateFirstReceiveTimestamp", "ApproximateReceiveCount", "SenderId", "SentTimestamp"}
	if got := keys(attrs); !slices.Equal(got, wantAttrs) {
		t.Errorf("attributes keys = %v, want %v", got, wantAttrs)
	}
	if attrs["ApproximateReceiveCount"] != "1" {
		t.Errorf("ApproximateReceiveCount = %v, want \"1\"", attrs["ApproximateReceiveCount"])
	}
	wantMA := map[string]any{
		"kind":  map[string]any{"stringValue": "order", "stringListValues": []any{}, "binaryListValues": []any{}, "dataType": "String"},
		"count": map[string]any{"stringValue": "3", "stringListValues": []any{}, "binaryListValues": []any{}, "dataType": "Number"},
		"blob": map[string]any{"binaryValue": base64.StdEncoding.EncodeToString([]byte{1, 2, 3}),
			"stringListValues": []any{}, "binaryListValues": []any{}, "dataType": "Binary"},
	}
	if !reflect.DeepEqual(r["messageAttributes"], wantMA) {
		t.Errorf("messageAttributes = %v, want %v", r["messageAttributes"], wantMA)
	}
	plain := resp.Echo.Records[1]
	if plain["body"] != "plain text" || !reflect.DeepEqual(plain["messageAttributes"], map[string]any{}) {
		t.Errorf("second record = %v", plain)
	}
	if _, ok := plain["attributes"].(map[string]any)["AWSTraceHeader"]; ok {
		t.Errorf("AWSTraceHeader set on a message without a trace")
	}
	// Success deletes the batch.
	b.waitEmpty(t, "orders", 5*time.Second)
}

// A failing function leaves the batch: it comes back with a higher receive
// count and ends in the dead-letter queue after maxReceiveCount.
func TestNodeFailureRedrivesToDLQ(t *testing.T) {
	t.Parallel()
	b := setup(t, config{node: true})
	b.addQueue(t, "dead", nil)
	b.addQueue(t, "work", map[string]string{"VisibilityTimeout": "1",
		"RedrivePolicy": `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:dead","maxReceiveCount":"2"}`})
	b.addFunction(t, "consume", nodeHandler, time.Second)
	id := b.send(t, "work", body(map[string]any{"id": "x", "fail": true}))[0]
	b.create(t, trigger.Mapping{Queue: "work", Function: "consume", BatchSize: 1, Enabled: true})

	for want := 1; want <= 2; want++ {
		c := b.invoker.next1(t, 10*time.Second)
		if c.err != nil || !c.res.Failed() {
			t.Fatalf("receive %d: err %v result %+v, want a function error", want, c.err, c.res)
		}
		ev := decodeEvent(t, c.req.Payload)
		if len(ev.Records) != 1 || ev.Records[0].MessageID != id || ev.Records[0].receiveCount() != want {
			t.Fatalf("receive %d: event %s", want, c.req.Payload)
		}
	}
	var dlq []ferry.Message
	waitFor(t, 10*time.Second, "message in the DLQ", func() bool {
		got, err := b.queues.ReceiveMessages(context.Background(), "dead", ferry.ReceiveOptions{MaxMessages: 10, WaitTime: 200 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		dlq = append(dlq, got...)
		return len(dlq) > 0
	})
	if len(dlq) != 1 || dlq[0].MessageID != id {
		t.Fatalf("DLQ holds %+v, want message %s", dlq, id)
	}
	b.waitEmpty(t, "work", 5*time.Second)
	b.invoker.none(t, 300*time.Millisecond)
}

// With ReportBatchItemFailures, only the items the function reports failed
// come back; the others are deleted.
func TestNodeReportBatchItemFailures(t *testing.T) {
	t.Parallel()
	b := setup(t, config{node: true})
	b.addQueue(t, "jobs", map[string]string{"VisibilityTimeout": "1"})
	b.addFunction(t, "consume", nodeHandler, time.Second)
	ids := b.send(t, "jobs",
		body(map[string]any{"id": "a"}),
		body(map[string]any{"id": "b", "partial": true, "failTimes": 1}),
		body(map[string]any{"id": "c"}),
		body(map[string]any{"id": "d", "partial": true, "failTimes": 1}),
	)
	b.create(t, trigger.Mapping{Queue: "jobs", Function: "consume", Enabled: true, ReportBatchItemFailures: true})

	seen := map[int][]string{} // receive count -> message ids
	deadline := time.Now().Add(15 * time.Second)
	for len(seen[1]) < 4 || len(seen[2]) < 2 {
		c := b.invoker.next1(t, time.Until(deadline))
		if c.err != nil || c.res.Failed() {
			t.Fatalf("invoke: %v %+v", c.err, c.res)
		}
		for _, r := range decodeEvent(t, c.req.Payload).Records {
			seen[r.receiveCount()] = append(seen[r.receiveCount()], r.MessageID)
		}
	}
	b.waitEmpty(t, "jobs", 5*time.Second)
	for _, l := range seen {
		sort.Strings(l)
	}
	first := slices.Clone(ids)
	sort.Strings(first)
	again := []string{ids[1], ids[3]}
	sort.Strings(again)
	if !slices.Equal(seen[1], first) {
		t.Errorf("first receives = %v, want %v", seen[1], first)
	}
	if !slices.Equal(seen[2], again) {
		t.Errorf("second receives = %v, want only the reported items %v", seen[2], again)
	}
	if len(seen) != 2 {
		t.Errorf("receive counts seen: %v, want 1 and 2 only", seen)
	}
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func anySlice(ms []map[string]any) []any {
	out := make([]any, len(ms))
	for i, m := range ms {
		out[i] = m
	}
	return out
}
