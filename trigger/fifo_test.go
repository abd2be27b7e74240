package trigger

import (
	"encoding/json"
	"maps"
	"testing"

	"github.com/ferry-run/ferry"
)

func TestFifoRecordAttributes(t *testing.T) {
	t.Parallel()
	msg := ferry.Message{MessageID: "m", Body: "b", ReceiveCount: 1, GroupID: "g1", DedupID: "d1", SequenceNumber: "00000000000000000007"}
	var rec struct {
		Attributes map[string]string `json:"attributes"`
	}
	if err := json.Unmarshal(encodeRecord(&msg, "arn:aws:sqs:us-east-1:000000000000:q.fifo", "us-east-1"), &rec); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{"MessageGroupId": "g1", "MessageDeduplicationId": "d1", "SequenceNumber": "00000000000000000007"} {
		if rec.Attributes[k] != want {
			t.Fatalf("%s = %q, want %q (%v)", k, rec.Attributes[k], want, rec.Attributes)
		}
	}
	std := ferry.Message{MessageID: "m", Body: "b", ReceiveCount: 1}
	rec.Attributes = nil
	if err := json.Unmarshal(encodeRecord(&std, "arn:aws:sqs:us-east-1:000000000000:q", "us-east-1"), &rec); err != nil {
		t.Fatal(err)
	}
	if _, ok := rec.Attributes["MessageGroupId"]; ok {
		t.Fatalf("standard record has FIFO attributes: %v", rec.Attributes)
	}
}

// A failed item of a FIFO batch holds back the later items of its group,
// not those of other groups nor the earlier ones of its own.
func TestHoldGroupsAfterFailure(t *testing.T) {
	t.Parallel()
	msgs := []ferry.Message{
		{MessageID: "a1", GroupID: "A"}, {MessageID: "b1", GroupID: "B"}, {MessageID: "a2", GroupID: "A"},
		{MessageID: "b2", GroupID: "B"}, {MessageID: "a3", GroupID: "A"}, {MessageID: "c1", GroupID: "C"},
	}
	got := holdGroupsAfterFailure(msgs, map[string]bool{"a2": true})
	want := map[string]bool{"a2": true, "a3": true}
	if !maps.Equal(got, want) {
		t.Fatalf("held %v, want %v", got, want)
	}
	// Standard queue messages (no group) fail alone.
	std := []ferry.Message{{MessageID: "x"}, {MessageID: "y"}, {MessageID: "z"}}
	if got := holdGroupsAfterFailure(std, map[string]bool{"x": true}); !maps.Equal(got, map[string]bool{"x": true}) {
		t.Fatalf("standard batch held %v", got)
	}
}
