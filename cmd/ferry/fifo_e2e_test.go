package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
)

func fifoClients(m *Main) (*sqs.Client, *sns.Client, *lambda.Client) {
	creds := credentials.NewStaticCredentialsProvider("test", "test", "")
	ep := aws.String(m.APIURL())
	return sqs.New(sqs.Options{Region: "us-east-1", BaseEndpoint: ep, Credentials: creds, RetryMaxAttempts: 1}),
		sns.New(sns.Options{Region: "us-east-1", BaseEndpoint: ep, Credentials: creds, RetryMaxAttempts: 1}),
		lambda.New(lambda.Options{Region: "us-east-1", BaseEndpoint: ep, Credentials: creds, RetryMaxAttempts: 1})
}

func wantAPIError(t *testing.T, err error, code, text string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != code || !strings.Contains(ae.ErrorMessage(), text) {
		t.Fatalf("got %v, want %s containing %q", err, code, text)
	}
}

func fifoQueue(t *testing.T, qc *sqs.Client, name string, attrs map[string]string) (url, arn string) {
	t.Helper()
	a := map[string]string{"FifoQueue": "true"}
	for k, v := range attrs {
		a[k] = v
	}
	out, err := qc.CreateQueue(context.Background(), &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: a})
	if err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	return aws.ToString(out.QueueUrl), "arn:aws:sqs:us-east-1:000000000000:" + name
}

