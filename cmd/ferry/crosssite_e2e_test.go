package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ferry-run/ferry/history"
	"github.com/ferry-run/ferry/internal/cdp"
)

// attackWait bounds the attacker page's run and the checks after it.
const attackWait = 15 * time.Second

// attackPage is a page of another site that tries, on load, every way a
// page can reach Ferry's API without the user's consent: fetch (no-cors
// and CORS), navigator.sendBeacon, form posts (urlencoded and text/plain),
// an image, and a read of the dashboard's token. Each attempt makes one
// request; the page sets window.__done to what each attempt saw.
const attackPage = `<!doctype html>
<html><head><meta charset="utf-8"><title>totally harmless</title></head><body>
<script>
const q = new URLSearchParams(location.search);
const api = q.get('api'), zip = q.get('zip'), topic = q.get('topic'), queue = q.get('queue');
const fn = (name) => JSON.stringify({FunctionName: name, Runtime: 'nodejs20.x', Handler: 'index.handler',
  Role: 'arn:aws:iam::000000000000:role/x', Code: {ZipFile: zip}});
const invokeURL = api + '/2015-03-31/functions/victim/invocations';
const results = {};

function show(r) { return r.type === 'opaque' ? 'opaque' : r.status + ' ' + r.type; }
function form(name, path, fields, enctype) {
  return new Promise((resolve) => {
    const frame = document.createElement('iframe');
    frame.name = 'frame-' + name;
    document.body.appendChild(frame);
    const f = document.createElement('form');
    f.method = 'POST'; f.action = api + path; f.target = frame.name;
    if (enctype) f.enctype = enctype;
    for (const [k, v] of Object.entries(fields)) {
      const i = document.createElement('input');
      i.type = 'hidden'; i.name = k; i.value = v;
      f.appendChild(i);
    }
    document.body.appendChild(f);
    frame.addEventListener('load', () => resolve('posted'), {once: true});
    setTimeout(() => resolve('no answer'), 5000);
    f.submit();
  });
}
const attacks = {
  'lambda create, fetch text/plain': () => fetch(api + '/2015-03-31/functions', {method: 'POST', mode: 'no-cors',
    headers: {'Content-Type': 'text/plain'}, body: fn('pwned-fetch')}).then(show),
  'lambda create, CORS json': () => fetch(api + '/2015-03-31/functions', {method: 'POST',
    headers: {'Content-Type': 'application/json'}, body: fn('pwned-cors')}).then(show),
  'lambda create, beacon': async () => navigator.sendBeacon(api + '/2015-03-31/functions', fn('pwned-beacon')) ? 'queued' : 'not queued',
  'lambda create, text/plain form': () => {
    const json = fn('pwned-form');
    return form('lambda', '/2015-03-31/functions', {[json.slice(0, -1) + ',"pad":"']: '"}'}, 'text/plain');
  },
  'lambda invoke, fetch text/plain': () => fetch(invokeURL, {method: 'POST', mode: 'no-cors', body: '{"from":"fetch"}'}).then(show),
  'lambda invoke, fetch untyped blob': () => fetch(invokeURL, {method: 'POST', mode: 'no-cors', body: new Blob(['{"from":"blob"}'])}).then(show),
  'lambda invoke, beacon': async () => navigator.sendBeacon(invokeURL, '{"from":"beacon"}') ? 'queued' : 'not queued',
  'lambda invoke, CORS event': () => fetch(invokeURL, {method: 'POST',
    headers: {'Content-Type': 'application/json', 'X-Amz-Invocation-Type': 'Event'}, body: '{"from":"cors"}'}).then(show),
  'sqs create, form': () => form('sqs', '/', {Action: 'CreateQueue', QueueName: 'pwnedForm'}),
  'sqs create, fetch form body': () => fetch(api + '/', {method: 'POST', mode: 'no-cors',
    body: new URLSearchParams({Action: 'CreateQueue', QueueName: 'pwnedFetch'})}).then(show),
  'sqs create, beacon': async () => navigator.sendBeacon(api + '/', new URLSearchParams({Action: 'CreateQueue', QueueName: 'pwnedBeacon'})) ? 'queued' : 'not queued',
  'sqs create, CORS json': () => fetch(api + '/', {method: 'POST',
    headers: {'Content-Type': 'application/x-amz-json-1.0', 'X-Amz-Target': 'AmazonSQS.CreateQueue'}, body: '{"QueueName":"pwnedJson"}'}).then(show),
  'sqs create, image': () => new Promise((resolve) => {
    const img = new Image();
    img.onload = () => resolve('loaded'); img.onerror = () => resolve('error');
    img.src = api + '/?Action=CreateQueue&QueueName=pwnedImg';
  }),
  'sns subscribe, form': () => form('sns', '/', {Action: 'Subscribe', TopicArn: topic, Protocol: 'sqs', Endpoint: queue}),
  'sns subscribe, fetch form body': () => fetch(api + '/', {method: 'POST', mode: 'no-cors',
    body: new URLSearchParams({Action: 'Subscribe', TopicArn: topic, Protocol: 'sqs', Endpoint: queue})}).then(show),
  'dashboard invoke, fetch text/plain': () => fetch(api + '/_ferry/api/invoke', {method: 'POST', mode: 'no-cors',
    body: JSON.stringify({function: 'victim', payload: '{"from":"dashboard"}'})}).then(show),
  'dashboard token, CORS read': () => fetch(api + '/_ferry/token').then((r) => r.text()),
};
(async () => {
  await Promise.all(Object.entries(attacks).map(async ([name, f]) => {
    try { results[name] = String(await f()); } catch (e) { results[name] = 'failed: ' + e.message; }
  }));
  window.__done = {count: Object.keys(attacks).length, results};
})();
</script></body></html>`

