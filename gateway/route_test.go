package gateway

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/ferry-run/ferry"
)

func TestUnknownRoutes(t *testing.T) {
	t.Parallel()
	_, restURL := light(t, Route{Kind: KindREST, Method: "GET", Path: "/a", Function: "f"})
	_, apiURL := light(t, Route{Kind: KindHTTPAPI, Method: "GET", Path: "/a", Function: "f"})
	tests := []struct {
		name, url, method, path string
		status                  int
		body                    string
	}{
		{"rest unknown path", restURL, "GET", "/b", 403, `{"message":"Missing Authentication Token"}`},
		{"rest wrong method", restURL, "POST", "/a", 403, `{"message":"Missing Authentication Token"}`},
		{"http api unknown path", apiURL, "GET", "/b", 404, `{"message":"Not Found"}`},
		{"http api wrong method", apiURL, "DELETE", "/a", 404, `{"message":"Not Found"}`},
		{"known", restURL, "GET", "/a/", 200, "ok"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, tt.method, tt.url+tt.path, "")
			if r.status != tt.status || r.body != tt.body {
				t.Errorf("got %d %s, want %d %s", r.status, r.body, tt.status, tt.body)
			}
		})
	}
}

func TestDefaultRoute(t *testing.T) {
	t.Parallel()
	_, url := light(t,
		Route{Kind: KindHTTPAPI, Method: "*", Path: "$default", Function: "f"},
		Route{Kind: KindHTTPAPI, Method: "GET", Path: "/x", Function: "f"},
	)
	for _, p := range []string{"/", "/anything/at/all", "/x"} {
		if r := do(t, "POST", url+p, ""); r.status != 200 {
			t.Errorf("POST %s: %d, want the $default route", p, r.status)
		}
	}
}

func TestMatchSpecificity(t *testing.T) {
	t.Parallel()
	gw := New(Options{Invoker: staticInvoker("{}")})
	routes := []Route{
		{Kind: KindREST, Method: "ANY", Path: "/{proxy+}", Function: "greedy"},
		{Kind: KindREST, Method: "GET", Path: "/users/{id}", Function: "param"},
		{Kind: KindREST, Method: "GET", Path: "/users/me", Function: "literal"},
		{Kind: KindREST, Method: "ANY", Path: "/users/me", Function: "literalany"},
		{Kind: KindREST, Method: "GET", Path: "/users/{id}/files/{rest+}", Function: "files"},
		{Kind: KindREST, Method: "GET", Path: "/", Function: "root"},
	}
	if err := gw.SetRoutes(routes); err != nil {
		t.Fatal(err)
	}
	tab := gw.table.Load()
	tests := []struct {
		method, path, want string
		params             map[string]string
	}{
		{"GET", "/users/me", "literal", nil},
		{"POST", "/users/me", "literalany", nil},
		{"GET", "/users/7", "param", map[string]string{"id": "7"}},
		{"POST", "/users/7", "greedy", map[string]string{"proxy": "users/7"}},
		{"GET", "/users/7/files/a/b", "files", map[string]string{"id": "7", "rest": "a/b"}},
		{"GET", "/users/7/files", "greedy", map[string]string{"proxy": "users/7/files"}},
		{"GET", "/", "root", nil},
		{"POST", "/", "", nil},
	}
	for _, tt := range tests {
		l := tab.find(tt.method, tt.path)
		got := ""
		if l.route != nil {
			got = l.route.Function
		}
		if got != tt.want {
			t.Errorf("%s %s -> %q, want %q", tt.method, tt.path, got, tt.want)
			continue
		}
		for k, v := range tt.params {
			if l.params[k] != v {
				t.Errorf("%s %s: param %s = %q, want %q", tt.method, tt.path, k, l.params[k], v)
			}
		}
	}
}

