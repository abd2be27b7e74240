package gateway

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/ferry-run/ferry"
)

var traceRE = regexp.MustCompile(`^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$`)

func TestFunctionRoutes(t *testing.T) {
	t.Parallel()
	w := setup(t)
	w.function(t, "echo", "echo", ferry.AsyncConfig{})
	w.function(t, "raw", "raw", ferry.AsyncConfig{})
	w.function(t, "fail", "fail", ferry.AsyncConfig{})
	w.function(t, "shaped", "shaped", ferry.AsyncConfig{})
	w.function(t, "shapedV1", "shapedV1", ferry.AsyncConfig{})
	w.function(t, "plain", "plain", ferry.AsyncConfig{})
	w.function(t, "malformed", "malformed", ferry.AsyncConfig{})
	w.routes(t,
		Route{Kind: KindREST, Method: "POST", Path: "/users/{id}", Function: "echo"},
		Route{Kind: KindREST, Method: "GET", Path: "/files/{proxy+}", Function: "echo"},
		Route{Kind: KindREST, Method: "GET", Path: "/files/special", Function: "plain"},
		Route{Kind: KindREST, Method: "GET", Path: "/fail", Function: "fail"},
		Route{Kind: KindREST, Method: "GET", Path: "/shaped", Function: "shapedV1"},
		Route{Kind: KindREST, Method: "GET", Path: "/malformed", Function: "malformed"},
		Route{Kind: KindHTTPAPI, Method: "ANY", Path: "/v2/items/{id}", Function: "raw"},
		Route{Kind: KindHTTPAPI, Method: "GET", Path: "/v2/shaped", Function: "shaped"},
		Route{Kind: KindHTTPAPI, Method: "GET", Path: "/v2/plain", Function: "plain"},
		Route{Kind: KindHTTPAPI, Method: "GET", Path: "/v2/fail", Function: "fail"},
	)

	t.Run("v1 event", func(t *testing.T) {
		r := do(t, "POST", w.url+"/users/42?a=1&a=2&b=x", `{"name":"ann"}`,
			"Content-Type", "application/json", "X-Multi", "one", "X-Multi", "two", "User-Agent", "gw-test")
		if r.status != 200 {
			t.Fatalf("status %d: %s", r.status, r.body)
		}
		var ev events.APIGatewayProxyRequest
		if err := json.Unmarshal([]byte(r.body), &ev); err != nil {
			t.Fatal(err)
		}
		checks := []struct{ name, got, want string }{
			{"resource", ev.Resource, "/users/{id}"},
			{"path", ev.Path, "/users/42"},
			{"httpMethod", ev.HTTPMethod, "POST"},
			{"pathParameters.id", ev.PathParameters["id"], "42"},
			{"queryStringParameters.a", ev.QueryStringParameters["a"], "2"},
			{"multiValueQueryStringParameters.a", strings.Join(ev.MultiValueQueryStringParameters["a"], ","), "1,2"},
			{"headers.X-Multi", ev.Headers["X-Multi"], "two"},
			{"multiValueHeaders.X-Multi", strings.Join(ev.MultiValueHeaders["X-Multi"], ","), "one,two"},
			{"body", ev.Body, `{"name":"ann"}`},
			{"requestContext.accountId", ev.RequestContext.AccountID, ferry.DefaultAccount},
			{"requestContext.apiId", ev.RequestContext.APIID, apiID},
			{"requestContext.resourcePath", ev.RequestContext.ResourcePath, "/users/{id}"},
			{"requestContext.httpMethod", ev.RequestContext.HTTPMethod, "POST"},
			{"requestContext.stage", ev.RequestContext.Stage, "dev"},
			{"requestContext.identity.sourceIp", ev.RequestContext.Identity.SourceIP, "127.0.0.1"},
			{"requestContext.identity.userAgent", ev.RequestContext.Identity.UserAgent, "gw-test"},
			{"requestContext.path", ev.RequestContext.Path, "/users/42"},
			{"requestContext.protocol", ev.RequestContext.Protocol, "HTTP/1.1"},
			{"requestContext.requestId", ev.RequestContext.RequestID, r.header.Get("x-amzn-RequestId")},
		}
		for _, c := range checks {
			if c.got != c.want {
				t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
			}
		}
		if ev.IsBase64Encoded {
			t.Error("isBase64Encoded = true for a JSON body")
		}
		if ev.RequestContext.RequestTimeEpoch == 0 {
			t.Error("requestContext.requestTimeEpoch is 0")
		}
		trace := ev.Headers["X-Amzn-Trace-Id"]
		if !traceRE.MatchString(trace) {
			t.Errorf("generated trace header %q does not look like Root=1-<8 hex>-<24 hex>", trace)
		}
		if got := r.header.Get("X-Amzn-Trace-Id"); got != trace {
			t.Errorf("response trace %q, want %q", got, trace)
		}
		// null stageVariables, as API Gateway sends them
		raw := decodeJSON(t, r.body)
		if v, ok := raw["stageVariables"]; !ok || v != nil {
			t.Errorf("stageVariables = %v (present %v), want null", v, ok)
		}
	})

	t.Run("v1 binary body and given trace", func(t *testing.T) {
		const trace = "Root=1-5e9f0c65-1de4d666d4dd26aced652b6c"
		r := do(t, "POST", w.url+"/users/7", "\x00\x01\xff", "Content-Type", "application/octet-stream", "X-Amzn-Trace-Id", trace)
		var ev events.APIGatewayProxyRequest
		if err := json.Unmarshal([]byte(r.body), &ev); err != nil {
			t.Fatalf("%v: %s", err, r.body)
		}
		if !ev.IsBase64Encoded || ev.Body != "AAH/" {
			t.Errorf("body %q base64 %v, want AAH/ true", ev.Body, ev.IsBase64Encoded)
		}
		if ev.Headers["X-Amzn-Trace-Id"] != trace {
			t.Errorf("trace %q, want the caller's %q", ev.Headers["X-Amzn-Trace-Id"], trace)
		}
	})

	t.Run("greedy path and most specific route", func(t *testing.T) {
		r := do(t, "GET", w.url+"/files/a/b/c.txt", "")
		ev := decodeJSON(t, r.body)
		if got := get(ev, "pathParameters", "proxy"); got != "a/b/c.txt" {
			t.Errorf("proxy = %v, want a/b/c.txt", got)
		}
		if got := get(ev, "resource"); got != "/files/{proxy+}" {
			t.Errorf("resource = %v", got)
		}
		// plain returns a non-proxy object, which REST treats as malformed:
		// a 502 shows the literal route won over the greedy one.
		r = do(t, "GET", w.url+"/files/special", "")
		if r.status != http.StatusBadGateway {
			t.Errorf("literal route /files/special: status %d, want 502 from the plain function (not the greedy echo)", r.status)
		}
	})

	t.Run("v1 response mapping", func(t *testing.T) {
		r := do(t, "GET", w.url+"/shaped", "")
		if r.status != 201 {
			t.Fatalf("status %d: %s", r.status, r.body)
		}
		if r.body != "\x00\x01\x02\xff" {
			t.Errorf("body %q, want the decoded base64 bytes", r.body)
		}
		if r.header.Get("X-One") != "1" || r.header.Get("X-Num") != "7" {
			t.Errorf("headers %v", r.header)
		}
		if got := r.header.Values("X-Multi"); !slices.Equal(got, []string{"a", "b"}) {
			t.Errorf("X-Multi = %v, want [a b]", got)
		}
	})

	t.Run("v1 errors are 502", func(t *testing.T) {
		for _, p := range []string{"/fail", "/malformed"} {
			r := do(t, "GET", w.url+p, "")
			if r.status != 502 || r.body != `{"message":"Internal server error"}` {
				t.Errorf("%s: %d %s, want 502 Internal server error", p, r.status, r.body)
			}
		}
	})

	t.Run("v2 event", func(t *testing.T) {
		r := do(t, "PUT", w.url+"/v2/items/abc?x=1&x=2&y=%20z", "hello",
			"Content-Type", "text/plain", "X-Multi", "one", "X-Multi", "two", "Cookie", "a=1; b=2", "User-Agent", "gw-test")
		if r.status != 200 || r.header.Get("Content-Type") != "application/json" {
			t.Fatalf("status %d type %q: %s", r.status, r.header.Get("Content-Type"), r.body)
		}
		var ev events.APIGatewayV2HTTPRequest
		if err := json.Unmarshal([]byte(r.body), &ev); err != nil {
			t.Fatal(err)
		}
		checks := []struct{ name, got, want string }{
			{"version", ev.Version, "2.0"},
			{"routeKey", ev.RouteKey, "ANY /v2/items/{id}"},
			{"rawPath", ev.RawPath, "/v2/items/abc"},
			{"rawQueryString", ev.RawQueryString, "x=1&x=2&y=%20z"},
			{"cookies", strings.Join(ev.Cookies, "|"), "a=1|b=2"},
			{"headers.x-multi", ev.Headers["x-multi"], "one,two"},
			{"headers.content-type", ev.Headers["content-type"], "text/plain"},
			{"queryStringParameters.x", ev.QueryStringParameters["x"], "1,2"},
			{"queryStringParameters.y", ev.QueryStringParameters["y"], " z"},
			{"pathParameters.id", ev.PathParameters["id"], "abc"},
			{"body", ev.Body, "hello"},
			{"requestContext.accountId", ev.RequestContext.AccountID, ferry.DefaultAccount},
			{"requestContext.apiId", ev.RequestContext.APIID, apiID},
			{"requestContext.http.method", ev.RequestContext.HTTP.Method, "PUT"},
			{"requestContext.http.path", ev.RequestContext.HTTP.Path, "/v2/items/abc"},
			{"requestContext.http.protocol", ev.RequestContext.HTTP.Protocol, "HTTP/1.1"},
			{"requestContext.http.sourceIp", ev.RequestContext.HTTP.SourceIP, "127.0.0.1"},
			{"requestContext.http.userAgent", ev.RequestContext.HTTP.UserAgent, "gw-test"},
			{"requestContext.requestId", ev.RequestContext.RequestID, r.header.Get("apigw-requestid")},
			{"requestContext.routeKey", ev.RequestContext.RouteKey, "ANY /v2/items/{id}"},
			{"requestContext.stage", ev.RequestContext.Stage, "$default"},
		}
		for _, c := range checks {
			if c.got != c.want {
				t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
			}
		}
		if _, ok := ev.Headers["cookie"]; ok {
			t.Error("cookie header kept in headers; it belongs in cookies")
		}
		if !traceRE.MatchString(ev.Headers["x-amzn-trace-id"]) {
			t.Errorf("x-amzn-trace-id %q", ev.Headers["x-amzn-trace-id"])
		}
		if ev.RequestContext.TimeEpoch == 0 || ev.RequestContext.Time == "" {
			t.Error("requestContext time fields are empty")
		}
	})

	t.Run("v2 response mapping", func(t *testing.T) {
		r := do(t, "GET", w.url+"/v2/shaped", "")
		if r.status != 201 || r.body != "\x00\x01\x02\xff" {
			t.Fatalf("status %d body %q", r.status, r.body)
		}
		if got := r.header.Values("Set-Cookie"); !slices.Equal(got, []string{"c1=v1; Path=/", "c2=v2"}) {
			t.Errorf("Set-Cookie = %v", got)
		}
		r = do(t, "GET", w.url+"/v2/plain", "")
		if r.status != 200 || r.header.Get("Content-Type") != "application/json" || r.body != `{"hello":"world"}` {
			t.Errorf("inferred response: %d %q %s", r.status, r.header.Get("Content-Type"), r.body)
		}
		r = do(t, "GET", w.url+"/v2/fail", "")
		if r.status != 500 || r.body != `{"message":"Internal Server Error"}` {
			t.Errorf("v2 failure: %d %s, want 500 Internal Server Error", r.status, r.body)
		}
	})
}

