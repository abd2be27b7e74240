package sqsapi_test

import (
	"context"
	"errors"
	"fmt"
	"github.com/aws/smithy-go"
	"maps"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"go.uber.org/goleak"

	"github.com/ferry-run/ferry"
	sqsapi "github.com/ferry-run/ferry/awsapi/sqs"
	"github.com/ferry-run/ferry/natsjs"
	"github.com/ferry-run/ferry/queue"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// nats-server keeps a few process-wide goroutines after shutdown.
		goleak.IgnoreAnyFunction("github.com/nats-io/nats-server/v2/server.(*Server).Start.func1"),
		goleak.IgnoreAnyFunction("github.com/nats-io/nats-server/v2/server.(*ipQueue[...]).push"),
		goleak.IgnoreTopFunction("internal/poll.runtime_pollWait"),
	)
}

type bundle struct {
	svc    *queue.Service
	api    *sqsapi.API
	srv    *httptest.Server
	client *sqs.Client
}

// setup starts a real engine, queue service and API behind an HTTP server,
// and an SDK client pointed at it.
func setup(t *testing.T) *bundle {
	t.Helper()
	return setupOpts(t, queue.Options{})
}

// setupOpts is setup with queue service options (realm and secret are set).
func setupOpts(t *testing.T, opts queue.Options) *bundle {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	e := natsjs.New(natsjs.Config{DataDir: t.TempDir()})
	if err := e.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		e.Stop(ctx)
	})
	opts.Realm, opts.Secret = ferry.DefaultRealm, []byte("test-secret")
	svc := queue.New(e, opts)
	if err := svc.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := svc.Stop(ctx); err != nil {
			t.Errorf("stop queue service: %v", err)
		}
	})
	api := sqsapi.New(sqsapi.Config{Realm: ferry.DefaultRealm, Queues: svc})
	srv := httptest.NewServer(api.Handler())
	t.Cleanup(srv.Close)
	client := sqs.New(sqs.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDFERRY", "secret", ""),
		HTTPClient:   srv.Client(),
		Retryer:      aws.NopRetryer{},
	})
	return &bundle{svc: svc, api: api, srv: srv, client: client}
}

// createQueue creates a queue through the SDK and returns its URL.
func (b *bundle) createQueue(t *testing.T, name string, attrs map[string]string) string {
	t.Helper()
	out, err := b.client.CreateQueue(context.Background(), &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
	if err != nil {
		t.Fatalf("CreateQueue %s: %v", name, err)
	}
	return aws.ToString(out.QueueUrl)
}

// wantErr fails unless err is of type T.
func wantErr[T error](t *testing.T, err error) T {
	t.Helper()
	var target T
	if !errors.As(err, &target) {
		t.Fatalf("got error %v (%T), want %T", err, err, target)
	}
	return target
}

func TestQueueLifecycle(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()

	url := b.createQueue(t, "orders", map[string]string{"VisibilityTimeout": "45"})
	if want := b.srv.URL + "/000000000000/orders"; url != want {
		t.Fatalf("QueueUrl = %q, want %q", url, want)
	}
	// Same attributes again: idempotent; different: QueueNameExists.
	if got := b.createQueue(t, "orders", map[string]string{"VisibilityTimeout": "45"}); got != url {
		t.Fatalf("second CreateQueue = %q, want %q", got, url)
	}
	_, err := b.client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("orders"), Attributes: map[string]string{"VisibilityTimeout": "50"}})
	wantErr[*types.QueueNameExists](t, err)

	gu, err := b.client.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("orders")})
	if err != nil || aws.ToString(gu.QueueUrl) != url {
		t.Fatalf("GetQueueUrl = %v, %v; want %q", aws.ToString(gu.QueueUrl), err, url)
	}
	_, err = b.client.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("nope")})
	qe := wantErr[*types.QueueDoesNotExist](t, err)
	if got := qe.ErrorCode(); got != "AWS.SimpleQueueService.NonExistentQueue" {
		t.Fatalf("ErrorCode = %q, want the query-compatible code", got)
	}

	attrs, err := b.client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url),
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameAll}})
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{"VisibilityTimeout": "45", "QueueArn": "arn:aws:sqs:us-east-1:000000000000:orders",
		"DelaySeconds": "0", "ApproximateNumberOfMessages": "0"} {
		if got := attrs.Attributes[k]; got != want {
			t.Errorf("attribute %s = %q, want %q", k, got, want)
		}
	}
	_, err = b.client.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String("orders"),
		Attributes: map[string]string{"DelaySeconds": "2"}})
	if err != nil {
		t.Fatal(err)
	}
	attrs, err = b.client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url),
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameDelaySeconds, "Policy"}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(attrs.Attributes), 1; got != want || attrs.Attributes["DelaySeconds"] != "2" {
		t.Fatalf("attributes = %v, want only DelaySeconds=2", attrs.Attributes)
	}
	_, err = b.client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url),
		AttributeNames: []types.QueueAttributeName{"Bogus"}})
	wantErr[*types.InvalidAttributeName](t, err)
	_, err = b.client.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(url),
		Attributes: map[string]string{"Bogus": "1"}})
	wantErr[*types.InvalidAttributeName](t, err)
	_, err = b.client.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(url),
		Attributes: map[string]string{"VisibilityTimeout": "99999"}})
	wantErr[*types.InvalidAttributeValue](t, err)

	if _, err := b.client.PurgeQueue(ctx, &sqs.PurgeQueueInput{QueueUrl: aws.String(url)}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.client.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: aws.String(url)}); err != nil {
		t.Fatal(err)
	}
	_, err = b.client.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: aws.String(url)})
	wantErr[*types.QueueDoesNotExist](t, err)
	_, err = b.client.PurgeQueue(ctx, &sqs.PurgeQueueInput{QueueUrl: aws.String(b.srv.URL + "/123456789012/orders")})
	wantErr[*types.QueueDoesNotExist](t, err)
}

