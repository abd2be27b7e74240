package sigv4

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/ferry-run/ferry"
)

func TestVerifyAcceptsSDKSignatures(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tests := []struct {
		name, service, method, path, body string
		header                            map[string]string
		opts                              []func(*v4.SignerOptions)
	}{
		{name: "sqs json", service: "sqs", method: "POST", path: "/",
			body:   `{"QueueName":"orders"}`,
			header: map[string]string{"X-Amz-Target": "AmazonSQS.GetQueueUrl", "Content-Type": "application/x-amz-json-1.0"}},
		{name: "sns query", service: "sns", method: "POST", path: "/",
			body:   "Action=Publish&Message=hello%20world&TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A000000000000%3At",
			header: map[string]string{"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}},
		{name: "events", service: "events", method: "POST", path: "/", body: `{"Entries":[]}`,
			header: map[string]string{"X-Amz-Target": "AWSEvents.PutEvents"}},
		{name: "lambda get with query", service: "lambda", method: "GET",
			path: "/2015-03-31/functions/f/configuration?Qualifier=%24LATEST&b=x%2Fy&b=x-y&a=1+2&empty="},
		{name: "lambda path with spaces and unicode", service: "lambda", method: "POST",
			path: "/2015-03-31/functions/my%20f%C3%BCnc:%E2%9C%93/invocations", body: `{"k":"ü ✓"}`},
		{name: "reserved characters in path", service: "lambda", method: "GET",
			path: "/2015-03-31/functions/a%2Fb~c_d.e-f/policy"},
		{name: "header with runs of spaces", service: "sqs", method: "POST", path: "/", body: "{}",
			header: map[string]string{"X-Custom": "  a   b  c ", "X-Amz-Target": "AmazonSQS.ListQueues"}},
		{name: "content sha256 header", service: "sqs", method: "POST", path: "/", body: "payload",
			header: map[string]string{"X-Amz-Content-Sha256": "239f59ed55e737c77147cf55ad0c1b030b6d7ee748a7426952f9b852d5a935e5"}},
		{name: "unsigned payload", service: "lambda", method: "PUT", path: "/x", body: "anything",
			header: map[string]string{"X-Amz-Content-Sha256": UnsignedPayload}},
		{name: "s3 path not encoded twice", service: "s3", method: "PUT", path: "/bucket/a%20b/%C3%BC", body: "obj",
			opts: []func(*v4.SignerOptions){func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true }}},
		{name: "empty body", service: "sqs", method: "POST", path: "/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := b.newRequest(t, tt.method, tt.path, tt.body)
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			b.sign(t, req, testKey, testSecret, tt.service, now, tt.opts...)
			res := b.do(t, req)
			wantOK(t, res)
			if res.body != tt.body {
				t.Errorf("next handler read body %q, want %q", res.body, tt.body)
			}
			if res.service != tt.service {
				t.Errorf("ServiceOf = %q, want %q", res.service, tt.service)
			}
		})
	}
}

func TestVerifyPresignedURL(t *testing.T) {
	t.Parallel()
	b := setup(t)
	presign := func(t *testing.T, signTime time.Time) *http.Request {
		req := b.newRequest(t, "GET", "/2015-03-31/functions/my%20func?Qualifier=1", "")
		req.Header.Set("X-Custom", "signed")
		q := req.URL.Query()
		q.Set("X-Amz-Expires", "300")
		req.URL.RawQuery = q.Encode()
		u, signed, err := v4.NewSigner().PresignHTTP(context.Background(),
			aws.Credentials{AccessKeyID: testKey, SecretAccessKey: testSecret},
			req, payloadHash(t, req), "lambda", testRegion, signTime)
		if err != nil {
			t.Fatal(err)
		}
		out, err := http.NewRequest("GET", u, nil)
		if err != nil {
			t.Fatal(err)
		}
		for k, vs := range signed {
			if k != "Host" {
				out.Header[k] = vs
			}
		}
		return out
	}
	t.Run("valid", func(t *testing.T) {
		t.Parallel()
		res := b.do(t, presign(t, now.Add(-time.Minute)))
		wantOK(t, res)
		if res.service != "lambda" {
			t.Errorf("ServiceOf = %q, want lambda", res.service)
		}
	})
	t.Run("expired", func(t *testing.T) {
		t.Parallel()
		res := b.do(t, presign(t, now.Add(-6*time.Minute)))
		wantRefused(t, res, "InvalidSignatureException", "RequestExpired", http.StatusForbidden)
		if want := "expired at 20260314T150826Z"; !strings.Contains(res.message, want) {
			t.Errorf("message %q does not contain %q", res.message, want)
		}
	})
	t.Run("tampered query", func(t *testing.T) {
		t.Parallel()
		req := presign(t, now)
		req.URL.RawQuery = strings.Replace(req.URL.RawQuery, "Qualifier=1", "Qualifier=2", 1)
		res := b.do(t, req)
		wantRefused(t, res, "InvalidSignatureException", "SignatureDoesNotMatch", http.StatusForbidden)
	})
	t.Run("tampered signed header", func(t *testing.T) {
		t.Parallel()
		req := presign(t, now)
		req.Header.Set("X-Custom", "changed")
		res := b.do(t, req)
		wantRefused(t, res, "InvalidSignatureException", "SignatureDoesNotMatch", http.StatusForbidden)
	})
}

