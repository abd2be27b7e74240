package web

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/internal/cdp"
)

// uiWait bounds every wait for the page; refreshes come every 2 s.
const uiWait = 15 * time.Second

// TestBrowser drives the dashboard in headless Chromium: one browser, one
// tab and one dashboard per subtest.
func TestBrowser(t *testing.T) {
	t.Parallel()
	b := cdp.Launch(t)
	t.Run("graph", func(t *testing.T) { t.Parallel(); testGraphPage(t, b) })
	t.Run("invoke", func(t *testing.T) { t.Parallel(); testInvokePage(t, b) })
	t.Run("trace", func(t *testing.T) { t.Parallel(); testTracePage(t, b) })
	t.Run("trace-follows", func(t *testing.T) { t.Parallel(); testTraceFollows(t, b) })
	t.Run("queues", func(t *testing.T) { t.Parallel(); testQueuePages(t, b) })
	t.Run("escaping", func(t *testing.T) { t.Parallel(); testEscaping(t, b) })
}

// tab opens the dashboard at hash in a new tab of b.
func tab(t *testing.T, b *cdp.Browser, srv bundle, hash string) *cdp.Page {
	t.Helper()
	return b.Open(t, srv.srv.URL+"/_ferry/"+hash)
}

type graphDOM struct {
	Nodes []struct{ ID, Kind, Text string }
	Edges []struct{ From, To, Label, Text string }
}

const readGraph = `(() => {
  const ns = [...document.querySelectorAll('#graph g.node')];
  if (!ns.length) return null;
  return {
    nodes: ns.map((n) => ({ id: n.dataset.id, kind: n.dataset.kind, text: n.querySelector('.label').textContent })),
    edges: [...document.querySelectorAll('#graph g.edge')].map((e) => ({
      from: e.dataset.from, to: e.dataset.to, label: e.dataset.label, text: e.querySelector('text').textContent })),
  };
})()`

func testGraphPage(t *testing.T, b *cdp.Browser) {
	srv := setup(t)
	p := tab(t, b, srv, "#/graph")
	var got graphDOM
	p.Wait(readGraph, &got, uiWait)
	want := paymentsGraph()
	if len(got.Nodes) != len(want.Nodes) || len(got.Edges) != len(want.Edges) {
		t.Fatalf("drawn %d nodes, %d edges; want %d, %d: %+v", len(got.Nodes), len(got.Edges), len(want.Nodes), len(want.Edges), got)
	}
	for _, n := range want.Nodes {
		found := false
		for _, g := range got.Nodes {
			found = found || (g.ID == n.ID && g.Kind == n.Kind && g.Text == n.Label)
		}
		if !found {
			t.Errorf("node %+v not drawn; drawn %+v", n, got.Nodes)
		}
	}
	for _, e := range want.Edges {
		text := fmt.Sprintf("%s · %d", e.Label, e.Count)
		found := false
		for _, g := range got.Edges {
			found = found || (g.From == e.From && g.To == e.To && g.Label == e.Label && g.Text == text)
		}
		if !found {
			t.Errorf("edge %s -> %s %q not drawn; drawn %+v", e.From, e.To, text, got.Edges)
		}
	}
	shot(t, p, "graph")

	// Counts are live: the page refreshes the drawing.
	srv.src.bump(EdgeOnSuccess, 2)
	p.Wait(`[...document.querySelectorAll('#graph g.edge-onSuccess text')].some((t) => t.textContent === 'onSuccess · 5')`, nil, uiWait)
}

func testInvokePage(t *testing.T, b *cdp.Browser) {
	srv := setup(t)
	p := tab(t, b, srv, "#/invoke")
	p.Wait(`document.querySelectorAll('#invoke-function option').length === 3`, nil, uiWait)
	p.Run(`(() => {
  document.getElementById('invoke-function').value = 'processPayment';
  document.getElementById('invoke-payload').value = '{"amount": 7, "note": "<b>hi</b>"}';
  document.getElementById('invoke-form').requestSubmit();
})()`)
	var id string
	p.Wait(`document.getElementById('invoke-request-id')?.textContent`, &id, uiWait)
	shot(t, p, "invoke")
	req, err := srv.src.request(id)
	if err != nil {
		t.Fatalf("request id %q shown, but: %v", id, err)
	}
	if want := `{"amount":7,"note":"<b>hi</b>"}`; req != want {
		t.Errorf("payload sent %s, want %s", req, want)
	}

	// The new invocation appears in the list, and its link opens the trace.
	p.Run(`location.hash = '#/invocations'`)
	row := fmt.Sprintf(`document.querySelector('#invocations tr[data-request-id=%q]')`, id)
	var status string
	p.Wait(row+`?.querySelector('.status-succeeded')?.textContent`, &status, uiWait)
	shot(t, p, "invocations")
	p.Run(row + `.querySelector('a').click()`)
	var logs string
	p.Wait(fmt.Sprintf(`document.querySelector('#trace .hop[data-request-id=%q] pre.logs')?.textContent`, id), &logs, uiWait)
	if want := `handled {"amount":7,"note":"<b>hi</b>"}`; strings.TrimSpace(logs) != want {
		t.Errorf("trace logs %q, want %q", logs, want)
	}
	var hash string
	p.Wait(`location.hash`, &hash, uiWait)
	if hash != "#/trace/"+id {
		t.Errorf("hash %q, want #/trace/%s", hash, id)
	}
}

