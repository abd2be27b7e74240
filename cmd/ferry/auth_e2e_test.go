package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go"

	"github.com/ferry-run/ferry/web"
)

func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// signedRequest signs a raw request with the SDK's signer.
func signedRequest(t *testing.T, method, url, service string, body []byte, id, secret string, at time.Time) *http.Request {
	t.Helper()
	r, _ := http.NewRequest(method, url, bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/x-amz-json-1.0")
	r.Header.Set("X-Amz-Target", "AmazonSQS.ListQueues")
	sum := sha256.Sum256(body)
	err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: id, SecretAccessKey: secret},
		r, hex.EncodeToString(sum[:]), service, "us-east-1", at)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestSigV4Authentication(t *testing.T) {
	t.Parallel()
	m := setupWith(t, Config{Auth: true, AccessKeys: map[string]string{"AKIDFERRY": "s3cret"}})
	ctx := context.Background()
	good := credentials.NewStaticCredentialsProvider("AKIDFERRY", "s3cret", "")
	bad := credentials.NewStaticCredentialsProvider("AKIDFERRY", "wrong", "")
	unknown := credentials.NewStaticCredentialsProvider("NOSUCHKEY", "s3cret", "")
	ep := aws.String(m.APIURL())
	sqsWith := func(c aws.CredentialsProvider) *sqs.Client {
		return sqs.New(sqs.Options{Region: "us-east-1", BaseEndpoint: ep, Credentials: c, RetryMaxAttempts: 1})
	}

	if _, err := sqsWith(good).CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("ok")}); err != nil {
		t.Fatalf("signed CreateQueue: %v", err)
	}
	_, err := sqsWith(bad).CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("nope")})
	if apiCode(err) != "InvalidSignatureException" {
		t.Fatalf("wrong secret: %v", err)
	}
	if _, err := sqsWith(unknown).ListQueues(ctx, &sqs.ListQueuesInput{}); apiCode(err) != "UnrecognizedClientException" {
		t.Fatalf("unknown key: %v", err)
	}
	if _, err := m.Queues.Info("nope"); err == nil {
		t.Fatal("a refused request created a queue")
	}

	lam := lambda.New(lambda.Options{Region: "us-east-1", BaseEndpoint: ep, Credentials: bad, RetryMaxAttempts: 1})
	if _, err := lam.ListFunctions(ctx, &lambda.ListFunctionsInput{}); apiCode(err) != "InvalidSignatureException" {
		t.Fatalf("lambda, wrong secret: %v", err)
	}
	lam = lambda.New(lambda.Options{Region: "us-east-1", BaseEndpoint: ep, Credentials: good, RetryMaxAttempts: 1})
	if _, err := lam.ListFunctions(ctx, &lambda.ListFunctionsInput{}); err != nil {
		t.Fatalf("lambda, signed: %v", err)
	}
	snsc := sns.New(sns.Options{Region: "us-east-1", BaseEndpoint: ep, Credentials: bad, RetryMaxAttempts: 1})
	if _, err := snsc.ListTopics(ctx, &sns.ListTopicsInput{}); apiCode(err) != "SignatureDoesNotMatch" {
		t.Fatalf("sns (query), wrong secret: %v", err)
	}
	eb := eventbridge.New(eventbridge.Options{Region: "us-east-1", BaseEndpoint: ep, Credentials: bad, RetryMaxAttempts: 1})
	if _, err := eb.ListEventBuses(ctx, &eventbridge.ListEventBusesInput{}); apiCode(err) != "InvalidSignatureException" {
		t.Fatalf("eventbridge, wrong secret: %v", err)
	}

	body := []byte(`{}`)
	do := func(r *http.Request) (int, string) {
		t.Helper()
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, b := do(signedRequest(t, "POST", m.APIURL()+"/", "sqs", body, "AKIDFERRY", "s3cret", time.Now())); code != 200 {
		t.Fatalf("raw signed request: %d %s", code, b)
	}
	tampered := signedRequest(t, "POST", m.APIURL()+"/", "sqs", body, "AKIDFERRY", "s3cret", time.Now())
	tampered.Body = io.NopCloser(strings.NewReader(`{"QueueNamePrefix":"x"}`))
	tampered.ContentLength = -1
	if code, b := do(tampered); code != 403 || !strings.Contains(b, "InvalidSignatureException") {
		t.Fatalf("tampered body: %d %s", code, b)
	}
	if code, b := do(signedRequest(t, "POST", m.APIURL()+"/", "sqs", body, "AKIDFERRY", "s3cret", time.Now().Add(-20*time.Minute))); code != 403 || !strings.Contains(b, "Signature expired") {
		t.Fatalf("stale date: %d %s", code, b)
	}
	unsigned, _ := http.NewRequest("POST", m.APIURL()+"/", bytes.NewReader(body))
	unsigned.Header.Set("X-Amz-Target", "AmazonSQS.ListQueues")
	if code, b := do(unsigned); code != 403 || !strings.Contains(b, "MissingAuthenticationToken") {
		t.Fatalf("unsigned: %d %s", code, b)
	}

	// Ferry's own endpoints take the keys as basic credentials; the
	// token of the dashboard's calls is handed out behind them too.
	var token struct{ Token string }
	tr, _ := http.NewRequest("GET", m.APIURL()+tokenPath, nil)
	tr.SetBasicAuth("AKIDFERRY", "s3cret")
	if code, b := do(tr); code != 200 || json.Unmarshal([]byte(b), &token) != nil || token.Token == "" {
		t.Fatalf("token: %d %s", code, b)
	}
	get := func(path, id, secret string) int {
		r, _ := http.NewRequest("GET", m.APIURL()+path, nil)
		if id != "" {
			r.SetBasicAuth(id, secret)
		}
		r.Header.Set(web.TokenHeader, token.Token)
		code, _ := do(r)
		return code
	}
	for _, tc := range []struct {
		path, id, secret string
		want             int
	}{
		{"/healthz", "", "", 200},
		{tokenPath, "", "", 401},
		{"/_ferry/api/queues", "", "", 401},
		{"/_ferry/api/queues", "AKIDFERRY", "wrong", 401},
		{"/_ferry/api/queues", "AKIDFERRY", "s3cret", 200},
		{"/metrics", "", "", 401},
		{"/metrics", "AKIDFERRY", "s3cret", 200},
	} {
		if got := get(tc.path, tc.id, tc.secret); got != tc.want {
			t.Errorf("GET %s as %q: %d, want %d", tc.path, tc.id, got, tc.want)
		}
	}
}

func TestAuthNeedsKeys(t *testing.T) {
	t.Parallel()
	for _, cfg := range []Config{{Auth: true}, {APIAddr: "0.0.0.0:0"}} {
		cfg.DataDir, cfg.GatewayAddr = t.TempDir(), "127.0.0.1:0"
		if cfg.APIAddr == "" {
			cfg.APIAddr = "127.0.0.1:0"
		}
		err := NewMain(cfg).Run(context.Background())
		if err == nil || !strings.Contains(err.Error(), "--access-key") {
			t.Fatalf("%+v: %v, want a refusal naming --access-key", cfg, err)
		}
	}
}