func TestVerifyRefuses(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tests := []struct {
		name             string
		key, secret      string
		signTime         time.Time
		after            func(*http.Request) // applied after signing
		code, queryCode  string
		status           int
		messageSubstring string
	}{
		{name: "wrong secret", secret: "not-the-secret",
			code: "InvalidSignatureException", queryCode: "SignatureDoesNotMatch", status: 403,
			messageSubstring: "does not match"},
		{name: "tampered body", after: func(r *http.Request) { setBody(r, `{"QueueName":"other"}`) },
			code: "InvalidSignatureException", queryCode: "SignatureDoesNotMatch", status: 403},
		{name: "same length tampered body", after: func(r *http.Request) { setBody(r, `{"QueueName":"ordery"}`) },
			code: "InvalidSignatureException", queryCode: "SignatureDoesNotMatch", status: 403},
		{name: "tampered signed header", after: func(r *http.Request) { r.Header.Set("X-Amz-Target", "AmazonSQS.DeleteQueue") },
			code: "InvalidSignatureException", queryCode: "SignatureDoesNotMatch", status: 403},
		{name: "tampered query", after: func(r *http.Request) { r.URL.RawQuery = "x=2" },
			code: "InvalidSignatureException", queryCode: "SignatureDoesNotMatch", status: 403},
		{name: "tampered path", after: func(r *http.Request) { r.URL.Path = "/other" },
			code: "InvalidSignatureException", queryCode: "SignatureDoesNotMatch", status: 403},
		{name: "tampered method", after: func(r *http.Request) { r.Method = "PUT" },
			code: "InvalidSignatureException", queryCode: "SignatureDoesNotMatch", status: 403},
		{name: "stale date", signTime: now.Add(-20 * time.Minute),
			code: "InvalidSignatureException", queryCode: "RequestExpired", status: 403,
			messageSubstring: "Signature expired: 20260314T144926Z is now earlier than 20260314T145426Z (20260314T150926Z - 15 min.)"},
		{name: "future date", signTime: now.Add(20 * time.Minute),
			code: "InvalidSignatureException", queryCode: "RequestExpired", status: 403,
			messageSubstring: "Signature not yet current"},
		{name: "unknown key", key: "AKIDUNKNOWN",
			code: "UnrecognizedClientException", queryCode: "InvalidClientTokenId", status: 403,
			messageSubstring: "security token included in the request is invalid"},
		{name: "key of another secret", key: "AKIDOTHER",
			code: "InvalidSignatureException", queryCode: "SignatureDoesNotMatch", status: 403},
		{name: "content sha256 not the one signed",
			after: func(r *http.Request) { r.Header.Set("X-Amz-Content-Sha256", strings.Repeat("0", 64)) },
			code:  "InvalidSignatureException", queryCode: "SignatureDoesNotMatch", status: 403,
			messageSubstring: "signature we calculated does not match"},
		{name: "no authorization", after: func(r *http.Request) { r.Header.Del("Authorization") },
			code: "MissingAuthenticationTokenException", queryCode: "MissingAuthenticationToken", status: 403},
		{name: "credential day is not the request day", after: func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "/20260314/", "/20260313/", 1))
		}, code: "InvalidSignatureException", queryCode: "SignatureDoesNotMatch", status: 403,
			messageSubstring: "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20260313' != '20260314'"},
		{name: "date header not signed", after: func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), ";x-amz-date", "", 1))
		}, code: "IncompleteSignatureException", queryCode: "IncompleteSignature", status: 400},
		{name: "no date", after: func(r *http.Request) { r.Header.Del("X-Amz-Date") },
			code: "IncompleteSignatureException", queryCode: "IncompleteSignature", status: 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := b.newRequest(t, "POST", "/?x=1", `{"QueueName":"orders"}`)
			req.Header.Set("X-Amz-Target", "AmazonSQS.GetQueueUrl")
			key, secret, signTime := testKey, testSecret, now
			if tt.key != "" {
				key = tt.key
			}
			if tt.secret != "" {
				secret = tt.secret
			}
			if !tt.signTime.IsZero() {
				signTime = tt.signTime
			}
			b.sign(t, req, key, secret, "sqs", signTime)
			if tt.after != nil {
				tt.after(req)
			}
			res := b.do(t, req)
			wantRefused(t, res, tt.code, tt.queryCode, tt.status)
			if !strings.Contains(res.message, tt.messageSubstring) {
				t.Errorf("message %q does not contain %q", res.message, tt.messageSubstring)
			}
		})
	}
}

