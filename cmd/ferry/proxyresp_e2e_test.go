package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer collects a command's output while it runs.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// upInProcess runs `ferry up dir` through the command line in this
// process until the test ends, and returns its output once the stack is
// up and the gateway's URL.
func upInProcess(t *testing.T, dir string) (*lockedBuffer, string) {
	t.Helper()
	cmd := newRootCommand()
	out := &lockedBuffer{}
	cmd.SetOut(out)
	cmd.SetErr(out)
	cmd.SetArgs([]string{"up", dir, "--api", "127.0.0.1:0", "--gateway", "127.0.0.1:0", "--data", t.TempDir(), "--log-level", "error"})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- cmd.ExecuteContext(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("ferry up: %v", err)
		}
	})
	url := regexp.MustCompile(`route +\S+ (http://127\.0\.0\.1:\d+)/`)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if m := url.FindStringSubmatch(out.String()); m != nil && strings.Contains(out.String(), " is up") {
			return out, m[1]
		}
		select {
		case err := <-done:
			t.Fatalf("ferry up ended: %v\n%s", err, out)
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("ferry up did not come up:\n%s", out)
	return nil, ""
}

func httpDo(t *testing.T, method, url, body string) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

// listResponse is the payments example's POST /payments with the
// plugin's documented list form of response.
const listResponse = `        response:
          - statusCode: 200
            selectionPattern: '2\d{2}'
            responseParameters:
              method.response.header.X-Payments: "'accepted'"
            responseTemplates:
              application/json: '{"status": "accepted", "request": "$context.requestId"}'
          - statusCode: 400
            selectionPattern: '4\d{2}'
            responseTemplates:
              application/json: '{"status": "bad request"}'
          - statusCode: 500
            responseTemplates:
              application/json: '{"status": "error"}'
`

// TestUpServiceProxyResponseList: the list form of a service proxy's
// response answers as API Gateway's integration responses do, the status
// code and template chosen by the service's status; the REST API is also
// served under its stage, as on AWS.
func TestUpServiceProxyResponseList(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	copyDir(t, "../../examples/payments", dir)
	p := filepath.Join(dir, "serverless.yml")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	simple := regexp.MustCompile(`(?s)        response:\n          template:\n.*?serverError: [^\n]*\n`)
	if !simple.Match(b) {
		t.Fatal("the payments example no longer has the response this test replaces")
	}
	if err := os.WriteFile(p, simple.ReplaceAllLiteral(b, []byte(listResponse)), 0o644); err != nil {
		t.Fatal(err)
	}
	out, gw := upInProcess(t, dir)
	if strings.Contains(out.String(), "response") {
		t.Fatalf("ferry up warned about the response list:\n%s", out)
	}

	status, body, h := httpDo(t, "POST", gw+"/payments", `{"id":"l1","amount":5}`)
	var got map[string]string
	if status != 200 || json.Unmarshal([]byte(body), &got) != nil || got["status"] != "accepted" || len(got["request"]) != 36 || h.Get("X-Payments") != "accepted" {
		t.Fatalf("POST /payments = %d %s %v", status, body, h)
	}
	// A publish SNS refuses (no message) answers through the 4\d{2} entry.
	if status, body, _ := httpDo(t, "POST", gw+"/payments", ""); status != 400 || body != `{"status": "bad request"}` {
		t.Fatalf("POST /payments without a body = %d %s", status, body)
	}
	// API Gateway serves the REST API under its stage.
	if status, body, _ := httpDo(t, "POST", gw+"/dev/payments", `{"id":"l2","amount":5}`); status != 200 || !strings.Contains(body, `"accepted"`) {
		t.Fatalf("POST /dev/payments = %d %s", status, body)
	}
	if !strings.Contains(out.String(), "/payments (also /dev/payments)") {
		t.Fatalf("the banner does not name the staged path:\n%s", out)
	}
}

const samStages = `AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  V1Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: v1
  Echo:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fn/
      Handler: index.handler
      Runtime: nodejs20.x
      Events:
        Named:
          Type: Api
          Properties:
            RestApiId: !Ref V1Api
            Path: /named
            Method: GET
        Implicit:
          Type: Api
          Properties:
            Path: /implicit
            Method: GET
        Http:
          Type: HttpApi
          Properties:
            Path: /http
            Method: GET
`

const samEcho = `exports.handler = async (event) => ({
  statusCode: 200,
  body: JSON.stringify({ stage: event.requestContext.stage, path: event.rawPath || event.path }),
});
`

// TestUpSAMStages: a SAM AWS::Serverless::Api is served under its
// StageName, the implicit REST API under /Prod, an HTTP API ($default) only
// at the root; requestContext.stage is the API's stage; the banner does not
// give a SAM stack a stage.
func TestUpSAMStages(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "fn"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "template.yaml"), []byte(samStages), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "fn", "index.js"), []byte(samEcho), 0o644); err != nil {
		t.Fatal(err)
	}
	out, gw := upInProcess(t, dir)
	if strings.Contains(out.String(), "StageName") || strings.Contains(out.String(), "stage ") {
		t.Fatalf("banner or warnings:\n%s", out)
	}
	if !strings.Contains(out.String(), "(template.yaml, SAM) is up") {
		t.Fatalf("banner:\n%s", out)
	}
	for _, tt := range []struct {
		path        string
		status      int
		stage, seen string
	}{
		{"/v1/named", 200, "v1", "/named"},
		{"/named", 200, "v1", "/named"},
		{"/Prod/implicit", 200, "Prod", "/implicit"},
		{"/implicit", 200, "Prod", "/implicit"},
		{"/http", 200, "$default", "/http"},
		// Routed nowhere: a REST API's answer to an unknown path.
		{"/Prod/http", 403, "", ""},
		{"/Prod/named", 403, "", ""},
	} {
		status, body, _ := httpDo(t, "GET", gw+tt.path, "")
		if status != tt.status {
			t.Fatalf("GET %s = %d %s, want %d", tt.path, status, body, tt.status)
		}
		if tt.status != 200 {
			continue
		}
		var got struct{ Stage, Path string }
		if json.Unmarshal([]byte(body), &got) != nil || got.Stage != tt.stage || got.Path != tt.seen {
			t.Fatalf("GET %s: %s, want stage %q path %q", tt.path, body, tt.stage, tt.seen)
		}
	}
}
