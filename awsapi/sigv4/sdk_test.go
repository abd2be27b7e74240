package sigv4

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go"
)

// TestMiddlewareWithSQSClient puts Middleware in front of a trivial SQS
// handler and calls it with the real SDK client, on the real clock.
func TestMiddlewareWithSQSClient(t *testing.T) {
	t.Parallel()
	v := &Verifier{Keys: Credentials{testKey: testSecret}}
	var served, rejected atomic.Int32
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		body, _ := io.ReadAll(r.Body)
		if got, want := r.Header.Get("X-Amz-Target"), "AmazonSQS.GetQueueUrl"; got != want {
			http.Error(w, "target "+got, http.StatusBadRequest)
			return
		}
		if got, want := string(body), `{"QueueName":"orders"}`; got != want {
			http.Error(w, "body "+got, http.StatusBadRequest)
			return
		}
		if ServiceOf(r) != "sqs" {
			http.Error(w, "service "+ServiceOf(r), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		_, _ = io.WriteString(w, `{"QueueUrl":"http://ferry.test/000000000000/orders"}`)
	})
	reject := func(w http.ResponseWriter, r *http.Request, err *AuthError) {
		rejected.Add(1)
		WriteJSONError(w, r, err)
	}
	srv := httptest.NewServer(v.Middleware(next, reject))
	t.Cleanup(srv.Close)

	client := func(key, secret string) *sqs.Client {
		return sqs.New(sqs.Options{
			Region:           testRegion,
			BaseEndpoint:     aws.String(srv.URL),
			Credentials:      credentials.NewStaticCredentialsProvider(key, secret, ""),
			HTTPClient:       srv.Client(),
			RetryMaxAttempts: 1,
		})
	}
	ctx := context.Background()
	in := &sqs.GetQueueUrlInput{QueueName: aws.String("orders")}

	out, err := client(testKey, testSecret).GetQueueUrl(ctx, in)
	if err != nil {
		t.Fatalf("right credentials: %v", err)
	}
	if got, want := aws.ToString(out.QueueUrl), "http://ferry.test/000000000000/orders"; got != want {
		t.Errorf("QueueUrl = %q, want %q", got, want)
	}

	tests := []struct {
		name, key, secret, code string
	}{
		{"wrong secret", testKey, "wrong", "InvalidSignatureException"},
		{"unknown key", "AKIDUNKNOWN", testSecret, "UnrecognizedClientException"},
	}
	for _, tt := range tests {
		_, err := client(tt.key, tt.secret).GetQueueUrl(ctx, in)
		var ae smithy.APIError
		if !errors.As(err, &ae) {
			t.Fatalf("%s: err %v (%T), want a smithy.APIError", tt.name, err, err)
		}
		if ae.ErrorCode() != tt.code {
			t.Errorf("%s: code %q, want %q", tt.name, ae.ErrorCode(), tt.code)
		}
		var re interface{ HTTPStatusCode() int }
		if errors.As(err, &re) && re.HTTPStatusCode() != http.StatusForbidden {
			t.Errorf("%s: status %d, want 403", tt.name, re.HTTPStatusCode())
		}
	}
	if got, want := served.Load(), int32(1); got != want {
		t.Errorf("next served %d requests, want %d", got, want)
	}
	if got, want := rejected.Load(), int32(2); got != want {
		t.Errorf("rejected %d requests, want %d", got, want)
	}
}
