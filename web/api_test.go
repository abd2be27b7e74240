package web

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

type bundle struct {
	src *memSource
	srv *httptest.Server
}

// setup serves a dashboard over a fresh memSource, mounted as cmd/ferry
// mounts it.
func setup(t *testing.T) bundle {
	t.Helper()
	src := newMemSource()
	d := New(src, nil)
	d.SetToken(testToken)
	mux := http.NewServeMux()
	mux.Handle(Prefix, wantToken(d.Handler()))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return bundle{src: src, srv: srv}
}

// testToken is the token the test dashboards embed in their page.
const testToken = "test-token-0123"

// wantToken refuses API calls without testToken in TokenHeader, as
// cmd/ferry does with its server's token: the page must send it.
func wantToken(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, Prefix+"api/") && r.Header.Get(TokenHeader) != testToken {
			writeJSON(w, http.StatusForbidden, errorBody{Error: "no token", Code: "unauthorized"})
			return
		}
		next.ServeHTTP(w, r)
	})
}

// do sends a request and decodes a JSON answer into out (when not nil).
func (b bundle) do(t *testing.T, method, path, body string, out any) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, b.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set(TokenHeader, testToken)
	return send(t, req, out)
}

func send(t *testing.T, req *http.Request, out any) *http.Response {
	t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: body %q is not JSON: %v", req.Method, req.URL.Path, data, err)
		}
	}
	return res
}

func TestGraphEndpoint(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var got Layout
	res := b.do(t, "GET", "/_ferry/api/graph", "", &got)
	if res.StatusCode != 200 {
		t.Fatalf("status = %d, want 200", res.StatusCode)
	}
	if len(got.Nodes) != 7 || len(got.Edges) != 6 {
		t.Fatalf("got %d nodes, %d edges; want 7, 6", len(got.Nodes), len(got.Edges))
	}
	wantLayer := map[string]int{
		"route:POST /payments": 0, "topic:payments": 1, "function:processPayment": 2,
		"queue:paymentsNotification": 3, "queue:paymentsDLQ": 3,
		"function:notifyCustomer": 4, "function:notifyPaymentsTeam": 4,
	}
	for _, n := range got.Nodes {
		if n.Layer != wantLayer[n.ID] {
			t.Errorf("node %s layer = %d, want %d", n.ID, n.Layer, wantLayer[n.ID])
		}
		if n.X+n.W > got.Width || n.Y+n.H > got.Height || n.X < 0 || n.Y < 0 {
			t.Errorf("node %s box (%d,%d %dx%d) outside %dx%d", n.ID, n.X, n.Y, n.W, n.H, got.Width, got.Height)
		}
	}
	for _, e := range got.Edges {
		if e.Path == "" || e.Back {
			t.Errorf("edge %s -> %s: path %q back %v, want a forward path", e.From, e.To, e.Path, e.Back)
		}
	}
	if got.Edges[2].Count == 0 && got.Edges[3].Count == 0 {
		t.Errorf("edge counts lost: %+v", got.Edges)
	}
}

func TestGraphEndpointErrors(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.src.mu.Lock()
	b.src.graph.Edges = append(b.src.graph.Edges, Edge{From: "function:processPayment", To: "queue:nowhere", Label: EdgeOnSuccess})
	b.src.mu.Unlock()
	var e errorBody
	res := b.do(t, "GET", "/_ferry/api/graph", "", &e)
	if res.StatusCode != 500 || !strings.Contains(e.Error, `"queue:nowhere"`) {
		t.Errorf("bad graph: status %d error %q; want 500 naming queue:nowhere", res.StatusCode, e.Error)
	}

	b.src.mu.Lock()
	b.src.graphErr = errors.New("disk on fire at /var/secret")
	b.src.mu.Unlock()
	res = b.do(t, "GET", "/_ferry/api/graph", "", &e)
	if res.StatusCode != 500 || strings.Contains(e.Error, "secret") || e.Error == "" {
		t.Errorf("uncoded error: status %d error %q; want 500 without details", res.StatusCode, e.Error)
	}
}

