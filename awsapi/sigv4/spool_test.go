package sigv4

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// spoolBundle is a server behind Verifier.Middleware whose handler answers
// with the SHA-256 of the body it was handed.
type spoolBundle struct {
	srv     *httptest.Server
	v       *Verifier
	handled atomic.Int64
}

func setupSpool(t *testing.T, v *Verifier) *spoolBundle {
	t.Helper()
	v.Keys = Credentials{testKey: testSecret}
	v.Now = time.Now
	b := &spoolBundle{v: v}
	b.srv = httptest.NewServer(v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b.handled.Add(1)
		h := sha256.New()
		if _, err := io.Copy(h, r.Body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		_, _ = io.WriteString(w, hex.EncodeToString(h.Sum(nil)))
	}), nil))
	t.Cleanup(b.srv.Close)
	return b
}

// pattern is an endless body of repeating bytes that allocates nothing.
type pattern struct{}

func (pattern) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte('a' + i%26)
	}
	return len(p), nil
}

func patternHash(n int64) string {
	h := sha256.New()
	_, _ = io.Copy(h, io.LimitReader(pattern{}, n))
	return hex.EncodeToString(h.Sum(nil))
}

// signedHeaders returns the headers of a request to path signed over
// payloadHash at time.Now by key.
func signedHeaders(t *testing.T, url, key, secret, payloadHash string) http.Header {
	t.Helper()
	req, err := http.NewRequest("POST", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Amz-Target", "AmazonSQS.SendMessage")
	err = v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: key, SecretAccessKey: secret},
		req, payloadHash, "sqs", testRegion, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return req.Header
}

// post sends n pattern bytes with h's headers and returns the status,
// error code and body.
func (b *spoolBundle) post(t *testing.T, h http.Header, n int64) (int, string, string) {
	t.Helper()
	req, err := http.NewRequest("POST", b.srv.URL+"/", io.LimitReader(pattern{}, n))
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = n
	for k, v := range h {
		req.Header[k] = v
	}
	resp, err := b.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("X-Amzn-Errortype"), string(body)
}

// A correctly signed body larger than MemoryBody is spooled and reaches
// the handler whole; a body over the limit is refused.
func TestVerifySpoolsLargeSignedBody(t *testing.T) {
	t.Parallel()
	b := setupSpool(t, &Verifier{MemoryBody: 64 << 10, MaxBody: 4 << 20, SpoolDir: t.TempDir()})
	for _, n := range []int64{0, 1000, 64 << 10, 64<<10 + 1, 3 << 20} {
		sum := patternHash(n)
		status, code, body := b.post(t, signedHeaders(t, b.srv.URL, testKey, testSecret, sum), n)
		if status != http.StatusOK || body != sum {
			t.Fatalf("%d bytes: got %d %s %q, want 200 and the body's hash %s", n, status, code, body, sum)
		}
		// The same, declaring the hash in X-Amz-Content-Sha256.
		h := signedHeaders(t, b.srv.URL, testKey, testSecret, sum)
		h.Set("X-Amz-Content-Sha256", sum)
		if status, code, body := b.post(t, h, n); status != http.StatusOK || body != sum {
			t.Fatalf("%d bytes with a declared hash: got %d %s %q, want 200", n, status, code, body)
		}
	}
	n := int64(4<<20 + 1)
	status, code, body := b.post(t, signedHeaders(t, b.srv.URL, testKey, testSecret, patternHash(n)), n)
	if status != http.StatusRequestEntityTooLarge || code != "RequestEntityTooLargeException" || !strings.Contains(body, "4194304") {
		t.Fatalf("over the limit: got %d %s %q, want 413 RequestEntityTooLargeException naming 4194304", status, code, body)
	}
}

// A body whose signed X-Amz-Content-Sha256 is not its hash is refused.
func TestVerifyDeclaredHashMismatch(t *testing.T) {
	t.Parallel()
	b := setupSpool(t, &Verifier{MemoryBody: 1 << 10, SpoolDir: t.TempDir()})
	for _, n := range []int64{100, 100 << 10} {
		wrong := strings.Repeat("0", 64)
		h := signedHeaders(t, b.srv.URL, testKey, testSecret, wrong)
		h.Set("X-Amz-Content-Sha256", wrong)
		status, code, body := b.post(t, h, n)
		if status != http.StatusForbidden || code != "InvalidSignatureException" || !strings.Contains(body, "x-amz-content-sha256") {
			t.Fatalf("%d bytes: got %d %s %q, want 403 InvalidSignatureException about x-amz-content-sha256", n, status, code, body)
		}
	}
	if n := b.handled.Load(); n != 0 {
		t.Fatalf("handler ran %d times for refused requests", n)
	}
}