func TestAsyncInvocationTypeEvent(t *testing.T) {
	t.Parallel()
	w := setup(t)
	if _, err := w.queues.CreateQueue(t.Context(), "done", nil); err != nil {
		t.Fatal(err)
	}
	zero := 0
	w.function(t, "worker", "raw", ferry.AsyncConfig{MaximumRetryAttempts: &zero,
		OnSuccess: ferry.DefaultRealm.QueueARN("done")})
	w.routes(t, Route{Kind: KindREST, Method: "POST", Path: "/jobs", Function: "worker"})

	const trace = "Root=1-65000000-0123456789abcdef01234567"
	r := do(t, "POST", w.url+"/jobs", `{"job":1}`, "X-Amz-Invocation-Type", "Event", "X-Amzn-Trace-Id", trace)
	if r.status != http.StatusAccepted || r.body != "" {
		t.Fatalf("async: %d %q, want 202 and an empty body", r.status, r.body)
	}
	msg := w.receiveOne(t, "done")
	rec := decodeJSON(t, msg.Body)
	if got := get(rec, "requestContext", "condition"); got != "Success" {
		t.Errorf("condition %v, want Success", got)
	}
	if got := get(rec, "responsePayload", "body"); got != `{"job":1}` {
		t.Errorf("the function saw body %v, want the request body", got)
	}
	if got := get(rec, "requestPayload", "resource"); got != "/jobs" {
		t.Errorf("requestPayload.resource %v", got)
	}
	if msg.TraceID != trace {
		t.Errorf("destination message trace %q, want %q", msg.TraceID, trace)
	}
}
