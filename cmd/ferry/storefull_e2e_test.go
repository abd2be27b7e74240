package main

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go"

	"github.com/ferry-run/ferry/internal/smalldisk"
)

// startOn runs a server on an existing data dir, closed at the end of the
// test (unless the test closes it first).
func startOn(t *testing.T, cfg Config) *Main {
	t.Helper()
	cfg.APIAddr, cfg.GatewayAddr = "127.0.0.1:0", "127.0.0.1:0"
	m := NewMain(cfg)
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		m.Close(ctx)
	})
	return m
}

func httpStatus(t *testing.T, url string) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// eventually polls cond every 10 ms until it holds or the timeout passes;
// it returns how long it took.
func eventually(t *testing.T, within time.Duration, what string, cond func() error) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		err := cond()
		if err == nil {
			return time.Since(start)
		}
		if time.Since(start) > within {
			t.Fatalf("%s: still %v after %s", what, err, within)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestStoreFullRefusesWritesAndRecovers runs Ferry on a 64 MiB data dir
// (so it also starts with far less than 1 GiB free), fills it, and checks
// that the APIs refuse writes with the protocols' service-unavailable
// errors while /readyz answers 503, then frees the space and checks that
// within seconds, without a restart, invokes and sends are accepted, an
// accepted event runs, and /readyz answers 200.
func TestStoreFullRefusesWritesAndRecovers(t *testing.T) {
	t.Parallel()
	disk := smalldisk.New(t, 64<<20)
	m := startOn(t, Config{DataDir: disk.Dir, NATSConfig: disk.ServerConfig, ClockScale: 0.001,
		Logger: slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if disk.Kind == smalldisk.Limited {
		t.Logf("mounting is not permitted here; the store is bounded by JetStream's limit instead")
	}
	if got := m.History.MaxBytes(); got >= 1<<30 {
		t.Errorf("history takes %d bytes of a 64 MiB store", got)
	}
	lc := lambdaClient(m)
	createFunction(t, lc, nodeFn("pay"))
	ep, creds := aws.String(m.APIURL()), credentials.NewStaticCredentialsProvider("test", "test", "")
	qc := sqs.New(sqs.Options{Region: "us-east-1", BaseEndpoint: ep, Credentials: creds, RetryMaxAttempts: 1})
	tc := sns.New(sns.Options{Region: "us-east-1", BaseEndpoint: ep, Credentials: creds, RetryMaxAttempts: 1})
	eb := eventbridge.New(eventbridge.Options{Region: "us-east-1", BaseEndpoint: ep, Credentials: creds, RetryMaxAttempts: 1})
	q, err := qc.CreateQueue(context.Background(), &sqs.CreateQueueInput{QueueName: aws.String("orders")})
	if err != nil {
		t.Fatal(err)
	}
	topic, err := tc.CreateTopic(context.Background(), &sns.CreateTopicInput{Name: aws.String("payments")})
	if err != nil {
		t.Fatal(err)
	}
	invokeAsync(t, lc, "pay", map[string]any{"id": "before"})
	if got := httpStatus(t, m.APIURL()+"/readyz"); got != 200 {
		t.Fatalf("/readyz before the store is full: %d", got)
	}

	// A store's unflushed writes may still fit after the disk is full, so
	// fill until writes are refused.
	disk.Fill(t, m.Engine.JetStream())
	payload, _ := json.Marshal(map[string]any{"id": "while-full", "pad": strings.Repeat("x", 100<<10)})
	invoke := func() error {
		_, err := lc.Invoke(context.Background(), &lambda.InvokeInput{
			FunctionName: aws.String("pay"), InvocationType: types.InvocationTypeEvent, Payload: payload,
		})
		return err
	}
	var lerr error
	eventually(t, 10*time.Second, "Lambda Invoke on a full store", func() error {
		if lerr = invoke(); lerr == nil {
			return errors.New("accepted")
		}
		return nil
	})
	var se *types.ServiceException
	var re interface{ HTTPStatusCode() int }
	if !errors.As(lerr, &se) || !errors.As(lerr, &re) || re.HTTPStatusCode() != 503 {
		t.Fatalf("Lambda Invoke on a full store: %v; want a 503 ServiceException", lerr)
	}
	_, serr := qc.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String(string(payload))})
	var ae smithy.APIError
	if !errors.As(serr, &ae) || ae.ErrorCode() != "ServiceUnavailable" || !errors.As(serr, &re) || re.HTTPStatusCode() != 503 {
		t.Fatalf("SQS SendMessage on a full store: %v; want 503 ServiceUnavailable", serr)
	}
	_, perr := tc.Publish(context.Background(), &sns.PublishInput{TopicArn: topic.TopicArn, Message: aws.String("paid")})
	if !errors.As(perr, &ae) || ae.ErrorCode() != "ServiceUnavailable" || !errors.As(perr, &re) || re.HTTPStatusCode() != 503 {
		t.Errorf("SNS Publish on a full store: %v; want 503 ServiceUnavailable", perr)
	}
	_, eerr := eb.PutEvents(context.Background(), &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{{
		Source: aws.String("shop"), DetailType: aws.String("paid"), Detail: aws.String(`{"id":1}`)}}})
	var ie *ebtypes.InternalException
	if !errors.As(eerr, &ie) || !errors.As(eerr, &re) || re.HTTPStatusCode() != 503 {
		t.Errorf("EventBridge PutEvents on a full store: %v; want 503 InternalException", eerr)
	}
	if got := httpStatus(t, m.APIURL()+"/readyz"); got != 503 {
		t.Errorf("/readyz on a full store: %d, want 503", got)
	}

	disk.Free(t, m.Engine.JetStream())
	took := eventually(t, 10*time.Second, "Event invoke after space is freed", invoke)
	t.Logf("invokes accepted again %s after space was freed (%s)", took.Round(time.Millisecond), disk.Kind)
	if took > 5*time.Second {
		t.Errorf("recovery took %s, want a few seconds", took)
	}
	if got := httpStatus(t, m.APIURL()+"/readyz"); got != 200 {
		t.Errorf("/readyz after space is freed: %d, want 200", got)
	}
	if _, err := qc.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String("after")}); err != nil {
		t.Errorf("SQS SendMessage after space is freed: %v", err)
	}
	id := invokeAsync(t, lc, "pay", map[string]any{"id": "after"})
	took = eventually(t, 8*time.Second, "the event accepted after recovery runs", func() error {
		inv, err := m.History.GetInvocation(context.Background(), id)
		if err != nil {
			return err
		}
		if !inv.Done {
			return errors.New("not done")
		}
		return nil
	})
	t.Logf("the event accepted after recovery ran in %s", took.Round(time.Millisecond))
}

// testWriter sends server logs to the test log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}
