package main

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"
)

// waitCLI runs the command line until its output matches re.
func waitCLI(t *testing.T, re *regexp.Regexp, within time.Duration, args ...string) string {
	t.Helper()
	deadline := time.Now().Add(within)
	var out string
	var err error
	for time.Now().Before(deadline) {
		if out, err = runCLI(t, args...); err == nil && re.MatchString(out) {
			return out
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%v: no output matching %q within %v: %v\n%s", args, re, within, err, out)
	return ""
}

// TestCLIShowsEveryAcceptedEvent: an event is known from the moment it is
// accepted. Queued on a paused function, waiting for its retry, running:
// trace, invocations --status pending and queue list all say where it is,
// and the trace shows the cold start as its own span.
func TestCLIShowsEveryAcceptedEvent(t *testing.T) {
	t.Parallel()
	m := setup(t, 0.02) // a retry waits 1.2 s
	c := lambdaClient(m)
	createFunction(t, c, nodeFn("ux-pay"))
	putDestinations(t, c, "ux-pay", 1, "", "")
	ep := "--endpoint=" + m.APIURL()

	out, err := runCLI(t, "queue", "pause", ep, "pay")
	if err != nil || strings.Contains(out, "map[") || !strings.Contains(out, "ux-pay: paused") {
		t.Fatalf("queue pause: %v\n%s", err, out)
	}
	out, err = runCLI(t, "invoke", ep, "--async", "pay", `{"id":"held","amount":1}`)
	held := strings.TrimSpace(out)
	if err != nil || len(held) != 36 {
		t.Fatalf("invoke --async: %v\n%s", err, out)
	}
	queuedPaused := regexp.MustCompile(regexp.QuoteMeta(held) + `.*queued \(function paused\)`)
	out, err = runCLI(t, "trace", ep, held)
	if err != nil || !queuedPaused.MatchString(out) {
		t.Fatalf("trace of a queued event: %v\n%s", err, out)
	}
	out, err = runCLI(t, "invocations", ep, "--status", "pending", "--function", "pay")
	if err != nil || !queuedPaused.MatchString(out) {
		t.Fatalf("invocations --status pending: %v\n%s", err, out)
	}
	out, err = runCLI(t, "queue", "list", ep, "pay")
	if err != nil || !queuedPaused.MatchString(out) || !strings.Contains(out, "async processing is paused") {
		t.Fatalf("queue list: %v\n%s", err, out)
	}
	out, err = runCLI(t, "invocations", ep, "--status", "pending", "--output", "json")
	var invs []struct{ RequestID, State string }
	if err != nil || json.Unmarshal([]byte(out), &invs) != nil || len(invs) != 1 || invs[0].RequestID != held || invs[0].State != "paused" {
		t.Fatalf("invocations --output json: %v\n%s", err, out)
	}

	out, err = runCLI(t, "queue", "resume", ep, "pay", "--output", "json")
	var resumed struct {
		Function string
		Paused   bool
	}
	if err != nil || json.Unmarshal([]byte(out), &resumed) != nil || resumed.Function != "ux-pay" || resumed.Paused {
		t.Fatalf("queue resume --output json: %v\n%s", err, out)
	}
	waitDone(t, m, held)

	// The held event waited for a cold start: the trace shows the wait from
	// acceptance to the function getting the event, with the cold start as
	// its own part of it.
	out, err = runCLI(t, "trace", ep, held, "--output", "json")
	var tr traceAnswer
	if err != nil || json.Unmarshal([]byte(out), &tr) != nil || len(tr.Hops) != 1 {
		t.Fatalf("trace --output json: %v\n%s", err, out)
	}
	if h := tr.Hops[0]; h.ColdStartMs <= 0 || h.QueueDelayMs < h.ColdStartMs || h.Attempts[0].Init <= 0 {
		t.Fatalf("hop timings: waited %v ms, cold start %v ms", h.QueueDelayMs, h.ColdStartMs)
	}
	out, err = runCLI(t, "trace", ep, held)
	if err != nil || !regexp.MustCompile(`waited [\d.]+ ms \(queue [\d.]+ ms \+ cold start [\d.]+ ms\)  ran [\d.]+ ms`).MatchString(out) {
		t.Fatalf("trace spans: %v\n%s", err, out)
	}

	// A failed attempt waits for its retry: said so, with when, everywhere.
	out, err = runCLI(t, "invoke", ep, "--async", "pay", `{"id":"late","fail":true}`)
	failing := strings.TrimSpace(out)
	if err != nil || len(failing) != 36 {
		t.Fatalf("invoke --async: %v\n%s", err, out)
	}
	waiting := regexp.MustCompile(regexp.QuoteMeta(failing) + `.*waiting for retry 1 at \d\d:\d\d:\d\d\.\d\d\d`)
	out = waitCLI(t, waiting, 10*time.Second, "queue", "list", ep, "pay")
	if strings.Contains(out, "running") {
		t.Fatalf("queue list calls an event waiting for its retry running:\n%s", out)
	}
	if out, err := runCLI(t, "trace", ep, failing); err != nil || !waiting.MatchString(out) || !strings.Contains(out, "card declined for late") {
		t.Fatalf("trace of an event waiting for its retry: %v\n%s", err, out)
	}
	if out, err := runCLI(t, "invocations", ep, "--status", "pending", "--function", "ux-pay"); err != nil || !waiting.MatchString(out) {
		t.Fatalf("invocations --status pending: %v\n%s", err, out)
	}

	// Newest first is by acceptance: the failing event, finished last, was
	// accepted after the held one.
	waitDone(t, m, failing)
	out, err = runCLI(t, "invocations", ep, "--function", "pay")
	if i, j := strings.Index(out, failing), strings.Index(out, held); err != nil || i < 0 || j < 0 || i > j {
		t.Fatalf("invocations not newest accepted first: %v\n%s", err, out)
	}
}

// TestCLIAnswers: names, usage, output formats and log records of the
// command line.
func TestCLIAnswers(t *testing.T) {
	t.Parallel()
	m := setup(t, 0.001)
	c := lambdaClient(m)
	createFunction(t, c, nodeFn("ux-charge"))
	f := nodeFn("ux-shout")
	f.zip = zipFiles(map[string]string{"index.js": `exports.handler = async () => { console.error("first line\nsecond line"); return "ok"; };`}, 0o644)
	createFunction(t, c, f)
	ep := "--endpoint=" + m.APIURL()

	// An unknown name is an error naming the near matches.
	_, err := runCLI(t, "invocations", ep, "--function", "chrage")
	if err == nil || !strings.Contains(err.Error(), `no function "chrage"; did you mean: ux-charge`) {
		t.Fatalf("invocations --function chrage: %v", err)
	}
	for _, args := range [][]string{{"logs", ep, "chrge"}, {"queue", "list", ep, "chrge"}, {"invoke", ep, "chrge"}} {
		if _, err := runCLI(t, args...); err == nil || !strings.Contains(err.Error(), "did you mean: ux-charge") {
			t.Fatalf("%v: %v", args, err)
		}
	}
	if out, err := runCLI(t, "invocations", ep, "--function", "charge"); err != nil || !strings.Contains(out, "no invocations") {
		t.Fatalf("invocations of a short name: %v\n%s", err, out)
	}

	// Wrong arguments print the usage.
	for _, args := range [][]string{{"logs"}, {"queue", "pause"}, {"trace", "a", "b"}, {"invocations", "--bogus"}} {
		_, err := runCLI(t, args...)
		if err == nil || !strings.Contains(err.Error(), "Usage:\n  ferry "+args[0]) {
			t.Fatalf("%v: %v", args, err)
		}
	}
	if _, err := runCLI(t, "invocations", ep, "--output", "yaml"); err == nil || !strings.Contains(err.Error(), `--output "yaml": want text or json`) {
		t.Fatalf("--output yaml: %v", err)
	}

	// invoke --async --tail follows the event to its outcome.
	out, err := runCLI(t, "invoke", ep, "--async", "--tail", "charge", `{"id":"tailed","amount":5}`)
	if err != nil || !strings.Contains(out, "paying tailed") || !strings.Contains(out, `"paid":5`) || !strings.Contains(out, ": Success") {
		t.Fatalf("invoke --async --tail: %v\n%s", err, out)
	}
	out, err = runCLI(t, "invoke", ep, "--async", "--tail", "charge", `{"id":"tailfail","fail":true}`)
	if ee, ok := err.(*exitError); !ok || ee.code != 2 || !strings.Contains(out, "card declined for tailfail") {
		t.Fatalf("invoke --async --tail of a failing event: %v\n%s", err, out)
	}

	out, err = runCLI(t, "redrive", ep, "--function", "charge", "--dry-run", "--output", "json")
	var dry struct {
		DryRun      bool
		Invocations []struct{ RequestID, Condition string }
	}
	if err != nil || json.Unmarshal([]byte(out), &dry) != nil || !dry.DryRun || len(dry.Invocations) != 1 || dry.Invocations[0].Condition != "RetriesExhausted" {
		t.Fatalf("redrive --dry-run --output json: %v\n%s", err, out)
	}

	// One console.error call is one record, its line breaks kept.
	if out, err := runCLI(t, "invoke", ep, "shout"); err != nil {
		t.Fatalf("invoke shout: %v\n%s", err, out)
	}
	out, err = runCLI(t, "logs", ep, "shout")
	if err != nil || strings.Contains(out, "\r") || !regexp.MustCompile(`(?m)^\S+ ux-shout [0-9a-f-]{36} .*ERROR\s+first line\n    second line$`).MatchString(out) {
		t.Fatalf("logs of a multi-line console.error: %v\n%q", err, out)
	}
}
