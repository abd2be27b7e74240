package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go/middleware"
)

func requestIDOf(t testing.TB, md middleware.Metadata) string {
	t.Helper()
	id, ok := awsmiddleware.GetRequestIDMetadata(md)
	if !ok || id == "" {
		t.Fatal("response has no x-amzn-RequestId")
	}
	return id
}

func invokeSync(t *testing.T, c *lambda.Client, fn string, payload any) *lambda.InvokeOutput {
	t.Helper()
	b, _ := json.Marshal(payload)
	out, err := c.Invoke(context.Background(), &lambda.InvokeInput{
		FunctionName: aws.String(fn), Payload: b, LogType: types.LogTypeTail,
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestRuntimesSyncAndAsync runs a Node.js handler and an aws-lambda-go
// bootstrap through the Runtime API, synchronously and asynchronously, with
// both destinations.
func TestRuntimesSyncAndAsync(t *testing.T) {
	t.Parallel()
	m := setup(t, 0.001)
	c := lambdaClient(m)
	for _, tc := range []struct {
		fn        fnSpec
		errorType string
	}{
		{nodeFn("pay-node"), "PaymentError"},
		{goFn(t, "pay-go"), "errorString"},
	} {
		name := tc.fn.name
		createFunction(t, c, tc.fn)

		out := invokeSync(t, c, name, map[string]any{"id": "p1", "amount": 5})
		var got struct {
			ID        string `json:"id"`
			Paid      int    `json:"paid"`
			RequestID string `json:"requestId"`
		}
		if err := json.Unmarshal(out.Payload, &got); err != nil {
			t.Fatalf("%s: %v: %s", name, err, out.Payload)
		}
		if out.StatusCode != 200 || out.FunctionError != nil || got.ID != "p1" || got.Paid != 5 || got.RequestID != requestIDOf(t, out.ResultMetadata) {
			t.Fatalf("%s: sync invoke = %d %v %s", name, out.StatusCode, out.FunctionError, out.Payload)
		}
		logs, _ := base64.StdEncoding.DecodeString(aws.ToString(out.LogResult))
		for _, want := range []string{"START RequestId: " + got.RequestID, "paying p1", "END RequestId: " + got.RequestID, "REPORT RequestId: " + got.RequestID} {
			if !strings.Contains(string(logs), want) {
				t.Fatalf("%s: log tail lacks %q:\n%s", name, want, logs)
			}
		}

		out = invokeSync(t, c, name, map[string]any{"id": "p2", "fail": true})
		var ep struct{ ErrorMessage, ErrorType string }
		_ = json.Unmarshal(out.Payload, &ep)
		if aws.ToString(out.FunctionError) != "Unhandled" || ep.ErrorType != tc.errorType || ep.ErrorMessage != "card declined for p2" {
			t.Fatalf("%s: failed sync invoke = %v %s", name, out.FunctionError, out.Payload)
		}

		okQ, koQ := createQueue(t, m, name+"-ok"), createQueue(t, m, name+"-ko")
		putDestinations(t, c, name, 0, okQ, koQ)
		fnARN := "arn:aws:lambda:us-east-1:000000000000:function:" + name + ":$LATEST"

		id := invokeAsync(t, c, name, map[string]any{"id": "p3", "amount": 7})
		rec := record(t, receiveOne(t, m, name+"-ok", 20*time.Second).Body)
		for k, want := range map[string]any{
			"requestContext.requestId": id, "requestContext.functionArn": fnARN, "requestContext.condition": "Success",
			"requestContext.approximateInvokeCount": 1.0, "responseContext.statusCode": 200.0,
			"responseContext.executedVersion": "$LATEST", "responsePayload.paid": 7.0, "requestPayload.id": "p3", "version": "1.0",
		} {
			if got := path(rec, strings.Split(k, ".")...); got != want {
				t.Fatalf("%s: success record %s = %v, want %v\n%v", name, k, got, want, rec)
			}
		}
		if _, err := time.Parse("2006-01-02T15:04:05.000Z", rec["timestamp"].(string)); err != nil {
			t.Fatalf("timestamp %v: %v", rec["timestamp"], err)
		}

		id = invokeAsync(t, c, name, map[string]any{"id": "p4", "fail": true})
		rec = record(t, receiveOne(t, m, name+"-ko", 20*time.Second).Body)
		for k, want := range map[string]any{
			"requestContext.requestId": id, "requestContext.condition": "RetriesExhausted",
			"requestContext.approximateInvokeCount": 1.0, "responseContext.functionError": "Unhandled",
			"responsePayload.errorType": tc.errorType, "responsePayload.errorMessage": "card declined for p4",
		} {
			if got := path(rec, strings.Split(k, ".")...); got != want {
				t.Fatalf("%s: failure record %s = %v, want %v\n%v", name, k, got, want, rec)
			}
		}
		// Node.js errors carry their stack as "trace", as AWS's Node.js
		// runtime sends it; aws-lambda-go sends none for a returned error,
		// and Ferry passes the runtime's payload through.
		if _, ok := path(rec, "responsePayload", "trace").([]any); !ok && tc.fn.runtime != "provided.al2023" {
			t.Fatalf("%s: failure record has no trace array: %v", name, rec["responsePayload"])
		}
	}
}

// TestRuntimeErrorTypes: timeout, crash and init failure each produce the
// error type Lambda gives them.
func TestRuntimeErrorTypes(t *testing.T) {
	t.Parallel()
	m := setup(t, 1)
	c := lambdaClient(m)
	slow := goFn(t, "slow")
	slow.timeout = 1
	createFunction(t, c, slow)
	createFunction(t, c, goFn(t, "crash"))
	broken := goFn(t, "broken")
	broken.env = map[string]string{"PAYFN_BROKEN_INIT": "1"}
	createFunction(t, c, broken)
	badNode := nodeFn("badnode")
	badNode.zip = zipFiles(map[string]string{"index.js": `require("./missing-module");`}, 0o644)
	createFunction(t, c, badNode)
	slowNode := nodeFn("slownode")
	slowNode.timeout = 1
	createFunction(t, c, slowNode)

	for _, tc := range []struct {
		fn, errorType, message string
		payload                map[string]any
	}{
		{"slow", "Sandbox.Timedout", "Task timed out after 1.00 seconds", map[string]any{"sleepMs": 3000}},
		{"slownode", "Sandbox.Timedout", "Task timed out after 1.00 seconds", map[string]any{"sleepMs": 3000}},
		{"crash", "Runtime.ExitError", "Runtime exited with error: exit status 3", map[string]any{"exit": true}},
		{"broken", "Runtime.InitError", "", map[string]any{}},
		{"badnode", "Runtime.ImportModuleError", "Cannot find module './missing-module'", map[string]any{}},
	} {
		out := invokeSync(t, c, tc.fn, tc.payload)
		var ep struct{ ErrorMessage, ErrorType string }
		if err := json.Unmarshal(out.Payload, &ep); err != nil {
			t.Fatalf("%s: %v %s", tc.fn, err, out.Payload)
		}
		if aws.ToString(out.FunctionError) == "" || ep.ErrorType != tc.errorType || !strings.Contains(ep.ErrorMessage, tc.message) {
			t.Fatalf("%s: got %v %s, want %s %q", tc.fn, out.FunctionError, out.Payload, tc.errorType, tc.message)
		}
	}
	// After a timeout the next invocation gets a fresh, working instance.
	out := invokeSync(t, c, "slow", map[string]any{"id": "after", "amount": 1})
	if out.FunctionError != nil {
		t.Fatalf("invoke after timeout: %s", out.Payload)
	}
}
