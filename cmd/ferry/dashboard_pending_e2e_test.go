package main

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/ferry-run/ferry/internal/cdp"
)

// TestDashboardPendingEvents: the dashboard lists an accepted event that
// has not run (its function is paused) among the pending invocations, and
// its trace says where it is.
func TestDashboardPendingEvents(t *testing.T) {
	t.Parallel()
	b := cdp.Launch(t)
	m := setup(t, 1)
	createFunction(t, lambdaClient(m), nodeFn("dash-pay"))
	shout := nodeFn("dash-shout")
	shout.zip = zipFiles(map[string]string{"index.js": `exports.handler = async () => { console.error("first line\nsecond line"); return "ok"; };`}, 0o644)
	createFunction(t, lambdaClient(m), shout)
	ep := "--endpoint=" + m.APIURL()
	if out, err := runCLI(t, "queue", "pause", ep, "dash-pay"); err != nil {
		t.Fatalf("queue pause: %v\n%s", err, out)
	}
	out, err := runCLI(t, "invoke", ep, "--async", "dash-pay", `{"id":"waiting","amount":1}`)
	id := strings.TrimSpace(out)
	if err != nil || len(id) != 36 {
		t.Fatalf("invoke --async: %v\n%s", err, out)
	}

	p := b.Open(t, m.APIURL()+"/_ferry/#/invocations?status=pending")
	var cells []string
	row := fmt.Sprintf(`document.querySelector('#invocations tr[data-request-id=%q]')`, id)
	p.Wait(row+`?.querySelector('.status-pending') && [...`+row+`.cells].map((c) => c.textContent)`, &cells, dashWait)
	if len(cells) < 3 || cells[1] != "dash-pay" || cells[2] != "queued (function paused)" {
		t.Fatalf("pending row %q, want [%s dash-pay queued (function paused) ...]", cells, id)
	}
	p.Shot(os.Getenv("WEB_SCREENSHOTS"), "ferry-pending")

	p.Run(row + `.querySelector('a').click()`)
	var status string
	p.Wait(`document.querySelector('#trace .hop h2 .status-pending')?.textContent`, &status, dashWait)
	if status != "queued (function paused)" {
		t.Fatalf("trace status %q, want queued (function paused)", status)
	}
	var attempts string
	p.Value(`document.querySelector('#trace .hop').textContent`, &attempts)
	if !strings.Contains(attempts, "No attempt yet.") {
		t.Fatalf("trace of an event not yet run: %s", attempts)
	}

	// A multi-line console.error is one record shown with its line breaks.
	out, err = runCLI(t, "invoke", ep, "--async", "dash-shout")
	shoutID := strings.TrimSpace(out)
	if err != nil || len(shoutID) != 36 {
		t.Fatalf("invoke --async: %v\n%s", err, out)
	}
	waitDone(t, m, shoutID)
	p.Run(fmt.Sprintf(`location.hash = '#/trace/%s'`, shoutID))
	var logs string
	p.Wait(`document.querySelector('#trace pre.logs')?.textContent`, &logs, dashWait)
	if !regexp.MustCompile(`ERROR\s+first line\n    second line\n`).MatchString(logs) || strings.Contains(logs, "\r") {
		t.Fatalf("logs shown as %q", logs)
	}
}