func TestListQueues(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	for _, n := range []string{"a-1", "a-2", "a-3", "b-1"} {
		b.createQueue(t, n, nil)
	}
	all, err := b.client.ListQueues(ctx, &sqs.ListQueuesInput{QueueNamePrefix: aws.String("a-")})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(all.QueueUrls), 3; got != want || all.NextToken != nil {
		t.Fatalf("ListQueues = %v (next %v), want 3 URLs and no token", all.QueueUrls, all.NextToken)
	}
	var got []string
	p := sqs.NewListQueuesPaginator(b.client, &sqs.ListQueuesInput{MaxResults: aws.Int32(2)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(page.QueueUrls) > 2 {
			t.Fatalf("page of %d, want at most 2", len(page.QueueUrls))
		}
		got = append(got, page.QueueUrls...)
	}
	want := []string{"a-1", "a-2", "a-3", "b-1"}
	if len(got) != len(want) {
		t.Fatalf("paginated %v, want %v", got, want)
	}
	for i, n := range want {
		if got[i] != b.srv.URL+"/000000000000/"+n {
			t.Errorf("url %d = %q, want queue %s", i, got[i], n)
		}
	}
	_, err = b.client.ListQueues(ctx, &sqs.ListQueuesInput{MaxResults: aws.Int32(1001)})
	if err == nil {
		t.Fatal("MaxResults 1001 accepted")
	}
}

func TestSendReceiveDelete(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	url := b.createQueue(t, "work", nil)

	sent, err := b.client.SendMessage(ctx, &sqs.SendMessageInput{
		QueueUrl:    aws.String(url),
		MessageBody: aws.String("hello <world> & \"friends\"\n"),
		MessageAttributes: map[string]types.MessageAttributeValue{
			"color":    {DataType: aws.String("String"), StringValue: aws.String("red")},
			"count":    {DataType: aws.String("Number"), StringValue: aws.String("3")},
			"blob":     {DataType: aws.String("Binary"), BinaryValue: []byte{0, 1, 2, 255}},
			"meta.tag": {DataType: aws.String("String.custom"), StringValue: aws.String("x")},
		},
		MessageSystemAttributes: map[string]types.MessageSystemAttributeValue{
			"AWSTraceHeader": {DataType: aws.String("String"), StringValue: aws.String("Root=1-abc")},
		},
	})
	if err != nil {
		t.Fatal(err) // the SDK also checks MD5OfMessageBody
	}
	if aws.ToString(sent.MessageId) == "" || aws.ToString(sent.MD5OfMessageAttributes) == "" || aws.ToString(sent.MD5OfMessageSystemAttributes) == "" {
		t.Fatalf("SendMessage output %+v lacks id or checksums", sent)
	}

	got, err := b.client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
		QueueUrl:                    aws.String(url),
		MaxNumberOfMessages:         10,
		WaitTimeSeconds:             5,
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
		MessageAttributeNames:       []string{"All"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Messages) != 1 {
		t.Fatalf("received %d messages, want 1", len(got.Messages))
	}
	m := got.Messages[0]
	if aws.ToString(m.MessageId) != aws.ToString(sent.MessageId) || aws.ToString(m.Body) != "hello <world> & \"friends\"\n" {
		t.Fatalf("message %+v does not match the one sent", m)
	}
	if got, want := aws.ToString(m.MD5OfMessageAttributes), aws.ToString(sent.MD5OfMessageAttributes); got != want {
		t.Errorf("MD5OfMessageAttributes on receive = %s, want %s", got, want)
	}
	if got := m.MessageAttributes["blob"].BinaryValue; string(got) != "\x00\x01\x02\xff" {
		t.Errorf("binary attribute = %v", got)
	}
	for k, want := range map[string]string{"ApproximateReceiveCount": "1", "SenderId": "000000000000", "AWSTraceHeader": "Root=1-abc"} {
		if got := m.Attributes[k]; got != want {
			t.Errorf("system attribute %s = %q, want %q", k, got, want)
		}
	}
	if m.Attributes["SentTimestamp"] == "" || m.Attributes["ApproximateFirstReceiveTimestamp"] == "" {
		t.Errorf("timestamps missing in %v", m.Attributes)
	}

	// Receipt handles: a made-up one is refused, the real one deletes.
	_, err = b.client.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: aws.String("bogus")})
	wantErr[*types.ReceiptHandleIsInvalid](t, err)
	_, err = b.client.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url), ReceiptHandle: aws.String("bogus"), VisibilityTimeout: 5})
	wantErr[*types.ReceiptHandleIsInvalid](t, err)
	if _, err := b.client.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle}); err != nil {
		t.Fatal(err)
	}
	attrs, err := b.client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url),
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameApproximateNumberOfMessages, types.QueueAttributeNameApproximateNumberOfMessagesNotVisible}})
	if err != nil {
		t.Fatal(err)
	}
	if attrs.Attributes["ApproximateNumberOfMessages"] != "0" || attrs.Attributes["ApproximateNumberOfMessagesNotVisible"] != "0" {
		t.Fatalf("after delete: %v", attrs.Attributes)
	}
	_, err = b.client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String("missing"), MessageBody: aws.String("x")})
	wantErr[*types.QueueDoesNotExist](t, err)
}