type hopDOM struct {
	ID, Delay, Run string
	Errors         []string
	Logs           []string
	Deliveries     []string
}

const readHops = `(() => {
  const hs = [...document.querySelectorAll('#trace .hop')];
  if (hs.length < 2) return null;
  return hs.map((h) => ({
    id: h.dataset.requestId,
    delay: h.querySelector('.queue-delay').textContent,
    run: h.querySelector('.run-time').textContent,
    errors: [...h.querySelectorAll('.attempts td.error')].map((td) => td.textContent),
    logs: [...h.querySelectorAll('pre.logs')].map((p) => p.textContent),
    deliveries: [...h.querySelectorAll('.deliveries tbody tr')].map((tr) => [...tr.cells].filter((c, i) => i !== 2).map((c) => c.textContent).join(' | ')),
  }));
})()`

func testTracePage(t *testing.T, b *cdp.Browser) {
	srv := setup(t)
	p := tab(t, b, srv, "#/trace/req-team")
	var got []hopDOM
	p.Wait(readHops, &got, uiWait)
	want := []hopDOM{
		{
			ID: "req-fail", Delay: "queue delay 5.00 ms", Run: "run 7.00 ms",
			Errors: []string{"PaymentDeclinedamount must be positive", "PaymentDeclinedamount must be positive (again)"},
			Logs:   []string{"declining -1\n", "declining -1 again\n"},
			Deliveries: []string{
				"OnFailure | arn:aws:sqs:us-east-1:000000000000:paymentsDLQ | first try: queue busy",
				"OnFailure | arn:aws:sqs:us-east-1:000000000000:paymentsDLQ | ok",
			},
		},
		{ID: "req-team", Delay: "queue delay 1.00 ms", Run: "run 1.00 ms", Logs: []string{"paged the team\n"}},
	}
	gotJSON, _ := json.MarshalIndent(got, "", "  ")
	wantJSON, _ := json.MarshalIndent(want, "", "  ")
	// Empty lists come back as [] from the page and nil here.
	if norm := strings.ReplaceAll(string(gotJSON), "[]", "null"); norm != string(wantJSON) {
		t.Errorf("trace view:\n%s\nwant:\n%s", gotJSON, wantJSON)
	}
	shot(t, p, "trace")

	p.Run(`location.hash = '#/trace/no-such-request'`)
	var msg string
	p.Wait(`document.querySelector('#trace .error')?.textContent`, &msg, uiWait)
	if !strings.Contains(msg, `"no-such-request"`) {
		t.Errorf("unknown trace shows %q, want the server's not-found message", msg)
	}
}

// testTraceFollows: a trace whose hops are all done can still grow (the
// success record waits on a queue for its trigger); the open view shows
// the new hop.
func testTraceFollows(t *testing.T, b *cdp.Browser) {
	srv := setup(t)
	srv.src.mu.Lock()
	var pending ferry.Invocation
	for i, inv := range srv.src.invs {
		if inv.RequestID == "req-pending" {
			pending = inv
			srv.src.invs = append(srv.src.invs[:i], srv.src.invs[i+1:]...)
			break
		}
	}
	srv.src.mu.Unlock()
	if pending.RequestID == "" {
		t.Fatal("seed has no req-pending")
	}
	p := tab(t, b, srv, "#/trace/req-ok")
	p.Wait(`document.querySelectorAll('#trace .hop').length === 1 && document.querySelector('#trace .hop h2 .status-succeeded')`, nil, uiWait)

	pending.Attempts = []ferry.Attempt{{Start: t0.Add(2 * time.Second), Duration: time.Millisecond, Logs: "told the customer\n"}}
	pending.Condition, pending.Done = "Success", true
	srv.src.mu.Lock()
	srv.src.invs = append(srv.src.invs, pending)
	srv.src.mu.Unlock()
	var ids []string
	p.Wait(`(() => { const hs = [...document.querySelectorAll('#trace .hop')].map((h) => h.dataset.requestId); return hs.length === 2 ? hs : null })()`, &ids, uiWait)
	if strings.Join(ids, ",") != "req-ok,req-pending" {
		t.Errorf("hops %v, want req-ok then req-pending", ids)
	}
}

