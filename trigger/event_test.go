package trigger

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/ferry-run/ferry"
)

func TestEncodeRecord(t *testing.T) {
	t.Parallel()
	msg := ferry.Message{
		MessageID: "059f36b4-87a3-44ab-83d2-661975830a7d", ReceiptHandle: "AQEBwJ", Body: "Test message.",
		MD5OfBody: "e4e68fb7bd0e697a0ae8f1bb342846b3", SentTimestamp: 1545082649183, FirstReceiveTimestamp: 1545082649185,
		ReceiveCount: 1, SenderID: "AIDAIENQZJOLO23YVJ4VO",
		Attributes: map[string]ferry.MessageAttribute{"myAttribute": {DataType: "String", StringValue: "myValue"}},
	}
	got := string(encodeEvent([]json.RawMessage{encodeRecord(&msg, "arn:aws:sqs:us-east-2:123456789012:my-queue", "us-east-2")}))
	want := `{"Records":[{"messageId":"059f36b4-87a3-44ab-83d2-661975830a7d","receiptHandle":"AQEBwJ","body":"Test message.",` +
		`"attributes":{"ApproximateFirstReceiveTimestamp":"1545082649185","ApproximateReceiveCount":"1","SenderId":"AIDAIENQZJOLO23YVJ4VO","SentTimestamp":"1545082649183"},` +
		`"messageAttributes":{"myAttribute":{"stringValue":"myValue","stringListValues":[],"binaryListValues":[],"dataType":"String"}},` +
		`"md5OfBody":"e4e68fb7bd0e697a0ae8f1bb342846b3","eventSource":"aws:sqs","eventSourceARN":"arn:aws:sqs:us-east-2:123456789012:my-queue","awsRegion":"us-east-2"}]}`
	if got != want {
		t.Errorf("event\n got %s\nwant %s", got, want)
	}
	if got := string(encodeEvent(nil)); got != `{"Records":[]}` {
		t.Errorf("empty event = %s", got)
	}
}

func TestFailedItems(t *testing.T) {
	t.Parallel()
	ids := map[string]bool{"a": true, "b": true}
	cases := []struct {
		payload string
		failed  string // comma-separated
		ok      bool
	}{
		{``, "", true},
		{`null`, "", true},
		{` {} `, "", true},
		{`{"batchItemFailures":null}`, "", true},
		{`{"batchItemFailures":[]}`, "", true},
		{`{"batchItemFailures":[{"itemIdentifier":"a"}]}`, "a", true},
		{`{"batchItemFailures":[{"itemIdentifier":"a"},{"itemIdentifier":"b"}],"other":1}`, "a,b", true},
		{`{"batchItemFailures":[{"itemIdentifier":"c"}]}`, "", false},
		{`{"batchItemFailures":[{"itemIdentifier":""}]}`, "", false},
		{`{"batchItemFailures":[{"itemIdentifier":null}]}`, "", false},
		{`{"batchItemFailures":[{"ItemId":"a"}]}`, "", false},
		{`{"batchItemFailures":[{"itemIdentifier":1}]}`, "", false},
		{`{"batchItemFailures":"a"}`, "", false},
		{`"a"`, "", false},
		{`[]`, "", false},
		{`{`, "", false},
	}
	for _, tc := range cases {
		failed, ok := failedItems(json.RawMessage(tc.payload), ids)
		var got []string
		for _, id := range []string{"a", "b"} {
			if failed[id] {
				got = append(got, id)
			}
		}
		if ok != tc.ok || strings.Join(got, ",") != tc.failed || len(failed) != len(got) {
			t.Errorf("failedItems(%s) = %v, %v; want %q, %v", tc.payload, failed, ok, tc.failed, tc.ok)
		}
	}
}
