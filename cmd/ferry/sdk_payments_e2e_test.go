package main

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	ltypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// TestPaymentsFlowSetUpThroughTheSDKs builds the reference flow with AWS
// SDK calls only, then runs payments through it.
func TestPaymentsFlowSetUpThroughTheSDKs(t *testing.T) {
	t.Parallel()
	m := setup(t, 1)
	ctx := context.Background()
	creds := credentials.NewStaticCredentialsProvider("test", "test", "")
	ep := aws.String(m.APIURL())
	lc := lambda.New(lambda.Options{Region: "us-east-1", BaseEndpoint: ep, Credentials: creds, RetryMaxAttempts: 1})
	qc := sqs.New(sqs.Options{Region: "us-east-1", BaseEndpoint: ep, Credentials: creds, RetryMaxAttempts: 1})
	tc := sns.New(sns.Options{Region: "us-east-1", BaseEndpoint: ep, Credentials: creds, RetryMaxAttempts: 1})

	src, err := os.ReadFile("../../examples/payments/handler.js")
	if err != nil {
		t.Fatal(err)
	}
	code := zipFiles(map[string]string{"handler.js": string(src)}, 0o644)
	for _, fn := range []string{"processPayment", "notifyCustomer", "notifyPaymentsTeam"} {
		if _, err := lc.CreateFunction(ctx, &lambda.CreateFunctionInput{
			FunctionName: aws.String(fn), Runtime: ltypes.RuntimeNodejs20x, Handler: aws.String("handler." + fn),
			Role: aws.String("arn:aws:iam::000000000000:role/payments"), Code: &ltypes.FunctionCode{ZipFile: code},
		}); err != nil {
			t.Fatalf("CreateFunction %s: %v", fn, err)
		}
	}
	queueARN := map[string]string{}
	for _, q := range []string{"paymentsNotification", "paymentsDLQ"} {
		out, err := qc.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(q)})
		if err != nil {
			t.Fatal(err)
		}
		attrs, err := qc.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: out.QueueUrl,
			AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
		if err != nil {
			t.Fatal(err)
		}
		queueARN[q] = attrs.Attributes["QueueArn"]
	}
	if _, err := lc.PutFunctionEventInvokeConfig(ctx, &lambda.PutFunctionEventInvokeConfigInput{
		FunctionName: aws.String("processPayment"), MaximumRetryAttempts: aws.Int32(0), MaximumEventAgeInSeconds: aws.Int32(60),
		DestinationConfig: &ltypes.DestinationConfig{
			OnSuccess: &ltypes.OnSuccess{Destination: aws.String(queueARN["paymentsNotification"])},
			OnFailure: &ltypes.OnFailure{Destination: aws.String(queueARN["paymentsDLQ"])},
		},
	}); err != nil {
		t.Fatal(err)
	}
	topic, err := tc.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("payments")})
	if err != nil {
		t.Fatal(err)
	}
	fn, err := lc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("processPayment")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tc.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("lambda"),
		Endpoint: fn.Configuration.FunctionArn}); err != nil {
		t.Fatal(err)
	}
	for q, consumer := range map[string]string{"paymentsNotification": "notifyCustomer", "paymentsDLQ": "notifyPaymentsTeam"} {
		if _, err := lc.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{
			EventSourceArn: aws.String(queueARN[q]), FunctionName: aws.String(consumer), BatchSize: aws.Int32(1),
		}); err != nil {
			t.Fatalf("CreateEventSourceMapping %s: %v", q, err)
		}
	}

	const n = 8
	for i := range n {
		amount := 20 + i
		if i%4 == 0 {
			amount = 7000
		}
		if _, err := tc.Publish(ctx, &sns.PublishInput{TopicArn: topic.TopicArn,
			Message: aws.String(fmt.Sprintf(`{"id":"p%d","amount":%d}`, i, amount))}); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		customer, team := map[string]int{}, map[string]int{}
		for _, l := range m.Logs.Recent("notifyCustomer", 0) {
			if g := notified.FindStringSubmatch(l.Text); g != nil {
				customer[g[1]]++
			}
		}
		for _, l := range m.Logs.Recent("notifyPaymentsTeam", 0) {
			if g := alerted.FindStringSubmatch(l.Text); g != nil {
				team[g[1]]++
			}
		}
		if len(customer)+len(team) == n {
			for i := range n {
				id := fmt.Sprintf("p%d", i)
				if i%4 == 0 && (team[id] != 1 || customer[id] != 0) || i%4 != 0 && (customer[id] != 1 || team[id] != 0) {
					t.Fatalf("payment %s: customer %d team %d", id, customer[id], team[id])
				}
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 60 s: customer %v team %v", customer, team)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