// Requests that can be refused on their headers are answered without the
// body being read: the client sends headers announcing 50 MB and no body,
// and the answer still comes.
func TestVerifyRefusesBeforeReadingBody(t *testing.T) {
	t.Parallel()
	b := setupSpool(t, &Verifier{MaxBody: 80 << 20, Limit: func(r *http.Request) int64 {
		if r.URL.Path == "/small" {
			return 1 << 20
		}
		return 0
	}})
	const n = 50 << 20
	good := signedHeaders(t, b.srv.URL, testKey, testSecret, patternHash(n))
	declared := signedHeaders(t, b.srv.URL, testKey, "not-the-secret", strings.Repeat("1", 64))
	declared.Set("X-Amz-Content-Sha256", strings.Repeat("1", 64))
	tests := []struct {
		name, path string
		headers    http.Header
		wantCode   string
		wantStatus int
	}{
		{"unknown key", "/", signedHeaders(t, b.srv.URL, "AKIDUNKNOWN", testSecret, patternHash(n)),
			"UnrecognizedClientException", 403},
		{"bad scope", "/", func() http.Header {
			h := good.Clone()
			h.Set("Authorization", strings.Replace(h.Get("Authorization"), "/aws4_request", "/aws5_request", 1))
			return h
		}(), "IncompleteSignatureException", 400},
		{"stale date", "/", func() http.Header {
			h := good.Clone()
			h.Set("X-Amz-Date", time.Now().Add(-time.Hour).UTC().Format(amzDateLayout))
			return h
		}(), "InvalidSignatureException", 403},
		{"over the operation's limit", "/small", good, "RequestEntityTooLargeException", 413},
		{"declared hash with a bad signature", "/", declared, "InvalidSignatureException", 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			status, code := headersOnly(t, b.srv.Listener.Addr().String(), tt.path, tt.headers, n)
			if status != tt.wantStatus || code != tt.wantCode {
				t.Fatalf("got %d %s, want %d %s", status, code, tt.wantStatus, tt.wantCode)
			}
		})
	}
}

// headersOnly sends a POST announcing contentLength bytes, sends none of
// them, and reads the answer.
func headersOnly(t *testing.T, addr, path string, h http.Header, contentLength int64) (int, string) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	var sb strings.Builder
	fmt.Fprintf(&sb, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n", path, addr, contentLength)
	for k, vs := range h {
		for _, v := range vs {
			fmt.Fprintf(&sb, "%s: %s\r\n", k, v)
		}
	}
	sb.WriteString("\r\n")
	if _, err := io.WriteString(c, sb.String()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("no answer before the body was sent: %v", err)
	}
	defer resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("X-Amzn-Errortype")
}

// Many large bodies with a known key and a fake signature are refused with
// the signature error, while the memory they take stays far below their
// size and at most MaxSpooling are read at once.
func TestVerifyFakeSignatureLargeBodiesBoundedMemory(t *testing.T) {
	// Not parallel: it measures the heap.
	dir := t.TempDir()
	b := setupSpool(t, &Verifier{MaxBody: 80 << 20, MaxSpooling: 2, SpoolDir: dir})
	const (
		requests = 12
		size     = 16 << 20
	)
	fake := signedHeaders(t, b.srv.URL, testKey, "not-the-secret", patternHash(size))

	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	var peak atomic.Uint64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	var wg sync.WaitGroup
	errs := make(chan string, requests)
	for range requests {
		wg.Add(1)
		go func() {
			defer wg.Done()
			status, code, _ := b.post(t, fake, size)
			if status != http.StatusForbidden || code != "InvalidSignatureException" {
				errs <- fmt.Sprintf("got %d %s, want 403 InvalidSignatureException", status, code)
			}
		}()
	}
	wg.Wait()
	close(stop)
	<-sampled
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	growth := int64(peak.Load()) - int64(base.HeapInuse)
	t.Logf("%d fake-signature requests of %d MiB: heap in use grew by at most %.1f MiB; %d spooled at once",
		requests, size>>20, float64(growth)/(1<<20), b.v.peakSpooling.Load())
	if growth > 32<<20 {
		t.Errorf("heap in use grew by %d MiB for %d MiB of bodies; want under 32 MiB", growth>>20, requests*size>>20)
	}
	if p := b.v.peakSpooling.Load(); p < 1 || p > 2 {
		t.Errorf("%d bodies spooled at once, want 1 or 2 (MaxSpooling)", p)
	}
	if n := b.handled.Load(); n != 0 {
		t.Errorf("handler ran %d times for refused requests", n)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Errorf("spool dir holds %d files after the requests, want none", len(entries))
	}
}