func TestInvocationsEndpoint(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ids := func(path string) []string {
		var list []struct {
			RequestID string `json:"requestId"`
		}
		if res := b.do(t, "GET", path, "", &list); res.StatusCode != 200 {
			t.Fatalf("GET %s: status %d", path, res.StatusCode)
		}
		var out []string
		for _, inv := range list {
			out = append(out, inv.RequestID)
		}
		return out
	}
	for _, tc := range []struct {
		path string
		want string
	}{
		{"/_ferry/api/invocations", "req-pending req-team req-fail req-ok"},
		{"/_ferry/api/invocations?status=failed", "req-fail"},
		{"/_ferry/api/invocations?status=succeeded", "req-team req-ok"},
		{"/_ferry/api/invocations?status=pending", "req-pending"},
		{"/_ferry/api/invocations?function=processPayment", "req-fail req-ok"},
		{"/_ferry/api/invocations?function=processPayment&status=succeeded", "req-ok"},
		{"/_ferry/api/invocations?limit=2", "req-pending req-team"},
		{"/_ferry/api/invocations?function=nobody", ""},
	} {
		if got := strings.Join(ids(tc.path), " "); got != tc.want {
			t.Errorf("GET %s = %q, want %q", tc.path, got, tc.want)
		}
	}
}

func TestBadRequests(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, tc := range []struct {
		method, path, body string
		status             int
		code, mention      string
	}{
		{"GET", "/_ferry/api/invocations?status=weird", "", 400, "invalid", `"weird"`},
		{"GET", "/_ferry/api/invocations?limit=0", "", 400, "invalid", "limit"},
		{"GET", "/_ferry/api/invocations?limit=x", "", 400, "invalid", "limit"},
		{"GET", "/_ferry/api/invocations/nope", "", 404, "not_found", `"nope"`},
		{"GET", "/_ferry/api/trace/nope", "", 404, "not_found", `"nope"`},
		{"GET", "/_ferry/api/queues/nope/peek", "", 404, "not_found", `"nope"`},
		{"GET", "/_ferry/api/queues/paymentsDLQ/peek?max=11", "", 400, "invalid", "max"},
		{"POST", "/_ferry/api/queues/nope/purge", "{}", 404, "not_found", `"nope"`},
		{"POST", "/_ferry/api/queues/paymentsNotification/redrive", "{}", 400, "invalid", "not a dead-letter queue"},
		{"POST", "/_ferry/api/invoke", `{"function":`, 400, "invalid_json", "not valid JSON"},
		{"POST", "/_ferry/api/invoke", `{"payload":{}}`, 400, "invalid", "function is required"},
		{"POST", "/_ferry/api/invoke", `{"function":"ghost"}`, 404, "not_found", `"ghost"`},
		{"POST", "/_ferry/api/graph", "{}", 405, "invalid", "use GET"},
		{"DELETE", "/_ferry/api/queues/paymentsDLQ/purge", "", 405, "invalid", "use POST"},
		{"GET", "/_ferry/api/nothing/here", "", 404, "not_found", "/_ferry/api/nothing/here"},
	} {
		var e errorBody
		res := b.do(t, tc.method, tc.path, tc.body, &e)
		if res.StatusCode != tc.status || e.Code != tc.code || !strings.Contains(e.Error, tc.mention) {
			t.Errorf("%s %s: got %d %s %q; want %d %s mentioning %s", tc.method, tc.path,
				res.StatusCode, e.Code, e.Error, tc.status, tc.code, tc.mention)
		}
		if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("%s %s: Content-Type %q, want JSON", tc.method, tc.path, ct)
		}
	}
}

