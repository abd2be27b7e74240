package main

import (
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ferry-run/ferry/internal/cdp"
)

// dashWait bounds each wait on the dashboard: it refreshes every 2 s, and
// a hop through a queue starts a Node.js instance.
const dashWait = 20 * time.Second

// TestDashboard drives the dashboard of a real server running the payments
// example in headless Chromium: one browser, one server per subtest.
func TestDashboard(t *testing.T) {
	t.Parallel()
	b := cdp.Launch(t)
	t.Run("graph", func(t *testing.T) { t.Parallel(); testDashboardGraph(t, b) })
	t.Run("invoke", func(t *testing.T) { t.Parallel(); testDashboardInvoke(t, b) })
	t.Run("trigger-count", func(t *testing.T) { t.Parallel(); testDashboardTriggerCount(t, b) })
}

// dashboard opens the dashboard of a fresh payments server at hash.
func dashboard(t *testing.T, b *cdp.Browser, hash string) (*Main, *cdp.Page) {
	t.Helper()
	m, _ := loadPayments(t)
	return m, b.Open(t, m.APIURL()+"/_ferry/"+hash)
}

type drawnEdge struct {
	From, To, Label, Text string
	Count                 int64
}

type drawnGraph struct {
	Nodes []struct{ ID, Kind, Text string }
	Edges []drawnEdge
}

// readDrawnGraph reads the SVG the page drew.
const readDrawnGraph = `(() => {
  const ns = [...document.querySelectorAll('#graph g.node')];
  if (!ns.length) return null;
  return {
    nodes: ns.map((n) => ({ id: n.dataset.id, kind: n.dataset.kind, text: n.querySelector('.label').textContent })),
    edges: [...document.querySelectorAll('#graph g.edge')].map((e) => ({
      from: e.dataset.from, to: e.dataset.to, label: e.dataset.label, count: Number(e.dataset.count),
      text: e.querySelector('text').textContent })),
  };
})()`

const (
	fnProcess = "payments-dev-processPayment"
	fnNotify  = "payments-dev-notifyCustomer"
	fnTeam    = "payments-dev-notifyPaymentsTeam"
)

// paymentsEdges are the paths of examples/payments.
var paymentsEdges = []drawnEdge{
	{From: "route:POST /payments", To: "topic:payments", Label: "route"},
	{From: "topic:payments", To: "function:" + fnProcess, Label: "subscription"},
	{From: "function:" + fnProcess, To: "queue:paymentsNotification", Label: "onSuccess"},
	{From: "function:" + fnProcess, To: "queue:paymentsDLQ", Label: "onFailure"},
	{From: "queue:paymentsNotification", To: "function:" + fnNotify, Label: "trigger"},
	{From: "queue:paymentsDLQ", To: "function:" + fnTeam, Label: "trigger"},
}

func findEdge(g drawnGraph, want drawnEdge) (drawnEdge, bool) {
	for _, e := range g.Edges {
		if e.From == want.From && e.To == want.To && e.Label == want.Label {
			return e, true
		}
	}
	return drawnEdge{}, false
}

