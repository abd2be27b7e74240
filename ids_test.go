package ferry_test

import (
	"strings"
	"testing"

	"github.com/ferry-run/ferry"
)

func TestNameLimits(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		valid func(string) bool
		in    string
		want  bool
	}{
		{"queue", ferry.ValidQueueName, "payments_DLQ-1", true},
		{"queue fifo", ferry.ValidQueueName, "orders.fifo", true},
		{"queue 80", ferry.ValidQueueName, strings.Repeat("q", 80), true},
		{"queue 81", ferry.ValidQueueName, strings.Repeat("q", 81), false},
		{"queue dot", ferry.ValidQueueName, "a.b", false},
		{"queue empty", ferry.ValidQueueName, "", false},
		{"topic 256", ferry.ValidTopicName, strings.Repeat("t", 256), true},
		{"topic 257", ferry.ValidTopicName, strings.Repeat("t", 257), false},
		{"topic space", ferry.ValidTopicName, "a b", false},
		{"rule dots", ferry.ValidRuleName, "my.rule-1_x", true},
		{"rule 65", ferry.ValidRuleName, strings.Repeat("r", 65), false},
		{"rule slash", ferry.ValidRuleName, "a/b", false},
		{"bus slash", ferry.ValidBusName, "aws.partner/x/y", true},
		{"bus star", ferry.ValidBusName, "a*", false},
		{"request id uuid", ferry.ValidRequestID, "0f8fad5b-d9cb-469f-a165-70867728950e", true},
		{"request id long", ferry.ValidRequestID, strings.Repeat("a", 4000), false},
		{"request id dot", ferry.ValidRequestID, "a.b", false},
		{"trace", ferry.ValidTraceID, "Root=1-5759e988-bd862e3fe1be46a994272793", true},
		{"trace space", ferry.ValidTraceID, "Root=1 x", false},
	} {
		if got := tc.valid(tc.in); got != tc.want {
			t.Errorf("%s: %.30q valid = %v, want %v", tc.name, tc.in, got, tc.want)
		}
	}
}

func TestParseARNChecksNames(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 4000)
	for _, tc := range []struct {
		arn string
		ok  bool
	}{
		{"arn:aws:lambda:us-east-1:000000000000:function:pay", true},
		{"arn:aws:lambda:us-east-1:000000000000:function:pay:$LATEST", true},
		{"arn:aws:lambda:us-east-1:000000000000:function:pay:a.b", false},
		{"arn:aws:lambda:us-east-1:000000000000:function:" + strings.Repeat("f", 65), false},
		{"arn:aws:sqs:us-east-1:000000000000:q", true},
		{"arn:aws:sqs:us-east-1:000000000000:a b", false},
		{"arn:aws:sns:us-east-1:000000000000:t*", false},
		{"arn:aws:events:us-east-1:000000000000:event-bus/a.b", true},
		{"arn:aws:events:us-east-1:000000000000:event-bus/a>b", false},
		{"arn:aws:s3:::my-bucket.logs", true},
		{"arn:aws:sqs:us-east-1:000000000000:" + long, false},
	} {
		_, err := ferry.ParseARN(tc.arn)
		if (err == nil) != tc.ok {
			t.Errorf("%.80s: err = %v, want ok=%v", tc.arn, err, tc.ok)
		}
		if err != nil && len(err.Error()) > 400 {
			t.Errorf("%.40s: the message is %d bytes; the ARN must be shortened", tc.arn, len(err.Error()))
		}
	}
}

func TestCapMessage(t *testing.T) {
	t.Parallel()
	if got := ferry.CapMessage("short"); got != "short" {
		t.Errorf("CapMessage(short) = %q", got)
	}
	got := ferry.CapMessage(strings.Repeat("ü", 2000))
	if len(got) > ferry.MaxErrorMessage+40 || !strings.HasSuffix(got, "(4000 bytes)") {
		t.Errorf("CapMessage(long) = %d bytes ending %q", len(got), got[len(got)-20:])
	}
	if !strings.HasPrefix(got, "ü") || strings.ContainsRune(got, '\uFFFD') {
		t.Errorf("CapMessage cut a character in two")
	}
}
