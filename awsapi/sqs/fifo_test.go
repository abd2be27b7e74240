package sqsapi_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"

	"github.com/ferry-run/ferry/queue"
)

// wantCode fails unless err is an API error with code and (when given) a
// message containing text.
func wantCode(t *testing.T, err error, code, text string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("got %v (%T), want API error %s", err, err, code)
	}
	if ae.ErrorCode() != code || !strings.Contains(ae.ErrorMessage(), text) {
		t.Fatalf("got %s %q, want %s containing %q", ae.ErrorCode(), ae.ErrorMessage(), code, text)
	}
}

func fifoAttrs(extra map[string]string) map[string]string {
	a := map[string]string{"FifoQueue": "true"}
	for k, v := range extra {
		a[k] = v
	}
	return a
}

func TestFifoQueueAttributes(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()

	_, err := b.client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("plain.fifo")})
	wantCode(t, err, "InvalidAttributeValue", "FifoQueue=true")
	_, err = b.client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("plain"), Attributes: fifoAttrs(nil)})
	wantCode(t, err, "InvalidAttributeValue", "must end with .fifo")
	_, err = b.client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("plain"), Attributes: map[string]string{"ContentBasedDeduplication": "true"}})
	wantCode(t, err, "InvalidAttributeValue", "ContentBasedDeduplication")
	_, err = b.client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("bad.fifo"), Attributes: fifoAttrs(map[string]string{"DeduplicationScope": "everything"})})
	wantCode(t, err, "InvalidAttributeValue", "DeduplicationScope")

	url := b.createQueue(t, "orders.fifo", fifoAttrs(nil))
	if !strings.HasSuffix(url, "/orders.fifo") {
		t.Fatalf("queue URL %s", url)
	}
	got, err := b.client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameAll}})
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "false", "DeduplicationScope": "queue", "FifoThroughputLimit": "perQueue"} {
		if got.Attributes[k] != want {
			t.Errorf("%s = %q, want %q", k, got.Attributes[k], want)
		}
	}
	// High throughput mode is accepted, stored and returned.
	_, err = b.client.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(url), Attributes: map[string]string{
		"DeduplicationScope": "messageGroup", "FifoThroughputLimit": "perMessageGroupId", "ContentBasedDeduplication": "true"}})
	if err != nil {
		t.Fatal(err)
	}
	got, err = b.client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: []types.QueueAttributeName{"DeduplicationScope", "FifoThroughputLimit", "ContentBasedDeduplication"}})
	if err != nil {
		t.Fatal(err)
	}
	if got.Attributes["DeduplicationScope"] != "messageGroup" || got.Attributes["FifoThroughputLimit"] != "perMessageGroupId" || got.Attributes["ContentBasedDeduplication"] != "true" {
		t.Fatalf("attributes after set: %v", got.Attributes)
	}
	_, err = b.client.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(url), Attributes: map[string]string{"FifoQueue": "false"}})
	wantCode(t, err, "InvalidAttributeValue", "cannot be changed")
	// Creating it again with its attributes returns it.
	if _, err := b.client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("orders.fifo"), Attributes: fifoAttrs(map[string]string{"DeduplicationScope": "messageGroup"})}); err != nil {
		t.Fatalf("idempotent create: %v", err)
	}
	// A FIFO queue's dead-letter queue is a FIFO queue.
	std := b.createQueue(t, "std-dlq", nil)
	arn := queueArn(t, b, std)
	_, err = b.client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("x.fifo"), Attributes: fifoAttrs(map[string]string{
		"RedrivePolicy": `{"deadLetterTargetArn":"` + arn + `","maxReceiveCount":1}`})})
	wantCode(t, err, "InvalidAttributeValue", "FIFO")
}

func queueArn(t *testing.T, b *bundle, url string) string {
	t.Helper()
	a, err := b.client.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameQueueArn}})
	if err != nil {
		t.Fatal(err)
	}
	return a.Attributes["QueueArn"]
}

