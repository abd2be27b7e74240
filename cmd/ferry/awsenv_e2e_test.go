package main

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/ferry-run/ferry/bus"
)

var adminCreds = credentials.NewStaticCredentialsProvider("AKIDADMIN", "admin-secret", "")

func adminLambda(m *Main) *lambda.Client {
	return lambda.New(lambda.Options{Region: "us-east-1", BaseEndpoint: aws.String(m.APIURL()), Credentials: adminCreds, RetryMaxAttempts: 1})
}

// buildSDKFn builds testdata/sdkfn into a function zip.
func buildSDKFn(t *testing.T) []byte {
	t.Helper()
	out := filepath.Join(t.TempDir(), "bootstrap")
	cmd := exec.Command("go", "build", "-o", out, "./testdata/sdkfn")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build sdkfn: %v\n%s", err, b)
	}
	bin, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return zipFiles(map[string]string{"bootstrap": string(bin)}, 0o755)
}

// A Go function using aws-sdk-go-v2 with only the environment Ferry gives it
// (endpoint, region, its own key on an authenticating server) reaches SQS,
// SNS, EventBridge and Lambda, each observed at the other end.
func TestGoFunctionCallsFerryThroughTheSDK(t *testing.T) {
	t.Parallel()
	m := setupWith(t, Config{Auth: true, AccessKeys: map[string]string{"AKIDADMIN": "admin-secret"}})
	ctx := context.Background()
	creds := credentials.NewStaticCredentialsProvider("AKIDADMIN", "admin-secret", "")
	ep := aws.String(m.APIURL())
	lc := lambda.New(lambda.Options{Region: "us-east-1", BaseEndpoint: ep, Credentials: creds, RetryMaxAttempts: 1})
	tc := sns.New(sns.Options{Region: "us-east-1", BaseEndpoint: ep, Credentials: creds, RetryMaxAttempts: 1})
	realm := m.Config.Realm

	topicArn := sdkTargets(t, m, tc)
	createFunction(t, lc, goFn(t, "payee"))
	putDestinations(t, lc, "payee", 0, realm.QueueARN("invoked"), "")
	createFunction(t, lc, fnSpec{name: "sender", runtime: "provided.al2023", handler: "bootstrap", zip: buildSDKFn(t)})

	out, err := lc.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("sender"),
		Payload: []byte(`{"queueUrl":"` + m.APIURL() + `/000000000000/direct","topicArn":"` + topicArn +
			`","function":"payee","id":"go-1"}`)})
	if err != nil {
		t.Fatal(err)
	}
	if out.FunctionError != nil {
		t.Fatalf("sender failed: %s", out.Payload)
	}
	for q, want := range map[string]string{"direct": "sqs:go-1", "from-topic": "sns:go-1", "from-bus": "events:go-1", "invoked": "lambda:go-1"} {
		msg := receiveOne(t, m, q, 10*time.Second)
		if !strings.Contains(string(msg.Body), want) {
			t.Errorf("queue %s got %s, want it to carry %q", q, msg.Body, want)
		}
	}
}

// A function's key signs AWS API calls only: Ferry's own endpoints refuse it.
func TestFunctionKeyIsRefusedByFerrysEndpoints(t *testing.T) {
	t.Parallel()
	m := setupWith(t, Config{Auth: true, AccessKeys: map[string]string{"AKIDADMIN": "admin-secret"}})
	id, secret := m.fnKeys.derive("fn")
	if s, ok := m.fnKeys.lookup(id); !ok || s != secret {
		t.Fatalf("the verifier does not know the function key %s", id)
	}
	for _, path := range []string{"/_ferry/api/functions", "/metrics"} {
		req, _ := http.NewRequest("GET", m.APIURL()+path, nil)
		req.SetBasicAuth(id, secret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s with a function key: status %d, want 403", path, resp.StatusCode)
		}
	}
	other, _ := m.fnKeys.derive("other")
	if other == id {
		t.Fatal("two functions share a key")
	}
}

// sdkTargets makes what the SDK test functions call: queue "direct", topic
// "orders" delivering raw to queue "from-topic", a default-bus rule for
// source "sdkfn" targeting queue "from-bus", and queue "invoked" for the
// invoked function's records. It returns the topic's ARN.
func sdkTargets(t *testing.T, m *Main, tc *sns.Client) string {
	t.Helper()
	ctx := context.Background()
	realm := m.Config.Realm
	for _, q := range []string{"direct", "from-topic", "from-bus", "invoked"} {
		createQueue(t, m, q)
	}
	topic, err := tc.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("orders")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tc.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("sqs"),
		Endpoint: aws.String(realm.QueueARN("from-topic")), Attributes: map[string]string{"RawMessageDelivery": "true"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Buses.PutRule(ctx, bus.Rule{Bus: "default", Name: "orders", State: "ENABLED", EventPattern: `{"source":["sdkfn"]}`}); err != nil {
		t.Fatal(err)
	}
	if f, err := m.Buses.PutTargets(ctx, "default", "orders", []bus.Target{{Id: "q", Arn: realm.QueueARN("from-bus")}}); err != nil || len(f) > 0 {
		t.Fatal(err, f)
	}
	return *topic.TopicArn
}
