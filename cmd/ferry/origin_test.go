package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ferry-run/ferry/web"
)

// TestSiteGuardDecisions: which Host, Origin and Sec-Fetch-Site values the
// guard lets through, for servers bound in different ways.
func TestSiteGuardDecisions(t *testing.T) {
	t.Parallel()
	loop := newSiteGuard("127.0.0.1:4566", "127.0.0.1:4566", []string{"http://localhost:5173"})
	named := newSiteGuard("localhost:4566", "127.0.0.1:4566", nil)
	v6 := newSiteGuard("[::1]:0", "[::1]:4567", nil)
	wild := newSiteGuard("0.0.0.0:4566", "0.0.0.0:4566", nil)
	for _, tc := range []struct {
		name          string
		g             *siteGuard
		method, path  string
		host          string
		hdr           map[string]string
		refused       bool
		wantCORS      string
		reasonMention string
	}{
		{"sdk, bound address", loop, "POST", "/", "127.0.0.1:4566", nil, false, "", ""},
		{"localhost", loop, "POST", "/", "localhost:4566", nil, false, "", ""},
		{"localhost upper case", loop, "POST", "/", "LOCALHOST:4566", nil, false, "", ""},
		{"ipv6 loopback", loop, "POST", "/", "[::1]:4566", nil, false, "", ""},
		{"rebinding name", loop, "POST", "/", "evil.example:4566", nil, true, "", "DNS rebinding"},
		{"other port", loop, "POST", "/", "127.0.0.1:4567", nil, true, "", "DNS rebinding"},
		{"no port is port 80", loop, "POST", "/", "127.0.0.1", nil, true, "", "DNS rebinding"},
		{"own origin", loop, "POST", "/_ferry/api/invoke", "127.0.0.1:4566", map[string]string{"Origin": "http://127.0.0.1:4566", "Sec-Fetch-Site": "same-origin"}, false, "", ""},
		{"own origin as localhost", loop, "POST", "/_ferry/api/invoke", "localhost:4566", map[string]string{"Origin": "http://localhost:4566", "Sec-Fetch-Site": "same-origin"}, false, "", ""},
		{"foreign origin", loop, "POST", "/", "127.0.0.1:4566", map[string]string{"Origin": "http://evil.example"}, true, "", "--allow-origin http://evil.example"},
		{"other port's origin", loop, "POST", "/", "127.0.0.1:4566", map[string]string{"Origin": "http://127.0.0.1:8080"}, true, "", "--allow-origin"},
		{"origin null", loop, "POST", "/", "127.0.0.1:4566", map[string]string{"Origin": "null"}, true, "", "--allow-origin"},
		{"https own host", loop, "POST", "/", "127.0.0.1:4566", map[string]string{"Origin": "https://127.0.0.1:4566"}, true, "", "--allow-origin"},
		{"cross-site without origin", loop, "GET", "/", "127.0.0.1:4566", map[string]string{"Sec-Fetch-Site": "cross-site"}, true, "", "Sec-Fetch-Site: cross-site"},
		{"same-site without origin", loop, "GET", "/_ferry/logs", "127.0.0.1:4566", map[string]string{"Sec-Fetch-Site": "same-site"}, true, "", "Sec-Fetch-Site: same-site"},
		{"typed address", loop, "GET", "/_ferry/", "127.0.0.1:4566", map[string]string{"Sec-Fetch-Site": "none", "Sec-Fetch-Mode": "navigate"}, false, "", ""},
		{"link to the dashboard", loop, "GET", "/_ferry/", "127.0.0.1:4566", map[string]string{"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"}, false, "", ""},
		{"dashboard in a frame", loop, "GET", "/_ferry/", "127.0.0.1:4566", map[string]string{"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "iframe"}, true, "", "Sec-Fetch-Site"},
		{"form posted at the dashboard", loop, "POST", "/_ferry/", "127.0.0.1:4566", map[string]string{"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"}, true, "", "Sec-Fetch-Site"},
		{"link to an API", loop, "GET", "/", "127.0.0.1:4566", map[string]string{"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"}, true, "", "Sec-Fetch-Site"},
		{"allowed origin", loop, "POST", "/", "127.0.0.1:4566", map[string]string{"Origin": "http://localhost:5173", "Sec-Fetch-Site": "cross-site"}, false, "http://localhost:5173", ""},
		{"allowed origin, other case", loop, "POST", "/", "127.0.0.1:4566", map[string]string{"Origin": "http://LOCALHOST:5173", "Sec-Fetch-Site": "cross-site"}, false, "http://LOCALHOST:5173", ""},
		{"allowed origin's other port", loop, "POST", "/", "127.0.0.1:4566", map[string]string{"Origin": "http://localhost:5174"}, true, "", "--allow-origin"},
		{"allowed origin still needs the host", loop, "POST", "/", "evil.example:4566", map[string]string{"Origin": "http://localhost:5173"}, true, "", "DNS rebinding"},
		{"configured name", named, "POST", "/", "localhost:4566", nil, false, "", ""},
		{"configured name's address", named, "POST", "/", "127.0.0.1:4566", nil, false, "", ""},
		{"configured name, rebinding", named, "POST", "/", "evil.example:4566", nil, true, "", "DNS rebinding"},
		{"v6 bound", v6, "POST", "/", "[::1]:4567", nil, false, "", ""},
		{"v6 bound, rebinding", v6, "POST", "/", "evil.example:4567", nil, true, "", "DNS rebinding"},
		{"all interfaces take any host", wild, "POST", "/", "ferry.lan:4566", nil, false, "", ""},
		{"all interfaces still check origins", wild, "POST", "/", "ferry.lan:4566", map[string]string{"Origin": "http://evil.example"}, true, "", "--allow-origin"},
	} {
		r, _ := http.NewRequest(tc.method, "http://"+tc.host+tc.path, nil)
		r.Host = tc.host
		for k, v := range tc.hdr {
			r.Header.Set(k, v)
		}
		reason, cors := tc.g.check(r)
		if (reason != "") != tc.refused || cors != tc.wantCORS || !strings.Contains(reason, tc.reasonMention) {
			t.Errorf("%s: refusal %q, cors %q; want refused=%v mentioning %q, cors %q", tc.name, reason, cors, tc.refused, tc.reasonMention, tc.wantCORS)
		}
	}
}

// TestContentTypeDecisions: each AWS protocol's requests need its content
// type; what a page can send without asking is refused.
func TestContentTypeDecisions(t *testing.T) {
	t.Parallel()
	req := func(method, path, ct, body string) *http.Request {
		r, _ := http.NewRequest(method, "http://127.0.0.1:4566"+path, strings.NewReader(body))
		if ct != "" {
			r.Header.Set("Content-Type", ct)
		}
		return r
	}
	const create, invoke = "/2015-03-31/functions", "/2015-03-31/functions/f/invocations"
	for _, tc := range []struct {
		name string
		got  string
		ok   bool
	}{
		{"CreateFunction json", lambdaContentType(req("POST", create, "application/json", "{}")), true},
		{"CreateFunction json charset", lambdaContentType(req("POST", create, "application/json; charset=utf-8", "{}")), true},
		{"CreateFunction text/plain", lambdaContentType(req("POST", create, "text/plain;charset=UTF-8", "{}")), false},
		{"CreateFunction form", lambdaContentType(req("POST", create, "application/x-www-form-urlencoded", "{}")), false},
		{"CreateFunction no type", lambdaContentType(req("POST", create, "", "{}")), false},
		{"UpdateFunctionCode text/plain", lambdaContentType(req("PUT", "/2015-03-31/functions/f/code", "text/plain", "{}")), false},
		{"empty POST", lambdaContentType(req("POST", "/2015-03-31/functions/f/versions", "", "")), true},
		{"DeleteFunction", lambdaContentType(req("DELETE", "/2015-03-31/functions/f", "", "")), true},
		{"GetFunction", lambdaContentType(req("GET", "/2015-03-31/functions/f", "text/plain", "")), true},
		{"Invoke octet-stream", lambdaContentType(req("POST", invoke, "application/octet-stream", "{}")), true},
		{"Invoke json", lambdaContentType(req("POST", invoke, "application/json", "{}")), true},
		{"Invoke no type", lambdaContentType(req("POST", invoke, "", "{}")), true},
		{"Invoke text/plain", lambdaContentType(req("POST", invoke, "text/plain", "{}")), false},
		{"Invoke multipart", lambdaContentType(req("POST", invoke, "multipart/form-data; boundary=x", "")), false},
		{"Invoke form", lambdaContentType(req("POST", invoke, "application/x-www-form-urlencoded", "a=b")), false},
		{"SQS JSON", jsonContentType(req("POST", "/", "application/x-amz-json-1.0", "{}"), ctSQSJSON, "SQS"), true},
		{"SQS JSON as 1.1", jsonContentType(req("POST", "/", "application/x-amz-json-1.1", "{}"), ctSQSJSON, "SQS"), false},
		{"SQS JSON text/plain", jsonContentType(req("POST", "/", "text/plain", "{}"), ctSQSJSON, "SQS"), false},
		{"EventBridge", jsonContentType(req("POST", "/", "application/x-amz-json-1.1", "{}"), ctEventsJSON, "EventBridge"), true},
		{"EventBridge no type", jsonContentType(req("POST", "/", "", "{}"), ctEventsJSON, "EventBridge"), false},
		{"query form", queryContentType(req("POST", "/", "application/x-www-form-urlencoded; charset=utf-8", "Action=ListQueues")), true},
		{"query text/plain", queryContentType(req("POST", "/?Action=CreateQueue&QueueName=q", "text/plain", "")), false},
		{"query multipart", queryContentType(req("POST", "/", "multipart/form-data; boundary=x", "")), false},
		{"query GET Subscribe", queryMethod(req("GET", "/?Action=Subscribe", "", ""), "Subscribe"), false},
		{"query GET CreateQueue", queryMethod(req("GET", "/?Action=CreateQueue", "", ""), "CreateQueue"), false},
		{"SNS unsubscribe link", queryMethod(req("GET", "/?Action=Unsubscribe", "", ""), "Unsubscribe"), true},
		{"SNS confirm link", queryMethod(req("GET", "/?Action=ConfirmSubscription", "", ""), "ConfirmSubscription"), true},
	} {
		if (tc.got == "") != tc.ok {
			t.Errorf("%s: refusal %q, want accepted=%v", tc.name, tc.got, tc.ok)
		}
	}
}

func TestParseOrigins(t *testing.T) {
	t.Parallel()
	got, err := parseOrigins([]string{"http://localhost:5173", "https://App.Example/"})
	if err != nil || strings.Join(got, " ") != "http://localhost:5173 https://app.example" {
		t.Fatalf("%v %v", got, err)
	}
	for _, bad := range []string{"*", "localhost:5173", "http://localhost:5173/app", "ftp://x", "http://", "null"} {
		if _, err := parseOrigins([]string{bad}); err == nil || !strings.Contains(err.Error(), "--allow-origin") {
			t.Errorf("%q: %v, want a refusal naming --allow-origin", bad, err)
		}
	}
}

// apiRequest sends one raw request to m's API port.
func apiRequest(t *testing.T, m *Main, method, path, host string, hdr map[string]string, body string) (int, http.Header, string) {
	t.Helper()
	r, err := http.NewRequest(method, m.APIURL()+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if host != "" {
		r.Host = host
	}
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// TestSiteGuardOnServer: a real server refuses what pages of other sites
// send, in each protocol's error shape, creates nothing for them, and
// sends no CORS header.
func TestSiteGuardOnServer(t *testing.T) {
	t.Parallel()
	m := setup(t, 1)
	ctx := context.Background()
	form := func(v url.Values) string { return v.Encode() }
	fnJSON := `{"FunctionName":"pwned","Runtime":"nodejs20.x","Handler":"index.handler","Role":"arn:aws:iam::000000000000:role/x","Code":{"ZipFile":"UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA=="}}`
	port := m.apiLn.Addr().String()[strings.LastIndexByte(m.apiLn.Addr().String(), ':'):]
	for _, tc := range []struct {
		name, method, path, host string
		hdr                      map[string]string
		body                     string
		status                   int
		want                     string
	}{
		{"rebinding CreateQueue", "POST", "/", "evil.example" + port,
			map[string]string{"Content-Type": ctQuery}, form(url.Values{"Action": {"CreateQueue"}, "QueueName": {"pwned1"}}),
			403, "<Code>AccessDeniedException</Code>"},
		{"cross-site form CreateQueue", "POST", "/", "",
			map[string]string{"Content-Type": ctQuery, "Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"}, form(url.Values{"Action": {"CreateQueue"}, "QueueName": {"pwned2"}}),
			403, "--allow-origin http://evil.example"},
		{"same-site SNS CreateTopic", "POST", "/", "",
			map[string]string{"Content-Type": ctQuery, "Sec-Fetch-Site": "same-site"}, form(url.Values{"Action": {"CreateTopic"}, "Name": {"pwned3"}}),
			403, "Sec-Fetch-Site: same-site"},
		{"cross-site SQS JSON", "POST", "/", "",
			map[string]string{"Content-Type": ctSQSJSON, "X-Amz-Target": "AmazonSQS.CreateQueue", "Origin": "http://evil.example"}, `{"QueueName":"pwned4"}`,
			403, `"__type":"AccessDeniedException"`},
		{"cross-site CreateFunction", "POST", "/2015-03-31/functions", "",
			map[string]string{"Content-Type": "text/plain", "Origin": "http://localhost:1"}, fnJSON,
			403, `"Type":"User"`},
		{"text/plain CreateFunction without origin", "POST", "/2015-03-31/functions", "",
			map[string]string{"Content-Type": "text/plain"}, fnJSON,
			415, "must be sent with Content-Type application/json"},
		{"text/plain query CreateQueue", "POST", "/?Action=CreateQueue&QueueName=pwned5", "",
			map[string]string{"Content-Type": "text/plain"}, "",
			415, "application/x-www-form-urlencoded"},
		{"GET query CreateQueue", "GET", "/?Action=CreateQueue&QueueName=pwned6", "", nil, "",
			405, "<Code>InvalidAction</Code>"},
		{"SQS JSON as text/plain", "POST", "/", "",
			map[string]string{"Content-Type": "text/plain", "X-Amz-Target": "AmazonSQS.CreateQueue"}, `{"QueueName":"pwned7"}`,
			415, "application/x-amz-json-1.0"},
		{"EventBridge as SQS's type", "POST", "/", "",
			map[string]string{"Content-Type": ctSQSJSON, "X-Amz-Target": "AWSEvents.CreateEventBus"}, `{"Name":"pwned8"}`,
			415, "application/x-amz-json-1.1"},
		{"dashboard API without token", "POST", "/_ferry/api/queues/x/purge", "",
			map[string]string{"Content-Type": "application/json"}, `{}`,
			403, web.TokenHeader},
		{"dashboard API with a wrong token", "GET", "/_ferry/api/queues", "",
			map[string]string{web.TokenHeader: "guess"}, "",
			403, "reload the page"},
		{"control API without token", "POST", "/_ferry/control/functions/f/pause", "", nil, "",
			403, web.TokenHeader},
		{"cross-site token read", "GET", tokenPath, "",
			map[string]string{"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "cors", "Origin": "http://evil.example"}, "",
			403, `"code":"unauthorized"`},
		{"preflight from another site", "OPTIONS", "/2015-03-31/functions", "",
			map[string]string{"Origin": "http://evil.example", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}, "",
			403, "--allow-origin"},
		{"sdk-like ListQueues", "POST", "/", "",
			map[string]string{"Content-Type": ctSQSJSON, "X-Amz-Target": "AmazonSQS.ListQueues"}, `{}`,
			200, "{"},
		{"dashboard page by link", "GET", "/_ferry/", "",
			map[string]string{"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"}, "",
			200, `<meta name="ferry-token" content="`},
		{"metrics", "GET", "/metrics", "", nil, "", 200, "go_gc"},
	} {
		code, h, body := apiRequest(t, m, tc.method, tc.path, tc.host, tc.hdr, tc.body)
		if code != tc.status || !strings.Contains(body, tc.want) {
			t.Errorf("%s: %d %s; want %d with %q", tc.name, code, body, tc.status, tc.want)
		}
		if et := h.Get("X-Amzn-ErrorType"); strings.HasPrefix(tc.path, "/2015") && code >= 400 && et != map[int]string{403: "AccessDeniedException", 415: "UnsupportedMediaTypeException"}[code] {
			t.Errorf("%s: X-Amzn-ErrorType %q", tc.name, et)
		}
		for k := range h {
			if strings.HasPrefix(k, "Access-Control-") {
				t.Errorf("%s: answered with CORS header %s: %s", tc.name, k, h.Get(k))
			}
		}
	}
	qs, _ := m.Queues.ListQueues(ctx, "")
	fns, _ := m.Functions.ListFunctions(ctx)
	topics, _ := m.Topics.ListTopics(ctx)
	buses, _ := m.Buses.ListBuses(ctx)
	if len(qs) != 0 || len(fns) != 0 || len(topics) != 0 || len(buses) != 1 {
		t.Errorf("refused requests created queues %v, functions %d, topics %v, buses %v", qs, len(fns), topics, buses)
	}

	// The token from the page works; the ferry command line reads it the
	// same way.
	_, _, page := apiRequest(t, m, "GET", tokenPath, "", nil, "")
	var tok struct{ Token string }
	if err := json.Unmarshal([]byte(page), &tok); err != nil || len(tok.Token) != 64 {
		t.Fatalf("token answer %s", page)
	}
	if code, _, body := apiRequest(t, m, "GET", "/_ferry/api/queues", "", map[string]string{web.TokenHeader: tok.Token}, ""); code != 200 {
		t.Errorf("dashboard API with the token: %d %s", code, body)
	}
}

// TestAllowOrigin: --allow-origin lets the named site's pages call the API,
// with CORS headers for it alone; other sites are still refused.
func TestAllowOrigin(t *testing.T) {
	t.Parallel()
	const app = "http://localhost:5173"
	m := setupWith(t, Config{ClockScale: 1, AllowOrigins: []string{app}})
	code, h, body := apiRequest(t, m, "OPTIONS", "/", "", map[string]string{
		"Origin": app, "Sec-Fetch-Site": "cross-site", "Access-Control-Request-Method": "POST",
		"Access-Control-Request-Headers": "content-type,x-amz-target", "Access-Control-Request-Private-Network": "true",
	}, "")
	if code != 204 || h.Get("Access-Control-Allow-Origin") != app || h.Get("Access-Control-Allow-Headers") != "content-type,x-amz-target" ||
		h.Get("Access-Control-Allow-Methods") != "POST" || h.Get("Access-Control-Allow-Private-Network") != "true" {
		t.Fatalf("preflight: %d %v %s", code, h, body)
	}
	code, h, body = apiRequest(t, m, "POST", "/", "", map[string]string{
		"Origin": app, "Sec-Fetch-Site": "cross-site", "Content-Type": ctSQSJSON, "X-Amz-Target": "AmazonSQS.CreateQueue",
	}, `{"QueueName":"fromapp"}`)
	if code != 200 || h.Get("Access-Control-Allow-Origin") != app || !strings.Contains(body, "fromapp") {
		t.Fatalf("CreateQueue from %s: %d %v %s", app, code, h, body)
	}
	if _, err := m.Queues.GetQueueAttributes(context.Background(), "fromapp", nil); err != nil {
		t.Fatalf("queue not created: %v", err)
	}
	code, h, body = apiRequest(t, m, "POST", "/", "", map[string]string{
		"Origin": "http://localhost:5174", "Sec-Fetch-Site": "cross-site", "Content-Type": ctSQSJSON, "X-Amz-Target": "AmazonSQS.CreateQueue",
	}, `{"QueueName":"fromother"}`)
	if code != 403 || h.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("other origin: %d %v %s", code, h, body)
	}
}
