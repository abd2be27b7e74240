package snsapi_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"go.uber.org/goleak"

	"github.com/ferry-run/ferry"
	snsapi "github.com/ferry-run/ferry/awsapi/sns"
	"github.com/ferry-run/ferry/natsjs"
	"github.com/ferry-run/ferry/topic"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// recQueue records queue sends.
type recQueue struct {
	mu   sync.Mutex
	sent map[string][]ferry.OutgoingMessage
}

func (q *recQueue) SendMessage(_ context.Context, queue string, msg ferry.OutgoingMessage) (string, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.sent == nil {
		q.sent = map[string][]ferry.OutgoingMessage{}
	}
	q.sent[queue] = append(q.sent[queue], msg)
	return "m-" + msg.DedupID, nil
}

func (q *recQueue) to(queue string) []ferry.OutgoingMessage {
	q.mu.Lock()
	defer q.mu.Unlock()
	return append([]ferry.OutgoingMessage(nil), q.sent[queue]...)
}

// recFunctions records async invokes.
type recFunctions struct {
	mu   sync.Mutex
	reqs []*ferry.InvokeRequest
}

func (f *recFunctions) InvokeAsync(_ context.Context, req *ferry.InvokeRequest) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reqs = append(f.reqs, req)
	return nil
}

func (f *recFunctions) all() []*ferry.InvokeRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*ferry.InvokeRequest(nil), f.reqs...)
}

type bundle struct {
	ctx    context.Context
	svc    *topic.Service
	api    *snsapi.API
	url    string
	client *sns.Client
	q      *recQueue
	fn     *recFunctions
}

// setup starts an engine, a topic service with recording targets, the API
// on an httptest server and an SDK client pointed at it.
func setup(t testing.TB) *bundle {
	t.Helper()
	ctx := context.Background()
	e := natsjs.New(natsjs.Config{DataDir: t.TempDir()})
	if err := e.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Stop(context.Background()) })
	b := &bundle{ctx: ctx, q: &recQueue{}, fn: &recFunctions{}}
	b.svc = topic.New(e, topic.Options{
		Realm:     ferry.DefaultRealm,
		Targets:   topic.Targets{Functions: b.fn, Queues: b.q},
		RetryBase: time.Millisecond,
	})
	if err := b.svc.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.svc.Stop(context.Background()) })
	b.api = snsapi.New(snsapi.Config{Realm: ferry.DefaultRealm, Topics: b.svc})
	srv := httptest.NewServer(b.api.Handler())
	t.Cleanup(srv.Close)
	b.url = srv.URL
	b.client = sns.New(sns.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDFERRY", "secret", ""),
		HTTPClient:   srv.Client(),
		Retryer:      aws.NopRetryer{},
	})
	return b
}

func (b *bundle) topic(t testing.TB, name string) string {
	t.Helper()
	out, err := b.client.CreateTopic(b.ctx, &sns.CreateTopicInput{Name: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.TopicArn)
}

func (b *bundle) subscribe(t testing.TB, topicArn, protocol, endpoint string, attrs map[string]string) string {
	t.Helper()
	out, err := b.client.Subscribe(b.ctx, &sns.SubscribeInput{
		TopicArn: aws.String(topicArn), Protocol: aws.String(protocol), Endpoint: aws.String(endpoint),
		Attributes: attrs, ReturnSubscriptionArn: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.SubscriptionArn)
}

func (b *bundle) publish(t testing.TB, in *sns.PublishInput) string {
	t.Helper()
	out, err := b.client.Publish(b.ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.MessageId)
}

// settled waits until subscription sub has handled n messages (delivered,
// filtered or failed) and returns its counters.
func (b *bundle) settled(t testing.TB, sub string, n uint64) topic.DeliveryStats {
	t.Helper()
	var st topic.DeliveryStats
	waitFor(t, "deliveries to settle", func() bool {
		var err error
		st, err = b.svc.DeliveryStats(sub)
		if err != nil {
			t.Fatal(err)
		}
		return st.Delivered+st.Filtered+st.Failed >= n
	})
	return st
}

// waitFor polls cond until it holds or 10 s pass.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// wantErr asserts err is of type T and returns it.
func wantErr[T error](t testing.TB, err error) T {
	t.Helper()
	var target T
	if !errors.As(err, &target) {
		t.Fatalf("err = %v (%T), want %T", err, err, target)
	}
	return target
}

const queueArn = "arn:aws:sqs:us-east-1:000000000000:"
const functionArn = "arn:aws:lambda:us-east-1:000000000000:function:"

type ferryMsg = ferry.OutgoingMessage
