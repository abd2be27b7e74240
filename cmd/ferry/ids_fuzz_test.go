package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ferry-run/ferry/gateway"
	"github.com/ferry-run/ferry/web"
)

// probe is one request of the id fuzz test. In path, query, form and body,
// ID stands for the fuzzed value: path-escaped in a path, form-encoded in a
// query or form, a JSON string in a JSON body.
type probe struct {
	method, path string
	target       string // X-Amz-Target, for the JSON protocols
	form         map[string]string
	body         string // JSON, with "ID" standing for the value
	gateway      bool   // sent to the gateway's port
}

const (
	sqsTarget    = "AmazonSQS."
	eventsTarget = "AWSEvents."
	acct         = "000000000000"
)

// idProbes drive every route of the API port and the gateway with a fuzzed
// id or name in each place one is read.
func idProbes(api string) []probe {
	fn := "/2015-03-31/functions/"
	ps := []probe{
		// Lambda REST.
		{method: "POST", path: fn + "ID/invocations"},
		{method: "POST", path: fn + "probe/invocations?Qualifier=ID"},
		{method: "PUT", path: "/2019-09-25/functions/ID/event-invoke-config", body: `{"MaximumRetryAttempts":0}`},
		{method: "POST", path: "/2019-09-25/functions/ID/event-invoke-config", body: `{"MaximumRetryAttempts":0}`},
		{method: "GET", path: "/2019-09-25/functions/ID/event-invoke-config"},
		{method: "GET", path: "/2019-09-25/functions/probe/event-invoke-config?Qualifier=ID"},
		{method: "DELETE", path: "/2019-09-25/functions/ID/event-invoke-config"},
		{method: "GET", path: "/2019-09-25/functions/ID/event-invoke-config/list"},
		{method: "PUT", path: "/2019-09-25/functions/probe/event-invoke-config",
			body: `{"DestinationConfig":{"OnSuccess":{"Destination":ID}}}`},
		{method: "POST", path: "/2015-03-31/functions", body: `{"FunctionName":ID,"Runtime":"nodejs20.x","Handler":"index.handler","Role":"arn:aws:iam::000000000000:role/x","Code":{"ZipFile":""}}`},
		{method: "GET", path: fn + "?Marker=ID"},
		{method: "GET", path: fn + "ID"},
		{method: "DELETE", path: fn + "ID"},
		{method: "GET", path: fn + "ID/configuration"},
		{method: "PUT", path: fn + "ID/configuration", body: `{"Timeout":3}`},
		{method: "PUT", path: fn + "probe/configuration", body: `{"DeadLetterConfig":{"TargetArn":ID}}`},
		{method: "PUT", path: fn + "ID/code", body: `{"ZipFile":""}`},
		{method: "POST", path: fn + "ID/policy", body: `{"StatementId":ID,"Action":"lambda:InvokeFunction","Principal":"sns.amazonaws.com"}`},
		{method: "PUT", path: "/2017-10-31/functions/ID/concurrency", body: `{"ReservedConcurrentExecutions":1}`},
		{method: "DELETE", path: "/2017-10-31/functions/ID/concurrency"},
		{method: "GET", path: "/2019-09-30/functions/ID/concurrency"},
		{method: "POST", path: "/2015-03-31/event-source-mappings", body: `{"FunctionName":ID,"EventSourceArn":"arn:aws:sqs:us-east-1:000000000000:probeq"}`},
		{method: "POST", path: "/2015-03-31/event-source-mappings", body: `{"FunctionName":"probe","EventSourceArn":ID}`},
		{method: "GET", path: "/2015-03-31/event-source-mappings?FunctionName=ID"},
		{method: "GET", path: "/2015-03-31/event-source-mappings?EventSourceArn=ID&Marker=ID"},
		{method: "GET", path: "/2015-03-31/event-source-mappings/ID"},
		{method: "PUT", path: "/2015-03-31/event-source-mappings/ID", body: `{"BatchSize":1}`},
		{method: "DELETE", path: "/2015-03-31/event-source-mappings/ID"},
		{method: "PUT", path: "/2024-08-31/functions/ID/recursion-config", body: `{"RecursiveLoop":"Allow"}`},
		{method: "GET", path: "/2024-08-31/functions/ID/recursion-config"},

		// SQS, JSON protocol.
		{target: sqsTarget + "CreateQueue", body: `{"QueueName":ID}`},
		{target: sqsTarget + "GetQueueUrl", body: `{"QueueName":ID}`},
		{target: sqsTarget + "ListQueues", body: `{"QueueNamePrefix":ID,"NextToken":ID}`},
		{target: sqsTarget + "ListDeadLetterSourceQueues", body: `{"QueueUrl":ID}`},
		{target: sqsTarget + "StartMessageMoveTask", body: `{"SourceArn":ID}`},
		{target: sqsTarget + "StartMessageMoveTask", body: `{"SourceArn":"arn:aws:sqs:us-east-1:000000000000:probeq","DestinationArn":ID}`},
		{target: sqsTarget + "ListMessageMoveTasks", body: `{"SourceArn":ID}`},
		{target: sqsTarget + "CancelMessageMoveTask", body: `{"TaskHandle":ID}`},
		{target: sqsTarget + "DeleteMessage", body: `{"QueueUrl":QURL,"ReceiptHandle":ID}`},
		{target: sqsTarget + "ChangeMessageVisibility", body: `{"QueueUrl":QURL,"ReceiptHandle":ID,"VisibilityTimeout":1}`},
		{target: sqsTarget + "DeleteMessageBatch", body: `{"QueueUrl":QURL,"Entries":[{"Id":ID,"ReceiptHandle":ID}]}`},
		{target: sqsTarget + "ChangeMessageVisibilityBatch", body: `{"QueueUrl":QURL,"Entries":[{"Id":"a","ReceiptHandle":ID,"VisibilityTimeout":1}]}`},
		{target: sqsTarget + "SendMessageBatch", body: `{"QueueUrl":QURL,"Entries":[{"Id":ID,"MessageBody":"x"}]}`},
		{target: sqsTarget + "SetQueueAttributes", body: `{"QueueUrl":QURL,"Attributes":{"RedrivePolicy":ID}}`},
		{target: sqsTarget + "SetQueueAttributes", body: `{"QueueUrl":QURL,"Attributes":{"RedrivePolicy":DLQPOLICY}}`},
		{target: sqsTarget + "TagQueue", body: `{"QueueUrl":QURL,"Tags":{"k":ID}}`},
	}
	for _, op := range []string{"DeleteQueue", "GetQueueAttributes", "SetQueueAttributes", "PurgeQueue", "SendMessage",
		"ReceiveMessage", "ListQueueTags", "UntagQueue", "TagQueue", "ListDeadLetterSourceQueues"} {
		ps = append(ps,
			probe{target: sqsTarget + op, body: `{"QueueUrl":QID,"MessageBody":"x","Attributes":{"DelaySeconds":"0"},"Tags":{"a":"b"},"TagKeys":["a"]}`},
			probe{method: "POST", path: "/" + acct + "/ID", form: map[string]string{"Action": op, "MessageBody": "x"}},
			probe{form: map[string]string{"Action": op, "QueueUrl": api + "/" + acct + "/ID", "MessageBody": "x"}},
		)
	}
	ps = append(ps,
		probe{form: map[string]string{"Action": "CreateQueue", "QueueName": "ID"}},
		probe{form: map[string]string{"Action": "GetQueueUrl", "QueueName": "ID"}},
		probe{form: map[string]string{"Action": "DeleteMessage", "QueueUrl": api + "/" + acct + "/probeq", "ReceiptHandle": "ID"}},
	)

	// SNS, query protocol.
	topic := "arn:aws:sns:us-east-1:" + acct + ":"
	for _, f := range []map[string]string{
		{"Action": "CreateTopic", "Name": "ID"},
		{"Action": "DeleteTopic", "TopicArn": topic + "ID"},
		{"Action": "DeleteTopic", "TopicArn": "ID"},
		{"Action": "GetTopicAttributes", "TopicArn": topic + "ID"},
		{"Action": "GetTopicAttributes", "TopicArn": "ID"},
		{"Action": "SetTopicAttributes", "TopicArn": topic + "ID", "AttributeName": "DisplayName", "AttributeValue": "x"},
		{"Action": "Subscribe", "TopicArn": topic + "ID", "Protocol": "sqs", "Endpoint": "arn:aws:sqs:us-east-1:000000000000:probeq"},
		{"Action": "Subscribe", "TopicArn": topic + "probet", "Protocol": "sqs", "Endpoint": "ID"},
		{"Action": "Subscribe", "TopicArn": topic + "probet", "Protocol": "lambda", "Endpoint": "ID"},
		{"Action": "Subscribe", "TopicArn": topic + "probet", "Protocol": "sqs", "Endpoint": "arn:aws:sqs:us-east-1:000000000000:ID"},
		{"Action": "Subscribe", "TopicArn": topic + "probet", "Protocol": "lambda", "Endpoint": "arn:aws:lambda:us-east-1:000000000000:function:ID"},
		{"Action": "ConfirmSubscription", "TopicArn": topic + "probet", "Token": "ID"},
		{"Action": "ConfirmSubscription", "TopicArn": topic + "ID", "Token": "ID"},
		{"Action": "Unsubscribe", "SubscriptionArn": "ID"},
		{"Action": "Unsubscribe", "SubscriptionArn": topic + "probet:ID"},
		{"Action": "ListSubscriptions", "NextToken": "ID"},
		{"Action": "ListSubscriptionsByTopic", "TopicArn": topic + "ID"},
		{"Action": "ListTopics", "NextToken": "ID"},
		{"Action": "GetSubscriptionAttributes", "SubscriptionArn": topic + "probet:ID"},
		{"Action": "GetSubscriptionAttributes", "SubscriptionArn": "ID"},
		{"Action": "SetSubscriptionAttributes", "SubscriptionArn": topic + "probet:ID", "AttributeName": "RawMessageDelivery", "AttributeValue": "true"},
		{"Action": "Publish", "TopicArn": topic + "ID", "Message": "x"},
		{"Action": "Publish", "TargetArn": "ID", "Message": "x"},
		{"Action": "Publish", "TopicArn": topic + "probet", "Message": "x", "Subject": "ID"},
		{"Action": "PublishBatch", "TopicArn": topic + "ID", "PublishBatchRequestEntries.member.1.Id": "a", "PublishBatchRequestEntries.member.1.Message": "x"},
		{"Action": "PublishBatch", "TopicArn": topic + "probet", "PublishBatchRequestEntries.member.1.Id": "ID", "PublishBatchRequestEntries.member.1.Message": "x"},
		{"Action": "ListTagsForResource", "ResourceArn": topic + "ID"},
		{"Action": "TagResource", "ResourceArn": topic + "ID", "Tags.member.1.Key": "k", "Tags.member.1.Value": "v"},
		{"Action": "UntagResource", "ResourceArn": topic + "ID", "TagKeys.member.1": "k"},
	} {
		ps = append(ps, probe{form: f})
	}

	// EventBridge, JSON 1.1.
	for _, p := range []struct{ op, body string }{
		{"PutEvents", `{"Entries":[{"EventBusName":ID,"Source":"s","DetailType":"d","Detail":"{}"}]}`},
		{"PutEvents", `{"Entries":[{"Source":ID,"DetailType":ID,"Detail":"{}","Resources":[ID]}]}`},
		{"PutRule", `{"Name":ID,"EventPattern":"{\"source\":[\"s\"]}"}`},
		{"PutRule", `{"Name":"r","EventBusName":ID,"EventPattern":"{\"source\":[\"s\"]}"}`},
		{"DeleteRule", `{"Name":ID}`},
		{"DeleteRule", `{"Name":"r","EventBusName":ID}`},
		{"DescribeRule", `{"Name":ID}`},
		{"DescribeRule", `{"Name":"r","EventBusName":ID}`},
		{"ListRules", `{"EventBusName":ID,"NamePrefix":ID,"NextToken":ID}`},
		{"EnableRule", `{"Name":ID}`},
		{"DisableRule", `{"Name":ID,"EventBusName":ID}`},
		{"PutTargets", `{"Rule":ID,"Targets":[{"Id":"t","Arn":"arn:aws:sqs:us-east-1:000000000000:probeq"}]}`},
		{"PutTargets", `{"Rule":"prober","Targets":[{"Id":ID,"Arn":"arn:aws:sqs:us-east-1:000000000000:probeq"}]}`},
		{"PutTargets", `{"Rule":"prober","Targets":[{"Id":"t","Arn":ID}]}`},
		{"RemoveTargets", `{"Rule":ID,"Ids":[ID]}`},
		{"RemoveTargets", `{"Rule":"prober","Ids":[ID]}`},
		{"ListTargetsByRule", `{"Rule":ID,"EventBusName":ID}`},
		{"ListRuleNamesByTarget", `{"TargetArn":ID,"EventBusName":ID}`},
		{"CreateEventBus", `{"Name":ID}`},
		{"DeleteEventBus", `{"Name":ID}`},
		{"DescribeEventBus", `{"Name":ID}`},
		{"ListEventBuses", `{"NamePrefix":ID,"NextToken":ID}`},
		{"TestEventPattern", `{"EventPattern":ID,"Event":ID}`},
		{"CreateArchive", `{"ArchiveName":ID,"EventSourceArn":"arn:aws:events:us-east-1:000000000000:event-bus/default"}`},
		{"CreateArchive", `{"ArchiveName":"a","EventSourceArn":ID}`},
		{"DescribeArchive", `{"ArchiveName":ID}`},
		{"DeleteArchive", `{"ArchiveName":ID}`},
		{"ListArchives", `{"NamePrefix":ID,"EventSourceArn":ID}`},
		{"StartReplay", `{"ReplayName":ID,"EventSourceArn":"arn:aws:events:us-east-1:000000000000:archive/probea","Destination":{"Arn":"arn:aws:events:us-east-1:000000000000:event-bus/default"},"EventStartTime":1,"EventEndTime":2}`},
		{"StartReplay", `{"ReplayName":"r","EventSourceArn":ID,"Destination":{"Arn":ID},"EventStartTime":1,"EventEndTime":2}`},
		{"DescribeReplay", `{"ReplayName":ID}`},
	} {
		ps = append(ps, probe{target: eventsTarget + p.op, body: p.body})
	}

	// Ferry's own endpoints.
	ctl, dash := "/_ferry/control/", "/_ferry/api/"
	ps = append(ps,
		probe{method: "GET", path: ctl + "functions/ID/events"},
		probe{method: "DELETE", path: ctl + "functions/ID/events/ID"},
		probe{method: "DELETE", path: ctl + "functions/probe/events/ID"},
		probe{method: "POST", path: ctl + "functions/ID/purge"},
		probe{method: "POST", path: ctl + "functions/ID/pause"},
		probe{method: "POST", path: ctl + "functions/ID/resume"},
		probe{method: "POST", path: ctl + "redrive", body: `{"function":ID}`},
		probe{method: "GET", path: ctl + "graph?format=ID"},
		probe{method: "GET", path: ctl + "ID"},
		probe{method: "GET", path: dash + "invocations?function=ID"},
		probe{method: "GET", path: dash + "invocations/ID"},
		probe{method: "GET", path: dash + "trace/ID"},
		probe{method: "GET", path: dash + "queues/ID/peek"},
		probe{method: "POST", path: dash + "queues/ID/purge", body: `{}`},
		probe{method: "POST", path: dash + "queues/ID/redrive", body: `{}`},
		probe{method: "POST", path: dash + "invoke", body: `{"function":ID}`},
		probe{method: "GET", path: dash + "ID"},
		probe{method: "GET", path: "/_ferry/ID"},
		probe{method: "GET", path: "/_ferry/static/ID"},
		probe{method: "GET", path: "/_ferry/logs?function=ID&requestId=ID&lines=1"},
		probe{method: "GET", path: "/healthz?x=ID"},
		probe{method: "GET", path: "/readyz"},
		probe{method: "GET", path: "/metrics"},
		probe{method: "GET", path: "/ID"},

		// The gateway: a function route with a path parameter, a proxy
		// route whose template names the topic from the request, and paths
		// that match nothing.
		probe{gateway: true, method: "GET", path: "/items/ID"},
		probe{gateway: true, method: "POST", path: "/publish?topic=ID", body: `{}`},
		probe{gateway: true, method: "POST", path: "/send", body: `{}`},
		probe{gateway: true, method: "GET", path: "/ID"},
	)
	return ps
}

