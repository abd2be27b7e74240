package lambdaapi_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/ferry-run/ferry"
)

func TestInvokeRequestResponse(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.putFunction(t, &ferry.Function{Name: "echo"})
	logs := []byte(strings.Repeat("x", 5000) + "END of the log\n")
	b.inv.result = func(req *ferry.InvokeRequest) (*ferry.Result, error) {
		return &ferry.Result{RequestID: req.RequestID, Payload: []byte(`{"ok":true}`), Logs: logs, ExecutedVersion: "$LATEST"}, nil
	}
	cc := base64.StdEncoding.EncodeToString([]byte(`{"custom":{"k":"v"}}`))
	out, err := b.client.Invoke(context.Background(), &lambda.InvokeInput{
		FunctionName:  aws.String("echo"),
		Payload:       []byte(`{"amount":5}`),
		LogType:       types.LogTypeTail,
		ClientContext: aws.String(cc),
	})
	if err != nil {
		t.Fatal(err)
	}
	if out.StatusCode != 200 || string(out.Payload) != `{"ok":true}` || out.FunctionError != nil {
		t.Fatalf("got status %d payload %s error %v", out.StatusCode, out.Payload, out.FunctionError)
	}
	if got := aws.ToString(out.ExecutedVersion); got != "$LATEST" {
		t.Errorf("ExecutedVersion = %q, want $LATEST", got)
	}
	tail, err := base64.StdEncoding.DecodeString(aws.ToString(out.LogResult))
	if err != nil {
		t.Fatal(err)
	}
	if want := logs[len(logs)-4096:]; !bytes.Equal(tail, want) {
		t.Errorf("LogResult has %d bytes, want the last 4096 of the log", len(tail))
	}
	calls, async := b.inv.calls()
	if len(calls) != 1 || len(async) != 0 {
		t.Fatalf("calls sync=%d async=%d, want 1 and 0", len(calls), len(async))
	}
	req := calls[0]
	if req.Function != "echo" || string(req.Payload) != `{"amount":5}` || req.ClientContext != cc {
		t.Errorf("request = %+v", req)
	}
	if id, _ := awsmiddleware.GetRequestIDMetadata(out.ResultMetadata); id != req.RequestID || id == "" {
		t.Errorf("x-amzn-RequestId = %q, want the invocation's %q", id, req.RequestID)
	}
}

func TestInvokeFunctionError(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.putFunction(t, &ferry.Function{Name: "boom"})
	b.inv.result = func(req *ferry.InvokeRequest) (*ferry.Result, error) {
		return &ferry.Result{RequestID: req.RequestID, FunctionError: ferry.FunctionErrorUnhandled,
			Payload: []byte(`{"errorMessage":"bad","errorType":"Error"}`)}, nil
	}
	out, err := b.client.Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String("boom")})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(out.FunctionError); got != "Unhandled" {
		t.Errorf("FunctionError = %q, want Unhandled", got)
	}
	if out.StatusCode != 200 || !strings.Contains(string(out.Payload), `"errorMessage":"bad"`) {
		t.Errorf("status %d payload %s", out.StatusCode, out.Payload)
	}
	if out.LogResult != nil {
		t.Errorf("LogResult = %q without LogType Tail", *out.LogResult)
	}
	calls, _ := b.inv.calls()
	if len(calls) != 1 || string(calls[0].Payload) != "{}" {
		t.Errorf("empty payload should reach the function as {}: %+v", calls)
	}
}

func TestInvokeEventAndNames(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.putFunction(t, &ferry.Function{Name: "pay"})
	names := []string{
		"pay",
		"pay:$LATEST",
		"arn:aws:lambda:us-east-1:000000000000:function:pay",
		"arn:aws:lambda:us-east-1:000000000000:function:pay:$LATEST",
		"000000000000:function:pay",
	}
	for i, name := range names {
		out, err := b.client.Invoke(context.Background(), &lambda.InvokeInput{
			FunctionName:   aws.String(name),
			InvocationType: types.InvocationTypeEvent,
			Payload:        []byte(`{"n":1}`),
		})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if out.StatusCode != 202 || len(out.Payload) != 0 {
			t.Errorf("%s: status %d payload %q, want 202 and empty", name, out.StatusCode, out.Payload)
		}
		_, async := b.inv.calls()
		if len(async) != i+1 {
			t.Fatalf("%s: %d async calls, want %d", name, len(async), i+1)
		}
		req := async[i]
		if req.Function != "pay" || string(req.Payload) != `{"n":1}` {
			t.Errorf("%s: request %+v", name, req)
		}
		if id, _ := awsmiddleware.GetRequestIDMetadata(out.ResultMetadata); id != req.RequestID || id == "" {
			t.Errorf("%s: x-amzn-RequestId %q, want %q", name, id, req.RequestID)
		}
	}
	calls, _ := b.inv.calls()
	if len(calls) != 0 {
		t.Errorf("Event invokes reached the sync invoker %d times", len(calls))
	}
}

func TestInvokeDryRun(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.putFunction(t, &ferry.Function{Name: "dry"})
	out, err := b.client.Invoke(context.Background(), &lambda.InvokeInput{
		FunctionName: aws.String("dry"), InvocationType: types.InvocationTypeDryRun, Payload: []byte(`[1,2]`),
	})
	if err != nil {
		t.Fatal(err)
	}
	if out.StatusCode != 204 {
		t.Errorf("status %d, want 204", out.StatusCode)
	}
	if id, _ := awsmiddleware.GetRequestIDMetadata(out.ResultMetadata); id == "" {
		t.Error("no x-amzn-RequestId")
	}
	_, err = b.client.Invoke(context.Background(), &lambda.InvokeInput{
		FunctionName: aws.String("dry"), InvocationType: types.InvocationTypeDryRun, Payload: []byte(`{`),
	})
	wantErr[*types.InvalidRequestContentException](t, err)
	calls, async := b.inv.calls()
	if len(calls)+len(async) != 0 {
		t.Errorf("DryRun invoked the function: sync=%d async=%d", len(calls), len(async))
	}
}

