package lambdaapi_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/ferry-run/ferry"
)

const (
	queueOK   = "arn:aws:sqs:us-east-1:000000000000:paymentsNotification"
	queueFail = "arn:aws:sqs:us-east-1:000000000000:paymentsDLQ"
)

func dest(arn string) *types.DestinationConfig {
	return &types.DestinationConfig{OnSuccess: &types.OnSuccess{Destination: aws.String(arn)}}
}

func TestEventInvokeConfigPutReplacesUpdateMerges(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	b.putFunction(t, &ferry.Function{Name: "processPayment"})

	_, err := b.client.GetFunctionEventInvokeConfig(ctx, &lambda.GetFunctionEventInvokeConfigInput{FunctionName: aws.String("processPayment")})
	e := wantErr[*types.ResourceNotFoundException](t, err)
	if !strings.Contains(aws.ToString(e.Message), "doesn't have an EventInvokeConfig") {
		t.Errorf("message %q", aws.ToString(e.Message))
	}

	before := time.Now().Add(-time.Second)
	put, err := b.client.PutFunctionEventInvokeConfig(ctx, &lambda.PutFunctionEventInvokeConfigInput{
		FunctionName:             aws.String("processPayment"),
		MaximumRetryAttempts:     aws.Int32(1),
		MaximumEventAgeInSeconds: aws.Int32(120),
		DestinationConfig:        dest(queueOK),
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := aws.ToString(put.FunctionArn), "arn:aws:lambda:us-east-1:000000000000:function:processPayment:$LATEST"; got != want {
		t.Errorf("FunctionArn = %q, want %q", got, want)
	}
	if put.LastModified == nil || put.LastModified.Before(before) || put.LastModified.After(time.Now().Add(time.Second)) {
		t.Errorf("LastModified = %v, want about now", put.LastModified)
	}

	upd, err := b.client.UpdateFunctionEventInvokeConfig(ctx, &lambda.UpdateFunctionEventInvokeConfigInput{
		FunctionName:      aws.String("processPayment"),
		DestinationConfig: &types.DestinationConfig{OnFailure: &types.OnFailure{Destination: aws.String(queueFail)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToInt32(upd.MaximumRetryAttempts) != 1 || aws.ToInt32(upd.MaximumEventAgeInSeconds) != 120 ||
		aws.ToString(upd.DestinationConfig.OnSuccess.Destination) != queueOK ||
		aws.ToString(upd.DestinationConfig.OnFailure.Destination) != queueFail {
		t.Errorf("Update did not merge: %+v %+v", upd, upd.DestinationConfig)
	}
	got := b.function(t, "processPayment").Async
	if got.Retries() != 1 || got.MaxAge() != 2*time.Minute || got.OnSuccess != queueOK || got.OnFailure != queueFail {
		t.Errorf("stored async config %+v", got)
	}

	get, err := b.client.GetFunctionEventInvokeConfig(ctx, &lambda.GetFunctionEventInvokeConfigInput{FunctionName: aws.String("processPayment")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(get.DestinationConfig.OnFailure.Destination) != queueFail || aws.ToInt32(get.MaximumRetryAttempts) != 1 {
		t.Errorf("Get = %+v", get)
	}

	rep, err := b.client.PutFunctionEventInvokeConfig(ctx, &lambda.PutFunctionEventInvokeConfigInput{
		FunctionName: aws.String("processPayment"), MaximumRetryAttempts: aws.Int32(0),
	})
	if err != nil {
		t.Fatal(err)
	}
	if rep.MaximumEventAgeInSeconds != nil || aws.ToString(rep.DestinationConfig.OnSuccess.Destination) != "" ||
		aws.ToString(rep.DestinationConfig.OnFailure.Destination) != "" || aws.ToInt32(rep.MaximumRetryAttempts) != 0 {
		t.Errorf("Put did not replace: %+v %+v", rep, rep.DestinationConfig)
	}
	got = b.function(t, "processPayment").Async
	if got.Retries() != 0 || got.MaxAge() != ferry.DefaultMaxEventAge || got.OnSuccess != "" || got.OnFailure != "" {
		t.Errorf("stored async config after Put %+v", got)
	}

	list, err := b.client.ListFunctionEventInvokeConfigs(ctx, &lambda.ListFunctionEventInvokeConfigsInput{
		FunctionName: aws.String("processPayment"), MaxItems: aws.Int32(10),
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.FunctionEventInvokeConfigs) != 1 || list.NextMarker != nil {
		t.Errorf("List = %+v", list)
	}

	if _, err := b.client.DeleteFunctionEventInvokeConfig(ctx, &lambda.DeleteFunctionEventInvokeConfigInput{FunctionName: aws.String("processPayment")}); err != nil {
		t.Fatal(err)
	}
	_, err = b.client.GetFunctionEventInvokeConfig(ctx, &lambda.GetFunctionEventInvokeConfigInput{FunctionName: aws.String("processPayment")})
	wantErr[*types.ResourceNotFoundException](t, err)
	_, err = b.client.DeleteFunctionEventInvokeConfig(ctx, &lambda.DeleteFunctionEventInvokeConfigInput{FunctionName: aws.String("processPayment")})
	wantErr[*types.ResourceNotFoundException](t, err)
	list, err = b.client.ListFunctionEventInvokeConfigs(ctx, &lambda.ListFunctionEventInvokeConfigsInput{FunctionName: aws.String("processPayment")})
	if err != nil || len(list.FunctionEventInvokeConfigs) != 0 {
		t.Errorf("List after delete = %+v, %v", list, err)
	}

	// An empty Put still creates a config that Get finds.
	if _, err := b.client.PutFunctionEventInvokeConfig(ctx, &lambda.PutFunctionEventInvokeConfigInput{FunctionName: aws.String("processPayment")}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.client.GetFunctionEventInvokeConfig(ctx, &lambda.GetFunctionEventInvokeConfigInput{FunctionName: aws.String("processPayment")}); err != nil {
		t.Errorf("Get after empty Put: %v", err)
	}
}

func TestEventInvokeConfigRejects(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	b.putFunction(t, &ferry.Function{Name: "f"})
	cases := []struct {
		name  string
		in    lambda.PutFunctionEventInvokeConfigInput
		field string
	}{
		{"retries over 2", lambda.PutFunctionEventInvokeConfigInput{MaximumRetryAttempts: aws.Int32(3)}, "maximumRetryAttempts"},
		{"retries negative", lambda.PutFunctionEventInvokeConfigInput{MaximumRetryAttempts: aws.Int32(-1)}, "maximumRetryAttempts"},
		{"age under 60", lambda.PutFunctionEventInvokeConfigInput{MaximumEventAgeInSeconds: aws.Int32(59)}, "maximumEventAgeInSeconds"},
		{"age over 6 h", lambda.PutFunctionEventInvokeConfigInput{MaximumEventAgeInSeconds: aws.Int32(21601)}, "maximumEventAgeInSeconds"},
		{"bad destination", lambda.PutFunctionEventInvokeConfigInput{DestinationConfig: dest("queue-without-arn")}, "OnSuccess"},
		{"bucket on success", lambda.PutFunctionEventInvokeConfigInput{DestinationConfig: dest("arn:aws:s3:::bucket")}, "OnSuccess"},
		{"fifo queue", lambda.PutFunctionEventInvokeConfigInput{DestinationConfig: dest(queueOK + ".fifo")}, "FIFO"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.in.FunctionName = aws.String("f")
			_, err := b.client.PutFunctionEventInvokeConfig(ctx, &c.in)
			e := wantErr[*types.InvalidParameterValueException](t, err)
			if !strings.Contains(aws.ToString(e.Message), c.field) {
				t.Errorf("message %q does not name %s", aws.ToString(e.Message), c.field)
			}
		})
	}
	if a := b.function(t, "f").Async; a != (ferry.AsyncConfig{}) {
		t.Errorf("rejected configs were stored: %+v", a)
	}
	_, err := b.client.PutFunctionEventInvokeConfig(ctx, &lambda.PutFunctionEventInvokeConfigInput{FunctionName: aws.String("ghost")})
	wantErr[*types.ResourceNotFoundException](t, err)
	_, err = b.client.ListFunctionEventInvokeConfigs(ctx, &lambda.ListFunctionEventInvokeConfigsInput{FunctionName: aws.String("f"), MaxItems: aws.Int32(51)})
	wantErr[*types.InvalidParameterValueException](t, err)
}
