package sqsapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	sqsapi "github.com/ferry-run/ferry/awsapi/sqs"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// transcript records query protocol exchanges for one golden file.
type transcript struct {
	t    *testing.T
	b    *bundle
	text strings.Builder
}

// post sends a form to path and returns the raw XML body; the exchange is
// recorded with its dynamic values replaced.
func (tr *transcript) post(path string, form url.Values, wantStatus int) string {
	tr.t.Helper()
	resp, err := tr.b.srv.Client().PostForm(tr.b.srv.URL+path, form)
	if err != nil {
		tr.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		tr.t.Fatal(err)
	}
	if resp.StatusCode != wantStatus {
		tr.t.Fatalf("%s %s: status %d, want %d: %s", path, form.Get("Action"), resp.StatusCode, wantStatus, body)
	}
	if resp.Header.Get("x-amzn-RequestId") == "" {
		tr.t.Fatalf("%s: no x-amzn-RequestId header", form.Get("Action"))
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/xml" {
		tr.t.Fatalf("%s: Content-Type %q, want text/xml", form.Get("Action"), ct)
	}
	if err := xml.Unmarshal(body, new(struct{})); err != nil {
		tr.t.Fatalf("%s: response is not XML: %v\n%s", form.Get("Action"), err, body)
	}
	fmt.Fprintf(&tr.text, "== %s %s -> %d\n%s\n\n", form.Get("Action"), path, resp.StatusCode, tr.normalize(string(body)))
	return string(body)
}

var dynamic = []struct {
	re   *regexp.Regexp
	repl string
}{
	{regexp.MustCompile(`<RequestId>[^<]*</RequestId>`), "<RequestId>REQUEST-ID</RequestId>"},
	{regexp.MustCompile(`<MessageId>[^<]*</MessageId>`), "<MessageId>MESSAGE-ID</MessageId>"},
	{regexp.MustCompile(`<ReceiptHandle>[^<]*</ReceiptHandle>`), "<ReceiptHandle>RECEIPT-HANDLE</ReceiptHandle>"},
	{regexp.MustCompile(`<TaskHandle>[^<]*</TaskHandle>`), "<TaskHandle>TASK-HANDLE</TaskHandle>"},
	{regexp.MustCompile(`<StartedTimestamp>\d+</StartedTimestamp>`), "<StartedTimestamp>TIMESTAMP</StartedTimestamp>"},
	// Unix seconds or milliseconds (CreatedTimestamp, SentTimestamp, ...).
	{regexp.MustCompile(`<Value>1[6-9]\d{8}(\d{3})?</Value>`), "<Value>TIMESTAMP</Value>"},
}

func (tr *transcript) normalize(s string) string {
	s = strings.ReplaceAll(s, tr.b.srv.URL, "http://HOST")
	for _, d := range dynamic {
		s = d.re.ReplaceAllString(s, d.repl)
	}
	// One element per line keeps the golden files readable and diffable.
	return strings.ReplaceAll(s, "><", ">\n<")
}

