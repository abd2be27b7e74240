package main

import (
	"context"
	"regexp"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	ltypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// samGoDestination exercises examples/sam-go's asynchronous path on a
// running `ferry up`: an Event invoke of HelloFunction through the Lambda
// API sends its success record to GreetingsQueue (OnSuccess), whose SQS
// event runs RecordFunction with that record: the log line names the
// invoke's request id, the Success condition, HelloFunction's ARN and the
// greeting.
func samGoDestination(t *testing.T, p *upProcess) {
	t.Helper()
	hello := p.waitLine(t, regexp.MustCompile(`function +(\S*HelloFunction\S*) \(provided\.al2023`), time.Second)[1]
	p.waitLine(t, regexp.MustCompile(`trigger +arn:aws:sqs:\S+ -> \S*RecordFunction\S* \(batch 1\)`), time.Second)
	lc := lambda.New(lambda.Options{Region: "us-east-1", BaseEndpoint: aws.String("http://" + p.api),
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""), RetryMaxAttempts: 1})
	out, err := lc.Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String(hello),
		InvocationType: ltypes.InvocationTypeEvent, Payload: []byte(`{"pathParameters":{"name":"dan"}}`)})
	if err != nil || out.StatusCode != 202 {
		t.Fatalf("async invoke of %s: %v", hello, err)
	}
	id, _ := middleware.GetRequestIDMetadata(out.ResultMetadata)
	if id == "" {
		t.Fatal("no request id on the async invoke")
	}
	p.waitLine(t, regexp.MustCompile(`RecordFunction\S* [0-9a-f-]{36} .*recorded `+regexp.QuoteMeta(id)+
		` Success from arn:aws:lambda:us-east-1:000000000000:function:`+regexp.QuoteMeta(hello)+`:\$LATEST: hello dan$`), 30*time.Second)
}
