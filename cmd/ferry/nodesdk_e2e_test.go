package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sns"
)

const nodeSDKCJS = `const { SQSClient, SendMessageCommand } = require('@aws-sdk/client-sqs');
const { SNSClient, PublishCommand } = require('@aws-sdk/client-sns');
const { EventBridgeClient, PutEventsCommand } = require('@aws-sdk/client-eventbridge');
const { LambdaClient, InvokeCommand } = require('@aws-sdk/client-lambda');
exports.handler = async (o) => {
  await new SQSClient({}).send(new SendMessageCommand({ QueueUrl: o.queueUrl, MessageBody: 'sqs:' + o.id }));
  await new SNSClient({}).send(new PublishCommand({ TopicArn: o.topicArn, Message: 'sns:' + o.id }));
  const ev = await new EventBridgeClient({}).send(new PutEventsCommand({ Entries: [{ Source: 'sdkfn', DetailType: 'order', Detail: JSON.stringify({ id: 'events:' + o.id }) }] }));
  if (ev.FailedEntryCount) throw new Error('PutEvents failed');
  await new LambdaClient({}).send(new InvokeCommand({ FunctionName: o.function, InvocationType: 'Event', Payload: JSON.stringify({ id: 'lambda:' + o.id, amount: 1 }) }));
  return 'sent ' + o.id;
};
`

const nodeSDKESM = `import { SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs';
import { SNSClient, PublishCommand } from '@aws-sdk/client-sns';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { LambdaClient, InvokeCommand } from '@aws-sdk/client-lambda';
export const handler = async (o) => {
  await new SQSClient({}).send(new SendMessageCommand({ QueueUrl: o.queueUrl, MessageBody: 'sqs:' + o.id }));
  await new SNSClient({}).send(new PublishCommand({ TopicArn: o.topicArn, Message: 'sns:' + o.id }));
  const ev = await new EventBridgeClient({}).send(new PutEventsCommand({ Entries: [{ Source: 'sdkfn', DetailType: 'order', Detail: JSON.stringify({ id: 'events:' + o.id }) }] }));
  if (ev.FailedEntryCount) throw new Error('PutEvents failed');
  await new LambdaClient({}).send(new InvokeCommand({ FunctionName: o.function, InvocationType: 'Event', Payload: JSON.stringify({ id: 'lambda:' + o.id, amount: 1 }) }));
  return 'sent ' + o.id;
};
`

// Node.js functions that import the AWS SDK v3 without bundling it (CommonJS
// and ES modules) get Ferry's, configured only by the environment, and
// reach SQS, SNS, EventBridge and Lambda on an authenticating server.
func TestNodeFunctionCallsFerryThroughProvidedSDK(t *testing.T) {
	t.Parallel()
	if installedNodeSDK() == "" {
		t.Fatal("the AWS SDK for Node.js is not installed: run `go run ./cmd/ferry runtime install node-sdk` (.ci/run does)")
	}
	m := setupWith(t, Config{Auth: true, AccessKeys: map[string]string{"AKIDADMIN": "admin-secret"}})
	ctx := context.Background()
	lc := adminLambda(m)
	tc := sns.New(sns.Options{Region: "us-east-1", BaseEndpoint: aws.String(m.APIURL()), Credentials: adminCreds, RetryMaxAttempts: 1})
	realm := m.Config.Realm
	topicArn := sdkTargets(t, m, tc)
	createFunction(t, lc, nodeFn("payee"))
	putDestinations(t, lc, "payee", 0, realm.QueueARN("invoked"), "")
	createFunction(t, lc, fnSpec{name: "cjs", runtime: "nodejs20.x", handler: "index.handler", timeout: 10,
		zip: zipFiles(map[string]string{"index.js": nodeSDKCJS}, 0o644)})
	createFunction(t, lc, fnSpec{name: "esm", runtime: "nodejs20.x", handler: "index.handler", timeout: 10,
		zip: zipFiles(map[string]string{"index.mjs": nodeSDKESM}, 0o644)})

	for _, fn := range []string{"cjs", "esm"} {
		out, err := lc.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(fn),
			Payload: []byte(`{"queueUrl":"` + m.APIURL() + `/000000000000/direct","topicArn":"` + topicArn +
				`","function":"payee","id":"` + fn + `"}`)})
		if err != nil {
			t.Fatal(err)
		}
		if out.FunctionError != nil {
			t.Fatalf("%s failed: %s", fn, out.Payload)
		}
		for q, want := range map[string]string{"direct": "sqs:" + fn, "from-topic": "sns:" + fn, "from-bus": "events:" + fn, "invoked": "lambda:" + fn} {
			msg := receiveOne(t, m, q, 10*time.Second)
			if !strings.Contains(string(msg.Body), want) {
				t.Errorf("queue %s got %s, want it to carry %q", q, msg.Body, want)
			}
		}
	}
}

// A function's own bundled SDK wins over Ferry's, as on AWS.
func TestNodeFunctionBundledSDKWins(t *testing.T) {
	t.Parallel()
	if installedNodeSDK() == "" {
		t.Fatal("the AWS SDK for Node.js is not installed: run `go run ./cmd/ferry runtime install node-sdk`")
	}
	m := setup(t, 1)
	c := lambdaClient(m)
	files := map[string]string{
		"index.js": `exports.handler = async () => ({ cjs: require('@aws-sdk/client-sqs').bundled === true, esm: (await import('@aws-sdk/client-sqs')).bundled === true });`,
		"node_modules/@aws-sdk/client-sqs/package.json": `{"name":"@aws-sdk/client-sqs","version":"0.0.1","main":"index.js"}`,
		"node_modules/@aws-sdk/client-sqs/index.js":     `exports.bundled = true;`,
	}
	createFunction(t, c, fnSpec{name: "own", runtime: "nodejs20.x", handler: "index.handler", zip: zipFiles(files, 0o644)})
	out, err := c.Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String("own")})
	if err != nil {
		t.Fatal(err)
	}
	if got := string(out.Payload); got != `{"cjs":true,"esm":true}` {
		t.Errorf("payload %s, want the bundled SDK for both require and import", got)
	}
}

// Without Ferry's SDK installed, a function that needs it fails with a
// message naming the command that installs it.
func TestNodeFunctionMissingSDKNamesInstallCommand(t *testing.T) {
	t.Setenv("FERRY_NODE_SDK_DIR", t.TempDir())
	m := setup(t, 1)
	c := lambdaClient(m)
	createFunction(t, c, fnSpec{name: "needs", runtime: "nodejs20.x", handler: "index.handler",
		zip: zipFiles(map[string]string{"index.js": nodeSDKCJS}, 0o644)})
	out, err := c.Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String("needs"), Payload: []byte(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	if p := string(out.Payload); out.FunctionError == nil || !strings.Contains(p, "Runtime.ImportModuleError") ||
		!strings.Contains(p, "ferry runtime install node-sdk") {
		t.Errorf("payload %s, want an ImportModuleError naming `ferry runtime install node-sdk`", p)
	}
}