func TestVerifyIgnoresUnsignedHeaders(t *testing.T) {
	t.Parallel()
	b := setup(t)
	req := b.newRequest(t, "POST", "/", `{}`)
	req.Header.Set("User-Agent", "before")
	b.sign(t, req, testKey, testSecret, "sqs", now)
	req.Header.Set("User-Agent", "after")
	req.Header.Set("X-Added-Later", "1")
	wantOK(t, b.do(t, req))
}

func TestVerifyMalformedAuthorization(t *testing.T) {
	t.Parallel()
	b := setup(t)
	sig := strings.Repeat("a", 64)
	tests := map[string]string{
		"other algorithm":      "AWS4-HMAC-SHA512 Credential=AKIDFERRYTEST/20260314/us-east-1/sqs/aws4_request, SignedHeaders=host;x-amz-date, Signature=" + sig,
		"no signature":         "AWS4-HMAC-SHA256 Credential=AKIDFERRYTEST/20260314/us-east-1/sqs/aws4_request, SignedHeaders=host;x-amz-date",
		"no signed headers":    "AWS4-HMAC-SHA256 Credential=AKIDFERRYTEST/20260314/us-east-1/sqs/aws4_request, Signature=" + sig,
		"short credential":     "AWS4-HMAC-SHA256 Credential=AKIDFERRYTEST/20260314/us-east-1, SignedHeaders=host;x-amz-date, Signature=" + sig,
		"bad terminator":       "AWS4-HMAC-SHA256 Credential=AKIDFERRYTEST/20260314/us-east-1/sqs/aws5_request, SignedHeaders=host;x-amz-date, Signature=" + sig,
		"bad credential date":  "AWS4-HMAC-SHA256 Credential=AKIDFERRYTEST/2026-3-14/us-east-1/sqs/aws4_request, SignedHeaders=host;x-amz-date, Signature=" + sig,
		"host not signed":      "AWS4-HMAC-SHA256 Credential=AKIDFERRYTEST/20260314/us-east-1/sqs/aws4_request, SignedHeaders=x-amz-date, Signature=" + sig,
		"signature not hex":    "AWS4-HMAC-SHA256 Credential=AKIDFERRYTEST/20260314/us-east-1/sqs/aws4_request, SignedHeaders=host;x-amz-date, Signature=xyz",
		"component without =":  "AWS4-HMAC-SHA256 Credential, SignedHeaders=host, Signature=" + sig,
		"bare algorithm":       "AWS4-HMAC-SHA256",
		"basic auth":           "Basic dXNlcjpwYXNz",
		"uppercase signed hdr": "AWS4-HMAC-SHA256 Credential=AKIDFERRYTEST/20260314/us-east-1/sqs/aws4_request, SignedHeaders=Host;x-amz-date, Signature=" + sig,
	}
	for name, h := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			req := b.newRequest(t, "POST", "/", "{}")
			req.Header.Set("X-Amz-Date", now.Format("20060102T150405Z"))
			req.Header.Set("Authorization", h)
			wantRefused(t, b.do(t, req), "IncompleteSignatureException", "IncompleteSignature", http.StatusBadRequest)
		})
	}
}

func TestVerifyBodyLimit(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.v.MaxBody = 8 // read only by the server goroutine after this point
	req := b.newRequest(t, "POST", "/", "0123456789")
	b.sign(t, req, testKey, testSecret, "sqs", now)
	wantRefused(t, b.do(t, req), "RequestEntityTooLargeException", "RequestEntityTooLarge", http.StatusRequestEntityTooLarge)
}