func testDashboardGraph(t *testing.T, b *cdp.Browser) {
	m, p := dashboard(t, b, "#/graph")
	var g drawnGraph
	p.Wait(readDrawnGraph, &g, dashWait)

	wantNodes := []struct{ id, kind, text string }{
		{"route:POST /payments", "route", "POST /payments"},
		{"topic:payments", "topic", "payments"},
		// Labels are clipped to 24 characters on the drawing.
		{"function:" + fnProcess, "function", "payments-dev-processPay…"},
		{"function:" + fnNotify, "function", "payments-dev-notifyCust…"},
		{"function:" + fnTeam, "function", "payments-dev-notifyPaym…"},
		{"queue:paymentsNotification", "queue", "paymentsNotification"},
		{"queue:paymentsDLQ", "queue", "paymentsDLQ"},
	}
	for _, n := range wantNodes {
		found := false
		for _, d := range g.Nodes {
			found = found || d.ID == n.id && d.Kind == n.kind && d.Text == n.text
		}
		if !found {
			t.Errorf("node %s (%s %q) not drawn; drawn %+v", n.id, n.kind, n.text, g.Nodes)
		}
	}
	for _, want := range paymentsEdges {
		e, ok := findEdge(g, want)
		if !ok {
			t.Errorf("edge %s -> %s (%s) not drawn; drawn %+v", want.From, want.To, want.Label, g.Edges)
			continue
		}
		if e.Count != 0 || e.Text != want.Label {
			t.Errorf("before any payment, edge %s -> %s shows %q (count %d), want %q and 0", e.From, e.To, e.Text, e.Count, want.Label)
		}
	}
	ids := map[string]bool{}
	for _, n := range g.Nodes {
		ids[n.ID] = true
	}
	for _, e := range g.Edges {
		if !ids[e.From] || !ids[e.To] {
			t.Errorf("edge %s -> %s has an end that is not drawn", e.From, e.To)
		}
	}
	p.Shot(os.Getenv("WEB_SCREENSHOTS"), "ferry-graph")
	if t.Failed() {
		t.FailNow()
	}

	// One paid payment through the gateway: the topic delivers it,
	// processPayment's success record goes to paymentsNotification, and
	// notifyCustomer takes it from there. The page redraws the counts.
	res, err := http.Post(m.Gateway.URL()+"/payments", "application/json", strings.NewReader(`{"id":"from-gateway","amount":12}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("POST /payments: %s", res.Status)
	}
	edgeText := func(e drawnEdge) string {
		return fmt.Sprintf(`document.querySelector('#graph g.edge[data-from=%q][data-to=%q][data-label=%q] text')?.textContent`, e.From, e.To, e.Label)
	}
	for _, e := range []drawnEdge{paymentsEdges[0], paymentsEdges[1], paymentsEdges[2], paymentsEdges[4]} {
		var text string
		p.Wait(edgeText(e)+` === '`+e.Label+` · 1' && `+edgeText(e), &text, dashWait)
	}
	p.Wait(readDrawnGraph, &g, dashWait)
	for _, e := range []drawnEdge{paymentsEdges[3], paymentsEdges[5]} {
		if got, _ := findEdge(g, e); got.Count != 0 {
			t.Errorf("after one paid payment, %s -> %s (%s) counts %d, want 0", e.From, e.To, e.Label, got.Count)
		}
	}
	p.Shot(os.Getenv("WEB_SCREENSHOTS"), "ferry-graph-after")
}

func testDashboardInvoke(t *testing.T, b *cdp.Browser) {
	m, p := dashboard(t, b, "#/invoke")
	setTrigger(t, m, fnNotify, false)
	p.Wait(fmt.Sprintf(`[...document.querySelectorAll('#invoke-function option')].some((o) => o.value === %q)`, fnProcess), nil, dashWait)
	payload := `{"Records":[{"Sns":{"Message":"{\"id\":\"from-ui\",\"amount\":5}"}}]}`
	p.Run(fmt.Sprintf(`(() => {
  document.getElementById('invoke-function').value = %q;
  document.getElementById('invoke-payload').value = %q;
  document.getElementById('invoke-form').requestSubmit();
})()`, fnProcess, payload))
	var id string
	p.Wait(`document.getElementById('invoke-request-id')?.textContent`, &id, dashWait)

	// The invocation is listed (once a worker took it), and succeeds.
	p.Run(`location.hash = '#/invocations'`)
	row := fmt.Sprintf(`document.querySelector('#invocations tr[data-request-id=%q]')`, id)
	var cells []string
	p.Wait(row+`?.querySelector('.status-succeeded') && [...`+row+`.cells].map((c) => c.textContent)`, &cells, dashWait)
	if len(cells) < 3 || cells[0] != id || cells[1] != fnProcess || cells[2] != "succeeded" {
		t.Errorf("invocations row %q, want [%s %s succeeded ...]", cells, id, fnProcess)
	}
	p.Shot(os.Getenv("WEB_SCREENSHOTS"), "ferry-invocations")
	inv, err := m.History.GetInvocation(t.Context(), id)
	if err != nil {
		t.Fatalf("the page lists request %s, but history has: %v", id, err)
	}
	if got := string(inv.Request); got != payload {
		t.Errorf("the form sent %s, want %s", got, payload)
	}

	// Its trace follows the success record through paymentsNotification to
	// notifyCustomer. The record waits on the queue until the trace shows
	// the first hop finished: the view keeps following the trace.
	p.Run(row + `.querySelector('a').click()`)
	p.Wait(fmt.Sprintf(`(() => {
  const hs = document.querySelectorAll('#trace .hop');
  return hs.length === 1 && hs[0].dataset.requestId === %q && hs[0].querySelector('h2 .status-succeeded') &&
    hs[0].querySelector('.deliveries td.status-succeeded');
})()`, id), nil, dashWait)
	setTrigger(t, m, fnNotify, true)
	type hop struct {
		ID, Function, Status string
		Logs                 []string
	}
	var hops []hop
	p.Wait(`(() => {
  const hs = [...document.querySelectorAll('#trace .hop')].map((h) => ({
    id: h.dataset.requestId,
    function: h.querySelector('h2 a').textContent,
    status: h.querySelector('h2 [class^=status-]').textContent,
    logs: [...h.querySelectorAll('pre.logs')].map((p) => p.textContent),
  }));
  return hs.some((h) => h.function === `+fmt.Sprintf("%q", fnNotify)+` && h.status === 'succeeded') ? hs : null;
})()`, &hops, dashWait)
	p.Shot(os.Getenv("WEB_SCREENSHOTS"), "ferry-trace")
	if len(hops) != 2 {
		t.Fatalf("trace has %d hops, want processPayment then notifyCustomer: %+v", len(hops), hops)
	}
	if hops[0].ID != id || hops[0].Function != fnProcess || hops[0].Status != "succeeded" {
		t.Errorf("first hop %+v, want %s of %s, succeeded", hops[0], id, fnProcess)
	}
	if got := strings.Join(hops[0].Logs, ""); !strings.Contains(got, "processing payment from-ui of 5") {
		t.Errorf("processPayment logs %q, want the payment from the form", got)
	}
	if got := strings.Join(hops[1].Logs, ""); hops[1].Function != fnNotify || !strings.Contains(got, "notifying customer: payment from-ui of 5 is paid") {
		t.Errorf("second hop %+v, want notifyCustomer notifying about from-ui", hops[1])
	}
	var hash string
	p.Value(`location.hash`, &hash)
	if hash != "#/trace/"+id {
		t.Errorf("hash %q, want #/trace/%s", hash, id)
	}
}

// setTrigger enables or disables the queue trigger of function.
func setTrigger(t *testing.T, m *Main, function string, enabled bool) {
	t.Helper()
	maps, err := m.Triggers.List(t.Context(), function, "")
	if err != nil || len(maps) != 1 {
		t.Fatalf("triggers of %s: %v, %v", function, maps, err)
	}
	mp := maps[0]
	mp.Enabled = enabled
	if _, err := m.Triggers.Update(t.Context(), mp); err != nil {
		t.Fatal(err)
	}
}

// testDashboardTriggerCount: a queue trigger edge counts the events the
// queue handed to the function, not every invocation of the function. A
// direct invoke of notifyCustomer from the form did not come through
// paymentsNotification.
func testDashboardTriggerCount(t *testing.T, b *cdp.Browser) {
	m, p := dashboard(t, b, "#/invoke")
	p.Wait(fmt.Sprintf(`[...document.querySelectorAll('#invoke-function option')].some((o) => o.value === %q)`, fnNotify), nil, dashWait)
	payload := `{"Records":[{"body":"{\"responsePayload\":{\"id\":\"direct\",\"amount\":3,\"status\":\"paid\"}}"}]}`
	p.Run(fmt.Sprintf(`(() => {
  document.getElementById('invoke-function').value = %q;
  document.getElementById('invoke-payload').value = %q;
  document.getElementById('invoke-form').requestSubmit();
})()`, fnNotify, payload))
	var id string
	p.Wait(`document.getElementById('invoke-request-id')?.textContent`, &id, dashWait)
	p.Run(`location.hash = '#/invocations'`)
	p.Wait(fmt.Sprintf(`document.querySelector('#invocations tr[data-request-id=%q] .status-succeeded')`, id), nil, dashWait)
	if n := m.Async.Stats().Get(fnNotify).Invocations; n != 1 {
		t.Fatalf("%s ran %d times, want 1 (the direct invoke)", fnNotify, n)
	}

	// The graph view fetches on entry, after the invocation finished.
	p.Run(`location.hash = '#/graph'`)
	var g drawnGraph
	p.Wait(readDrawnGraph, &g, dashWait)
	e, ok := findEdge(g, paymentsEdges[4])
	if !ok {
		t.Fatalf("trigger edge not drawn: %+v", g.Edges)
	}
	if e.Count != 0 || e.Text != "trigger" {
		t.Errorf("after a direct invoke of %s and no message on paymentsNotification, the trigger edge shows %q (count %d), want \"trigger\" (0)", fnNotify, e.Text, e.Count)
	}
}
