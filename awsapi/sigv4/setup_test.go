package sigv4

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

const (
	testKey    = "AKIDFERRYTEST"
	testSecret = "ferry-secret/with+chars="
	testRegion = "us-east-1"
)

// now is the verifier's clock in every test but the end-to-end one.
var now = time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)

// bundle is a server that verifies every request it gets and echoes the
// body the next handler would read.
type bundle struct {
	srv *httptest.Server
	v   *Verifier
}

// result is what the server saw.
type result struct {
	status    int
	code      string // AuthError.Code, "" when verified
	queryCode string
	message   string
	body      string // body as read after Verify
	service   string // ServiceOf
}

func setup(t *testing.T) *bundle {
	t.Helper()
	b := &bundle{
		v: &Verifier{Keys: Credentials{testKey: testSecret, "AKIDOTHER": "other"}, Now: func() time.Time { return now }},
	}
	b.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Service", ServiceOf(r))
		if err := b.v.Verify(r); err != nil {
			ae, ok := AsAuthError(err)
			if !ok {
				http.Error(w, "not an AuthError: "+err.Error(), http.StatusInternalServerError)
				return
			}
			w.Header().Set("X-Code", ae.Code)
			w.Header().Set("X-Query-Code", ae.CodeFor(ProtocolQuery))
			w.WriteHeader(ae.Status)
			_, _ = io.WriteString(w, ae.Message)
			return
		}
		body, _ := io.ReadAll(r.Body)
		_, _ = w.Write(body)
	}))
	t.Cleanup(b.srv.Close)
	return b
}

// newRequest builds a request to the test server; path may hold a raw
// query.
func (b *bundle) newRequest(t *testing.T, method, path, body string) *http.Request {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, b.srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// sign signs req with the SDK signer as service at signTime.
func (b *bundle) sign(t *testing.T, req *http.Request, key, secret, service string, signTime time.Time, opts ...func(*v4.SignerOptions)) {
	t.Helper()
	hash := payloadHash(t, req)
	if declared := req.Header.Get("X-Amz-Content-Sha256"); declared != "" {
		hash = declared // as the SDK's S3 client signs UNSIGNED-PAYLOAD
	}
	// A fresh signer each time: the SDK caches derived keys by access key
	// id, not secret, so a shared one would sign "wrong secret" correctly.
	err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: key, SecretAccessKey: secret},
		req, hash, service, testRegion, signTime, opts...)
	if err != nil {
		t.Fatal(err)
	}
}

// payloadHash returns the SHA-256 of req's body and restores it.
func payloadHash(t *testing.T, req *http.Request) string {
	t.Helper()
	var body []byte
	if req.Body != nil {
		var err error
		if body, err = io.ReadAll(req.Body); err != nil {
			t.Fatal(err)
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:])
}

// setBody replaces req's body after signing.
func setBody(req *http.Request, body string) {
	req.Body = io.NopCloser(strings.NewReader(body))
	req.ContentLength = int64(len(body))
}

// do sends req and returns what the server saw.
func (b *bundle) do(t *testing.T, req *http.Request) result {
	t.Helper()
	resp, err := b.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	res := result{status: resp.StatusCode, code: resp.Header.Get("X-Code"),
		queryCode: resp.Header.Get("X-Query-Code"), service: resp.Header.Get("X-Service")}
	if res.code == "" {
		res.body = string(body)
	} else {
		res.message = string(body)
	}
	return res
}

// wantOK fails unless res was verified.
func wantOK(t *testing.T, res result) {
	t.Helper()
	if res.status != http.StatusOK || res.code != "" {
		t.Fatalf("got %d %s %q, want verified", res.status, res.code, res.message)
	}
}

// wantRefused fails unless res was refused with code and status.
func wantRefused(t *testing.T, res result, code, queryCode string, status int) {
	t.Helper()
	if res.code != code || res.queryCode != queryCode || res.status != status {
		t.Fatalf("got %d %s/%s %q, want %d %s/%s", res.status, res.code, res.queryCode, res.message, status, code, queryCode)
	}
}
