package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/async"
)

// crashFlags make a restarted server pick up held events within seconds.
var crashFlags = []string{"--clock-scale", "0.01", "--async-ack-wait", "3s"}

func (s *server) sqs() *sqs.Client {
	return sqs.New(sqs.Options{
		Region: "us-east-1", BaseEndpoint: aws.String("http://" + s.api), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
	})
}

// queueURL creates a queue with a 1 s visibility timeout and returns its URL.
func (s *server) queueURL(t *testing.T, name string) string {
	t.Helper()
	out, err := s.sqs().CreateQueue(context.Background(), &sqs.CreateQueueInput{
		QueueName: aws.String(name), Attributes: map[string]string{"VisibilityTimeout": "1"}})
	if err != nil {
		t.Fatal(err)
	}
	return *out.QueueUrl
}

// receive long-polls a queue once and returns what came.
func (s *server) receive(t *testing.T, url string, wait int32) []sqstypes.Message {
	t.Helper()
	out, err := s.sqs().ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{
		QueueUrl: aws.String(url), MaxNumberOfMessages: 10, WaitTimeSeconds: wait,
		MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll},
		MessageAttributeNames:       []string{"All"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return out.Messages
}

// drainRecords receives and deletes every record on a queue until it stays
// empty for a second and returns their bodies.
func (s *server) drainRecords(t *testing.T, url string) []string {
	t.Helper()
	var bodies []string
	for {
		msgs := s.receive(t, url, 1)
		if len(msgs) == 0 {
			return bodies
		}
		for _, m := range msgs {
			bodies = append(bodies, *m.Body)
			if _, err := s.sqs().DeleteMessage(context.Background(), &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// waitAsyncEmpty waits until the server has finished every async event.
func (s *server) waitAsyncEmpty(t *testing.T, within time.Duration) {
	t.Helper()
	nc := natsConnect(t, "nats://"+s.nats, s.data)
	defer nc.Close()
	js, _ := jetstream.New(nc)
	deadline := time.Now().Add(within)
	for s.streamMsgs(t, js, async.StreamName) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("async events still queued after %v", within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestKill9Records runs the kill -9 tests of records and queue counts on
// one built ferry binary.
func TestKill9Records(t *testing.T) {
	t.Parallel()
	bin := buildFerry(t)
	t.Run("between-record-and-done", func(t *testing.T) { t.Parallel(); testKill9BetweenRecordAndDone(t, bin) })
	t.Run("receive-count", func(t *testing.T) { t.Parallel(); testKill9KeepsReceiveCount(t, bin) })
	t.Run("soak", func(t *testing.T) { t.Parallel(); testKill9Soak(t, bin) })
}

// testKill9BetweenRecordAndDone kills the server right after a destination
// record is stored and before the engine journals that delivery (and, in
// the queue service, before the record's dedup marker says "stored"). In
// the "consumed" cases the record is received and deleted before the kill,
// so after the restart JetStream's duplicate window knows nothing of it.
// Each case must end with exactly one record at the destination.
func testKill9BetweenRecordAndDone(t *testing.T, bin string) {
	for _, tc := range []struct {
		point   string
		consume bool
	}{
		{"record-published", false},
		{"record-published", true},
		{"queue-published", false},
		{"queue-published", true},
	} {
		t.Run(fmt.Sprintf("%s/consumed=%v", tc.point, tc.consume), func(t *testing.T) {
			t.Parallel()
			data := t.TempDir()
			env := crashEnv + "=" + tc.point
			if tc.consume {
				env += ",hold"
			}
			srv := startServerEnv(t, bin, data, []string{env}, crashFlags...)
			url := srv.queueURL(t, "done")
			c := srv.lambda()
			createFunction(t, c, goFn(t, "pay"))
			putDestinations(t, c, "pay", 0, ferry.DefaultRealm.QueueARN("done"), "")
			id := invokeAsync(t, c, "pay", map[string]any{"id": "e1", "amount": 1})

			var before []string
			if tc.consume {
				select {
				case p := <-srv.fault:
					if p != tc.point {
						t.Fatalf("fault point %q reached, want %q", p, tc.point)
					}
				case <-time.After(30 * time.Second):
					t.Fatal("fault point never reached")
				}
				before = srv.drainRecords(t, url)
				if len(before) != 1 {
					t.Fatalf("%d records before the kill, want 1", len(before))
				}
				srv.kill()
			} else {
				select {
				case <-srv.done:
				case <-time.After(30 * time.Second):
					t.Fatal("the server did not kill itself at the fault point")
				}
			}

			srv = startServer(t, bin, data, crashFlags...)
			srv.waitAsyncEmpty(t, 20*time.Second)
			after := srv.drainRecords(t, url)
			all := append(before, after...)
			if len(all) != 1 {
				t.Fatalf("%d records for one event (%d before the kill, %d after), want exactly 1", len(all), len(before), len(after))
			}
			if got := path(record(t, all[0]), "requestContext", "requestId"); got != id {
				t.Fatalf("record of %v, want %s", got, id)
			}
		})
	}
}

// testKill9KeepsReceiveCount: queue messages received and not deleted,
// then a kill -9 right after the receive and a restart, are received again
// with their receive counts one higher. JetStream writes a consumer's
// delivery counts at most every 100 ms, so the counts of messages received
// just before a crash are Ferry's own.
func testKill9KeepsReceiveCount(t *testing.T, bin string) {
	data := t.TempDir()
	srv := startServer(t, bin, data, crashFlags...)
	url := srv.queueURL(t, "work")
	const n = 5
	for i := range n {
		if _, err := srv.sqs().SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(fmt.Sprint("job", i))}); err != nil {
			t.Fatal(err)
		}
	}
	count := func(m sqstypes.Message) int {
		c, _ := strconv.Atoi(m.Attributes[string(sqstypes.MessageSystemAttributeNameApproximateReceiveCount)])
		return c
	}
	for round := 1; round <= 3; round++ {
		got := map[string]int{}
		deadline := time.Now().Add(20 * time.Second)
		for len(got) < n && time.Now().Before(deadline) {
			for _, m := range srv.receive(t, url, 1) {
				got[*m.Body] = count(m)
			}
		}
		for i := range n {
			if c := got[fmt.Sprint("job", i)]; c != round {
				t.Fatalf("round %d: receive counts %v, want %d for every message", round, got, round)
			}
		}
		srv.kill()
		srv = startServer(t, bin, data, crashFlags...)
	}
}

// testKill9Soak invokes async events from several goroutines while a
// consumer reads their records from a queue, and kills the server with
// SIGKILL and restarts it a few times. Afterwards every accepted (202)
// event has exactly one record. A record seen twice with receive count 1
// would be a second copy; one seen again with a higher count is the same
// message received again (its delete was lost in a kill).
func testKill9Soak(t *testing.T, bin string) {
	data := t.TempDir()
	srv := startServer(t, bin, data, crashFlags...)
	url := srv.queueURL(t, "soak")
	c := srv.lambda()
	createFunction(t, c, goFn(t, "pay"))
	arn := ferry.DefaultRealm.QueueARN("soak")
	putDestinations(t, c, "pay", 0, arn, arn)
	var cur atomic.Pointer[server]
	cur.Store(srv)

	var (
		mu       sync.Mutex
		accepted = map[string]bool{}
		firsts   = map[string]int{} // event id -> sightings with receive count 1
		seen     = map[string]bool{}
		next     atomic.Int64
		stop     = make(chan struct{})
		wg       sync.WaitGroup
	)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				i := next.Add(1)
				id := fmt.Sprintf("s%05d", i)
				payload := fmt.Sprintf(`{"id":%q,"amount":%d,"fail":%v,"sleepMs":5}`, id, i, i%7 == 0)
				ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
				out, err := cur.Load().lambda().Invoke(ctx, &lambda.InvokeInput{
					FunctionName: aws.String("pay"), InvocationType: "Event", Payload: []byte(payload)})
				cancel()
				if err == nil && out.StatusCode == 202 {
					mu.Lock()
					accepted[id] = true
					mu.Unlock()
					continue
				}
				time.Sleep(20 * time.Millisecond)
			}
		}()
	}
	consumerDone := make(chan struct{})
	stopConsumer := make(chan struct{})
	go func() {
		defer close(consumerDone)
		for {
			select {
			case <-stopConsumer:
				return
			default:
			}
			q := cur.Load().sqs()
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			out, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10, WaitTimeSeconds: 1,
				MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameApproximateReceiveCount}})
			cancel()
			if err != nil {
				time.Sleep(50 * time.Millisecond)
				continue
			}
			for _, m := range out.Messages {
				var rec map[string]any
				if json.Unmarshal([]byte(*m.Body), &rec) != nil {
					continue
				}
				id, _ := path(rec, "requestPayload", "id").(string)
				mu.Lock()
				seen[id] = true
				if m.Attributes[string(sqstypes.MessageSystemAttributeNameApproximateReceiveCount)] == "1" {
					firsts[id]++
				}
				mu.Unlock()
				ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
				_, _ = q.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle})
				cancel()
			}
		}
	}()
	defer func() {
		select {
		case <-stop:
		default:
			close(stop)
		}
		wg.Wait()
		select {
		case <-stopConsumer:
		default:
			close(stopConsumer)
		}
		<-consumerDone
	}()

	const kills = 3
	for range kills {
		time.Sleep(2 * time.Second)
		cur.Load().kill()
		cur.Store(startServer(t, bin, data, crashFlags...))
	}
	time.Sleep(time.Second)
	close(stop)
	wg.Wait()
	last := cur.Load()
	last.waitAsyncEmpty(t, 60*time.Second)
	nc := natsConnect(t, "nats://"+last.nats, last.data)
	js, _ := jetstream.New(nc)
	deadline := time.Now().Add(30 * time.Second)
	for last.streamMsgs(t, js, "FERRYQ_soak") > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d records never consumed", last.streamMsgs(t, js, "FERRYQ_soak"))
		}
		time.Sleep(50 * time.Millisecond)
	}
	nc.Close()
	close(stopConsumer)
	<-consumerDone

	mu.Lock()
	defer mu.Unlock()
	var lost, dup []string
	for id := range accepted {
		if !seen[id] {
			lost = append(lost, id)
		}
	}
	for id, n := range firsts {
		if n > 1 {
			dup = append(dup, fmt.Sprintf("%s x%d", id, n))
		}
	}
	t.Logf("%d accepted, %d lost, %d duplicated (%d kills)", len(accepted), len(lost), len(dup), kills)
	if len(accepted) == 0 {
		t.Fatal("no event accepted")
	}
	if len(lost) > 0 || len(dup) > 0 {
		t.Fatalf("lost %v; duplicated %v", lost, dup)
	}
}