// refusalCounter counts the API port's refusals of web pages.
type refusalCounter struct {
	mu    sync.Mutex
	paths []string
}

func (c *refusalCounter) Enabled(context.Context, slog.Level) bool { return true }
func (c *refusalCounter) WithAttrs([]slog.Attr) slog.Handler       { return c }
func (c *refusalCounter) WithGroup(string) slog.Handler            { return c }
func (c *refusalCounter) Handle(_ context.Context, r slog.Record) error {
	if !strings.HasPrefix(r.Message, "api: refused a request from a web page") {
		return nil
	}
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "path" {
			c.mu.Lock()
			c.paths = append(c.paths, a.Value.String())
			c.mu.Unlock()
		}
		return true
	})
	return nil
}

func (c *refusalCounter) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.paths)
}

// victimCode appends each event it gets to the file $MARK.
const victimCode = `exports.handler = async (event) => {
  require("fs").appendFileSync(process.env.MARK, JSON.stringify(event) + "\n");
  return {ok: true};
};`

// attackTarget is a server with a function, a topic and a queue for the
// attacker page to go after.
type attackTarget struct {
	m            *Main
	refusals     *refusalCounter
	mark         string
	topic, queue string
	zipBase64    string
}

func newAttackTarget(t *testing.T, allow []string) *attackTarget {
	t.Helper()
	rc := &refusalCounter{}
	m := setupWith(t, Config{ClockScale: 0.01, AllowOrigins: allow, Logger: slog.New(rc)})
	a := &attackTarget{m: m, refusals: rc, mark: filepath.Join(t.TempDir(), "invoked")}
	zip := zipFiles(map[string]string{"index.js": victimCode}, 0o644)
	f := nodeFn("victim")
	f.zip, f.env = zip, map[string]string{"MARK": a.mark}
	createFunction(t, lambdaClient(m), f)
	a.zipBase64 = base64.StdEncoding.EncodeToString(zip)
	a.queue = createQueue(t, m, "victimq")
	var err error
	if a.topic, err = m.Topics.CreateTopic(context.Background(), "victim-topic", nil); err != nil {
		t.Fatal(err)
	}
	return a
}

// serveAttacker serves attackPage on a port of its own and returns its
// base URL under host (127.0.0.1 is the same site as Ferry's API, on
// another port; localhost is another site).
func serveAttacker(t *testing.T, host string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(attackPage))
	}))
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	return "http://" + net.JoinHostPort(host, port)
}

