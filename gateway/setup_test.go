package gateway

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/async"
	"github.com/ferry-run/ferry/catalog"
	"github.com/ferry-run/ferry/destination"
	"github.com/ferry-run/ferry/history"
	"github.com/ferry-run/ferry/natsjs"
	"github.com/ferry-run/ferry/nodeboot"
	"github.com/ferry-run/ferry/queue"
	"github.com/ferry-run/ferry/sandbox"
	"github.com/ferry-run/ferry/topic"
)

// handlers is the Node.js code of the test functions.
const handlers = `
exports.echo = async (event) => ({ statusCode: 200, headers: { "content-type": "application/json" }, body: JSON.stringify(event) });
exports.raw = async (event) => event;
exports.fail = async () => { throw new Error("boom"); };
exports.shaped = async () => ({
  statusCode: 201,
  headers: { "X-One": "1", "X-Num": 7 },
  multiValueHeaders: { "X-Multi": ["a", "b"] },
  cookies: ["c1=v1; Path=/", "c2=v2"],
  body: Buffer.from([0, 1, 2, 255]).toString("base64"),
  isBase64Encoded: true,
});
exports.shapedV1 = async () => {
  const r = await exports.shaped();
  delete r.cookies;
  return r;
};
exports.plain = async () => ({ hello: "world" });
exports.malformed = async () => ({ statusCode: 200, body: "x", extra: true });
`

// world is a running Ferry core: engine, functions, queues, topics, async
// engine and sandbox, with a gateway in front of it.
type world struct {
	gw      *Gateway
	url     string
	queues  *queue.Service
	topics  *topic.Service
	cat     *catalog.Store
	codeDir string
}

func setup(t *testing.T) *world {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	log := slog.New(slog.DiscardHandler)
	ne := natsjs.New(natsjs.Config{DataDir: filepath.Join(dir, "js")})
	var stops []func(context.Context) error
	start := func(name string, f func(context.Context) error, stop func(context.Context) error) {
		t.Helper()
		if err := f(ctx); err != nil {
			t.Fatalf("start %s: %v", name, err)
		}
		stops = append(stops, stop)
	}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		for i := len(stops) - 1; i >= 0; i-- {
			if err := stops[i](sctx); err != nil {
				t.Errorf("stop: %v", err)
			}
		}
	})
	boot, err := nodeboot.Install(filepath.Join(dir, "runtime"))
	if err != nil {
		t.Fatal(err)
	}
	realm := ferry.DefaultRealm
	cat := catalog.New(ne, log)
	hist := history.New(ne, history.Options{})
	qs := queue.New(ne, queue.Options{Realm: realm, Logger: log})
	pool := sandbox.New(sandbox.Options{Realm: realm, NodeBootstrap: boot, Logger: log})
	eng := async.New(ne, async.Options{Functions: cat, History: hist, Runner: pool, ClockScale: 0.001, Logger: log})
	ts := topic.New(ne, topic.Options{Realm: realm, Logger: log, RetryBase: time.Millisecond,
		Targets: topic.Targets{Functions: eng, Queues: qs}})
	eng.SetRouter(destination.New(realm, destination.Targets{Queues: qs, Topics: ts, Functions: eng}))
	cat.OnChange(eng.FunctionChanged)

	start("engine", ne.Start, ne.Stop)
	start("catalog", cat.Start, cat.Stop)
	start("history", hist.Start, hist.Stop)
	start("queues", qs.Start, qs.Stop)
	start("sandbox", pool.Start, pool.Stop)
	start("async", eng.Start, eng.Stop)
	start("topics", ts.Start, ts.Stop)
	start("workers", eng.StartWorkers, func(context.Context) error { return nil })

	gw := New(Options{Addr: "127.0.0.1:0", Realm: realm, Invoker: eng, Async: eng, Topics: ts, Queues: qs, Logger: testLogger(t)})
	start("gateway", gw.Start, gw.Stop)

	code := filepath.Join(dir, "code")
	if err := os.MkdirAll(code, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(code, "index.js"), []byte(handlers), 0o644); err != nil {
		t.Fatal(err)
	}
	return &world{gw: gw, url: gw.URL(), queues: qs, topics: ts, cat: cat, codeDir: code}
}

// function registers a Node.js function running one of the handlers.
func (w *world) function(t *testing.T, name, handler string, async ferry.AsyncConfig) {
	t.Helper()
	fn := &ferry.Function{Name: name, Runtime: "nodejs20.x", Handler: "index." + handler, CodeDir: w.codeDir,
		Timeout: 10 * time.Second, Async: async}
	if err := w.cat.PutFunction(context.Background(), fn); err != nil {
		t.Fatal(err)
	}
}

func (w *world) routes(t *testing.T, routes ...Route) {
	t.Helper()
	if err := w.gw.SetRoutes(routes); err != nil {
		t.Fatal(err)
	}
}

// light is a gateway without a Ferry core behind it, for routing, CORS and
// validation tests; its invoker answers every call with payload.
func light(t *testing.T, routes ...Route) (*Gateway, string) {
	t.Helper()
	gw := New(Options{Invoker: staticInvoker(`{"statusCode":200,"body":"ok"}`), Logger: testLogger(t)})
	if len(routes) > 0 {
		if err := gw.SetRoutes(routes); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer(gw.Handler())
	t.Cleanup(srv.Close)
	return gw, srv.URL
}

type staticInvoker string

func (s staticInvoker) Invoke(_ context.Context, req *ferry.InvokeRequest) (*ferry.Result, error) {
	return &ferry.Result{RequestID: req.RequestID, Payload: json.RawMessage(s)}, nil
}

type response struct {
	status int
	header http.Header
	body   string
}

func do(t *testing.T, method, url, body string, headers ...string) response {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Add(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{resp.StatusCode, resp.Header, string(b)}
}

func decodeJSON(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("not a JSON object: %v\n%s", err, s)
	}
	return m
}

func get(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// receiveOne long-polls a queue for one message.
func (w *world) receiveOne(t *testing.T, q string) ferry.Message {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		msgs, err := w.queues.ReceiveMessages(context.Background(), q, ferry.ReceiveOptions{MaxMessages: 1, WaitTime: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) == 1 {
			return msgs[0]
		}
	}
	t.Fatalf("no message on queue %s", q)
	return ferry.Message{}
}