func testQueuePages(t *testing.T, b *cdp.Browser) {
	srv := setup(t)
	p := tab(t, b, srv, "#/queues")
	var rows []string
	p.Wait(`(() => { const r = [...document.querySelectorAll('#queues tbody tr')].map((tr) => [...tr.cells].map((c) => c.textContent).join(' ')); return r.length ? r : null })()`, &rows, uiWait)
	if want := []string{"paymentsDLQ 2 1 2 paymentsNotification", "paymentsNotification 1 1 2 "}; strings.Join(rows, "\n") != strings.Join(want, "\n") {
		t.Errorf("queue rows %q, want %q", rows, want)
	}

	// Open the DLQ, peek, and redrive it.
	p.Run(`document.querySelector('#queues tr[data-queue="paymentsDLQ"] a').click()`)
	var ids []string
	p.Wait(`(() => { const m = [...document.querySelectorAll('#messages .message .mono')].map((e) => e.textContent); return m.length ? m : null })()`, &ids, uiWait)
	if strings.Join(ids, ",") != "m-2,m-3" {
		t.Errorf("peeked %v, want m-2,m-3", ids)
	}
	p.Wait(`document.getElementById('redrive')`, nil, uiWait)
	shot(t, p, "queue")
	p.Run(`document.getElementById('redrive').click()`)
	var moved string
	p.Wait(`document.querySelector('.result p')?.textContent`, &moved, uiWait)
	if moved != "Moved 2 message(s)." {
		t.Errorf("redrive says %q", moved)
	}

	// Purge asks first, then empties the queue.
	p.Run(`location.hash = '#/queues/paymentsNotification'`)
	p.Wait(`document.querySelectorAll('#messages .message').length === 3`, nil, uiWait)
	p.Run(`document.getElementById('purge').click()`)
	qs, _ := srv.src.Queues(context.Background())
	if qs[1].Visible != 3 {
		t.Fatalf("purge ran before it was confirmed: %+v", qs[1])
	}
	p.Wait(`document.getElementById('purge-confirm')`, nil, uiWait)
	p.Run(`document.getElementById('purge-confirm').click()`)
	p.Wait(`document.querySelector('.result p')?.textContent === 'Purged.' && document.querySelectorAll('#messages .message').length === 0`, nil, uiWait)
	if qs, _ := srv.src.Queues(context.Background()); qs[1].Visible != 0 {
		t.Errorf("after purge: %+v", qs[1])
	}
}

// testEscaping puts markup in every kind of data the page shows and checks
// that it is shown as text and never runs.
func testEscaping(t *testing.T, b *cdp.Browser) {
	srv := setup(t)
	evil := `<img src=x onerror="window.__xss=1">`
	srv.src.mu.Lock()
	srv.src.graph.Nodes = append(srv.src.graph.Nodes, Node{ID: "function:" + evil, Kind: KindFunction, Label: evil})
	srv.src.graph.Edges = append(srv.src.graph.Edges, Edge{From: "topic:payments", To: "function:" + evil, Label: `"><script>window.__xss=2</script>`, Count: 1})
	srv.src.invs = append(srv.src.invs, ferry.Invocation{
		RequestID: `x"><img src=x onerror=window.__xss=3>`, Function: evil, TraceID: "t-evil", Accepted: t0,
		Attempts:  []ferry.Attempt{{Start: t0, ErrorType: evil, ErrorMessage: evil, Logs: evil}},
		Condition: "RetriesExhausted", Done: true,
	})
	srv.src.mu.Unlock()

	p := tab(t, b, srv, "#/graph")
	var labels []string
	p.Wait(`(() => { const l = [...document.querySelectorAll('#graph .label')].map((e) => e.textContent); return l.length === 8 ? l : null })()`, &labels, uiWait)
	if !strings.Contains(strings.Join(labels, "\n"), "<img src=x") {
		t.Errorf("evil label not shown as text: %q", labels)
	}
	p.Run(`location.hash = '#/invocations?status=failed'`)
	var fn string
	p.Wait(`document.querySelector('#invocations tbody tr td:nth-child(2)')?.textContent === `+jsString(evil)+` && document.querySelector('#invocations tbody tr td:nth-child(2)').textContent`, &fn, uiWait)
	p.Run(`document.querySelector('#invocations tbody tr a').click()`)
	var msg string
	p.Wait(`document.querySelector('#trace .error-message')?.textContent`, &msg, uiWait)
	if msg != evil {
		t.Errorf("error message shown as %q, want %q", msg, evil)
	}
	var imgs int
	p.Wait(`document.querySelectorAll('#view img, #view script').length + 1`, &imgs, uiWait)
	var xss any
	p.Value(`window.__xss === undefined ? 'none' : window.__xss`, &xss)
	if xss != "none" || imgs != 1 {
		t.Errorf("markup from data ran or was parsed: window.__xss=%v, %d img/script elements", xss, imgs-1)
	}
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// shot saves a screenshot of p when WEB_SCREENSHOTS names a directory.
func shot(t *testing.T, p *cdp.Page, name string) {
	t.Helper()
	p.Shot(os.Getenv("WEB_SCREENSHOTS"), name)
}