// attack opens the attacker page at origin against a and returns what the
// page saw.
func attack(t *testing.T, b *cdp.Browser, a *attackTarget, origin string) (count int, results map[string]string) {
	t.Helper()
	q := url.Values{"api": {a.m.APIURL()}, "zip": {a.zipBase64}, "topic": {a.topic}, "queue": {a.queue}}
	p := b.Open(t, origin+"/?"+q.Encode())
	var done struct {
		Count   int
		Results map[string]string
	}
	p.Wait(`window.__done`, &done, attackWait)
	if len(done.Results) != done.Count || done.Count == 0 {
		t.Fatalf("the page ran %d of %d attempts: %v", len(done.Results), done.Count, done.Results)
	}
	t.Logf("the page at %s saw: %v", origin, done.Results)
	return done.Count, done.Results
}

// state is what an attacker could have changed.
type state struct {
	Functions, Queues, Subscriptions []string
	Invoked                          string
	Invocations                      int
}

func (a *attackTarget) state(t *testing.T) state {
	t.Helper()
	ctx := context.Background()
	var s state
	fns, err := a.m.Functions.ListFunctions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fns {
		s.Functions = append(s.Functions, f.Name)
	}
	qs, err := a.m.Queues.ListQueues(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range qs {
		s.Queues = append(s.Queues, q.Name)
	}
	subs, err := a.m.Topics.ListSubscriptionsByTopic(ctx, a.topic)
	if err != nil {
		t.Fatal(err)
	}
	for _, sub := range subs {
		s.Subscriptions = append(s.Subscriptions, sub.Endpoint)
	}
	b, err := os.ReadFile(a.mark)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	s.Invoked = string(b)
	invs, err := a.m.History.List(ctx, history.Filter{Function: "victim"})
	if err != nil {
		t.Fatal(err)
	}
	s.Invocations = len(invs)
	sort.Strings(s.Functions)
	sort.Strings(s.Queues)
	return s
}

// TestCrossSitePagesCannotAct: in Chromium, pages of another site (a
// localhost origin) and of the same site on another port (127.0.0.1) try
// to create and invoke functions, create queues and subscribe a topic on
// Ferry's API; nothing is created or invoked. With --allow-origin naming
// the page's origin, the same page gets through (but still not with
// text/plain), which shows the attempts are real.
func TestCrossSitePagesCannotAct(t *testing.T) {
	t.Parallel()
	b := cdp.Launch(t)
	for _, host := range []string{"localhost", "127.0.0.1"} {
		t.Run("refused from "+host, func(t *testing.T) {
			t.Parallel()
			a := newAttackTarget(t, nil)
			before := a.state(t)
			n, results := attack(t, b, a, serveAttacker(t, host))
			if tok := results["dashboard token, CORS read"]; !strings.HasPrefix(tok, "failed") {
				t.Errorf("the page read the token answer: %q", tok)
			}
			// Every attempt reached the server and was refused there
			// (beacons arrive whenever the browser sends them).
			deadline := time.Now().Add(attackWait)
			for a.refusals.count() < n && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond) // polling the server's refusal log, bounded above
			}
			if got := a.refusals.count(); got < n {
				t.Errorf("%d of %d attempts refused by the site guard; the page saw %v", got, n, results)
			}
			after := a.state(t)
			if fmt.Sprint(after) != fmt.Sprint(before) || after.Invoked != "" || after.Invocations != 0 {
				t.Errorf("a page of %s changed Ferry:\nbefore %+v\nafter  %+v\npage saw %v", host, before, after, results)
			}
		})
	}
	t.Run("allowed origin", func(t *testing.T) {
		t.Parallel()
		origin := serveAttacker(t, "localhost")
		a := newAttackTarget(t, []string{origin})
		_, results := attack(t, b, a, origin)
		if results["sqs create, CORS json"] != "200 cors" {
			t.Errorf("CORS CreateQueue from the allowed origin: %q", results["sqs create, CORS json"])
		}
		var s state
		deadline := time.Now().Add(attackWait)
		for {
			s = a.state(t)
			want := strings.Contains(s.Invoked, `"from":"cors"`) && strings.Contains(s.Invoked, `"from":"blob"`) &&
				len(s.Subscriptions) == 1 && strings.Contains(strings.Join(s.Queues, " "), "pwnedBeacon")
			if want || time.Now().After(deadline) {
				break
			}
			time.Sleep(50 * time.Millisecond) // polling Ferry's state for the async invoke and the beacon, bounded above
		}
		if got, want := strings.Join(s.Functions, " "), "pwned-cors victim"; got != want {
			t.Errorf("functions %q, want %q (text/plain creates stay refused)", got, want)
		}
		if got, want := strings.Join(s.Queues, " "), "pwnedBeacon pwnedFetch pwnedForm pwnedJson victimq"; got != want {
			t.Errorf("queues %q, want %q", got, want)
		}
		if len(s.Subscriptions) != 1 {
			t.Errorf("subscriptions %v, want one (the form and the fetch subscribe the same queue)", s.Subscriptions)
		}
		if strings.Contains(s.Invoked, `"from":"fetch"`) || strings.Contains(s.Invoked, `"from":"beacon"`) ||
			!strings.Contains(s.Invoked, `"from":"cors"`) || !strings.Contains(s.Invoked, `"from":"blob"`) {
			t.Errorf("invoked with %q; want the CORS and untyped invokes only", s.Invoked)
		}
		if tok := results["dashboard token, CORS read"]; !strings.Contains(tok, `"token"`) {
			t.Errorf("the allowed origin could not read the token: %q", tok)
		}
	})
}