// build makes the request of p with v in place of ID.
func (p probe) build(api, gw, v string) (*http.Request, error) {
	base := api
	if p.gateway {
		base = gw
	}
	path := strings.ReplaceAll(p.path, "ID", url.PathEscape(v))
	if i := strings.IndexByte(p.path, '?'); i >= 0 {
		q := url.Values{}
		for _, kv := range strings.Split(p.path[i+1:], "&") {
			k, val, _ := strings.Cut(kv, "=")
			q.Set(k, strings.ReplaceAll(val, "ID", v))
		}
		path = strings.ReplaceAll(p.path[:i], "ID", url.PathEscape(v)) + "?" + q.Encode()
	}
	if path == "" {
		path = "/"
	}
	method := p.method
	if method == "" {
		method = "POST"
	}
	var body io.Reader
	ctype := ""
	switch {
	case p.form != nil:
		f := url.Values{}
		for k, val := range p.form {
			f.Set(k, strings.ReplaceAll(val, "ID", v))
		}
		body, ctype = strings.NewReader(f.Encode()), "application/x-www-form-urlencoded"
	case p.body != "":
		str := func(x string) string { b, _ := json.Marshal(x); return string(b) }
		policy, _ := json.Marshal(map[string]any{"deadLetterTargetArn": v, "maxReceiveCount": 1})
		b := strings.ReplaceAll(p.body, "QID", str(api+"/"+acct+"/"+v))
		b = strings.ReplaceAll(b, "DLQPOLICY", str(string(policy)))
		b = strings.ReplaceAll(b, "QURL", str(api+"/"+acct+"/probeq"))
		b = strings.ReplaceAll(b, "ID", str(v))
		body, ctype = strings.NewReader(b), "application/json"
		if p.target != "" {
			ctype = "application/x-amz-json-1.0"
			if strings.HasPrefix(p.target, eventsTarget) {
				ctype = "application/x-amz-json-1.1"
			}
		}
	}
	r, err := http.NewRequest(method, base+path, body)
	if err != nil {
		return nil, err
	}
	if ctype != "" {
		r.Header.Set("Content-Type", ctype)
	}
	if p.target != "" {
		r.Header.Set("X-Amz-Target", p.target)
	}
	return r, nil
}

