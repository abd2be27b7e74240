package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/ferry-run/ferry"
)

// hostOf is the host:port of a base URL.
func hostOf(t *testing.T, base string) string {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	return u.Host
}

// connClosed reports whether the server closes c within d.
func connClosed(c net.Conn, d time.Duration) bool {
	_ = c.SetReadDeadline(time.Now().Add(d))
	_, err := io.Copy(io.Discard, c)
	var ne net.Error
	return !(errors.As(err, &ne) && ne.Timeout())
}

// Both of Main's ports cut slow headers, close idle connections and make
// connections beyond the cap wait until one frees.
func TestListenerLimits(t *testing.T) {
	t.Parallel()
	m := setupWith(t, Config{Limits: ferry.ServerLimits{
		ReadHeaderTimeout: 500 * time.Millisecond, IdleTimeout: 300 * time.Millisecond, MaxConnections: 3,
	}})
	for name, base := range map[string]string{"api": m.APIURL(), "gateway": m.Gateway.URL()} {
		t.Run(name, func(t *testing.T) {
			addr := hostOf(t, base)
			dial := func() net.Conn {
				c, err := net.Dial("tcp", addr)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { c.Close() })
				return c
			}
			// Three connections that send nothing fill the cap.
			for range 3 {
				dial()
			}
			extra := dial()
			if _, err := io.WriteString(extra, "GET /healthz HTTP/1.1\r\nHost: "+addr+"\r\n\r\n"); err != nil {
				t.Fatal(err)
			}
			br := bufio.NewReader(extra)
			_ = extra.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
			if _, err := br.Peek(1); err == nil {
				t.Fatal("a fourth connection was served while three held the cap of 3")
			}
			// The silent ones are cut by the header timeout; then the
			// waiting one is served.
			_ = extra.SetReadDeadline(time.Now().Add(5 * time.Second))
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatalf("the waiting connection was not served once the silent ones were cut: %v", err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			// Kept alive and idle, it is closed after the idle timeout.
			if !connClosed(extra, 5*time.Second) {
				t.Fatal("an idle keep-alive connection was not closed")
			}
			// A slowloris client is cut.
			slow := dial()
			if _, err := io.WriteString(slow, "POST / HTTP/1.1\r\nHost: "+addr+"\r\nX-Slow: "); err != nil {
				t.Fatal(err)
			}
			if !connClosed(slow, 5*time.Second) {
				t.Fatal("a connection sending half its headers was not cut")
			}
		})
	}
}

// rawRequest sends a request's headers announcing contentLength bytes of
// body, sends none of it, and reads the answer.
func rawRequest(t *testing.T, addr string, r *http.Request, contentLength int64) (*http.Response, []byte) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	var sb strings.Builder
	fmt.Fprintf(&sb, "%s %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n", r.Method, r.URL.RequestURI(), addr, contentLength)
	for k, vs := range r.Header {
		for _, v := range vs {
			fmt.Fprintf(&sb, "%s: %s\r\n", k, v)
		}
	}
	sb.WriteString("\r\n")
	if _, err := io.WriteString(c, sb.String()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), r)
	if err != nil {
		t.Fatalf("%s %s: no answer before the body was sent: %v", r.Method, r.URL.Path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, body
}

// presign signs r's headers over payloadHash as a client would.
func presign(t *testing.T, r *http.Request, service, id, secret, payloadHash string) {
	t.Helper()
	err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: id, SecretAccessKey: secret},
		r, payloadHash, service, "us-east-1", time.Now())
	if err != nil {
		t.Fatal(err)
	}
}