// reboundPage is served by the attacker under rebind.test; once the name
// points at Ferry's port, attack() calls Ferry as its own origin: no
// CORS, any header, answers readable.
const reboundPage = `<!doctype html>
<html><head><meta charset="utf-8"><title>rebinding</title></head><body>
<script>
window.attack = async (zip) => {
  const out = {};
  const call = async (name, path, opts) => {
    try { const r = await fetch(path, opts); out[name] = r.status + ' ' + (await r.text()); }
    catch (e) { out[name] = 'failed: ' + e.message; }
  };
  await call('lambda create', '/2015-03-31/functions', {method: 'POST', headers: {'Content-Type': 'application/json'},
    body: JSON.stringify({FunctionName: 'rebound', Runtime: 'nodejs20.x', Handler: 'index.handler',
      Role: 'arn:aws:iam::000000000000:role/x', Code: {ZipFile: zip}})});
  await call('sqs create', '/', {method: 'POST',
    headers: {'Content-Type': 'application/x-amz-json-1.0', 'X-Amz-Target': 'AmazonSQS.CreateQueue'}, body: '{"QueueName":"rebound"}'});
  await call('token', '/_ferry/token', {});
  await call('list functions', '/2015-03-31/functions/', {});
  return out;
};
</script></body></html>`

// TestDNSRebindingRefused: in Chromium, a page loaded from rebind.test
// whose name then resolves to Ferry's port (the attacker's server gives
// way to Ferry on the same port) calls Ferry same-origin; Ferry refuses
// every call for its Host and nothing is created.
func TestDNSRebindingRefused(t *testing.T) {
	t.Parallel()
	// rebind.test resolves to 127.0.0.1; no HTTPS upgrade is tried first.
	b := cdp.Launch(t, "--host-resolver-rules=MAP rebind.test 127.0.0.1", "--disable-features=HttpsUpgrades")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_, port, _ := net.SplitHostPort(addr)
	attacker := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(reboundPage))
	})}
	served := make(chan error, 1)
	go func() { served <- attacker.Serve(ln) }()
	p := b.Open(t, "http://rebind.test:"+port+"/")
	p.Wait(`typeof window.attack === 'function'`, nil, attackWait)
	_ = attacker.Close() // the name now "resolves" to Ferry, on the same port
	<-served

	m := NewMain(Config{DataDir: t.TempDir(), APIAddr: addr, GatewayAddr: "127.0.0.1:0"})
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := m.Close(ctx); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	zip := base64.StdEncoding.EncodeToString(zipFiles(map[string]string{"index.js": victimCode}, 0o644))
	var got map[string]string
	p.Value(`attack(`+jsQuote(zip)+`)`, &got)
	if len(got) != 4 {
		t.Fatalf("the page made %d calls: %v", len(got), got)
	}
	for name, res := range got {
		if !strings.HasPrefix(res, "403 ") || !strings.Contains(res, "DNS rebinding") {
			t.Errorf("%s through rebind.test: %s; want 403 naming DNS rebinding", name, res)
		}
	}
	ctx := context.Background()
	fns, _ := m.Functions.ListFunctions(ctx)
	qs, _ := m.Queues.ListQueues(ctx, "")
	if len(fns) != 0 || len(qs) != 0 {
		t.Errorf("a rebinding page created %d functions, queues %v", len(fns), qs)
	}
}

func jsQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