// TestFifoTopicFanOutToFifoQueues publishes to a FIFO topic concurrently in
// several groups; each subscribed FIFO queue receives every message once,
// each group in publish order, and a republish inside the deduplication
// window is delivered nowhere.
func TestFifoTopicFanOutToFifoQueues(t *testing.T) {
	t.Parallel()
	m := setup(t, 1)
	ctx := context.Background()
	qc, tc, _ := fifoClients(m)

	rawURL, rawARN := fifoQueue(t, qc, "raw.fifo", nil)
	envURL, envARN := fifoQueue(t, qc, "env.fifo", nil)
	std, err := qc.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("std")})
	if err != nil {
		t.Fatal(err)
	}
	_ = std

	_, err = tc.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("orders.fifo")})
	wantAPIError(t, err, "InvalidParameter", "FifoTopic=true")
	top, err := tc.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("orders.fifo"), Attributes: map[string]string{"FifoTopic": "true"}})
	if err != nil {
		t.Fatal(err)
	}
	topicARN := aws.ToString(top.TopicArn)
	ta, err := tc.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: top.TopicArn})
	if err != nil || ta.Attributes["FifoTopic"] != "true" || ta.Attributes["ContentBasedDeduplication"] != "false" {
		t.Fatalf("topic attributes %v, %v", ta, err)
	}
	plain, err := tc.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("plain")})
	if err != nil {
		t.Fatal(err)
	}

	// SNS pairs FIFO topics with SQS FIFO queues only.
	_, err = tc.Subscribe(ctx, &sns.SubscribeInput{TopicArn: top.TopicArn, Protocol: aws.String("sqs"), Endpoint: aws.String("arn:aws:sqs:us-east-1:000000000000:std")})
	wantAPIError(t, err, "InvalidParameter", "Please use FIFO SQS queue")
	_, err = tc.Subscribe(ctx, &sns.SubscribeInput{TopicArn: top.TopicArn, Protocol: aws.String("lambda"), Endpoint: aws.String("arn:aws:lambda:us-east-1:000000000000:function:f")})
	wantAPIError(t, err, "InvalidParameter", "only SQS FIFO queues")
	_, err = tc.Subscribe(ctx, &sns.SubscribeInput{TopicArn: plain.TopicArn, Protocol: aws.String("sqs"), Endpoint: aws.String(rawARN)})
	wantAPIError(t, err, "InvalidParameter", "FIFO SQS Queues can not be subscribed to standard SNS topics")
	for _, s := range []struct {
		arn string
		raw string
	}{{rawARN, "true"}, {envARN, "false"}} {
		if _, err := tc.Subscribe(ctx, &sns.SubscribeInput{TopicArn: top.TopicArn, Protocol: aws.String("sqs"), Endpoint: aws.String(s.arn),
			Attributes: map[string]string{"RawMessageDelivery": s.raw}}); err != nil {
			t.Fatal(err)
		}
	}

	_, err = tc.Publish(ctx, &sns.PublishInput{TopicArn: top.TopicArn, Message: aws.String("x"), MessageDeduplicationId: aws.String("d")})
	wantAPIError(t, err, "InvalidParameter", "MessageGroupId parameter is required for FIFO topics")
	_, err = tc.Publish(ctx, &sns.PublishInput{TopicArn: top.TopicArn, Message: aws.String("x"), MessageGroupId: aws.String("g")})
	wantAPIError(t, err, "InvalidParameter", "ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly")
	_, err = tc.Publish(ctx, &sns.PublishInput{TopicArn: plain.TopicArn, Message: aws.String("x"), MessageDeduplicationId: aws.String("d")})
	wantAPIError(t, err, "InvalidParameter", "not valid for this topic type")

	const groups, perGroup = 3, 10
	var wg sync.WaitGroup
	firstSeq := make([]string, groups)
	for g := range groups {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perGroup {
				out, err := tc.Publish(ctx, &sns.PublishInput{TopicArn: aws.String(topicARN), Message: aws.String(fmt.Sprintf("g%d-%d", g, i)),
					MessageGroupId: aws.String(fmt.Sprint("g", g)), MessageDeduplicationId: aws.String(fmt.Sprintf("g%d-%d", g, i))})
				if err != nil {
					t.Error(err)
					return
				}
				if i == 0 {
					firstSeq[g] = aws.ToString(out.SequenceNumber)
				}
			}
		}()
	}
	wg.Wait()
	// A republish inside the window answers with the first copy.
	again, err := tc.Publish(ctx, &sns.PublishInput{TopicArn: aws.String(topicARN), Message: aws.String("g0-0"), MessageGroupId: aws.String("g0"), MessageDeduplicationId: aws.String("g0-0")})
	if err != nil || aws.ToString(again.SequenceNumber) != firstSeq[0] || firstSeq[0] == "" {
		t.Fatalf("republish: %v %v, first sequence %s", again, err, firstSeq[0])
	}

	for _, q := range []struct {
		url string
		raw bool
	}{{rawURL, true}, {envURL, false}} {
		got := map[string][]string{}
		total := 0
		deadline := time.Now().Add(15 * time.Second)
		for total < groups*perGroup && time.Now().Before(deadline) {
			out, err := qc.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(q.url), MaxNumberOfMessages: 10, WaitTimeSeconds: 1,
				MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll}})
			if err != nil {
				t.Fatal(err)
			}
			for _, msg := range out.Messages {
				body := aws.ToString(msg.Body)
				if !q.raw {
					var env struct{ Message, SequenceNumber, TopicArn string }
					if err := json.Unmarshal([]byte(body), &env); err != nil || env.SequenceNumber == "" || env.TopicArn != topicARN {
						t.Fatalf("envelope %s: %v", body, err)
					}
					body = env.Message
				}
				g := msg.Attributes["MessageGroupId"]
				if !strings.HasPrefix(body, g+"-") {
					t.Fatalf("message %s in group %s", body, g)
				}
				got[g] = append(got[g], body)
				total++
				if _, err := qc.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(q.url), ReceiptHandle: msg.ReceiptHandle}); err != nil {
					t.Fatal(err)
				}
			}
		}
		for g := range groups {
			var want []string
			for i := range perGroup {
				want = append(want, fmt.Sprintf("g%d-%d", g, i))
			}
			if strings.Join(got[fmt.Sprint("g", g)], ",") != strings.Join(want, ",") {
				t.Fatalf("queue %s group g%d: %v", q.url, g, got[fmt.Sprint("g", g)])
			}
		}
		// Nothing more: the republish was not delivered.
		out, err := qc.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(q.url), WaitTimeSeconds: 1})
		if err != nil || len(out.Messages) != 0 {
			t.Fatalf("after all messages: %v %v", out, err)
		}
	}
}