// Over-limit bodies are refused on their Content-Length, before any byte of
// the body is sent, with each protocol's error naming the limit; a fake
// signature on a large body is refused; signed SDK calls still work.
func TestBodyLimits(t *testing.T) {
	t.Parallel()
	const id, secret = "AKIDLIMITS", "limits-secret"
	m := setupWith(t, Config{Auth: true, AccessKeys: map[string]string{id: secret}})
	addr := hostOf(t, m.APIURL())
	unsigned := strings.Repeat("0", 64)

	tests := []struct {
		name, method, path string
		header             map[string]string
		service            string
		length             int64
		wantStatus         int
		wantCode, wantMsg  string
	}{
		{"CreateFunction over 70 MB", "POST", "/2015-03-31/functions", nil, "lambda", 100 << 20,
			413, "RequestTooLargeException", "69905067 bytes for the CreateFunction operation"},
		{"UpdateFunctionCode over 70 MB", "PUT", "/2015-03-31/functions/f/code", nil, "lambda", 80 << 20,
			413, "RequestTooLargeException", "69905067 bytes for the UpdateFunctionCode operation"},
		{"sync Invoke over 6 MB", "POST", "/2015-03-31/functions/f/invocations", nil, "lambda", 6<<20 + 1,
			413, "RequestTooLargeException", "6291456 bytes for the Invoke operation"},
		{"async Invoke over 1 MB", "POST", "/2015-03-31/functions/f/invocations",
			map[string]string{"X-Amz-Invocation-Type": "Event"}, "lambda", 1<<20 + 1,
			413, "RequestTooLargeException", "1048576 bytes for the InvokeAsync operation"},
		{"other Lambda operation over 1 MiB", "PUT", "/2015-03-31/functions/f/configuration", nil, "lambda", 2 << 20,
			413, "RequestTooLargeException", "1048576"},
		{"SQS JSON over its limit", "POST", "/", map[string]string{"X-Amz-Target": "AmazonSQS.SendMessage",
			"Content-Type": "application/x-amz-json-1.0"}, "sqs", 9 << 20,
			413, "RequestEntityTooLargeException", "8388608"},
		{"EventBridge over its limit", "POST", "/", map[string]string{"X-Amz-Target": "AWSEvents.PutEvents",
			"Content-Type": "application/x-amz-json-1.1"}, "events", 5 << 20,
			413, "RequestEntityTooLargeException", "4194304"},
		{"query protocol over its limit", "POST", "/", map[string]string{
			"Content-Type": "application/x-www-form-urlencoded"}, "sns", 9 << 20,
			413, "RequestEntityTooLarge", "8388608"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for _, signed := range []bool{false, true} {
				r, _ := http.NewRequest(tt.method, m.APIURL()+tt.path, nil)
				for k, v := range tt.header {
					r.Header.Set(k, v)
				}
				if signed {
					presign(t, r, tt.service, id, secret, unsigned)
				}
				resp, body := rawRequest(t, addr, r, tt.length)
				code := resp.Header.Get("X-Amzn-Errortype")
				if code == "" { // the query protocol names it in XML
					var x struct {
						Code string `xml:"Error>Code"`
					}
					_ = xml.Unmarshal(body, &x)
					code = x.Code
				}
				if resp.StatusCode != tt.wantStatus || code != tt.wantCode || !strings.Contains(string(body), tt.wantMsg) {
					t.Fatalf("signed=%v: got %d %s %s, want %d %s naming %q", signed, resp.StatusCode, code, body,
						tt.wantStatus, tt.wantCode, tt.wantMsg)
				}
			}
		})
	}

	t.Run("gateway over 10 MiB", func(t *testing.T) {
		t.Parallel()
		r, _ := http.NewRequest("POST", m.Gateway.URL()+"/upload", nil)
		resp, body := rawRequest(t, hostOf(t, m.Gateway.URL()), r, 50<<20)
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Fatalf("got %d %s, want 413", resp.StatusCode, body)
		}
	})

	t.Run("fake signature on a large code upload", func(t *testing.T) {
		t.Parallel()
		body := bytes.Repeat([]byte("x"), 20<<20)
		r, _ := http.NewRequest("POST", m.APIURL()+"/2015-03-31/functions", nil)
		r.Header.Set("Content-Type", "application/json")
		presign(t, r, "lambda", id, "not-the-secret", unsigned)
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var e struct{ Message string }
		_ = json.NewDecoder(resp.Body).Decode(&e)
		if resp.StatusCode != 403 || resp.Header.Get("X-Amzn-Errortype") != "InvalidSignatureException" {
			t.Fatalf("got %d %s %q, want 403 InvalidSignatureException", resp.StatusCode, resp.Header.Get("X-Amzn-Errortype"), e.Message)
		}
	})

	t.Run("signed SDK calls", func(t *testing.T) {
		t.Parallel()
		c := lambda.New(lambda.Options{Region: "us-east-1", BaseEndpoint: aws.String(m.APIURL()),
			Credentials: credentials.NewStaticCredentialsProvider(id, secret, ""), RetryMaxAttempts: 1})
		f := nodeFn("limits-echo")
		// Pad the zip past the in-memory size so the signed body is spooled.
		f.zip = zipFiles(map[string]string{"index.js": nodePay, "pad.txt": randomText(2 << 20)}, 0o644)
		createFunction(t, c, f)
		out, err := c.Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String(f.name),
			Payload: []byte(`{"id":"big","amount":1,"pad":"` + strings.Repeat("p", 512<<10) + `"}`)})
		if err != nil {
			t.Fatal(err)
		}
		if out.FunctionError != nil || !strings.Contains(string(out.Payload), `"paid":1`) {
			t.Fatalf("invoke: %s %s", aws.ToString(out.FunctionError), out.Payload)
		}
		_, err = c.Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String(f.name),
			InvocationType: types.InvocationTypeEvent, Payload: []byte(`{"pad":"` + strings.Repeat("p", 1<<20) + `"}`)})
		if apiCode(err) != "RequestTooLargeException" {
			t.Fatalf("async invoke over 1 MB: %v, want RequestTooLargeException", err)
		}
	})
}

// randomText is n bytes that deflate poorly, so a zip holding them is big.
func randomText(n int) string {
	const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b := make([]byte, n)
	x := uint32(2463534242)
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = letters[x%uint32(len(letters))]
	}
	return string(b)
}