func TestReceiveAttributeFilters(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	url := b.createQueue(t, "filters", nil)
	str := func(s string) types.MessageAttributeValue {
		return types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(s)}
	}
	_, err := b.client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("b"),
		MessageAttributes: map[string]types.MessageAttributeValue{"app.id": str("1"), "app.env": str("prod"), "other": str("o")}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := b.client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), WaitTimeSeconds: 5,
		MessageAttributeNames:       []string{"app.*"},
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameApproximateReceiveCount}})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Messages) != 1 {
		t.Fatalf("received %d messages, want 1", len(got.Messages))
	}
	m := got.Messages[0]
	if len(m.MessageAttributes) != 2 || m.MessageAttributes["other"].StringValue != nil {
		t.Fatalf("prefix filter returned %v", m.MessageAttributes)
	}
	if len(m.Attributes) != 1 || m.Attributes["ApproximateReceiveCount"] != "1" {
		t.Fatalf("system attributes = %v, want only ApproximateReceiveCount", m.Attributes)
	}
	// No names asked: none returned, and no attribute checksum.
	if _, err := b.client.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0}); err != nil {
		t.Fatal(err)
	}
	got, err = b.client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), WaitTimeSeconds: 5})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Messages) != 1 || got.Messages[0].MessageAttributes != nil || got.Messages[0].Attributes != nil || got.Messages[0].MD5OfMessageAttributes != nil {
		t.Fatalf("unfiltered receive = %+v", got.Messages)
	}
	_, err = b.client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 11})
	if err == nil {
		t.Fatal("MaxNumberOfMessages 11 accepted")
	}
	// The deprecated AttributeNames is still sent by older clients.
	//lint:ignore SA1019 the deprecated field is what is under test
	_, err = b.client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), AttributeNames: []types.QueueAttributeName{"Bogus"}})
	wantErr[*types.InvalidAttributeName](t, err)
}