func TestInvocationAndTrace(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var inv struct {
		RequestID string `json:"requestId"`
		Condition string `json:"condition"`
	}
	if res := b.do(t, "GET", "/_ferry/api/invocations/req-fail", "", &inv); res.StatusCode != 200 {
		t.Fatalf("status %d", res.StatusCode)
	}
	if inv.RequestID != "req-fail" || inv.Condition != "RetriesExhausted" {
		t.Errorf("got %+v", inv)
	}

	var tr struct {
		RequestID string `json:"requestId"`
		TraceID   string `json:"traceId"`
		Hops      []struct {
			RequestID    string  `json:"requestId"`
			QueueDelayMs float64 `json:"queueDelayMs"`
			RunMs        float64 `json:"runMs"`
			Attempts     []struct {
				ErrorType string `json:"errorType"`
				Logs      string `json:"logs"`
			} `json:"attempts"`
		} `json:"hops"`
	}
	if res := b.do(t, "GET", "/_ferry/api/trace/req-team", "", &tr); res.StatusCode != 200 {
		t.Fatalf("status %d", res.StatusCode)
	}
	if tr.TraceID != "trace-fail" || len(tr.Hops) != 2 {
		t.Fatalf("trace %s with %d hops, want trace-fail with 2", tr.TraceID, len(tr.Hops))
	}
	first, second := tr.Hops[0], tr.Hops[1]
	if first.RequestID != "req-fail" || second.RequestID != "req-team" {
		t.Errorf("hop order %s, %s; want req-fail, req-team", first.RequestID, second.RequestID)
	}
	if first.QueueDelayMs != 5 || first.RunMs != 7 {
		t.Errorf("first hop delay %v ms run %v ms, want 5 and 7", first.QueueDelayMs, first.RunMs)
	}
	if second.QueueDelayMs != 1 || second.RunMs != 1 {
		t.Errorf("second hop delay %v ms run %v ms, want 1 and 1", second.QueueDelayMs, second.RunMs)
	}
	if len(first.Attempts) != 2 || first.Attempts[1].ErrorType != "PaymentDeclined" || first.Attempts[1].Logs != "declining -1 again\n" {
		t.Errorf("first hop attempts %+v", first.Attempts)
	}
}

func TestQueueEndpoints(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var qs []QueueSummary
	b.do(t, "GET", "/_ferry/api/queues", "", &qs)
	if len(qs) != 2 || qs[0].Name != "paymentsDLQ" || !qs[0].IsDLQ || qs[0].Visible != 2 || qs[0].Sources[0] != "paymentsNotification" {
		t.Fatalf("queues = %+v", qs)
	}

	var msgs []map[string]any
	res := b.do(t, "GET", "/_ferry/api/queues/paymentsDLQ/peek?max=1", "", &msgs)
	if res.StatusCode != 200 || len(msgs) != 1 || msgs[0]["messageId"] != "m-2" {
		t.Fatalf("peek: %d %+v", res.StatusCode, msgs)
	}
	if _, leaked := msgs[0]["receiptHandle"]; leaked {
		t.Errorf("peek passes the receipt handle on: %+v", msgs[0])
	}
	b.do(t, "GET", "/_ferry/api/queues/paymentsDLQ/peek", "", &msgs)
	if len(msgs) != 2 {
		t.Errorf("second peek saw %d messages, want 2 (peek must not consume)", len(msgs))
	}

	var moved struct{ Moved int }
	if res := b.do(t, "POST", "/_ferry/api/queues/paymentsDLQ/redrive", "{}", &moved); res.StatusCode != 200 || moved.Moved != 2 {
		t.Errorf("redrive: status %d moved %d, want 200 and 2", res.StatusCode, moved.Moved)
	}
	b.do(t, "GET", "/_ferry/api/queues", "", &qs)
	if qs[0].Visible != 0 || qs[1].Visible != 3 {
		t.Errorf("after redrive: %+v", qs)
	}

	if res := b.do(t, "POST", "/_ferry/api/queues/paymentsNotification/purge", "{}", nil); res.StatusCode != 200 {
		t.Errorf("purge status %d", res.StatusCode)
	}
	b.do(t, "GET", "/_ferry/api/queues", "", &qs)
	if qs[1].Visible != 0 {
		t.Errorf("after purge: %+v", qs)
	}
}