func TestSetRoutesValidation(t *testing.T) {
	t.Parallel()
	gw := New(Options{Invoker: staticInvoker("{}")})
	fn := func(kind, method, path string) Route {
		return Route{Kind: kind, Method: method, Path: path, Function: "f"}
	}
	tests := []struct {
		name   string
		routes []Route
		want   string
	}{
		{"bad kind", []Route{fn("rest", "GET", "/a")}, `kind must be "http" or "httpApi"`},
		{"bad method", []Route{fn(KindREST, "FETCH", "/a")}, `unsupported method "FETCH"`},
		{"relative path", []Route{fn(KindREST, "GET", "a")}, "must start with /"},
		{"partial param", []Route{fn(KindREST, "GET", "/a{b}")}, "must be a whole segment"},
		{"greedy not last", []Route{fn(KindREST, "GET", "/{p+}/x")}, "must be the last segment"},
		{"duplicate param", []Route{fn(KindREST, "GET", "/{a}/{a}")}, "appears twice"},
		{"empty segment", []Route{fn(KindREST, "GET", "/a//b")}, "empty segment"},
		{"default on rest", []Route{fn(KindREST, "ANY", "$default")}, "only valid for an HTTP API"},
		{"no target", []Route{{Kind: KindREST, Method: "GET", Path: "/a"}}, "needs a function or a service proxy"},
		{"both targets", []Route{{Kind: KindREST, Method: "GET", Path: "/a", Function: "f", Proxy: &ServiceProxy{Kind: ProxySNS, Target: "t"}}}, "not both"},
		{"conflict", []Route{fn(KindREST, "GET", "/u/{id}"), fn(KindHTTPAPI, "get", "/u/{name}")}, "route 2 (httpApi get /u/{name} -> function f) conflicts with route 1"},
		{"no topic service", []Route{{Kind: KindREST, Method: "POST", Path: "/a", Proxy: &ServiceProxy{Kind: ProxySNS, Target: "t"}}}, "needs a topic service"},
		{"bad payload version", []Route{{Kind: KindHTTPAPI, Method: "GET", Path: "/a", Function: "f", PayloadVersion: "3.0"}}, "payload version"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := gw.SetRoutes(tt.routes)
			if err == nil {
				t.Fatalf("SetRoutes accepted %v", tt.routes)
			}
			if ferry.ErrorCode(err) != ferry.EINVALID {
				t.Errorf("code %q, want %q", ferry.ErrorCode(err), ferry.EINVALID)
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "route ") {
				t.Errorf("error %q does not name the route and %q", err, tt.want)
			}
		})
	}
}

func TestTemplateErrorsNameTheConstruct(t *testing.T) {
	t.Parallel()
	gw := New(Options{Topics: nopTopics{}})
	err := gw.SetRoutes([]Route{{Kind: KindREST, Method: "POST", Path: "/p",
		Proxy: &ServiceProxy{Kind: ProxySNS, Target: "t", RequestTemplate: "#set($x = 1)Message=$x"}}})
	if err == nil || !strings.Contains(err.Error(), "#set") || !strings.Contains(err.Error(), "POST /p") {
		t.Errorf("error %v, want one naming #set and the route", err)
	}
}

type nopTopics struct{}

func (nopTopics) Publish(context.Context, string, ferry.Notification) (string, error) {
	return "id", nil
}

func TestHotSwap(t *testing.T) {
	t.Parallel()
	gw, url := light(t, Route{Kind: KindREST, Method: "GET", Path: "/old", Function: "f"})
	if r := do(t, "GET", url+"/old", ""); r.status != 200 {
		t.Fatalf("before swap: %d", r.status)
	}
	// Requests keep being served while the table changes under them.
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
				gw.SetRoutes([]Route{{Kind: KindREST, Method: "GET", Path: "/old", Function: "f"}})
			}
		}
	})
	for range 20 {
		if r := do(t, "GET", url+"/old", ""); r.status != 200 {
			t.Errorf("during swaps: %d", r.status)
		}
	}
	close(stop)
	wg.Wait()
	if err := gw.SetRoutes([]Route{{Kind: KindREST, Method: "GET", Path: "/new", Function: "f"}}); err != nil {
		t.Fatal(err)
	}
	if r := do(t, "GET", url+"/old", ""); r.status != 403 {
		t.Errorf("old route after swap: %d, want 403", r.status)
	}
	if r := do(t, "GET", url+"/new", ""); r.status != 200 {
		t.Errorf("new route after swap: %d, want 200", r.status)
	}
	// An invalid table leaves the running one in place.
	if err := gw.SetRoutes([]Route{{Kind: KindREST, Method: "GET", Path: "bad", Function: "f"}}); err == nil {
		t.Fatal("invalid routes accepted")
	}
	if r := do(t, "GET", url+"/new", ""); r.status != 200 {
		t.Errorf("after a refused swap: %d, want 200", r.status)
	}
}

