package eventsapi_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// post sends a raw JSON 1.1 request.
func post(t testing.TB, h http.Handler, method, target, body string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(method, "/", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	if target != "" {
		req.Header.Set("X-Amz-Target", target)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

// TestWireErrors checks the raw error shape the SDK decodes: status 400,
// {"__type","message"}, the JSON 1.1 content type and a request id.
func TestWireErrors(t *testing.T) {
	t.Parallel()
	b := setup(t)
	h := b.handler
	for _, tc := range []struct {
		name, method, target, body string
		wantType                   string
	}{
		{"unknown operation", "POST", "AWSEvents.CreateConnection", `{}`, "UnknownOperationException"},
		{"no target", "POST", "", `{}`, "UnknownOperationException"},
		{"other service", "POST", "AmazonSQS.SendMessage", `{}`, "UnknownOperationException"},
		{"GET", "GET", "AWSEvents.ListRules", ``, "UnknownOperationException"},
		{"not JSON", "POST", "AWSEvents.ListRules", `{`, "SerializationException"},
		{"wrong member type", "POST", "AWSEvents.ListRules", `{"Limit":"ten"}`, "SerializationException"},
		{"trailing data", "POST", "AWSEvents.ListRules", `{} {}`, "SerializationException"},
		{"bad timestamp", "POST", "AWSEvents.PutEvents", `{"Entries":[{"Time":"yesterday"}]}`, "SerializationException"},
		{"missing rule", "POST", "AWSEvents.DescribeRule", `{"Name":"ghost"}`, "ResourceNotFoundException"},
		{"bad pattern", "POST", "AWSEvents.TestEventPattern", `{"EventPattern":"{\"a\":1}","Event":"{}"}`, "InvalidEventPatternException"},
		{"limit out of range", "POST", "AWSEvents.ListEventBuses", `{"Limit":0}`, "ValidationException"},
		{"tag without value", "POST", "AWSEvents.PutRule", `{"Name":"r","EventPattern":"{\"source\":[\"a\"]}","Tags":[{"Key":"k"}]}`, "ValidationException"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := post(t, h, tc.method, tc.target, tc.body)
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("status = %d, want 400", resp.StatusCode)
			}
			if got := resp.Header.Get("Content-Type"); got != "application/x-amz-json-1.1" {
				t.Errorf("Content-Type = %q", got)
			}
			if resp.Header.Get("x-amzn-RequestId") == "" {
				t.Error("no x-amzn-RequestId header")
			}
			var body struct {
				Type    string `json:"__type"`
				Message string `json:"message"`
			}
			raw, _ := io.ReadAll(resp.Body)
			if err := json.Unmarshal(raw, &body); err != nil {
				t.Fatalf("body %q: %v", raw, err)
			}
			if body.Type != tc.wantType || body.Message == "" {
				t.Errorf("body = %s, want __type %s with a message", raw, tc.wantType)
			}
		})
	}
}

// TestWireSuccess checks a successful response's framing and that an empty
// body is an empty request.
func TestWireSuccess(t *testing.T) {
	t.Parallel()
	b := setup(t)
	resp := post(t, b.handler, "POST", "AWSEvents.ListEventBuses", ``)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/x-amz-json-1.1" || resp.Header.Get("x-amzn-RequestId") == "" {
		t.Fatalf("status %d headers %v", resp.StatusCode, resp.Header)
	}
	var out struct {
		EventBuses []struct {
			Name         string
			Arn          string
			CreationTime float64
		}
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	if len(out.EventBuses) != 1 || out.EventBuses[0].Name != "default" ||
		out.EventBuses[0].Arn != "arn:aws:events:us-east-1:000000000000:event-bus/default" || out.EventBuses[0].CreationTime < 1e9 {
		t.Fatalf("body = %s", raw)
	}
}
