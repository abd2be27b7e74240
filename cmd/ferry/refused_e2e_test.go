package main

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	ltypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go"
)

// mixedStack has a Node.js function and a Java one that Ferry cannot run;
// the Java one has a route, a topic subscription, a queue trigger (its
// queue dead-letters after one receive) and a failure destination.
const mixedStack = `service: mixed
provider:
  name: aws
  runtime: nodejs20.x
functions:
  ok:
    handler: handler.ok
    events:
      - httpApi: {path: /ok, method: GET}
  legacy:
    handler: example.Handler::handleRequest
    runtime: java21
    timeout: 1
    destinations:
      onFailure:
        type: sqs
        arn: !GetAtt LegacyFailures.Arn
    events:
      - httpApi: {path: /legacy, method: GET}
      - sns:
          arn: !Ref News
          topicName: news
      - sqs:
          arn: !GetAtt Jobs.Arn
          batchSize: 1
resources:
  Resources:
    News:
      Type: AWS::SNS::Topic
      Properties: {TopicName: news}
    LegacyFailures:
      Type: AWS::SQS::Queue
      Properties: {QueueName: legacyFailures}
    JobsDLQ:
      Type: AWS::SQS::Queue
      Properties: {QueueName: jobsDLQ}
    Jobs:
      Type: AWS::SQS::Queue
      Properties:
        QueueName: jobs
        VisibilityTimeout: 1
        RedrivePolicy:
          deadLetterTargetArn: !GetAtt JobsDLQ.Arn
          maxReceiveCount: 1
`