func TestBatches(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	url := b.createQueue(t, "batch", nil)
	entry := func(id, body string) types.SendMessageBatchRequestEntry {
		return types.SendMessageBatchRequestEntry{Id: aws.String(id), MessageBody: aws.String(body)}
	}
	sent, err := b.client.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: []types.SendMessageBatchRequestEntry{
		entry("a", "one"), entry("b", "two"), entry("c", ""),
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(sent.Successful) != 2 || len(sent.Failed) != 1 || aws.ToString(sent.Failed[0].Id) != "c" || !sent.Failed[0].SenderFault {
		t.Fatalf("SendMessageBatch = %+v", sent)
	}
	var many []types.SendMessageBatchRequestEntry
	for i := range 11 {
		many = append(many, entry(string(rune('a'+i)), "x"))
	}
	_, err = b.client.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: many})
	wantErr[*types.TooManyEntriesInBatchRequest](t, err)
	_, err = b.client.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: []types.SendMessageBatchRequestEntry{entry("a", "1"), entry("a", "2")}})
	wantErr[*types.BatchEntryIdsNotDistinct](t, err)
	_, err = b.client.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: []types.SendMessageBatchRequestEntry{entry("bad id!", "1")}})
	wantErr[*types.InvalidBatchEntryId](t, err)
	_, err = b.client.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(url), Entries: []types.DeleteMessageBatchRequestEntry{}})
	wantErr[*types.EmptyBatchRequest](t, err)
	if err := b.svc.SetQueueAttributes(ctx, "batch", map[string]string{"MaximumMessageSize": "1024"}); err != nil {
		t.Fatal(err)
	}
	big := make([]byte, 600)
	for i := range big {
		big[i] = 'x'
	}
	_, err = b.client.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: []types.SendMessageBatchRequestEntry{entry("a", string(big)), entry("b", string(big))}})
	wantErr[*types.BatchRequestTooLong](t, err)

	recv, err := b.client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10, WaitTimeSeconds: 5})
	if err != nil {
		t.Fatal(err)
	}
	for len(recv.Messages) < 2 {
		more, err := b.client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10, WaitTimeSeconds: 5})
		if err != nil {
			t.Fatal(err)
		}
		if len(more.Messages) == 0 {
			t.Fatalf("received %d messages, want 2", len(recv.Messages))
		}
		recv.Messages = append(recv.Messages, more.Messages...)
	}
	vis, err := b.client.ChangeMessageVisibilityBatch(ctx, &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: aws.String(url), Entries: []types.ChangeMessageVisibilityBatchRequestEntry{
		{Id: aws.String("m0"), ReceiptHandle: recv.Messages[0].ReceiptHandle, VisibilityTimeout: 60},
		{Id: aws.String("bad"), ReceiptHandle: aws.String("nope"), VisibilityTimeout: 60},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(vis.Successful) != 1 || len(vis.Failed) != 1 || aws.ToString(vis.Failed[0].Code) != "ReceiptHandleIsInvalid" {
		t.Fatalf("ChangeMessageVisibilityBatch = %+v", vis)
	}
	del, err := b.client.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(url), Entries: []types.DeleteMessageBatchRequestEntry{
		{Id: aws.String("m0"), ReceiptHandle: recv.Messages[0].ReceiptHandle},
		{Id: aws.String("m1"), ReceiptHandle: recv.Messages[1].ReceiptHandle},
		{Id: aws.String("bad"), ReceiptHandle: aws.String("nope")},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(del.Successful) != 2 || len(del.Failed) != 1 || aws.ToString(del.Failed[0].Id) != "bad" {
		t.Fatalf("DeleteMessageBatch = %+v", del)
	}
}

func TestDeadLetterRedrive(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	dlq := b.createQueue(t, "jobs-dlq", nil)
	src := b.createQueue(t, "jobs", map[string]string{
		"RedrivePolicy": `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:jobs-dlq","maxReceiveCount":"1"}`,
	})
	srcs, err := b.client.ListDeadLetterSourceQueues(ctx, &sqs.ListDeadLetterSourceQueuesInput{QueueUrl: aws.String(dlq)})
	if err != nil {
		t.Fatal(err)
	}
	if len(srcs.QueueUrls) != 1 || srcs.QueueUrls[0] != src {
		t.Fatalf("ListDeadLetterSourceQueues = %v, want [%s]", srcs.QueueUrls, src)
	}
	if _, err := b.client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(src), MessageBody: aws.String("poison")}); err != nil {
		t.Fatal(err)
	}
	// The first receive is made visible again at once; the second moves
	// the message to the DLQ.
	got, err := b.client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(src), WaitTimeSeconds: 5})
	if err != nil || len(got.Messages) != 1 {
		t.Fatalf("first receive: %v, %v", got, err)
	}
	if _, err := b.client.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(src), ReceiptHandle: got.Messages[0].ReceiptHandle}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		r, err := b.client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(src), WaitTimeSeconds: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Messages) > 0 {
			t.Fatalf("message received again past maxReceiveCount: %+v", r.Messages)
		}
		n := approxMessages(t, b, dlq)
		if n == "1" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("DLQ has %s messages, want 1", n)
		}
	}

	_, err = b.client.StartMessageMoveTask(ctx, &sqs.StartMessageMoveTaskInput{SourceArn: aws.String("arn:aws:sqs:us-east-1:000000000000:nope")})
	wantErr[*types.ResourceNotFoundException](t, err)
	_, err = b.client.StartMessageMoveTask(ctx, &sqs.StartMessageMoveTaskInput{SourceArn: aws.String("arn:aws:sqs:us-east-1:000000000000:jobs")})
	if err == nil {
		t.Fatal("a move task from a queue that is no dead-letter queue was accepted")
	}
	task, err := b.client.StartMessageMoveTask(ctx, &sqs.StartMessageMoveTaskInput{SourceArn: aws.String("arn:aws:sqs:us-east-1:000000000000:jobs-dlq")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(task.TaskHandle) == "" {
		t.Fatal("no TaskHandle")
	}
	tasks, err := b.client.ListMessageMoveTasks(ctx, &sqs.ListMessageMoveTasksInput{SourceArn: aws.String("arn:aws:sqs:us-east-1:000000000000:jobs-dlq")})
	if err != nil {
		t.Fatal(err)
	}
	if len(tasks.Results) != 1 {
		t.Fatalf("ListMessageMoveTasks = %+v, want 1 task", tasks.Results)
	}
	r := tasks.Results[0]
	if aws.ToString(r.Status) != "COMPLETED" || r.ApproximateNumberOfMessagesMoved != 1 || r.StartedTimestamp == 0 {
		t.Fatalf("task = status %s moved %d started %d", aws.ToString(r.Status), r.ApproximateNumberOfMessagesMoved, r.StartedTimestamp)
	}
	back, err := b.client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(src), WaitTimeSeconds: 5})
	if err != nil || len(back.Messages) != 1 || aws.ToString(back.Messages[0].Body) != "poison" {
		t.Fatalf("after redrive: %+v, %v", back, err)
	}
	_, err = b.client.CancelMessageMoveTask(ctx, &sqs.CancelMessageMoveTaskInput{TaskHandle: task.TaskHandle})
	wantErr[*types.ResourceNotFoundException](t, err)
}

