package main

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// Queues and topics are named like functions on the command line: short
// names resolve, unknown ones list the near matches.
func TestCLIQueueAndTopicNames(t *testing.T) {
	t.Parallel()
	m := setup(t, 0.001)
	ctx := t.Context()
	creds := credentials.NewStaticCredentialsProvider("test", "test", "")
	ep := aws.String(m.APIURL())
	qc := sqs.New(sqs.Options{Region: "us-east-1", BaseEndpoint: ep, Credentials: creds, RetryMaxAttempts: 1})
	tc := sns.New(sns.Options{Region: "us-east-1", BaseEndpoint: ep, Credentials: creds, RetryMaxAttempts: 1})
	q, err := qc.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("shop-dev-orders")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tc.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("shop-dev-alerts")}); err != nil {
		t.Fatal(err)
	}
	flag := "--endpoint=" + m.APIURL()

	if _, err := runCLI(t, "send", flag, "orders", "hello"); err != nil {
		t.Fatalf("send to a short queue name: %v", err)
	}
	got, err := qc.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, WaitTimeSeconds: 1})
	if err != nil || len(got.Messages) != 1 || aws.ToString(got.Messages[0].Body) != "hello" {
		t.Fatalf("message sent by short name: %v %+v", err, got)
	}
	_, err = runCLI(t, "send", flag, "ordres", "x")
	if err == nil || !strings.Contains(err.Error(), `QueueDoesNotExist: no queue "ordres"; did you mean: shop-dev-orders`) {
		t.Fatalf("send to an unknown queue: %v", err)
	}
	if _, err := runCLI(t, "publish", flag, "alerts", "fire"); err != nil {
		t.Fatalf("publish to a short topic name: %v", err)
	}
	_, err = runCLI(t, "publish", flag, "alert", "x")
	if err == nil || !strings.Contains(err.Error(), `NotFound: no topic "alert"; did you mean: shop-dev-alerts`) {
		t.Fatalf("publish to an unknown topic: %v", err)
	}
}