func TestInvokeEndpoint(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var got invokeResponse
	res := b.do(t, "POST", "/_ferry/api/invoke", `{"function":"processPayment","payload":{"amount":7}}`, &got)
	if res.StatusCode != http.StatusAccepted || got.RequestID == "" || got.Function != "processPayment" {
		t.Fatalf("invoke: %d %+v", res.StatusCode, got)
	}
	if req, err := b.src.request(got.RequestID); err != nil || req != `{"amount":7}` {
		t.Errorf("stored request %q, %v; want {\"amount\":7}", req, err)
	}
	res = b.do(t, "POST", "/_ferry/api/invoke", `{"function":"notifyCustomer"}`, &got)
	if res.StatusCode != http.StatusAccepted {
		t.Fatalf("invoke without payload: %d", res.StatusCode)
	}
	if req, _ := b.src.request(got.RequestID); req != `{}` {
		t.Errorf("payload absent: stored %q, want {}", req)
	}
}

// TestRefusesCrossSite checks that a state-changing request another site's
// page could send is refused before it reaches the source.
func TestRefusesCrossSite(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, tc := range []struct {
		name, contentType, fetchSite string
		status                       int
	}{
		{"form post", "application/x-www-form-urlencoded", "", 400},
		{"text post", "text/plain", "", 400},
		{"cross-site JSON", "application/json", "cross-site", 403},
		{"same-origin JSON", "application/json; charset=utf-8", "same-origin", 200},
	} {
		req, _ := http.NewRequest("POST", b.srv.URL+"/_ferry/api/queues/paymentsDLQ/purge", strings.NewReader("{}"))
		req.Header.Set("Content-Type", tc.contentType)
		req.Header.Set(TokenHeader, testToken)
		if tc.fetchSite != "" {
			req.Header.Set("Sec-Fetch-Site", tc.fetchSite)
		}
		var e errorBody
		res := send(t, req, &e)
		if res.StatusCode != tc.status {
			t.Errorf("%s: status %d (%s), want %d", tc.name, res.StatusCode, e.Error, tc.status)
		}
	}
}

func TestPageAndAssets(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, tc := range []struct {
		path, contentType, contains string
	}{
		{"/_ferry/", "text/html", `src="static/app.js"`},
		{"/_ferry/", "text/html", `<meta name="ferry-token" content="` + testToken + `">`},
		{"/_ferry/static/app.js", "text/javascript", "function route()"},
		{"/_ferry/static/style.css", "text/css", "svg.graph"},
	} {
		res, err := http.Get(b.srv.URL + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), tc.contentType) || !strings.Contains(string(body), tc.contains) {
			t.Errorf("GET %s: %d %s, body has %q: %v", tc.path, res.StatusCode, res.Header.Get("Content-Type"), tc.contains, strings.Contains(string(body), tc.contains))
		}
		if res.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET %s: no nosniff header", tc.path)
		}
	}
	res, err := http.Get(b.srv.URL + "/_ferry/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("page CSP %q, want script-src 'self'", csp)
	}
	res, err = http.Get(b.srv.URL + "/_ferry/elsewhere")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 404 {
		t.Errorf("GET /_ferry/elsewhere: %d, want 404", res.StatusCode)
	}
}

// TestTimesInJSON pins that times pass through as RFC 3339, which the page
// parses.
func TestTimesInJSON(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var inv struct{ Accepted time.Time }
	b.do(t, "GET", "/_ferry/api/invocations/req-ok", "", &inv)
	if !inv.Accepted.Equal(t0) {
		t.Errorf("accepted %v, want %v", inv.Accepted, t0)
	}
}