func approxMessages(t *testing.T, b *bundle, url string) string {
	t.Helper()
	a, err := b.client.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url),
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameApproximateNumberOfMessages}})
	if err != nil {
		t.Fatal(err)
	}
	return a.Attributes["ApproximateNumberOfMessages"]
}

func TestTags(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	url := b.createQueue(t, "tagged", nil)
	tags, err := b.client.ListQueueTags(ctx, &sqs.ListQueueTagsInput{QueueUrl: aws.String(url)})
	if err != nil || len(tags.Tags) != 0 {
		t.Fatalf("ListQueueTags = %v, %v; want no tags", tags, err)
	}
	if _, err := b.client.TagQueue(ctx, &sqs.TagQueueInput{QueueUrl: aws.String(url), Tags: map[string]string{"team": "pay", "env": "dev"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.client.UntagQueue(ctx, &sqs.UntagQueueInput{QueueUrl: aws.String(url), TagKeys: []string{"env"}}); err != nil {
		t.Fatal(err)
	}
	tags, err = b.client.ListQueueTags(ctx, &sqs.ListQueueTagsInput{QueueUrl: aws.String(url)})
	if err != nil || !maps.Equal(tags.Tags, map[string]string{"team": "pay"}) {
		t.Fatalf("ListQueueTags = %v, %v; want team=pay", tags.Tags, err)
	}
	t2, err := b.client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("t2"), Tags: map[string]string{"cost": "42"}})
	if err != nil {
		t.Fatal(err)
	}
	tags, err = b.client.ListQueueTags(ctx, &sqs.ListQueueTagsInput{QueueUrl: t2.QueueUrl})
	if err != nil || !maps.Equal(tags.Tags, map[string]string{"cost": "42"}) {
		t.Fatalf("ListQueueTags(t2) = %v, %v; want the CreateQueue tags", tags.Tags, err)
	}
	// A queue deleted and created again starts without the old tags.
	if _, err := b.client.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: t2.QueueUrl}); err != nil {
		t.Fatal(err)
	}
	t2, err = b.client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("t2")})
	if err != nil {
		t.Fatal(err)
	}
	tags, err = b.client.ListQueueTags(ctx, &sqs.ListQueueTagsInput{QueueUrl: t2.QueueUrl})
	if err != nil || len(tags.Tags) != 0 {
		t.Fatalf("ListQueueTags(new t2) = %v, %v; want none", tags.Tags, err)
	}
	many := map[string]string{}
	for i := range 51 {
		many[fmt.Sprintf("k%d", i)] = "v"
	}
	_, err = b.client.TagQueue(ctx, &sqs.TagQueueInput{QueueUrl: aws.String(url), Tags: many})
	if ae := wantErr[smithy.APIError](t, err); ae.ErrorCode() != "InvalidParameterValue" {
		t.Errorf("51 tags: error code %q, want InvalidParameterValue", ae.ErrorCode())
	}
	_, err = b.client.ListQueueTags(ctx, &sqs.ListQueueTagsInput{QueueUrl: aws.String("gone")})
	if e := wantErr[*types.QueueDoesNotExist](t, err); e.ErrorMessage() != "The specified queue does not exist." {
		t.Errorf("QueueDoesNotExist message %q, want SQS's wording", e.ErrorMessage())
	}
}

func TestRoutingPredicates(t *testing.T) {
	t.Parallel()
	api := sqsapi.New(sqsapi.Config{})
	for target, want := range map[string]bool{"AmazonSQS.SendMessage": true, "AmazonSQS.Bogus": true, "AmazonSQS.": false,
		"AWSEvents.PutEvents": false, "": false} {
		if got := api.JSONTarget(target); got != want {
			t.Errorf("JSONTarget(%q) = %v, want %v", target, got, want)
		}
	}
	for action, want := range map[string]bool{"SendMessage": true, "ReceiveMessage": true, "ListMessageMoveTasks": true,
		"Publish": false, "AddPermission": false, "CreateTopic": false, "": false} {
		if got := api.QueryAction(action); got != want {
			t.Errorf("QueryAction(%q) = %v, want %v", action, got, want)
		}
	}
}
