// Command record reads the GreetingsQueue: each message is the invocation
// record HelloFunction's OnSuccess destination sent after an asynchronous
// invoke, and it logs which request produced which greeting.
package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

// invocationRecord is the part of a destination record this function reads.
type invocationRecord struct {
	RequestContext struct {
		RequestID   string `json:"requestId"`
		FunctionArn string `json:"functionArn"`
		Condition   string `json:"condition"`
	} `json:"requestContext"`
	ResponsePayload events.APIGatewayV2HTTPResponse `json:"responsePayload"`
}

func handle(ctx context.Context, ev events.SQSEvent) error {
	for _, msg := range ev.Records {
		var rec invocationRecord
		if err := json.Unmarshal([]byte(msg.Body), &rec); err != nil {
			return fmt.Errorf("message %s is not an invocation record: %w", msg.MessageId, err)
		}
		var greeting struct {
			Greeting string `json:"greeting"`
		}
		_ = json.Unmarshal([]byte(rec.ResponsePayload.Body), &greeting)
		fmt.Printf("recorded %s %s from %s: %s\n", rec.RequestContext.RequestID, rec.RequestContext.Condition,
			rec.RequestContext.FunctionArn, greeting.Greeting)
	}
	return nil
}

func main() { lambda.Start(handle) }
