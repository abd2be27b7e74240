package eventsapi_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"testing"
	"time"
)

// FuzzJSONRequest feeds arbitrary bodies to every operation of a running API
// on a real bus service: the decoder and handlers must never panic (a panic
// would surface as an InternalException), and every answer must be a 200
// with a JSON body or a 400 EventBridge error.
func FuzzJSONRequest(f *testing.F) {
	b := setup(f)
	ops := []string{
		"PutEvents", "PutRule", "DeleteRule", "DescribeRule", "ListRules", "EnableRule", "DisableRule",
		"PutTargets", "RemoveTargets", "ListTargetsByRule", "ListRuleNamesByTarget", "CreateEventBus",
		"DeleteEventBus", "DescribeEventBus", "ListEventBuses", "TestEventPattern", "CreateArchive",
		"DescribeArchive", "DeleteArchive", "ListArchives", "StartReplay", "DescribeReplay",
	}
	seeds := []string{
		``, `{}`, `null`, `[]`, `{"Name":"r","EventPattern":"{\"source\":[\"a\"]}"}`,
		`{"Entries":[{"Source":"a","DetailType":"t","Detail":"{}","Time":946684800.5,"Resources":["r"],"TraceHeader":"x"}]}`,
		`{"Rule":"r","Targets":[{"Id":"t","Arn":"arn:aws:sqs:us-east-1:000000000000:q","InputTransformer":{"InputPathsMap":{"a":"$.detail"},"InputTemplate":"<a>"}}]}`,
		`{"Rule":"r","Ids":["t"],"Force":true}`, `{"Limit":1,"NextToken":"YQ","NamePrefix":"a"}`,
		`{"EventPattern":"{\"source\":[{\"prefix\":\"a\"}]}","Event":"{\"id\":\"1\",\"account\":\"1\",\"source\":\"a\",\"time\":\"t\",\"region\":\"r\",\"detail-type\":\"d\"}"}`,
		`{"ArchiveName":"a","EventSourceArn":"arn:aws:events:us-east-1:000000000000:event-bus/default","RetentionDays":1}`,
		`{"ReplayName":"p","EventSourceArn":"arn:aws:events:us-east-1:000000000000:archive/a","Destination":{"Arn":"arn:aws:events:us-east-1:000000000000:event-bus/default"},"EventStartTime":1,"EventEndTime":2}`,
		`{"TargetArn":"arn:aws:sqs:us-east-1:000000000000:q","EventBusName":"arn:aws:events:us-east-1:000000000000:event-bus/x"}`,
		`{"Entries":[{"Time":1e308}]}`, `{"Limit":99999999999999999999}`, `{"Targets":[{"RetryPolicy":null,"Id":null}]}`,
	}
	for i, s := range seeds {
		f.Add(uint8(i), []byte(s))
	}
	f.Fuzz(func(t *testing.T, op uint8, body []byte) {
		target := "AWSEvents." + ops[int(op)%len(ops)]
		// A watchdog names an input that hangs, with every goroutine's stack.
		watchdog := time.AfterFunc(10*time.Second, func() {
			buf := make([]byte, 1<<20)
			n := runtime.Stack(buf, true)
			fmt.Fprintf(os.Stderr, "slow input: %s %q\n%s\n", target, body, buf[:n])
		})
		defer watchdog.Stop()
		resp := post(t, b.handler, "POST", target, string(body))
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		switch resp.StatusCode {
		case http.StatusOK:
			if !json.Valid(raw) {
				t.Fatalf("200 with a body that is not JSON: %q", raw)
			}
		case http.StatusBadRequest:
			var e struct {
				Type string `json:"__type"`
			}
			if err := json.Unmarshal(raw, &e); err != nil || e.Type == "" {
				t.Fatalf("400 without an error type: %q", raw)
			}
		default:
			t.Fatalf("status %d: %s", resp.StatusCode, raw)
		}
	})
}