func TestFifoSendErrors(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	url := b.createQueue(t, "e.fifo", fifoAttrs(nil))
	std := b.createQueue(t, "e-std", nil)

	_, err := b.client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("x"), MessageDeduplicationId: aws.String("d")})
	wantCode(t, err, "MissingParameter", "The request must contain the parameter MessageGroupId.")
	_, err = b.client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("x"), MessageGroupId: aws.String("g")})
	wantCode(t, err, "InvalidParameterValue", "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly")
	_, err = b.client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("x"), MessageGroupId: aws.String("g"), MessageDeduplicationId: aws.String("d"), DelaySeconds: 5})
	wantCode(t, err, "InvalidParameterValue", "Value 5 for parameter DelaySeconds is invalid")
	_, err = b.client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("x"), MessageGroupId: aws.String("g"), MessageDeduplicationId: aws.String("bad id")})
	wantCode(t, err, "InvalidParameterValue", "MessageDeduplicationId")
	_, err = b.client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(std), MessageBody: aws.String("x"), MessageDeduplicationId: aws.String("d")})
	wantCode(t, err, "InvalidParameterValue", "not valid for this queue type")

	// In a batch, each entry fails on its own.
	out, err := b.client.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: []types.SendMessageBatchRequestEntry{
		{Id: aws.String("ok"), MessageBody: aws.String("a"), MessageGroupId: aws.String("g"), MessageDeduplicationId: aws.String("1")},
		{Id: aws.String("nogroup"), MessageBody: aws.String("b"), MessageDeduplicationId: aws.String("2")},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Successful) != 1 || len(out.Failed) != 1 || aws.ToString(out.Failed[0].Code) != "MissingParameter" {
		t.Fatalf("batch: %+v", out)
	}
	if aws.ToString(out.Successful[0].SequenceNumber) == "" {
		t.Fatal("batch entry without SequenceNumber")
	}
}

func send(t *testing.T, b *bundle, url, group, dedup, body string) *sqs.SendMessageOutput {
	t.Helper()
	in := &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(body), MessageGroupId: aws.String(group)}
	if dedup != "" {
		in.MessageDeduplicationId = aws.String(dedup)
	}
	out, err := b.client.SendMessage(context.Background(), in)
	if err != nil {
		t.Fatalf("send %s/%s: %v", group, body, err)
	}
	return out
}

func receive(t *testing.T, b *bundle, url string, max int32) []types.Message {
	t.Helper()
	in := &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: max,
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll}}
	out, err := b.client.ReceiveMessage(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	return out.Messages
}

func bodies(ms []types.Message) []string {
	var out []string
	for _, m := range ms {
		out = append(out, aws.ToString(m.Body))
	}
	return out
}

// A group's messages are not received while an earlier one of the group
// is in flight; other groups are.
func TestFifoInFlightGroupBlocks(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	url := b.createQueue(t, "block.fifo", fifoAttrs(map[string]string{"ContentBasedDeduplication": "true"}))
	s1 := send(t, b, url, "A", "", "A1")
	send(t, b, url, "A", "", "A2")
	send(t, b, url, "B", "", "B1")

	first := receive(t, b, url, 1)
	if got := bodies(first); len(got) != 1 || got[0] != "A1" {
		t.Fatalf("first receive %v, want [A1]", got)
	}
	a := first[0].Attributes
	if a["MessageGroupId"] != "A" || a["SequenceNumber"] != aws.ToString(s1.SequenceNumber) || a["MessageDeduplicationId"] == "" || a["ApproximateReceiveCount"] != "1" {
		t.Fatalf("system attributes %v (send sequence %s)", a, aws.ToString(s1.SequenceNumber))
	}
	if aws.ToString(first[0].MessageId) != aws.ToString(s1.MessageId) {
		t.Fatalf("message id %s, sent %s", aws.ToString(first[0].MessageId), aws.ToString(s1.MessageId))
	}
	if got := bodies(receive(t, b, url, 10)); len(got) != 1 || got[0] != "B1" {
		t.Fatalf("while A1 is in flight: %v, want [B1]", got)
	}
	if got := bodies(receive(t, b, url, 10)); len(got) != 0 {
		t.Fatalf("while A1 and B1 are in flight: %v, want nothing", got)
	}
	// A1 visible again: it comes back before A2, A2 stays blocked.
	if _, err := b.client.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url), ReceiptHandle: first[0].ReceiptHandle, VisibilityTimeout: 0}); err != nil {
		t.Fatal(err)
	}
	again := receive(t, b, url, 1)
	if got := bodies(again); len(got) != 1 || got[0] != "A1" || again[0].Attributes["ApproximateReceiveCount"] != "2" {
		t.Fatalf("after visibility 0: %v %v, want A1 received twice", got, again)
	}
	// The first receive's handle expired with the second receive.
	_, err := b.client.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: first[0].ReceiptHandle})
	wantCode(t, err, "ReceiptHandleIsInvalid", "expired")
	if _, err := b.client.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: again[0].ReceiptHandle}); err != nil {
		t.Fatal(err)
	}
	if got := bodies(receive(t, b, url, 10)); len(got) != 1 || got[0] != "A2" {
		t.Fatalf("after deleting A1: %v, want [A2]", got)
	}
	n := approxMessages(t, b, url)
	if n != "0" {
		t.Fatalf("ApproximateNumberOfMessages = %s with everything in flight", n)
	}
	// A receive takes several messages of one group, in order.
	url2 := b.createQueue(t, "batch.fifo", fifoAttrs(map[string]string{"ContentBasedDeduplication": "true"}))
	for i := range 5 {
		send(t, b, url2, "G", "", fmt.Sprint("m", i))
	}
	if got := strings.Join(bodies(receive(t, b, url2, 10)), ","); got != "m0,m1,m2,m3,m4" {
		t.Fatalf("batch of one group: %s", got)
	}
}