// check compares the transcript with testdata/<name>.golden.
func (tr *transcript) check(name string) {
	tr.t.Helper()
	path := filepath.Join("testdata", name+".golden")
	got := tr.text.String()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			tr.t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		tr.t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		tr.t.Errorf("%s differs from the golden file (run with -update after checking):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func form(kv ...string) url.Values {
	v := url.Values{"Version": {"2012-11-05"}}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v
}

var receiptRE = regexp.MustCompile(`<ReceiptHandle>([^<]*)</ReceiptHandle>`)

func receipts(t *testing.T, body string) []string {
	t.Helper()
	var out []string
	for _, m := range receiptRE.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	if len(out) == 0 {
		t.Fatalf("no receipt handle in %s", body)
	}
	return out
}

func TestQueryQueues(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tr := &transcript{t: t, b: b}
	tr.post("/", form("Action", "CreateQueue", "QueueName", "alpha",
		"Attribute.1.Name", "VisibilityTimeout", "Attribute.1.Value", "40",
		"Attribute.2.Name", "DelaySeconds", "Attribute.2.Value", "1"), 200)
	tr.post("/", form("Action", "CreateQueue", "QueueName", "alpha",
		"Attribute.1.Name", "VisibilityTimeout", "Attribute.1.Value", "41"), 400)
	tr.post("/", form("Action", "CreateQueue", "QueueName", "beta"), 200)
	tr.post("/", form("Action", "GetQueueUrl", "QueueName", "alpha"), 200)
	tr.post("/", form("Action", "GetQueueUrl", "QueueName", "missing"), 400)
	tr.post("/", form("Action", "ListQueues"), 200)
	tr.post("/", form("Action", "ListQueues", "QueueNamePrefix", "al"), 200)
	tr.post("/", form("Action", "ListQueues", "MaxResults", "1"), 200)
	tr.post("/000000000000/alpha", form("Action", "GetQueueAttributes",
		"AttributeName.1", "VisibilityTimeout", "AttributeName.2", "DelaySeconds", "AttributeName.3", "QueueArn",
		"AttributeName.4", "ApproximateNumberOfMessages"), 200)
	tr.post("/", form("Action", "SetQueueAttributes", "QueueUrl", b.srv.URL+"/000000000000/alpha",
		"Attribute.1.Name", "MessageRetentionPeriod", "Attribute.1.Value", "120"), 200)
	tr.post("/", form("Action", "GetQueueAttributes", "QueueUrl", b.srv.URL+"/000000000000/alpha",
		"AttributeName.1", "All"), 200)
	tr.post("/", form("Action", "GetQueueAttributes", "QueueUrl", "alpha", "AttributeName.1", "Nope"), 400)
	tr.post("/000000000000/alpha", form("Action", "PurgeQueue"), 200)
	tr.post("/000000000000/beta", form("Action", "DeleteQueue"), 200)
	tr.post("/000000000000/beta", form("Action", "DeleteQueue"), 400)
	tr.check("queues")
}

func TestQueryMessages(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tr := &transcript{t: t, b: b}
	tr.post("/", form("Action", "CreateQueue", "QueueName", "msgs"), 200)
	q := "/000000000000/msgs"
	tr.post(q, form("Action", "SendMessage", "MessageBody", "hello <xml> & \"quotes\"",
		"MessageAttribute.1.Name", "color", "MessageAttribute.1.Value.DataType", "String", "MessageAttribute.1.Value.StringValue", "blue",
		"MessageAttribute.2.Name", "raw", "MessageAttribute.2.Value.DataType", "Binary", "MessageAttribute.2.Value.BinaryValue", "AAEC/w==",
		"MessageSystemAttribute.1.Name", "AWSTraceHeader", "MessageSystemAttribute.1.Value.DataType", "String",
		"MessageSystemAttribute.1.Value.StringValue", "Root=1-5759e988-bd862e3fe1be46a994272793"), 200)
	body := tr.post(q, form("Action", "ReceiveMessage", "WaitTimeSeconds", "5",
		"AttributeName.1", "SenderId", "AttributeName.2", "ApproximateReceiveCount", "AttributeName.3", "AWSTraceHeader",
		"MessageAttributeName.1", "All"), 200)
	rh := receipts(t, body)[0]
	tr.post(q, form("Action", "ChangeMessageVisibility", "ReceiptHandle", rh, "VisibilityTimeout", "0"), 200)
	tr.post(q, form("Action", "ChangeMessageVisibility", "ReceiptHandle", "forged", "VisibilityTimeout", "0"), 404)
	body = tr.post(q, form("Action", "ReceiveMessage", "WaitTimeSeconds", "5", "MessageAttributeName.1", "col*",
		"MessageAttributeName.2", "color"), 200)
	rh = receipts(t, body)[0]
	tr.post(q, form("Action", "DeleteMessage", "ReceiptHandle", rh), 200)
	tr.post(q, form("Action", "DeleteMessage", "ReceiptHandle", "forged"), 404)

	tr.post(q, form("Action", "SendMessageBatch",
		"SendMessageBatchRequestEntry.1.Id", "first", "SendMessageBatchRequestEntry.1.MessageBody", "one",
		"SendMessageBatchRequestEntry.2.Id", "second", "SendMessageBatchRequestEntry.2.MessageBody", "two",
		"SendMessageBatchRequestEntry.2.MessageAttribute.1.Name", "n", "SendMessageBatchRequestEntry.2.MessageAttribute.1.Value.DataType", "Number",
		"SendMessageBatchRequestEntry.2.MessageAttribute.1.Value.StringValue", "42",
		"SendMessageBatchRequestEntry.3.Id", "third", "SendMessageBatchRequestEntry.3.MessageBody", "three",
		"SendMessageBatchRequestEntry.3.DelaySeconds", "901"), 200)
	var handles []string
	for len(handles) < 2 {
		body = tr.post(q, form("Action", "ReceiveMessage", "WaitTimeSeconds", "5", "MaxNumberOfMessages", "1"), 200)
		handles = append(handles, receipts(t, body)...)
	}
	tr.post(q, form("Action", "ChangeMessageVisibilityBatch",
		"ChangeMessageVisibilityBatchRequestEntry.1.Id", "a", "ChangeMessageVisibilityBatchRequestEntry.1.ReceiptHandle", handles[0],
		"ChangeMessageVisibilityBatchRequestEntry.1.VisibilityTimeout", "60",
		"ChangeMessageVisibilityBatchRequestEntry.2.Id", "b", "ChangeMessageVisibilityBatchRequestEntry.2.ReceiptHandle", "forged",
		"ChangeMessageVisibilityBatchRequestEntry.2.VisibilityTimeout", "60"), 200)
	tr.post(q, form("Action", "DeleteMessageBatch",
		"DeleteMessageBatchRequestEntry.1.Id", "a", "DeleteMessageBatchRequestEntry.1.ReceiptHandle", handles[0],
		"DeleteMessageBatchRequestEntry.2.Id", "b", "DeleteMessageBatchRequestEntry.2.ReceiptHandle", handles[1],
		"DeleteMessageBatchRequestEntry.3.Id", "c", "DeleteMessageBatchRequestEntry.3.ReceiptHandle", "forged"), 200)
	tr.post(q, form("Action", "ReceiveMessage"), 200)
	tr.check("messages")
}

func TestQueryRedrive(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tr := &transcript{t: t, b: b}
	tr.post("/", form("Action", "CreateQueue", "QueueName", "dead"), 200)
	tr.post("/", form("Action", "CreateQueue", "QueueName", "live", "Attribute.1.Name", "RedrivePolicy",
		"Attribute.1.Value", `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:dead","maxReceiveCount":3}`), 200)
	tr.post("/000000000000/dead", form("Action", "ListDeadLetterSourceQueues"), 200)
	tr.post("/000000000000/live", form("Action", "ListDeadLetterSourceQueues"), 200)
	tr.post("/000000000000/dead", form("Action", "SendMessage", "MessageBody", "failed job"), 200)
	tr.post("/", form("Action", "ListMessageMoveTasks", "SourceArn", "arn:aws:sqs:us-east-1:000000000000:dead"), 200)
	tr.post("/", form("Action", "StartMessageMoveTask", "SourceArn", "arn:aws:sqs:us-east-1:000000000000:dead",
		"MaxNumberOfMessagesPerSecond", "10"), 400)
	tr.post("/", form("Action", "StartMessageMoveTask", "SourceArn", "arn:aws:sqs:us-east-1:000000000000:live"), 400)
	tr.post("/", form("Action", "StartMessageMoveTask", "SourceArn", "arn:aws:sqs:us-east-1:000000000000:dead"), 200)
	tr.post("/", form("Action", "ListMessageMoveTasks", "SourceArn", "arn:aws:sqs:us-east-1:000000000000:dead", "MaxResults", "10"), 200)
	tr.post("/000000000000/live", form("Action", "ReceiveMessage", "WaitTimeSeconds", "5"), 200)
	tr.check("redrive")
}

func TestQueryTags(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tr := &transcript{t: t, b: b}
	tr.post("/", form("Action", "CreateQueue", "QueueName", "tagged"), 200)
	tr.post("/", form("Action", "CreateQueue", "QueueName", "t2", "Tag.1.Key", "team", "Tag.1.Value", "pay"), 200)
	tr.post("/000000000000/t2", form("Action", "ListQueueTags"), 200)
	tr.post("/000000000000/tagged", form("Action", "ListQueueTags"), 200)
	tr.post("/000000000000/tagged", form("Action", "TagQueue", "Tag.1.Key", "team", "Tag.1.Value", "pay"), 200)
	tr.post("/000000000000/tagged", form("Action", "ListQueueTags"), 200)
	tr.post("/000000000000/tagged", form("Action", "UntagQueue", "TagKey.1", "team"), 200)
	tr.post("/000000000000/tagged", form("Action", "ListQueueTags"), 200)
	tr.post("/000000000000/nope", form("Action", "ListQueueTags"), 400)
	tr.check("tags")
}

func TestQueryErrors(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tr := &transcript{t: t, b: b}
	tr.post("/", form("Action", "CreateQueue", "QueueName", "errs"), 200)
	q := "/000000000000/errs"
	tr.post("/", form("Action", "Frobnicate"), 400)
	tr.post("/", form(), 400)
	tr.post("/", form("Action", "SendMessage", "MessageBody", "x"), 400)
	tr.post("/", form("Action", "CreateQueue", "QueueName", "bad.name"), 400)
	tr.post("/", form("Action", "CreateQueue", "QueueName", "x", "Attribute.1.Name", "Whatever", "Attribute.1.Value", "1"), 400)
	tr.post(q, form("Action", "SendMessage"), 400)
	tr.post(q, form("Action", "SendMessage", "MessageBody", "x", "MessageGroupId", "g"), 400)
	tr.post(q, form("Action", "ReceiveMessage", "MaxNumberOfMessages", "ten"), 400)
	tr.post(q, form("Action", "ReceiveMessage", "MaxNumberOfMessages", "0"), 400)
	tr.post(q, form("Action", "DeleteMessageBatch"), 400)
	entries := url.Values{}
	for i := 1; i <= 11; i++ {
		entries.Set(fmt.Sprintf("DeleteMessageBatchRequestEntry.%d.Id", i), fmt.Sprintf("e%d", i))
		entries.Set(fmt.Sprintf("DeleteMessageBatchRequestEntry.%d.ReceiptHandle", i), "h")
	}
	entries.Set("Action", "DeleteMessageBatch")
	tr.post(q, entries, 400)
	tr.post(q, form("Action", "DeleteMessageBatch",
		"DeleteMessageBatchRequestEntry.1.Id", "same", "DeleteMessageBatchRequestEntry.1.ReceiptHandle", "h",
		"DeleteMessageBatchRequestEntry.2.Id", "same", "DeleteMessageBatchRequestEntry.2.ReceiptHandle", "h"), 400)
	tr.post(q, form("Action", "DeleteMessageBatch",
		"DeleteMessageBatchRequestEntry.1.Id", "no spaces", "DeleteMessageBatchRequestEntry.1.ReceiptHandle", "h"), 400)
	tr.post(q, form("Action", "AddPermission", "Label", "l"), 400)
	tr.post("/999999999999/errs", form("Action", "PurgeQueue"), 400)
	tr.check("errors")
}

// TestJSONWire checks the JSON 1.0 error shape and headers byte by byte.
func TestJSONWire(t *testing.T) {
	t.Parallel()
	b := setup(t)
	call := func(target, body string) (*http.Response, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, b.srv.URL+"/", bytes.NewBufferString(body))
		req.Header.Set("Content-Type", "application/x-amz-json-1.0")
		req.Header.Set("X-Amz-Target", target)
		resp, err := b.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			t.Fatalf("%s: body is not JSON: %v", target, err)
		}
		if resp.Header.Get("x-amzn-RequestId") == "" {
			t.Fatalf("%s: no x-amzn-RequestId", target)
		}
		if ct := resp.Header.Get("Content-Type"); ct != "application/x-amz-json-1.0" {
			t.Fatalf("%s: Content-Type %q", target, ct)
		}
		return resp, out
	}
	cases := []struct {
		target, body string
		status       int
		typ, query   string
	}{
		{"AmazonSQS.GetQueueUrl", `{"QueueName":"nope"}`, 400, "com.amazonaws.sqs#QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue;Sender"},
		{"AmazonSQS.Frobnicate", `{}`, 400, "com.amazon.coral.service#UnknownOperationException", "InvalidAction;Sender"},
		{"AmazonSQS.SendMessage", `{"QueueUrl":`, 400, "com.amazonaws.sqs#InvalidParameterValue", "InvalidParameterValue;Sender"},
		{"AmazonSQS.CreateQueue", `{}`, 400, "com.amazonaws.sqs#MissingParameter", "MissingParameter;Sender"},
		{"AmazonSQS.DeleteMessageBatch", `{"QueueUrl":"q","Entries":[]}`, 400, "com.amazonaws.sqs#EmptyBatchRequest", "AWS.SimpleQueueService.EmptyBatchRequest;Sender"},
	}
	for _, c := range cases {
		resp, out := call(c.target, c.body)
		if resp.StatusCode != c.status || out["__type"] != c.typ || resp.Header.Get("x-amzn-query-error") != c.query {
			t.Errorf("%s %s: status %d __type %v query-error %q; want %d %s %q", c.target, c.body, resp.StatusCode, out["__type"],
				resp.Header.Get("x-amzn-query-error"), c.status, c.typ, c.query)
		}
		if msg, _ := out["message"].(string); msg == "" {
			t.Errorf("%s: no message in %v", c.target, out)
		}
	}
	resp, out := call("AmazonSQS.CreateQueue", `{"QueueName":"wire"}`)
	if resp.StatusCode != 200 || out["QueueUrl"] != b.srv.URL+"/000000000000/wire" {
		t.Fatalf("CreateQueue: %d %v", resp.StatusCode, out)
	}
	resp, out = call("AmazonSQS.DeleteQueue", `{"QueueUrl":"wire"}`)
	if resp.StatusCode != 200 || len(out) != 0 {
		t.Fatalf("DeleteQueue: %d %v, want 200 {}", resp.StatusCode, out)
	}
}

// TestPublicURLAndGet checks Config.PublicURL in queue URLs and the query
// protocol's parameters in a GET query string.
func TestPublicURLAndGet(t *testing.T) {
	t.Parallel()
	b := setup(t)
	api := sqsapi.New(sqsapi.Config{Queues: b.svc, PublicURL: func(*http.Request) string { return "https://sqs.example.test/" }})
	srv := httptest.NewServer(api.Handler())
	t.Cleanup(srv.Close)
	resp, err := srv.Client().Get(srv.URL + "/?Action=CreateQueue&QueueName=pub&Version=2012-11-05")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		QueueURL string `xml:"CreateQueueResult>QueueUrl"`
	}
	if err := xml.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	if want := "https://sqs.example.test/000000000000/pub"; resp.StatusCode != 200 || out.QueueURL != want {
		t.Fatalf("CreateQueue by GET: %d %q, want 200 %q", resp.StatusCode, out.QueueURL, want)
	}
	// The public URL is accepted back as a QueueUrl.
	if _, err := b.client.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: aws.String(out.QueueURL), MessageBody: aws.String("x")}); err != nil {
		t.Fatal(err)
	}
}
