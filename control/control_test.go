package control_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/control"
)

// queues is a scripted queue control recording redrives.
type queues struct{ redriven []string }

func (q *queues) Pending(_ context.Context, fn string, _ int) ([]control.Event, error) {
	if fn != "pay" {
		return nil, ferry.Errorf(ferry.ENOTFOUND, "function %q not found", fn)
	}
	return []control.Event{{RequestID: "r1", Function: "pay", State: "queued"}}, nil
}
func (q *queues) Cancel(context.Context, string, string) error  { return nil }
func (q *queues) Purge(context.Context, string) (uint64, error) { return 2, nil }
func (q *queues) Pause(context.Context, string) error           { return nil }
func (q *queues) Resume(context.Context, string) error          { return nil }
func (q *queues) Paused(context.Context, string) (bool, error)  { return true, nil }
func (q *queues) Redrive(_ context.Context, id string) (string, error) {
	q.redriven = append(q.redriven, id)
	return "new-" + id, nil
}

func setup(t *testing.T) (*httptest.Server, *queues) {
	t.Helper()
	at := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	failed := []*ferry.Invocation{
		{RequestID: "old", Function: "pay", Type: ferry.InvokeEvent, Accepted: at.Add(-2 * time.Hour), Condition: ferry.ConditionRetriesExhausted,
			Attempts: []ferry.Attempt{{ErrorType: "Timeout"}}},
		{RequestID: "declined", Function: "pay", Type: ferry.InvokeEvent, Accepted: at, Condition: ferry.ConditionRetriesExhausted,
			Attempts: []ferry.Attempt{{ErrorType: "PaymentDeclined"}}},
		{RequestID: "throttled", Function: "pay", Type: ferry.InvokeEvent, Accepted: at, Condition: ferry.ConditionRetriesExhausted,
			Response: json.RawMessage(`{"errorType":"TooManyRequestsException","errorMessage":"Rate Exceeded."}`)},
		{RequestID: "done-before", Function: "pay", Type: ferry.InvokeEvent, Accepted: at, RedrivenAs: []string{"x"}},
		{RequestID: "sync", Function: "pay", Type: ferry.InvokeRequestResponse, Accepted: at, FunctionError: "Unhandled"},
	}
	q := &queues{}
	api := control.New(q, func(_ context.Context, fn string, _ int) ([]*ferry.Invocation, error) {
		if fn != "pay" {
			return nil, ferry.Errorf(ferry.ENOTFOUND, "function %q not found", fn)
		}
		return failed, nil
	}, func(_ context.Context, format string) (string, error) { return "drawing:" + format, nil }, nil)
	srv := httptest.NewServer(api.Handler())
	t.Cleanup(srv.Close)
	return srv, q
}

func call(t *testing.T, srv *httptest.Server, method, path, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func ids(v any) string {
	var s []string
	for _, r := range v.([]any) {
		s = append(s, r.(map[string]any)["requestId"].(string))
	}
	return strings.Join(s, ",")
}

func TestRedriveSelection(t *testing.T) {
	t.Parallel()
	srv, q := setup(t)
	for _, tc := range []struct{ body, want string }{
		{`{"function":"pay","dryRun":true}`, "old,declined,throttled"},
		{`{"function":"pay","dryRun":true,"errorType":"TooManyRequestsException"}`, "throttled"},
		{`{"function":"pay","dryRun":true,"since":"2026-01-01T11:00:00Z"}`, "declined,throttled"},
		{`{"function":"pay","dryRun":true,"until":"2026-01-01T11:00:00Z"}`, "old"},
	} {
		code, out := call(t, srv, "POST", control.Prefix+"redrive", tc.body)
		if code != 200 || ids(out["invocations"]) != tc.want {
			t.Errorf("%s: %d %v, want %s", tc.body, code, out, tc.want)
		}
	}
	if len(q.redriven) != 0 {
		t.Fatalf("a dry run redrove %v", q.redriven)
	}
	code, out := call(t, srv, "POST", control.Prefix+"redrive", `{"function":"pay","errorType":"PaymentDeclined"}`)
	row := out["invocations"].([]any)[0].(map[string]any)
	if code != 200 || row["newRequestId"] != "new-declined" || strings.Join(q.redriven, ",") != "declined" {
		t.Fatalf("redrive: %d %v %v", code, out, q.redriven)
	}
}

func TestErrorsAndEndpoints(t *testing.T) {
	t.Parallel()
	srv, _ := setup(t)
	for _, tc := range []struct {
		method, path, body string
		code               int
	}{
		{"GET", "functions/pay/events", "", 200},
		{"GET", "functions/nope/events", "", 404},
		{"POST", "redrive", `{"function":"nope"}`, 404},
		{"POST", "redrive", `{}`, 400},
		{"POST", "redrive", `{`, 400},
		{"GET", "graph?format=svg", "", 400},
		{"GET", "nothing/here", "", 404},
		{"POST", "functions/pay/purge", "", 200},
		{"POST", "functions/pay/pause", "", 200},
		{"DELETE", "functions/pay/events/r1", "", 200},
	} {
		code, out := call(t, srv, tc.method, control.Prefix+tc.path, tc.body)
		if code != tc.code {
			t.Errorf("%s %s: %d %v, want %d", tc.method, tc.path, code, out, tc.code)
		}
		if code >= 400 && out["error"] == "" {
			t.Errorf("%s %s: error answer without a message: %v", tc.method, tc.path, out)
		}
	}
	resp, err := http.Get(srv.URL + control.Prefix + "graph?format=dot")
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 64)
	n, _ := resp.Body.Read(b)
	resp.Body.Close()
	if string(b[:n]) != "drawing:dot" {
		t.Fatalf("graph = %q", b[:n])
	}
}
