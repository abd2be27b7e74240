package sqsapi_test

import (
	"context"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// TestDelaySecondsZeroOverridesQueue: a message sent with DelaySeconds=0
// to a queue with a delay is visible at once.
func TestDelaySecondsZeroOverridesQueue(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	url := b.createQueue(t, "slow", map[string]string{"DelaySeconds": "900"})
	// aws-sdk-go-v2 leaves a zero DelaySeconds out of the request, so send
	// it as botocore does, over the JSON protocol.
	req, _ := http.NewRequest(http.MethodPost, b.srv.URL+"/", strings.NewReader(`{"QueueUrl":"`+url+`","MessageBody":"now","DelaySeconds":0}`))
	req.Header.Set("X-Amz-Target", "AmazonSQS.SendMessage")
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	resp, err := b.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("SendMessage DelaySeconds=0: %d", resp.StatusCode)
	}
	if _, err := b.client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("later")}); err != nil {
		t.Fatal(err)
	}
	out, err := b.client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Messages) != 1 || aws.ToString(out.Messages[0].Body) != "now" {
		t.Fatalf("received %d messages (%v); want only the DelaySeconds=0 one", len(out.Messages), out.Messages)
	}
}

// TestMessageAttributeNamesWildcards: "Custom.*" selects the attributes
// with that prefix, "All" every one.
func TestMessageAttributeNamesWildcards(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	url := b.createQueue(t, "attrs", nil)
	str := func(v string) types.MessageAttributeValue {
		return types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
	}
	for range 2 {
		if _, err := b.client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("m"),
			MessageAttributes: map[string]types.MessageAttributeValue{"Custom.a": str("1"), "Custom.b": str("2"), "Other": str("3")}}); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		names []string
		want  string
	}{{[]string{"Custom.*"}, "Custom.a,Custom.b"}, {[]string{"All"}, "Custom.a,Custom.b,Other"}} {
		out, err := b.client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MessageAttributeNames: tc.names, WaitTimeSeconds: 2})
		if err != nil || len(out.Messages) != 1 {
			t.Fatalf("receive %v: %v, %v", tc.names, out, err)
		}
		got := slices.Sorted(maps.Keys(out.Messages[0].MessageAttributes))
		if strings.Join(got, ",") != tc.want {
			t.Errorf("MessageAttributeNames %v: got %v, want %s", tc.names, got, tc.want)
		}
	}
}