// TestUpStartsAStackWithARefusedRuntime: `ferry up` on a stack with a Java
// function starts the others with a warning naming the function and its
// runtime at file:line; every way of invoking the Java function answers a
// clear error naming the runtime, and the events accepted for it (a topic
// message, a queue message) end at its failure destination and its queue's
// dead-letter queue, not lost. --strict refuses the stack at file:line.
func TestUpStartsAStackWithARefusedRuntime(t *testing.T) {
	t.Parallel()
	bin := buildFerry(t)
	dir := t.TempDir()
	files := map[string]string{
		"serverless.yml": mixedStack,
		"handler.js":     "exports.ok = async () => ({ statusCode: 200, body: 'ok' });\n",
	}
	for n, b := range files {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(b), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	stackFile := filepath.Join(dir, "serverless.yml")

	// --strict: an error at the runtime's file:line, nothing started.
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, "up", dir, "--strict", "--api", freePort(t), "--gateway", freePort(t)).CombinedOutput()
	if err == nil {
		t.Fatalf("ferry up --strict started a stack with a java21 function:\n%s", out)
	}
	if want := stackFile + `:12:14: functions.legacy.runtime: function mixed-dev-legacy will not run: runtime "java21" is not supported by Ferry`; !strings.Contains(string(out), want) {
		t.Fatalf("--strict output lacks %q:\n%s", want, out)
	}

	p := startUp(t, bin, dir)
	p.waitLine(t, regexp.MustCompile(`^warning: `+regexp.QuoteMeta(stackFile)+`:12:14: functions\.legacy\.runtime: function mixed-dev-legacy will not run: runtime "java21" is not supported`), 60*time.Second)
	p.waitLine(t, regexp.MustCompile(`ferry: mixed \(serverless.yml, stage dev\) is up`), 60*time.Second)
	p.waitLine(t, regexp.MustCompile(`function +mixed-dev-legacy \(java21, .*not run: runtime not supported by Ferry`), time.Second)

	// The other function runs.
	if code, body := httpGet(t, "http://"+p.gateway+"/ok"); code != 200 || body != "ok" {
		t.Fatalf("GET /ok: %d %s", code, body)
	}
	// The gateway route answers 500 (HTTP API's integration error) naming the runtime.
	if code, body := httpGet(t, "http://"+p.gateway+"/legacy"); code != 500 || !strings.Contains(body, `runtime \"java21\" is not supported by Ferry`) {
		t.Fatalf("GET /legacy: %d %s", code, body)
	}

	creds := credentials.NewStaticCredentialsProvider("test", "test", "")
	ep := aws.String("http://" + p.api)
	lc := lambda.New(lambda.Options{Region: "us-east-1", BaseEndpoint: ep, Credentials: creds, RetryMaxAttempts: 1})
	qc := sqs.New(sqs.Options{Region: "us-east-1", BaseEndpoint: ep, Credentials: creds, RetryMaxAttempts: 1})
	tc := sns.New(sns.Options{Region: "us-east-1", BaseEndpoint: ep, Credentials: creds, RetryMaxAttempts: 1})
	bg := context.Background()

	// Lambda API: sync, async and dry-run invokes answer InvalidRuntimeException (502).
	for _, typ := range []ltypes.InvocationType{ltypes.InvocationTypeRequestResponse, ltypes.InvocationTypeEvent, ltypes.InvocationTypeDryRun} {
		_, err := lc.Invoke(bg, &lambda.InvokeInput{FunctionName: aws.String("mixed-dev-legacy"), InvocationType: typ, Payload: []byte(`{}`)})
		var irt *ltypes.InvalidRuntimeException
		var re interface{ HTTPStatusCode() int }
		if !errors.As(err, &irt) || !strings.Contains(irt.ErrorMessage(), `function mixed-dev-legacy cannot run: runtime "java21" is not supported by Ferry`) ||
			!errors.As(err, &re) || re.HTTPStatusCode() != 502 {
			t.Errorf("%s invoke: %v, want InvalidRuntimeException (502) naming the runtime", typ, err)
		}
	}
	// The function is known: GetFunction shows its runtime.
	fn, err := lc.GetFunction(bg, &lambda.GetFunctionInput{FunctionName: aws.String("mixed-dev-legacy")})
	if err != nil || fn.Configuration.Runtime != "java21" {
		t.Fatalf("GetFunction: %v", err)
	}

	// A topic message accepted for it reaches its failure destination.
	if _, err := tc.Publish(bg, &sns.PublishInput{TopicArn: aws.String("arn:aws:sns:us-east-1:000000000000:news"), Message: aws.String("hello legacy")}); err != nil {
		t.Fatal(err)
	}
	rec := receiveBody(t, qc, "http://"+p.api+"/000000000000/legacyFailures")
	for _, want := range []string{`"condition":"RetriesExhausted"`, `"errorType":"InvalidRuntimeException"`, `runtime \"java21\" is not supported by Ferry`, `hello legacy`} {
		if !strings.Contains(rec, want) {
			t.Errorf("failure record lacks %s:\n%s", want, rec)
		}
	}
	// A queue message for its trigger is not lost: it goes to the queue's DLQ.
	if _, err := qc.SendMessage(bg, &sqs.SendMessageInput{QueueUrl: aws.String("http://" + p.api + "/000000000000/jobs"), MessageBody: aws.String("job-1")}); err != nil {
		t.Fatal(err)
	}
	if got := receiveBody(t, qc, "http://"+p.api+"/000000000000/jobsDLQ"); got != "job-1" {
		t.Errorf("jobsDLQ got %q, want job-1", got)
	}

	_ = p.cmd.Process.Signal(syscall.SIGINT)
	<-p.done
}

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// receiveBody long-polls queueURL for up to 20 s and returns one message body.
func receiveBody(t *testing.T, qc *sqs.Client, queueURL string) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		out, err := qc.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(queueURL), WaitTimeSeconds: 2, MaxNumberOfMessages: 1})
		if err != nil {
			var ae smithy.APIError
			errors.As(err, &ae)
			t.Fatalf("receive %s: %v", queueURL, err)
		}
		if len(out.Messages) == 1 {
			return aws.ToString(out.Messages[0].Body)
		}
	}
	t.Fatalf("nothing arrived on %s", queueURL)
	return ""
}
