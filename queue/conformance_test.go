package queue_test

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/queue"
)

// runConformance is the SQS standard-queue behaviour every backend must show.
func runConformance(t *testing.T, newHarness func(t *testing.T) *harness) {
	vis0 := ferry.ReceiveOptions{HasVisibility: true, Visibility: 0, WaitTime: 5 * time.Second}

	t.Run("SendReceiveDelete", func(t *testing.T) {
		t.Parallel()
		s := newHarness(t).svc
		ctx := context.Background()
		mustCreate(t, s, "q", nil)
		at := map[string]ferry.MessageAttribute{
			"color": {DataType: "String", StringValue: "blue"},
			"n":     {DataType: "Number", StringValue: "42"},
			"raw":   {DataType: "Binary", BinaryValue: []byte{0, 1, 2}},
		}
		res, err := s.Send(ctx, "q", ferry.OutgoingMessage{Body: "hello", Attributes: at, TraceID: "trace-1", Hops: 3})
		if err != nil {
			t.Fatal(err)
		}
		sum := md5.Sum([]byte("hello"))
		if got, want := res.MD5OfBody, hex.EncodeToString(sum[:]); got != want {
			t.Fatalf("MD5OfBody = %s, want %s", got, want)
		}
		if got, want := res.MD5OfMessageAttributes, queue.MD5OfAttributes(at); got == "" || got != want {
			t.Fatalf("MD5OfMessageAttributes = %q, want %q", got, want)
		}
		if len(res.MessageID) != 36 {
			t.Fatalf("message id %q is not a UUID", res.MessageID)
		}
		before := time.Now().UnixMilli()
		m := receiveOne(t, s, "q", ferry.ReceiveOptions{MaxMessages: 10})
		if m.MessageID != res.MessageID || m.Body != "hello" || m.MD5OfBody != res.MD5OfBody {
			t.Fatalf("got %+v, want id %s body hello", m, res.MessageID)
		}
		if m.TraceID != "trace-1" || m.Hops != 3 {
			t.Fatalf("trace/hops = %q/%d, want trace-1/3", m.TraceID, m.Hops)
		}
		if got := m.Attributes["raw"].BinaryValue; string(got) != "\x00\x01\x02" {
			t.Fatalf("binary attribute = %v", got)
		}
		if got := queue.MD5OfAttributes(m.Attributes); got != res.MD5OfMessageAttributes {
			t.Fatalf("received attributes digest %s, sent %s", got, res.MD5OfMessageAttributes)
		}
		if m.ReceiveCount != 1 || m.SenderID != ferry.DefaultAccount {
			t.Fatalf("ReceiveCount/SenderId = %d/%q, want 1/%s", m.ReceiveCount, m.SenderID, ferry.DefaultAccount)
		}
		if m.SentTimestamp == 0 || m.SentTimestamp > before || m.FirstReceiveTimestamp < m.SentTimestamp {
			t.Fatalf("SentTimestamp %d, FirstReceiveTimestamp %d, received after %d", m.SentTimestamp, m.FirstReceiveTimestamp, before)
		}
		if err := s.DeleteMessage(ctx, "q", m.ReceiptHandle); err != nil {
			t.Fatal(err)
		}
		waitAttr(t, s, "q", queue.AttrNumNotVisible, "0")
		if got := receive(t, s, "q", ferry.ReceiveOptions{}); len(got) != 0 {
			t.Fatalf("after delete: got %d messages", len(got))
		}
		if err := s.DeleteMessage(ctx, "q", m.ReceiptHandle); err != nil {
			t.Fatalf("deleting twice: %v (SQS succeeds)", err)
		}
	})

	t.Run("VisibilityExpiryRedelivers", func(t *testing.T) {
		t.Parallel()
		s := newHarness(t).svc
		mustCreate(t, s, "q", map[string]string{"VisibilityTimeout": "1"})
		id := mustSend(t, s, "q", "x")
		first := receiveOne(t, s, "q", ferry.ReceiveOptions{})
		if got := receive(t, s, "q", ferry.ReceiveOptions{}); len(got) != 0 {
			t.Fatal("an in-flight message was received again before its visibility timeout")
		}
		again := receiveOne(t, s, "q", ferry.ReceiveOptions{WaitTime: 5 * time.Second})
		if again.MessageID != id || again.ReceiveCount != 2 {
			t.Fatalf("redelivery: id %s count %d, want %s count 2", again.MessageID, again.ReceiveCount, id)
		}
		if again.ReceiptHandle == first.ReceiptHandle {
			t.Fatal("a new receive returned the same receipt handle")
		}
		if again.FirstReceiveTimestamp > again.SentTimestamp+2000 || again.FirstReceiveTimestamp < again.SentTimestamp {
			t.Fatalf("FirstReceiveTimestamp %d not near first receive (sent %d)", again.FirstReceiveTimestamp, again.SentTimestamp)
		}
		// SQS: an older receipt handle still "succeeds"; here it deletes.
		if err := s.DeleteMessage(context.Background(), "q", first.ReceiptHandle); err != nil {
			t.Fatalf("delete with the older handle: %v", err)
		}
		waitAttr(t, s, "q", queue.AttrNumNotVisible, "0")
		waitAttr(t, s, "q", queue.AttrNumMessages, "0")
	})

	t.Run("ChangeVisibility", func(t *testing.T) {
		t.Parallel()
		s := newHarness(t).svc
		ctx := context.Background()
		mustCreate(t, s, "q", map[string]string{"VisibilityTimeout": "1"})
		mustSend(t, s, "q", "x")
		m := receiveOne(t, s, "q", ferry.ReceiveOptions{HasVisibility: true, Visibility: time.Minute})
		if err := s.ChangeMessageVisibility(ctx, "q", m.ReceiptHandle, 0); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		m2 := receiveOne(t, s, "q", ferry.ReceiveOptions{WaitTime: 5 * time.Second})
		if d := time.Since(start); d > 900*time.Millisecond {
			t.Fatalf("visibility 0 took %v to make the message visible", d)
		}
		// Extend well past the queue's 1 s timeout.
		if err := s.ChangeMessageVisibility(ctx, "q", m2.ReceiptHandle, time.Minute); err != nil {
			t.Fatal(err)
		}
		if got := receive(t, s, "q", ferry.ReceiveOptions{WaitTime: 2 * time.Second}); len(got) != 0 {
			t.Fatal("message reappeared before its extended visibility timeout")
		}
		if err := s.ChangeMessageVisibility(ctx, "q", m2.ReceiptHandle, 12*time.Hour+time.Second); ferry.ErrorCode(err) != ferry.EINVALID {
			t.Fatalf("visibility over 12 h: err = %v, want %s", err, ferry.EINVALID)
		} else {
			wantMessageMentions(t, err, "VisibilityTimeout")
		}
		if err := s.DeleteMessage(ctx, "q", m2.ReceiptHandle); err != nil {
			t.Fatal(err)
		}
		waitAttr(t, s, "q", queue.AttrNumNotVisible, "0")
		err := s.ChangeMessageVisibility(ctx, "q", m2.ReceiptHandle, time.Second)
		wantCode(t, "change visibility of a deleted message", err, ferry.ERECEIPT)
	})

	t.Run("DelaySeconds", func(t *testing.T) {
		t.Parallel()
		s := newHarness(t).svc
		ctx := context.Background()
		mustCreate(t, s, "q", nil)
		start := time.Now()
		if _, err := s.SendMessage(ctx, "q", ferry.OutgoingMessage{Body: "later", Delay: time.Second}); err != nil {
			t.Fatal(err)
		}
		if got := receive(t, s, "q", ferry.ReceiveOptions{}); len(got) != 0 {
			t.Fatal("a delayed message was visible at once")
		}
		if got := attrs(t, s, "q", queue.AttrNumDelayed)[queue.AttrNumDelayed]; got != "1" {
			t.Fatalf("ApproximateNumberOfMessagesDelayed = %s, want 1", got)
		}
		m := receiveOne(t, s, "q", ferry.ReceiveOptions{WaitTime: 5 * time.Second})
		if d := time.Since(start); m.Body != "later" || d < 900*time.Millisecond || d > 3*time.Second {
			t.Fatalf("delayed message %q arrived after %v, want about 1-2 s", m.Body, d)
		}
		waitAttr(t, s, "q", queue.AttrNumDelayed, "0")

		// The queue's DelaySeconds applies when the message has none.
		if err := s.SetQueueAttributes(ctx, "q", map[string]string{"DelaySeconds": "1"}); err != nil {
			t.Fatal(err)
		}
		mustSend(t, s, "q", "queue-delay")
		if got := receive(t, s, "q", ferry.ReceiveOptions{}); len(got) != 0 {
			t.Fatal("queue DelaySeconds was not applied")
		}
		if m := receiveOne(t, s, "q", ferry.ReceiveOptions{WaitTime: 5 * time.Second}); m.Body != "queue-delay" {
			t.Fatalf("got %q", m.Body)
		}
	})

	t.Run("LongPollReturnsOnArrival", func(t *testing.T) {
		t.Parallel()
		s := newHarness(t).svc
		mustCreate(t, s, "q", nil)
		type result struct {
			msgs []ferry.Message
			err  error
			took time.Duration
		}
		done := make(chan result, 1)
		polling := make(chan struct{})
		go func() {
			start := time.Now()
			close(polling)
			msgs, err := s.ReceiveMessages(context.Background(), "q", ferry.ReceiveOptions{WaitTime: 20 * time.Second, MaxMessages: 10})
			done <- result{msgs, err, time.Since(start)}
		}()
		<-polling
		mustSend(t, s, "q", "wake")
		r := <-done
		if r.err != nil || len(r.msgs) != 1 || r.msgs[0].Body != "wake" {
			t.Fatalf("long poll: %v, %d messages", r.err, len(r.msgs))
		}
		if r.took > 3*time.Second {
			t.Fatalf("long poll returned after %v, want well before the 20 s wait", r.took)
		}
		// The queue's ReceiveMessageWaitTimeSeconds applies when none is given.
		if err := s.SetQueueAttributes(context.Background(), "q", map[string]string{"ReceiveMessageWaitTimeSeconds": "1"}); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		if got := receive(t, s, "q", ferry.ReceiveOptions{}); len(got) != 0 || time.Since(start) < 800*time.Millisecond {
			t.Fatalf("queue wait time not applied: %d messages after %v", len(got), time.Since(start))
		}
	})

	t.Run("RedriveToDLQAndBack", func(t *testing.T) {
		t.Parallel()
		s := newHarness(t).svc
		ctx := context.Background()
		dlq := mustCreate(t, s, "dlq", nil)
		policy := fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":"2"}`, dlq.ARN)
		mustCreate(t, s, "src", map[string]string{"RedrivePolicy": policy})
		id := mustSend(t, s, "src", "poison")
		for i := 1; i <= 2; i++ {
			m := receiveOne(t, s, "src", vis0)
			if m.ReceiveCount != i {
				t.Fatalf("receive %d: count %d", i, m.ReceiveCount)
			}
		}
		if got := receive(t, s, "src", ferry.ReceiveOptions{WaitTime: time.Second}); len(got) != 0 {
			t.Fatalf("receive 3 returned %d messages; the message should have moved to the DLQ", len(got))
		}
		d := receiveOne(t, s, "dlq", vis0)
		if d.MessageID != id || d.Body != "poison" {
			t.Fatalf("DLQ got %+v, want message %s", d, id)
		}
		waitAttr(t, s, "src", queue.AttrNumMessages, "0")
		waitAttr(t, s, "dlq", queue.AttrNumNotVisible, "1")

		moved, err := s.Redrive(ctx, "dlq", "")
		if err != nil || moved != 1 {
			t.Fatalf("redrive: moved %d, err %v; want 1", moved, err)
		}
		back := receiveOne(t, s, "src", ferry.ReceiveOptions{})
		if back.MessageID != id || back.ReceiveCount != 1 {
			t.Fatalf("redriven message %s count %d, want %s count 1", back.MessageID, back.ReceiveCount, id)
		}
		waitAttr(t, s, "dlq", queue.AttrNumMessages, "0")
		if _, err := s.Redrive(ctx, "dlq", "dlq"); ferry.ErrorCode(err) != ferry.EINVALID {
			t.Fatalf("redrive to itself: err = %v, want %s", err, ferry.EINVALID)
		}
		if _, err := s.Redrive(ctx, "src", ""); ferry.ErrorCode(err) != ferry.EINVALID {
			t.Fatalf("redrive of a queue nobody dead-letters to: err = %v, want %s", err, ferry.EINVALID)
		}
		// An explicit destination.
		mustCreate(t, s, "other", nil)
		mustSend(t, s, "dlq", "direct")
		if moved, err := s.Redrive(ctx, "dlq", "other"); err != nil || moved != 1 {
			t.Fatalf("redrive to other: moved %d, err %v", moved, err)
		}
		if m := receiveOne(t, s, "other", ferry.ReceiveOptions{}); m.Body != "direct" {
			t.Fatalf("other got %q", m.Body)
		}
	})

	t.Run("RedriveAllowPolicy", func(t *testing.T) {
		t.Parallel()
		s := newHarness(t).svc
		ctx := context.Background()
		dlq := mustCreate(t, s, "dlq", map[string]string{"RedriveAllowPolicy": `{"redrivePermission":"denyAll"}`})
		policy := fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":3}`, dlq.ARN)
		_, err := s.CreateQueue(ctx, "src", map[string]string{"RedrivePolicy": policy})
		wantCode(t, "source denied by RedriveAllowPolicy", err, ferry.EINVALID)
		wantMessageMentions(t, err, "RedriveAllowPolicy")
		_, err = s.CreateQueue(ctx, "src", map[string]string{"RedrivePolicy": `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:nope","maxReceiveCount":3}`})
		wantCode(t, "missing DLQ", err, ferry.EINVALID)
		wantMessageMentions(t, err, "RedrivePolicy")
	})

	t.Run("Purge", func(t *testing.T) {
		t.Parallel()
		s := newHarness(t).svc
		ctx := context.Background()
		mustCreate(t, s, "q", nil)
		for i := range 5 {
			mustSend(t, s, "q", fmt.Sprint(i))
		}
		receiveOne(t, s, "q", ferry.ReceiveOptions{})
		if err := s.PurgeQueue(ctx, "q"); err != nil {
			t.Fatal(err)
		}
		waitAttr(t, s, "q", queue.AttrNumMessages, "0")
		waitAttr(t, s, "q", queue.AttrNumNotVisible, "0")
		if got := receive(t, s, "q", ferry.ReceiveOptions{MaxMessages: 10}); len(got) != 0 {
			t.Fatalf("after purge: %d messages", len(got))
		}
		mustSend(t, s, "q", "after")
		if m := receiveOne(t, s, "q", ferry.ReceiveOptions{}); m.Body != "after" {
			t.Fatalf("after purge got %q", m.Body)
		}
	})

	t.Run("Batches", func(t *testing.T) {
		t.Parallel()
		s := newHarness(t).svc
		ctx := context.Background()
		mustCreate(t, s, "q", nil)
		res, err := s.SendMessageBatch(ctx, "q", []queue.SendEntry{
			{ID: "a", Message: ferry.OutgoingMessage{Body: "1"}},
			{ID: "b", Message: ferry.OutgoingMessage{Body: ""}},
			{ID: "c", Message: ferry.OutgoingMessage{Body: "3"}},
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(res) != 3 || res[0].Err != nil || res[2].Err != nil || ferry.ErrorCode(res[1].Err) != ferry.EINVALID {
			t.Fatalf("batch results %+v, want a and c ok, b invalid", res)
		}
		if res[0].MessageID == res[2].MessageID {
			t.Fatal("batch entries got the same message id")
		}
		_, err = s.SendMessageBatch(ctx, "q", []queue.SendEntry{{ID: "x", Message: ferry.OutgoingMessage{Body: "1"}}, {ID: "x", Message: ferry.OutgoingMessage{Body: "2"}}})
		wantCode(t, "repeated batch ids", err, ferry.EINVALID)
		wantMessageMentions(t, err, "distinct")
		many := make([]queue.SendEntry, 11)
		for i := range many {
			many[i] = queue.SendEntry{ID: fmt.Sprint("e", i), Message: ferry.OutgoingMessage{Body: "m"}}
		}
		_, err = s.SendMessageBatch(ctx, "q", many)
		wantCode(t, "11 entries", err, ferry.EINVALID)
		_, err = s.SendMessageBatch(ctx, "q", nil)
		wantCode(t, "empty batch", err, ferry.EINVALID)

		msgs := receive(t, s, "q", ferry.ReceiveOptions{MaxMessages: 10, WaitTime: 2 * time.Second})
		for len(msgs) < 2 {
			more := receive(t, s, "q", ferry.ReceiveOptions{MaxMessages: 10, WaitTime: 2 * time.Second})
			if len(more) == 0 {
				t.Fatalf("received %d of 2 messages", len(msgs))
			}
			msgs = append(msgs, more...)
		}
		del, err := s.DeleteMessageBatch(ctx, "q", []queue.HandleEntry{
			{ID: "one", ReceiptHandle: msgs[0].ReceiptHandle},
			{ID: "bad", ReceiptHandle: "not-a-handle"},
		})
		if err != nil {
			t.Fatal(err)
		}
		if del[0].Err != nil || ferry.ErrorCode(del[1].Err) != ferry.ERECEIPT {
			t.Fatalf("delete batch results %+v, want ok and bad receipt", del)
		}
		vis, err := s.ChangeMessageVisibilityBatch(ctx, "q", []queue.HandleEntry{
			{ID: "two", ReceiptHandle: msgs[1].ReceiptHandle, Visibility: 0},
			{ID: "range", ReceiptHandle: msgs[1].ReceiptHandle, Visibility: 50000 * time.Second},
		})
		if err != nil {
			t.Fatal(err)
		}
		if vis[0].Err != nil || ferry.ErrorCode(vis[1].Err) != ferry.EINVALID {
			t.Fatalf("visibility batch results %+v", vis)
		}
		if m := receiveOne(t, s, "q", ferry.ReceiveOptions{}); m.MessageID != msgs[1].MessageID {
			t.Fatalf("got %s, want the message made visible %s", m.MessageID, msgs[1].MessageID)
		}
	})

	t.Run("ApproximateCounts", func(t *testing.T) {
		t.Parallel()
		s := newHarness(t).svc
		ctx := context.Background()
		mustCreate(t, s, "q", nil)
		for i := range 3 {
			mustSend(t, s, "q", fmt.Sprint(i))
		}
		if _, err := s.SendMessage(ctx, "q", ferry.OutgoingMessage{Body: "d", Delay: 60 * time.Second}); err != nil {
			t.Fatal(err)
		}
		receiveOne(t, s, "q", ferry.ReceiveOptions{})
		// The counts are approximate, as in SQS: JetStream's consumer
		// counters settle a moment after a receive on a busy machine.
		got := attrs(t, s, "q", "All")
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline) &&
			(got[queue.AttrNumMessages] != "2" || got[queue.AttrNumNotVisible] != "1" || got[queue.AttrNumDelayed] != "1"); {
			time.Sleep(20 * time.Millisecond)
			got = attrs(t, s, "q", "All")
		}
		want := map[string]string{
			queue.AttrNumMessages: "2", queue.AttrNumNotVisible: "1", queue.AttrNumDelayed: "1",
			"VisibilityTimeout": "30", "MessageRetentionPeriod": "345600", "DelaySeconds": "0",
			"MaximumMessageSize": "1048576", "ReceiveMessageWaitTimeSeconds": "0",
			"QueueArn": "arn:aws:sqs:us-east-1:000000000000:q",
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s = %q, want %q", k, got[k], v)
			}
		}
		for _, k := range []string{"CreatedTimestamp", "LastModifiedTimestamp"} {
			if got[k] == "" {
				t.Errorf("%s missing", k)
			}
		}
		if _, err := s.GetQueueAttributes(ctx, "q", []string{"Bogus"}); ferry.ErrorCode(err) != ferry.EINVALID {
			t.Fatalf("unknown attribute: err = %v", err)
		}
	})

	t.Run("DedupID", func(t *testing.T) {
		t.Parallel()
		s := newHarness(t).svc
		ctx := context.Background()
		mustCreate(t, s, "q", nil)
		msg := ferry.OutgoingMessage{Body: "record", DedupID: "req-1:Success"}
		id1, err := s.SendMessage(ctx, "q", msg)
		if err != nil {
			t.Fatal(err)
		}
		id2, err := s.SendMessage(ctx, "q", msg)
		if err != nil {
			t.Fatal(err)
		}
		if id1 != id2 {
			t.Fatalf("re-sent record got id %s, first %s", id2, id1)
		}
		mustSend(t, s, "q", "other")
		waitAttr(t, s, "q", queue.AttrNumMessages, "2")
	})

	t.Run("SurvivesRestart", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		s := h.svc
		ctx := context.Background()
		mustCreate(t, s, "q", map[string]string{"VisibilityTimeout": "45"})
		id := mustSend(t, s, "q", "durable")
		if _, err := s.SendMessage(ctx, "q", ferry.OutgoingMessage{Body: "delayed", Delay: time.Second}); err != nil {
			t.Fatal(err)
		}
		s = h.restart(t)
		if got := attrs(t, s, "q", "VisibilityTimeout")["VisibilityTimeout"]; got != "45" {
			t.Fatalf("VisibilityTimeout after restart = %q, want 45", got)
		}
		m := receiveOne(t, s, "q", ferry.ReceiveOptions{})
		if m.MessageID != id || m.Body != "durable" {
			t.Fatalf("after restart got %+v, want %s", m, id)
		}
		if err := s.DeleteMessage(ctx, "q", m.ReceiptHandle); err != nil {
			t.Fatal(err)
		}
		if m := receiveOne(t, s, "q", ferry.ReceiveOptions{WaitTime: 5 * time.Second}); m.Body != "delayed" {
			t.Fatalf("delayed message after restart: got %q", m.Body)
		}
		qs, err := s.ListQueues(ctx, "")
		if err != nil || len(qs) != 1 || qs[0].Name != "q" {
			t.Fatalf("ListQueues after restart: %v %v", qs, err)
		}
	})

	t.Run("QueueLifecycle", func(t *testing.T) {
		t.Parallel()
		s := newHarness(t).svc
		ctx := context.Background()
		a := mustCreate(t, s, "orders", map[string]string{"VisibilityTimeout": "10"})
		b := mustCreate(t, s, "orders", map[string]string{"VisibilityTimeout": "10"})
		if a.ARN != b.ARN || a.ARN != "arn:aws:sqs:us-east-1:000000000000:orders" {
			t.Fatalf("idempotent create: %v vs %v", a, b)
		}
		_, err := s.CreateQueue(ctx, "orders", map[string]string{"VisibilityTimeout": "20"})
		wantCode(t, "create with different attributes", err, ferry.ECONFLICT)
		wantMessageMentions(t, err, "VisibilityTimeout")
		mustCreate(t, s, "other", nil)
		qs, err := s.ListQueues(ctx, "ord")
		if err != nil || len(qs) != 1 || qs[0].Name != "orders" {
			t.Fatalf("ListQueues(ord) = %v, %v", qs, err)
		}
		if err := s.SetQueueAttributes(ctx, "orders", map[string]string{"VisibilityTimeout": "1"}); err != nil {
			t.Fatal(err)
		}
		mustSend(t, s, "orders", "x")
		receiveOne(t, s, "orders", ferry.ReceiveOptions{})
		if m := receiveOne(t, s, "orders", ferry.ReceiveOptions{WaitTime: 5 * time.Second}); m.ReceiveCount != 2 {
			t.Fatalf("new VisibilityTimeout not applied: count %d", m.ReceiveCount)
		}
		if err := s.DeleteQueue(ctx, "orders"); err != nil {
			t.Fatal(err)
		}
		_, err = s.SendMessage(ctx, "orders", ferry.OutgoingMessage{Body: "x"})
		wantCode(t, "send to deleted queue", err, ferry.ENOTFOUND)
		wantCode(t, "delete twice", s.DeleteQueue(ctx, "orders"), ferry.ENOTFOUND)
	})

	t.Run("Validation", func(t *testing.T) {
		t.Parallel()
		s := newHarness(t).svc
		ctx := context.Background()
		mustCreate(t, s, "q", nil)
		mustCreate(t, s, "small", map[string]string{"MaximumMessageSize": "1024"})
		send := func(q string, m ferry.OutgoingMessage) error { _, err := s.SendMessage(ctx, q, m); return err }
		big := strings.Repeat("x", queue.MaxMessageSize+1)
		cases := []struct {
			name string
			err  error
			code string
			word string
		}{
			{"unknown queue", send("nope", ferry.OutgoingMessage{Body: "x"}), ferry.ENOTFOUND, "nope"},
			{"too large", send("q", ferry.OutgoingMessage{Body: big}), ferry.ETOOLARGE, "shorter"},
			{"attributes count toward size", send("small", ferry.OutgoingMessage{Body: strings.Repeat("x", 1000),
				Attributes: map[string]ferry.MessageAttribute{"k": {DataType: "String", StringValue: strings.Repeat("v", 30)}}}), ferry.ETOOLARGE, "1024"},
			{"empty body", send("q", ferry.OutgoingMessage{}), ferry.EINVALID, "empty"},
			{"invalid character", send("q", ferry.OutgoingMessage{Body: "a\x00b"}), ferry.EINVALID, "invalid character"},
			{"invalid utf-8", send("q", ferry.OutgoingMessage{Body: "a\xffb"}), ferry.EINVALID, "invalid character"},
			{"delay", send("q", ferry.OutgoingMessage{Body: "x", Delay: 901 * time.Second}), ferry.EINVALID, "DelaySeconds"},
			{"attribute type", send("q", ferry.OutgoingMessage{Body: "x", Attributes: map[string]ferry.MessageAttribute{"a": {DataType: "Blob", StringValue: "v"}}}), ferry.EINVALID, "DataType"},
			{"attribute number", send("q", ferry.OutgoingMessage{Body: "x", Attributes: map[string]ferry.MessageAttribute{"a": {DataType: "Number", StringValue: "ten"}}}), ferry.EINVALID, "number"},
			{"attribute name", send("q", ferry.OutgoingMessage{Body: "x", Attributes: map[string]ferry.MessageAttribute{"AWS.x": {DataType: "String", StringValue: "v"}}}), ferry.EINVALID, "reserved"},
			{"visibility", recvErr(s, ferry.ReceiveOptions{HasVisibility: true, Visibility: 43201 * time.Second}), ferry.EINVALID, "VisibilityTimeout"},
			{"max messages", recvErr(s, ferry.ReceiveOptions{MaxMessages: 11}), ferry.EINVALID, "MaxNumberOfMessages"},
			{"wait", recvErr(s, ferry.ReceiveOptions{WaitTime: 21 * time.Second}), ferry.EINVALID, "WaitTimeSeconds"},
			{"bad receipt", s.DeleteMessage(ctx, "q", "garbage"), ferry.ERECEIPT, "receipt handle"},
			{"forged receipt", s.DeleteMessage(ctx, "q", "JEpTLkFDSy5GRVJSWVFfcS5yZWNlaXZlci4xLjEuMS4xLjA.AAAAAAAAAAAAAAAAAAAAAA"), ferry.ERECEIPT, "receipt handle"},
			{"bad queue name", createErr(s, "bad name!", nil), ferry.EINVALID, "queue name"},
			{"FIFO", createErr(s, "f", map[string]string{"FifoQueue": "true"}), ferry.EINVALID, "FifoQueue"},
			{"retention range", createErr(s, "r", map[string]string{"MessageRetentionPeriod": "59"}), ferry.EINVALID, "MessageRetentionPeriod"},
			{"unknown attribute", createErr(s, "u", map[string]string{"Colour": "red"}), ferry.EINVALID, "Colour"},
			{"read-only attribute", createErr(s, "u", map[string]string{"QueueArn": "x"}), ferry.EINVALID, "QueueArn"},
			{"set visibility range", s.SetQueueAttributes(ctx, "q", map[string]string{"VisibilityTimeout": "43201"}), ferry.EINVALID, "VisibilityTimeout"},
			{"set delay range", s.SetQueueAttributes(ctx, "q", map[string]string{"DelaySeconds": "-1"}), ferry.EINVALID, "DelaySeconds"},
			{"set wait range", s.SetQueueAttributes(ctx, "q", map[string]string{"ReceiveMessageWaitTimeSeconds": "21"}), ferry.EINVALID, "ReceiveMessageWaitTimeSeconds"},
			{"set size range", s.SetQueueAttributes(ctx, "q", map[string]string{"MaximumMessageSize": "1048577"}), ferry.EINVALID, "MaximumMessageSize"},
			{"redrive count", s.SetQueueAttributes(ctx, "q", map[string]string{"RedrivePolicy": `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:small","maxReceiveCount":0}`}), ferry.EINVALID, "maxReceiveCount"},
			{"redrive self", s.SetQueueAttributes(ctx, "q", map[string]string{"RedrivePolicy": `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:q","maxReceiveCount":1}`}), ferry.EINVALID, "own dead-letter"},
			{"set unknown queue", s.SetQueueAttributes(ctx, "nope", map[string]string{"DelaySeconds": "1"}), ferry.ENOTFOUND, "nope"},
			{"purge unknown queue", s.PurgeQueue(ctx, "nope"), ferry.ENOTFOUND, "nope"},
		}
		for _, c := range cases {
			if got := ferry.ErrorCode(c.err); got != c.code {
				t.Errorf("%s: err = %v (code %q), want %q", c.name, c.err, got, c.code)
				continue
			}
			if !strings.Contains(c.err.Error(), c.word) {
				t.Errorf("%s: error %q does not name %q", c.name, c.err, c.word)
			}
		}
		// A handle of one queue is refused by another.
		mustSend(t, s, "q", "x")
		m := receiveOne(t, s, "q", ferry.ReceiveOptions{})
		wantCode(t, "handle from another queue", s.DeleteMessage(ctx, "small", m.ReceiptHandle), ferry.ERECEIPT)
		// The largest message is accepted.
		if err := send("q", ferry.OutgoingMessage{Body: big[:queue.MaxMessageSize]}); err != nil {
			t.Fatalf("1 MiB message: %v", err)
		}
	})
}

func recvErr(s *queue.Service, o ferry.ReceiveOptions) error {
	_, err := s.ReceiveMessages(context.Background(), "q", o)
	return err
}

func createErr(s *queue.Service, name string, attrs map[string]string) error {
	_, err := s.CreateQueue(context.Background(), name, attrs)
	return err
}