// Concurrent senders per group and concurrent receivers: every group's
// messages arrive once, in send order, and no two receivers ever hold
// messages of one group at the same time.
func TestFifoOrderPerGroupUnderConcurrency(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	url := b.createQueue(t, "conc.fifo", fifoAttrs(nil))
	const groups, perGroup = 4, 30
	var wg sync.WaitGroup
	for g := range groups {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < perGroup; i += 3 {
				var entries []types.SendMessageBatchRequestEntry
				for j := i; j < i+3; j++ {
					entries = append(entries, types.SendMessageBatchRequestEntry{Id: aws.String(fmt.Sprint("e", j)),
						MessageBody: aws.String(strconv.Itoa(j)), MessageGroupId: aws.String(fmt.Sprint("g", g)),
						MessageDeduplicationId: aws.String(fmt.Sprintf("g%d-%d", g, j))})
				}
				out, err := b.client.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: entries})
				if err != nil || len(out.Failed) > 0 {
					t.Errorf("batch: %v %+v", err, out)
					return
				}
			}
		}()
	}
	wg.Wait()

	var mu sync.Mutex
	inFlight := map[string]bool{}
	seen := map[string][]int{}
	lastSeq := map[string]string{}
	total := 0
	deadline := time.Now().Add(20 * time.Second)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				mu.Lock()
				done := total == groups*perGroup
				mu.Unlock()
				if done {
					return
				}
				out, err := b.client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 3,
					MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll}})
				if err != nil {
					t.Error(err)
					return
				}
				held := map[string]bool{}
				mu.Lock()
				for _, m := range out.Messages {
					g := m.Attributes["MessageGroupId"]
					if inFlight[g] && !held[g] {
						t.Errorf("group %s received while another receiver holds it", g)
					}
					inFlight[g], held[g] = true, true
					n, _ := strconv.Atoi(aws.ToString(m.Body))
					seen[g] = append(seen[g], n)
					if seq := m.Attributes["SequenceNumber"]; seq <= lastSeq[g] {
						t.Errorf("group %s: sequence %s after %s", g, seq, lastSeq[g])
					} else {
						lastSeq[g] = seq
					}
					total++
				}
				for g := range held {
					delete(inFlight, g) // before the deletes free the group
				}
				mu.Unlock()
				time.Sleep(time.Millisecond)
				for _, m := range out.Messages {
					if _, err := b.client.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle}); err != nil {
						t.Error(err)
					}
				}
			}
		}()
	}
	wg.Wait()
	if total != groups*perGroup {
		t.Fatalf("received %d messages, want %d", total, groups*perGroup)
	}
	for g, got := range seen {
		for i, n := range got {
			if n != i {
				t.Fatalf("group %s order: %v", g, got)
			}
		}
	}
}