// idSeeds are the long and odd values every probe is sent with.
var idSeeds = []string{
	strings.Repeat("a", 4100),
	strings.Repeat("a.", 2100),
	strings.Repeat("*", 4000),
	"arn:aws:lambda:us-east-1:000000000000:function:" + strings.Repeat("f", 4000),
	strings.Repeat("b", 65),
	strings.Repeat("c", 81),
	strings.Repeat("d", 257),
	"ünïcødé-名前",
	"a\x00b",
	"%00",
	"a.b",
	"*",
	">",
	"a b",
	"../x",
	"..",
	"a/b",
	"a\r\nb",
	"",
}

// FuzzAPIIDs drives every route of the API port and the gateway with long
// and odd ids, names and path segments. A client mistake must never be
// answered 5xx, and whatever was sent, the engine must stay usable: an
// async invoke of a real function still answers 202 and runs.
func FuzzAPIIDs(f *testing.F) {
	for _, s := range idSeeds {
		f.Add(s)
	}
	m := setupWith(f, Config{ClockScale: 0.001})
	c := lambdaClient(m)
	createFunction(f, c, nodeFn("probe"))
	createQueue(f, m, "probeq")
	ctx := context.Background()
	if _, err := m.Topics.CreateTopic(ctx, "probet", nil); err != nil {
		f.Fatal(err)
	}
	err := m.setRoutes([]gateway.Route{
		{Kind: gateway.KindHTTPAPI, Method: "GET", Path: "/items/{id}", Function: "probe"},
		{Kind: gateway.KindREST, Method: "POST", Path: "/publish", Proxy: &gateway.ServiceProxy{
			Kind: gateway.ProxySNS, Target: "probet",
			RequestTemplate: "Action=Publish&TopicArn=$util.urlEncode($input.params('topic'))&Message=x",
		}},
		{Kind: gateway.KindREST, Method: "POST", Path: "/send", Proxy: &gateway.ServiceProxy{Kind: gateway.ProxySQS, Target: "probeq"}},
	})
	if err != nil {
		f.Fatal(err)
	}
	api, gw := m.APIURL(), m.Gateway.URL()
	probes := idProbes(api)
	client := &http.Client{Timeout: 10 * time.Second}
	tok := dashToken(f, m)

	f.Fuzz(func(t *testing.T, v string) {
		for _, p := range probes {
			req, err := p.build(api, gw, v)
			if err != nil {
				t.Fatalf("%s %s: %v", p.method, p.path, err)
			}
			req.Header.Set(web.TokenHeader, tok) // the dashboard's and control API's calls carry it
			resp, err := client.Do(req)
			if err != nil {
				t.Fatalf("%s %s%s: %v", req.Method, p.target, p.path, err)
			}
			b, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
			resp.Body.Close()
			if os.Getenv("FERRY_PROBE_LOG") != "" { // every answer, to review what each route says
				t.Logf("%s %s%s%v: %d %.150s", req.Method, p.target, p.path, p.form, resp.StatusCode, b)
			}
			if resp.StatusCode >= 500 {
				t.Errorf("%s %s%s%v with %.40q: %d %s", req.Method, p.target, p.path, p.form, v, resp.StatusCode, b)
			}
			if m.Engine.Conn().IsClosed() {
				t.Fatalf("%s %s%s%v with %.40q closed the engine connection", req.Method, p.target, p.path, p.form, v)
			}
		}
		checkInvokes(t, m, api)
	})
}

// checkInvokes makes an async invoke of the probe function over HTTP and
// waits for it to run.
func checkInvokes(t *testing.T, m *Main, api string) {
	t.Helper()
	req, _ := http.NewRequest("POST", api+"/2015-03-31/functions/probe/invocations", bytes.NewReader([]byte(`{"id":"after"}`)))
	req.Header.Set("X-Amz-Invocation-Type", "Event")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("async invoke after the probes: %d %s", resp.StatusCode, b)
	}
	id := resp.Header.Get("X-Amzn-RequestId")
	deadline := time.Now().Add(10 * time.Second)
	for {
		inv, err := m.History.GetInvocation(context.Background(), id)
		if err == nil && inv.Done {
			if inv.Condition != "Success" {
				t.Fatalf("invocation %s after the probes: %s %s", id, inv.Condition, inv.Response)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("invocation %s after the probes never ran (last error %v)", id, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