// fifoLogger is a Node.js function that logs "start"/"done"/"fail" lines
// with each record's group and body to LOG, taking 80 ms per record; it
// fails the first receive of the body in FAIL.
const fifoLogger = `
const fs = require('fs');
exports.handler = async (event) => {
  for (const r of event.Records) {
    const g = r.attributes.MessageGroupId;
    fs.appendFileSync(process.env.LOG, 'start ' + g + ' ' + r.body + ' ' + r.attributes.SequenceNumber + '\n');
    await new Promise((res) => setTimeout(res, 80));
    if (r.body === process.env.FAIL && r.attributes.ApproximateReceiveCount === '1') {
      fs.appendFileSync(process.env.LOG, 'fail ' + g + ' ' + r.body + '\n');
      throw new Error('first try of ' + r.body);
    }
    fs.appendFileSync(process.env.LOG, 'done ' + g + ' ' + r.body + '\n');
  }
  return {};
};
`

// TestFifoQueueTriggerKeepsGroupOrder runs a function from a FIFO queue
// with several pollers: each group's messages are processed in order, never
// two of one group at once, and a failed message is retried before the
// ones after it in its group.
func TestFifoQueueTriggerKeepsGroupOrder(t *testing.T) {
	t.Parallel()
	m := setup(t, 1)
	ctx := context.Background()
	qc, _, lc := fifoClients(m)
	url, arn := fifoQueue(t, qc, "jobs.fifo", map[string]string{"VisibilityTimeout": "5", "ContentBasedDeduplication": "true"})
	logPath := filepath.Join(t.TempDir(), "log")
	f := fnSpec{name: "worker", runtime: "nodejs20.x", handler: "index.handler",
		timeout: 5, zip: zipFiles(map[string]string{"index.js": fifoLogger}, 0o644), env: map[string]string{"LOG": logPath, "FAIL": "g1-2"}}
	createFunction(t, lc, f)

	const groups, perGroup = 4, 6
	for i := range perGroup {
		var entries []sqstypes.SendMessageBatchRequestEntry
		for g := range groups {
			entries = append(entries, sqstypes.SendMessageBatchRequestEntry{Id: aws.String(fmt.Sprint("e", g)),
				MessageBody: aws.String(fmt.Sprintf("g%d-%d", g, i)), MessageGroupId: aws.String(fmt.Sprint("g", g))})
		}
		if out, err := qc.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: entries}); err != nil || len(out.Failed) > 0 {
			t.Fatalf("send: %v %v", out, err)
		}
	}
	if _, err := lc.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{
		EventSourceArn: aws.String(arn), FunctionName: aws.String("worker"), BatchSize: aws.Int32(1),
	}); err != nil {
		t.Fatal(err)
	}

	var lines []string
	began := time.Now()
	defer func() { t.Logf("processed in %v", time.Since(began)) }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		b, _ := os.ReadFile(logPath)
		lines = strings.Split(strings.TrimSpace(string(b)), "\n")
		if strings.Count(string(b), "done ") >= groups*perGroup || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	busy := map[string]string{}
	done := map[string][]string{}
	overlapAcrossGroups := false
	failed := false
	for _, l := range lines {
		fs := strings.Fields(l)
		if len(fs) < 3 {
			t.Fatalf("log line %q", l)
		}
		kind, g, body := fs[0], fs[1], fs[2]
		switch kind {
		case "start":
			if b, ok := busy[g]; ok {
				t.Fatalf("group %s: %s started while %s runs\n%s", g, body, b, strings.Join(lines, "\n"))
			}
			if len(busy) > 0 {
				overlapAcrossGroups = true
			}
			busy[g] = body
		case "done", "fail":
			delete(busy, g)
			if kind == "done" {
				done[g] = append(done[g], body)
			} else {
				failed = true
			}
		}
	}
	for g := range groups {
		var want []string
		for i := range perGroup {
			want = append(want, fmt.Sprintf("g%d-%d", g, i))
		}
		if got := strings.Join(done[fmt.Sprint("g", g)], ","); got != strings.Join(want, ",") {
			t.Fatalf("group g%d processed %s, want %s\n%s", g, got, strings.Join(want, ","), strings.Join(lines, "\n"))
		}
	}
	if !failed {
		t.Fatal("the failing message never failed")
	}
	if !overlapAcrossGroups {
		t.Fatalf("no two groups ran at once: the test did not exercise concurrency\n%s", strings.Join(lines, "\n"))
	}
}