func TestFifoDeduplicationWindow(t *testing.T) {
	t.Parallel()
	const window = time.Second
	b := setupOpts(t, queue.Options{FifoDedupWindow: window})
	ctx := context.Background()
	url := b.createQueue(t, "dedup.fifo", fifoAttrs(nil))

	start := time.Now()
	a := send(t, b, url, "g", "d1", "first")
	dup := send(t, b, url, "g", "d1", "second")
	if aws.ToString(dup.MessageId) != aws.ToString(a.MessageId) || aws.ToString(dup.SequenceNumber) != aws.ToString(a.SequenceNumber) {
		t.Fatalf("duplicate send: %s/%s, first %s/%s", aws.ToString(dup.MessageId), aws.ToString(dup.SequenceNumber), aws.ToString(a.MessageId), aws.ToString(a.SequenceNumber))
	}
	// The deduplication scope is the queue: another group, same id.
	send(t, b, url, "other", "d1", "third")
	ms := receive(t, b, url, 10)
	if got := bodies(ms); len(got) != 1 || got[0] != "first" {
		t.Fatalf("received %v, want [first]", got)
	}
	if _, err := b.client.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: ms[0].ReceiptHandle}); err != nil {
		t.Fatal(err)
	}
	// Deleted, but still inside the window: a resend is dropped.
	if time.Since(start) < window/2 {
		send(t, b, url, "g", "d1", "fourth")
		if got := bodies(receive(t, b, url, 10)); len(got) != 0 {
			t.Fatalf("resend inside the window delivered %v", got)
		}
	}
	// After the window the same id is a new message.
	time.Sleep(window + 300*time.Millisecond - time.Since(start))
	var got []string
	for range 10 {
		n := send(t, b, url, "g", "d1", "fifth")
		if aws.ToString(n.SequenceNumber) != aws.ToString(a.SequenceNumber) {
			got = bodies(receive(t, b, url, 10))
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if len(got) != 1 || got[0] != "fifth" {
		t.Fatalf("after the window: %v, want [fifth]", got)
	}

	// Content-based deduplication (SHA-256 of the body), scoped per group.
	url2 := b.createQueue(t, "cbd.fifo", fifoAttrs(map[string]string{"ContentBasedDeduplication": "true", "DeduplicationScope": "messageGroup"}))
	x := send(t, b, url2, "g1", "", "same")
	y := send(t, b, url2, "g1", "", "same")
	z := send(t, b, url2, "g2", "", "same")
	if aws.ToString(x.MessageId) != aws.ToString(y.MessageId) || aws.ToString(z.MessageId) == aws.ToString(x.MessageId) {
		t.Fatalf("content dedup ids: %s %s %s", aws.ToString(x.MessageId), aws.ToString(y.MessageId), aws.ToString(z.MessageId))
	}
	rs := receive(t, b, url2, 10)
	sum := sha256.Sum256([]byte("same"))
	if len(rs) != 2 || rs[0].Attributes["MessageDeduplicationId"] != hex.EncodeToString(sum[:]) {
		t.Fatalf("content-deduplicated receive: %v", rs)
	}
}

func TestFifoDeadLetter(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	dlq := b.createQueue(t, "dead.fifo", fifoAttrs(nil))
	url := b.createQueue(t, "live.fifo", fifoAttrs(map[string]string{
		"RedrivePolicy": `{"deadLetterTargetArn":"` + queueArn(t, b, dlq) + `","maxReceiveCount":1}`}))
	send(t, b, url, "g", "1", "poison")
	send(t, b, url, "g", "2", "next")
	first := receive(t, b, url, 1)
	if got := bodies(first); len(got) != 1 || got[0] != "poison" {
		t.Fatalf("first receive %v", got)
	}
	if _, err := b.client.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url), ReceiptHandle: first[0].ReceiptHandle}); err != nil {
		t.Fatal(err)
	}
	// The second receive moves "poison" to the DLQ and returns "next".
	if got := bodies(receive(t, b, url, 1)); len(got) != 1 || got[0] != "next" {
		t.Fatalf("second receive %v, want [next]", got)
	}
	dead := receive(t, b, dlq, 10)
	if got := bodies(dead); len(got) != 1 || got[0] != "poison" || dead[0].Attributes["MessageGroupId"] != "g" {
		t.Fatalf("dead-letter queue holds %v", dead)
	}
	_, err := b.client.StartMessageMoveTask(ctx, &sqs.StartMessageMoveTaskInput{SourceArn: aws.String(queueArn(t, b, dlq))})
	if err == nil {
		t.Fatal("a message move task out of a FIFO dead-letter queue was accepted")
	}
}