func TestInvokeRejectsBadInput(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.putFunction(t, &ferry.Function{Name: "f"})
	big := func(n int) []byte { return []byte(`"` + strings.Repeat("a", n) + `"`) }
	cases := []struct {
		name  string
		in    lambda.InvokeInput
		check func(t *testing.T, err error)
	}{
		{"unknown function", lambda.InvokeInput{FunctionName: aws.String("nope")}, func(t *testing.T, err error) {
			e := wantErr[*types.ResourceNotFoundException](t, err)
			if want := "Function not found: arn:aws:lambda:us-east-1:000000000000:function:nope"; aws.ToString(e.Message) != want {
				t.Errorf("message %q, want %q", aws.ToString(e.Message), want)
			}
		}},
		{"unknown function async", lambda.InvokeInput{FunctionName: aws.String("nope"), InvocationType: types.InvocationTypeEvent}, func(t *testing.T, err error) {
			wantErr[*types.ResourceNotFoundException](t, err)
		}},
		{"unknown qualifier", lambda.InvokeInput{FunctionName: aws.String("f"), Qualifier: aws.String("7")}, func(t *testing.T, err error) {
			wantErr[*types.ResourceNotFoundException](t, err)
		}},
		{"invalid json", lambda.InvokeInput{FunctionName: aws.String("f"), Payload: []byte(`{"a":`)}, func(t *testing.T, err error) {
			e := wantErr[*types.InvalidRequestContentException](t, err)
			if !strings.HasPrefix(aws.ToString(e.Message), "Could not parse request body into json") {
				t.Errorf("message %q", aws.ToString(e.Message))
			}
		}},
		{"invalid json async", lambda.InvokeInput{FunctionName: aws.String("f"), InvocationType: types.InvocationTypeEvent, Payload: []byte(`nope`)}, func(t *testing.T, err error) {
			wantErr[*types.InvalidRequestContentException](t, err)
		}},
		{"async over 1 MiB", lambda.InvokeInput{FunctionName: aws.String("f"), InvocationType: types.InvocationTypeEvent, Payload: big(1 << 20)}, func(t *testing.T, err error) {
			wantErr[*types.RequestTooLargeException](t, err)
		}},
		{"sync over 6 MiB", lambda.InvokeInput{FunctionName: aws.String("f"), Payload: big(6 << 20)}, func(t *testing.T, err error) {
			wantErr[*types.RequestTooLargeException](t, err)
		}},
		{"bad client context", lambda.InvokeInput{FunctionName: aws.String("f"), ClientContext: aws.String("not base64!")}, func(t *testing.T, err error) {
			wantErr[*types.InvalidRequestContentException](t, err)
		}},
		{"client context too long", lambda.InvokeInput{FunctionName: aws.String("f"),
			ClientContext: aws.String(base64.StdEncoding.EncodeToString([]byte(`"` + strings.Repeat("c", 3000) + `"`)))}, func(t *testing.T, err error) {
			wantErr[*types.InvalidParameterValueException](t, err)
		}},
		{"bad invocation type", lambda.InvokeInput{FunctionName: aws.String("f"), InvocationType: "Sometimes"}, func(t *testing.T, err error) {
			wantErr[*types.InvalidParameterValueException](t, err)
		}},
		{"bad name", lambda.InvokeInput{FunctionName: aws.String("a:b:c:d:e")}, func(t *testing.T, err error) {
			wantErr[*types.InvalidParameterValueException](t, err)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := b.client.Invoke(context.Background(), &c.in)
			c.check(t, err)
		})
	}
	// A sync payload just under the async limit but valid is accepted.
	if _, err := b.client.Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String("f"), Payload: big(2 << 20)}); err != nil {
		t.Fatalf("2 MiB sync payload: %v", err)
	}
	calls, async := b.inv.calls()
	if len(calls) != 1 || len(async) != 0 {
		t.Errorf("bad input reached the invoker: sync=%d async=%d, want 1 and 0", len(calls), len(async))
	}
}

func TestInvokeThrottled(t *testing.T) {
	t.Parallel()
	b := setup(t)
	zero := 0
	b.putFunction(t, &ferry.Function{Name: "capped", ReservedConcurrency: &zero})
	b.inv.result = func(*ferry.InvokeRequest) (*ferry.Result, error) {
		return nil, ferry.Errorf(ferry.ETHROTTLED, "Rate Exceeded.")
	}
	_, err := b.client.Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String("capped")})
	e := wantErr[*types.TooManyRequestsException](t, err)
	if e.Reason != types.ThrottleReasonReservedFunctionConcurrentInvocationLimitExceeded {
		t.Errorf("Reason = %q", e.Reason)
	}
	if aws.ToString(e.Message) != "Rate Exceeded." {
		t.Errorf("message = %q", aws.ToString(e.Message))
	}

	b.inv.mu.Lock()
	b.inv.err = ferry.Errorf(ferry.EUNAVAILABLE, "stopping")
	b.inv.mu.Unlock()
	_, err = b.client.Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String("capped"), InvocationType: types.InvocationTypeEvent})
	wantErr[*types.ServiceException](t, err)
}