func TestVerifyRestoresBodyWithoutServer(t *testing.T) {
	t.Parallel()
	b := setup(t)
	req := b.newRequest(t, "POST", "/", `{"a":1}`)
	b.sign(t, req, testKey, testSecret, "sqs", now)
	if err := b.v.Verify(req); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	got := payloadHash(t, req)
	if want := "015abd7f5cc57a2dd94b7590f04ad8084273905ee33ec5cebeae62276a97f862"; got != want {
		t.Errorf("body after Verify hashes to %s, want %s", got, want)
	}
	if err := b.v.Verify(req); err != nil {
		t.Errorf("second Verify of the restored body: %v", err)
	}
}

func TestCodeFor(t *testing.T) {
	t.Parallel()
	tests := []struct {
		kind                  int
		json, query, rest     string
		jsonStatus, qryStatus int
	}{
		{kindMissing, "MissingAuthenticationTokenException", "MissingAuthenticationToken", "MissingAuthenticationTokenException", 403, 403},
		{kindUnknownKey, "UnrecognizedClientException", "InvalidClientTokenId", "UnrecognizedClientException", 403, 403},
		{kindSignature, "InvalidSignatureException", "SignatureDoesNotMatch", "InvalidSignatureException", 403, 403},
		{kindIncomplete, "IncompleteSignatureException", "IncompleteSignature", "IncompleteSignatureException", 400, 400},
		{kindExpired, "InvalidSignatureException", "RequestExpired", "InvalidSignatureException", 403, 400},
	}
	for _, tt := range tests {
		e := authErrorf(tt.kind, "m")
		if got := e.CodeFor(ProtocolJSON); got != tt.json || e.Code != tt.json {
			t.Errorf("kind %d: json %q, Code %q, want %q", tt.kind, got, e.Code, tt.json)
		}
		if got := e.CodeFor(ProtocolQuery); got != tt.query {
			t.Errorf("kind %d: query %q, want %q", tt.kind, got, tt.query)
		}
		if got := e.CodeFor(ProtocolREST); got != tt.rest {
			t.Errorf("kind %d: rest %q, want %q", tt.kind, got, tt.rest)
		}
		if e.Status != tt.jsonStatus || e.StatusFor(ProtocolQuery) != tt.qryStatus {
			t.Errorf("kind %d: status %d/%d, want %d/%d", tt.kind, e.Status, e.StatusFor(ProtocolQuery), tt.jsonStatus, tt.qryStatus)
		}
	}
	lit := &AuthError{Code: "Custom", Status: 401}
	if lit.CodeFor(ProtocolQuery) != "Custom" || lit.StatusFor(ProtocolJSON) != 401 {
		t.Errorf("literal AuthError: got %s %d", lit.CodeFor(ProtocolQuery), lit.StatusFor(ProtocolJSON))
	}
}

func TestIsLoopback(t *testing.T) {
	t.Parallel()
	tests := map[string]bool{
		"127.0.0.1:4566": true, "127.1.2.3:80": true, "[::1]:4566": true, "localhost:4566": true,
		"LOCALHOST": true, "::1": true, "127.0.0.1": true, "[::ffff:127.0.0.1]:1": true,
		":4566": false, "0.0.0.0:4566": false, "[::]:4566": false, "10.0.0.1:4566": false,
		"example.com:4566": false, "": false, "192.168.1.2": false,
	}
	for addr, want := range tests {
		if got := IsLoopback(addr); got != want {
			t.Errorf("IsLoopback(%q) = %v, want %v", addr, got, want)
		}
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		v    *Verifier
		want string
	}{
		"ok":           {&Verifier{Keys: Credentials{"AKID": "s"}}, ""},
		"no keys":      {&Verifier{}, ferry.EINVALID},
		"empty secret": {&Verifier{Keys: Credentials{"AKID": ""}}, ferry.EINVALID},
		"empty id":     {&Verifier{Keys: Credentials{"": "s"}}, ferry.EINVALID},
		"neg skew":     {&Verifier{Keys: Credentials{"AKID": "s"}, MaxSkew: -1}, ferry.EINVALID},
		"neg spooling": {&Verifier{Keys: Credentials{"AKID": "s"}, MaxSpooling: -1}, ferry.EINVALID},
	}
	for name, tt := range tests {
		if got := ferry.ErrorCode(tt.v.Validate()); got != tt.want {
			t.Errorf("%s: Validate code %q, want %q", name, got, tt.want)
		}
	}
}