// wantPreflight checks a preflight answer's status and CORS headers.
func wantPreflight(t *testing.T, r response, status int, want map[string]string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d", r.status)
	}
	for k, v := range want {
		if got := r.header.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
}

func TestCORS(t *testing.T) {
	t.Parallel()
	custom := &CORS{Origins: []string{"https://a.test", "https://b.test"}, Headers: []string{"X-Token"},
		AllowCredentials: true, MaxAge: 600, ExposeHeaders: []string{"X-Out"}}
	_, url := light(t,
		Route{Kind: KindREST, Method: "POST", Path: "/items", Function: "f", CORS: DefaultCORS()},
		Route{Kind: KindREST, Method: "GET", Path: "/items", Function: "f", CORS: DefaultCORS()},
		Route{Kind: KindHTTPAPI, Method: "PUT", Path: "/things/{id}", Function: "f", CORS: custom},
		Route{Kind: KindREST, Method: "GET", Path: "/nocors", Function: "f"},
	)
	t.Run("rest preflight", func(t *testing.T) {
		r := do(t, "OPTIONS", url+"/items", "", "Origin", "https://x.test", "Access-Control-Request-Method", "POST")
		wantPreflight(t, r, 200, map[string]string{
			"Access-Control-Allow-Origin":  "*",
			"Access-Control-Allow-Methods": "GET,OPTIONS,POST",
			"Access-Control-Allow-Headers": strings.Join(DefaultCORS().Headers, ","),
		})
		if r.header.Get("Access-Control-Allow-Credentials") != "" || r.header.Get("Access-Control-Max-Age") != "" {
			t.Errorf("credentials/max-age set without being configured: %v", r.header)
		}
	})
	t.Run("http api preflight", func(t *testing.T) {
		r := do(t, "OPTIONS", url+"/things/1", "", "Origin", "https://b.test")
		wantPreflight(t, r, 204, map[string]string{
			"Access-Control-Allow-Origin":      "https://b.test",
			"Access-Control-Allow-Methods":     "OPTIONS,PUT",
			"Access-Control-Allow-Headers":     "X-Token",
			"Access-Control-Allow-Credentials": "true",
			"Access-Control-Max-Age":           "600",
		})
		r = do(t, "OPTIONS", url+"/things/1", "", "Origin", "https://evil.test")
		if got := r.header.Get("Access-Control-Allow-Origin"); got != "" {
			t.Errorf("disallowed origin got Access-Control-Allow-Origin %q", got)
		}
	})
	t.Run("actual request headers", func(t *testing.T) {
		r := do(t, "PUT", url+"/things/1", "", "Origin", "https://a.test")
		if r.header.Get("Access-Control-Allow-Origin") != "https://a.test" || r.header.Get("Access-Control-Expose-Headers") != "X-Out" {
			t.Errorf("headers %v", r.header)
		}
	})
	t.Run("no cors", func(t *testing.T) {
		r := do(t, "OPTIONS", url+"/nocors", "", "Origin", "https://a.test")
		if r.status != 403 {
			t.Errorf("OPTIONS on a route without CORS: %d, want 403", r.status)
		}
	})
}

func TestThrottleAndTooLarge(t *testing.T) {
	t.Parallel()
	gw := New(Options{Invoker: errInvoker{ferry.Errorf(ferry.ETHROTTLED, "no concurrency")}, MaxBody: 8})
	if err := gw.SetRoutes([]Route{{Kind: KindREST, Method: "POST", Path: "/x", Function: "f"}}); err != nil {
		t.Fatal(err)
	}
	if err := gw.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	defer gw.Stop(context.Background())
	if err := gw.Start(t.Context()); err != nil {
		t.Fatalf("second Start: %v", err)
	}
	r := do(t, "POST", gw.URL()+"/x", "small")
	if r.status != 429 || r.body != `{"message":"Too Many Requests"}` {
		t.Errorf("throttled: %d %s", r.status, r.body)
	}
	r = do(t, "POST", gw.URL()+"/x", "much too large")
	if r.status != 413 {
		t.Errorf("too large: %d %s", r.status, r.body)
	}
	if err := gw.Stop(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := gw.Stop(t.Context()); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
}

type errInvoker struct{ err error }

func (e errInvoker) Invoke(context.Context, *ferry.InvokeRequest) (*ferry.Result, error) {
	return nil, e.err
}
