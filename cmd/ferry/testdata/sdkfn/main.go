// Command sdkfn is an aws-lambda-go function for Ferry's end-to-end tests:
// with aws-sdk-go-v2 clients configured only from the environment Ferry
// gives it, it sends to a queue, publishes to a topic, puts an event and
// invokes another function asynchronously.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	lambdasvc "github.com/aws/aws-sdk-go-v2/service/lambda"
	ltypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

type order struct {
	QueueURL string `json:"queueUrl"`
	TopicARN string `json:"topicArn"`
	Function string `json:"function"`
	ID       string `json:"id"`
}

// endpoint is what the SDKs' shared configuration resolves: the service's
// own variable, else AWS_ENDPOINT_URL.
func endpoint(service string) *string {
	if v := os.Getenv("AWS_ENDPOINT_URL_" + service); v != "" {
		return aws.String(v)
	}
	return aws.String(os.Getenv("AWS_ENDPOINT_URL"))
}

func handle(ctx context.Context, o order) (string, error) {
	region := os.Getenv("AWS_REGION")
	creds := credentials.NewStaticCredentialsProvider(os.Getenv("AWS_ACCESS_KEY_ID"),
		os.Getenv("AWS_SECRET_ACCESS_KEY"), os.Getenv("AWS_SESSION_TOKEN"))
	qc := sqs.New(sqs.Options{Region: region, Credentials: creds, BaseEndpoint: endpoint("SQS")})
	if _, err := qc.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &o.QueueURL, MessageBody: aws.String("sqs:" + o.ID)}); err != nil {
		return "", fmt.Errorf("SendMessage: %w", err)
	}
	tc := sns.New(sns.Options{Region: region, Credentials: creds, BaseEndpoint: endpoint("SNS")})
	if _, err := tc.Publish(ctx, &sns.PublishInput{TopicArn: &o.TopicARN, Message: aws.String("sns:" + o.ID)}); err != nil {
		return "", fmt.Errorf("Publish: %w", err)
	}
	ec := eventbridge.New(eventbridge.Options{Region: region, Credentials: creds, BaseEndpoint: endpoint("EVENTBRIDGE")})
	out, err := ec.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{{
		Source: aws.String("sdkfn"), DetailType: aws.String("order"), Detail: aws.String(`{"id":"events:` + o.ID + `"}`),
	}}})
	if err != nil {
		return "", fmt.Errorf("PutEvents: %w", err)
	}
	if out.FailedEntryCount != 0 {
		return "", fmt.Errorf("PutEvents: %d failed", out.FailedEntryCount)
	}
	lc := lambdasvc.New(lambdasvc.Options{Region: region, Credentials: creds, BaseEndpoint: endpoint("LAMBDA")})
	if _, err := lc.Invoke(ctx, &lambdasvc.InvokeInput{FunctionName: &o.Function, InvocationType: ltypes.InvocationTypeEvent,
		Payload: []byte(`{"id":"lambda:` + o.ID + `","amount":1}`)}); err != nil {
		return "", fmt.Errorf("Invoke: %w", err)
	}
	return "sent " + o.ID, nil
}

func main() { lambda.Start(handle) }
