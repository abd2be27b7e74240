package nodeboot

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// invokeOnce starts handler, hands out one event and returns the post.
func invokeOnce(t *testing.T, files map[string]string, handler, payload string) (post, string, *proc) {
	t.Helper()
	f := setup(t, files)
	p := f.start(t, handler)
	id := f.api.invoke(t, payload)
	got := f.api.waitPost(t)
	if got.ID != id {
		t.Fatalf("post for request %q, want %q (output:\n%s)", got.ID, id, p.out)
	}
	return got, id, p
}

func wantResponse(t *testing.T, got post, want string, p *proc) {
	t.Helper()
	if got.Kind != "response" {
		t.Fatalf("post kind %q (%s), want response; output:\n%s", got.Kind, got.Body, p.out)
	}
	if string(got.Body) != want {
		t.Errorf("response %s, want %s", got.Body, want)
	}
}

// wantErrorPost checks that got is a post of kind ("error" or "init") whose
// error type, in the header and in the body, is wantType, and returns the
// body.
func wantErrorPost(t *testing.T, got post, kind, wantType string, p *proc) errorDoc {
	t.Helper()
	if got.Kind != kind {
		t.Fatalf("post kind %q (%s), want %s; output:\n%s", got.Kind, got.Body, kind, p.out)
	}
	d := got.errorDoc(t)
	if got.ErrorType != wantType || d.ErrorType != wantType {
		t.Errorf("error type header %q body %q, want %q", got.ErrorType, d.ErrorType, wantType)
	}
	return d
}

func TestHandlerStyles(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		code string
		want string
	}{
		{"async", `exports.handler = async (event) => ({ got: event.x });`, `{"got":1}`},
		{"promise", `exports.handler = (event) => new Promise((resolve) => setTimeout(() => resolve({ got: event.x }), 10));`, `{"got":1}`},
		{"callback", `exports.handler = (event, context, callback) => { setTimeout(() => callback(null, { got: event.x }), 10); };`, `{"got":1}`},
		{"context succeed", `exports.handler = (event, context) => { context.succeed({ got: event.x }); };`, `{"got":1}`},
		{"undefined result is null", `exports.handler = async () => undefined;`, `null`},
		{"sync return without callback is null", `exports.handler = (event, context, callback) => { setTimeout(() => {}, 10); };`, `null`},
		{"string result", `exports.handler = async () => "ok";`, `"ok"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, _, p := invokeOnce(t, map[string]string{"index.js": tt.code}, "index.handler", `{"x":1}`)
			wantResponse(t, got, tt.want, p)
		})
	}
}

// A callback handler schedules a timer after calling back; the timer writes a
// file. With callbackWaitsForEmptyEventLoop the response must come after the
// timer; without it, at once.
func TestCallbackWaitsForEmptyEventLoop(t *testing.T) {
	t.Parallel()
	const code = `
const fs = require('fs');
exports.handler = (event, context, callback) => {
  context.callbackWaitsForEmptyEventLoop = event.wait;
  callback(null, { wait: context.callbackWaitsForEmptyEventLoop });
  setTimeout(() => fs.writeFileSync(event.marker, 'fired'), event.delay);
};`
	tests := []struct {
		name      string
		wait      bool
		delay     int
		wantFired bool
	}{
		{"true waits for the timer", true, 100, true},
		{"false answers at once", false, 3000, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := setup(t, map[string]string{"index.js": code})
			p := f.start(t, "index.handler")
			marker := filepath.Join(t.TempDir(), "fired")
			payload, _ := json.Marshal(map[string]any{"wait": tt.wait, "delay": tt.delay, "marker": marker})
			f.api.invoke(t, string(payload))
			got := f.api.waitPost(t)
			_, err := os.Stat(marker)
			fired := err == nil
			wantResponse(t, got, `{"wait":`+map[bool]string{true: "true", false: "false"}[tt.wait]+`}`, p)
			if fired != tt.wantFired {
				t.Errorf("timer fired before the response: %v, want %v", fired, tt.wantFired)
			}
		})
	}
}

func TestContext(t *testing.T) {
	t.Parallel()
	const code = `
exports.handler = async (event, context) => {
  const first = context.getRemainingTimeInMillis();
  await new Promise((r) => setTimeout(r, 30));
  const second = context.getRemainingTimeInMillis();
  return {
    awsRequestId: context.awsRequestId,
    invokedFunctionArn: context.invokedFunctionArn,
    functionName: context.functionName,
    functionVersion: context.functionVersion,
    memoryLimitInMB: context.memoryLimitInMB,
    logGroupName: context.logGroupName,
    logStreamName: context.logStreamName,
    waits: context.callbackWaitsForEmptyEventLoop,
    clientContext: context.clientContext,
    identity: context.identity,
    trace: process.env._X_AMZN_TRACE_ID,
    legacy: [typeof context.done, typeof context.succeed, typeof context.fail],
    first, second,
  };
};`
	f := setup(t, map[string]string{"index.js": code})
	p := f.start(t, "index.handler")
	deadline := time.Now().Add(10 * time.Second)
	f.api.events <- event{
		ID:            "c0ffee",
		Payload:       `{}`,
		Deadline:      deadline,
		ARN:           "arn:aws:lambda:us-east-1:000000000000:function:pay:live",
		TraceID:       "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1",
		ClientContext: `{"custom":{"k":"v"}}`,
		Identity:      `{"cognitoIdentityId":"id-1"}`,
	}
	got := f.api.waitPost(t)
	wantResponse(t, got, string(got.Body), p)
	var c struct {
		AwsRequestID       string          `json:"awsRequestId"`
		InvokedFunctionArn string          `json:"invokedFunctionArn"`
		FunctionName       string          `json:"functionName"`
		FunctionVersion    string          `json:"functionVersion"`
		MemoryLimitInMB    string          `json:"memoryLimitInMB"`
		LogGroupName       string          `json:"logGroupName"`
		LogStreamName      string          `json:"logStreamName"`
		Waits              bool            `json:"waits"`
		ClientContext      json.RawMessage `json:"clientContext"`
		Identity           json.RawMessage `json:"identity"`
		Trace              string          `json:"trace"`
		Legacy             []string        `json:"legacy"`
		First              int64           `json:"first"`
		Second             int64           `json:"second"`
	}
	if err := json.Unmarshal(got.Body, &c); err != nil {
		t.Fatalf("response %s: %v", got.Body, err)
	}
	checks := []struct{ field, got, want string }{
		{"awsRequestId", c.AwsRequestID, "c0ffee"},
		{"invokedFunctionArn", c.InvokedFunctionArn, "arn:aws:lambda:us-east-1:000000000000:function:pay:live"},
		{"functionName", c.FunctionName, "pay"},
		{"functionVersion", c.FunctionVersion, "$LATEST"},
		{"memoryLimitInMB", c.MemoryLimitInMB, "256"},
		{"logGroupName", c.LogGroupName, "/aws/lambda/pay"},
		{"logStreamName", c.LogStreamName, "2026/11/01/[$LATEST]abc"},
		{"clientContext", string(c.ClientContext), `{"custom":{"k":"v"}}`},
		{"identity", string(c.Identity), `{"cognitoIdentityId":"id-1"}`},
		{"_X_AMZN_TRACE_ID", c.Trace, "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1"},
		{"legacy methods", strings.Join(c.Legacy, ","), "function,function,function"},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s = %q, want %q", ch.field, ch.got, ch.want)
		}
	}
	if !c.Waits {
		t.Errorf("callbackWaitsForEmptyEventLoop = false, want true by default")
	}
	if c.First <= 0 || c.First > 10000 {
		t.Errorf("getRemainingTimeInMillis() = %d, want in (0, 10000]", c.First)
	}
	if c.Second > c.First-30 {
		t.Errorf("getRemainingTimeInMillis() after 30 ms = %d, want <= %d", c.Second, c.First-30)
	}
}

func TestModuleKinds(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		files   map[string]string
		handler string
	}{
		{"commonjs .js", map[string]string{"index.js": `exports.handler = async () => ({ kind: 'cjs' });`}, "index.handler"},
		{"commonjs .cjs", map[string]string{"index.cjs": `module.exports.handler = async () => ({ kind: 'cjs' });`}, "index.handler"},
		{"esm .mjs with top-level await", map[string]string{
			"index.mjs": `const kind = await Promise.resolve('esm'); export const handler = async () => ({ kind });`,
		}, "index.handler"},
		{"esm .js with package.json type module", map[string]string{
			"package.json": `{"type":"module"}`,
			"app.js":       `const kind = await Promise.resolve('esm'); export const handler = async () => ({ kind });`,
		}, "app.handler"},
		{"esm .js type module from a parent package.json", map[string]string{
			"package.json":        `{"name":"x","type":"module"}`,
			"src/handlers/pay.js": `export async function handler() { return { kind: 'esm' }; }`,
		}, "src/handlers/pay.handler"},
		{"nested path in a subdirectory", map[string]string{
			"src/handlers/pay.js": `exports.handler = async () => ({ kind: 'cjs' });`,
		}, "src/handlers/pay.handler"},
		{"nested export", map[string]string{
			"index.js": `exports.api = { v1: { handler: async () => ({ kind: 'cjs' }) } };`,
		}, "index.api.v1.handler"},
		{"package from node_modules", map[string]string{
			"node_modules/payfn/package.json": `{"name":"payfn","main":"main.js"}`,
			"node_modules/payfn/main.js":      `exports.handler = async () => ({ kind: 'cjs' });`,
		}, "payfn.handler"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, _, p := invokeOnce(t, tt.files, tt.handler, `{}`)
			kind := "cjs"
			if strings.HasPrefix(tt.name, "esm") {
				kind = "esm"
			}
			wantResponse(t, got, `{"kind":"`+kind+`"}`, p)
		})
	}
}

func TestInvocationErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		code      string
		wantType  string
		wantMsg   string
		wantStack bool
	}{
		{"thrown error", `
class PaymentDeclined extends Error { constructor(m) { super(m); this.name = 'PaymentDeclined'; } }
exports.handler = async () => { throw new PaymentDeclined('card declined'); };`, "PaymentDeclined", "card declined", true},
		{"rejected promise", `exports.handler = () => Promise.reject(new TypeError('bad input'));`, "TypeError", "bad input", true},
		{"callback error", `exports.handler = (e, c, cb) => cb(new RangeError('out of range'));`, "RangeError", "out of range", true},
		{"sync throw in callback handler", `exports.handler = (e, c, cb) => { throw new Error('boom'); };`, "Error", "boom", true},
		{"thrown string", `exports.handler = async () => { throw 'plain string'; };`, "string", "plain string", false},
		{"context.fail without error", `exports.handler = (e, c) => c.fail();`, "string", "handled", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, _, p := invokeOnce(t, map[string]string{"index.js": tt.code}, "index.handler", `{}`)
			d := wantErrorPost(t, got, "error", tt.wantType, p)
			if d.ErrorMessage != tt.wantMsg {
				t.Errorf("errorMessage %q, want %q", d.ErrorMessage, tt.wantMsg)
			}
			if !tt.wantStack {
				if d.Trace == nil || len(d.Trace) != 0 {
					t.Errorf("trace %q, want []", d.Trace)
				}
				return
			}
			if len(d.Trace) == 0 {
				t.Fatalf("trace empty")
			}
			if !strings.HasSuffix(d.Trace[0], ": "+tt.wantMsg) || !strings.HasPrefix(d.Trace[1], "    at ") {
				t.Errorf("trace %q does not start with its \"Error: message\" line", d.Trace)
			}
			if tt.wantMsg == "boom" && d.Trace[0] != "Error: boom" {
				t.Errorf("trace[0] %q, want %q", d.Trace[0], "Error: boom")
			}
			if !strings.Contains(strings.Join(d.Trace, "\n"), "index.js") {
				t.Errorf("trace %q does not name index.js", d.Trace)
			}
			// The error is logged as an ERROR line for the request.
			p.waitOutput(t, "\tERROR\tInvoke Error \t{\"errorType\":\""+tt.wantType+"\"")
		})
	}
}

func TestInitErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		files      map[string]string
		handler    string
		wantType   string
		wantPrefix string
	}{
		{"missing module", map[string]string{"index.js": ``}, "missing.handler",
			"Runtime.ImportModuleError", "Error: Cannot find module 'missing'"},
		{"missing dependency", map[string]string{"index.js": `require('left-pad'); exports.handler = async () => 1;`}, "index.handler",
			"Runtime.ImportModuleError", "Error: Cannot find module 'left-pad'"},
		{"missing esm dependency", map[string]string{"index.mjs": `import 'left-pad'; export const handler = async () => 1;`}, "index.handler",
			"Runtime.ImportModuleError", "Error [ERR_MODULE_NOT_FOUND]: Cannot find package 'left-pad'"},
		{"missing handler", map[string]string{"index.js": `exports.other = async () => 1;`}, "index.handler",
			"Runtime.HandlerNotFound", "index.handler is undefined or not exported"},
		{"handler not a function", map[string]string{"index.js": `exports.handler = 42;`}, "index.handler",
			"Runtime.HandlerNotFound", "index.handler is not a function"},
		{"syntax error", map[string]string{"index.js": `exports.handler = async () => {;`}, "index.handler",
			"Runtime.UserCodeSyntaxError", "SyntaxError: "},
		{"esm syntax error", map[string]string{"index.mjs": `export const handler = ) => 1;`}, "index.handler",
			"Runtime.UserCodeSyntaxError", "SyntaxError: "},
		{"throw at load", map[string]string{"index.js": `throw new RangeError('no config');`}, "index.handler",
			"RangeError", "no config"},
		{"malformed handler", map[string]string{"index.js": `exports.handler = async () => 1;`}, "index",
			"Runtime.MalformedHandlerName", "Bad handler"},
		{"relative handler path", map[string]string{"index.js": ``}, "../index.handler",
			"Runtime.MalformedHandlerName", "'../index.handler' is not a valid handler name."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := setup(t, tt.files)
			p := f.start(t, tt.handler)
			got := f.api.waitPost(t)
			d := wantErrorPost(t, got, "init", tt.wantType, p)
			if !strings.HasPrefix(d.ErrorMessage, tt.wantPrefix) {
				t.Errorf("errorMessage %q, want prefix %q", d.ErrorMessage, tt.wantPrefix)
			}
			if d.Trace == nil {
				t.Errorf("trace missing")
			}
			if code := p.wait(t); code != 1 {
				t.Errorf("exit code %d, want 1", code)
			}
			if out := p.out.String(); !strings.Contains(out, "\tundefined\tERROR\tUncaught Exception \t{\"errorType\":\""+tt.wantType+"\"") {
				t.Errorf("init error not logged; output:\n%s", out)
			}
		})
	}
}

func TestConsoleFormat(t *testing.T) {
	t.Parallel()
	const code = `
console.log('cold %d', 1);
exports.handler = async () => {
  console.log('hello %s', 'world', { a: 1 });
  console.info('info');
  console.warn('warn');
  console.error('error');
  console.debug('debug');
  console.trace('trace');
  console.log('line one\nline two');
  return 'ok';
};`
	got, id, p := invokeOnce(t, map[string]string{"index.js": code}, "index.handler", `{}`)
	wantResponse(t, got, `"ok"`, p)
	out := p.waitOutput(t, "\tline one\rline two\n")
	const ts = `\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z`
	wantLines := []string{
		ts + `\tundefined\tINFO\tcold 1`,
		ts + `\t` + id + `\tINFO\thello world \{ a: 1 \}`,
		ts + `\t` + id + `\tINFO\tinfo`,
		ts + `\t` + id + `\tWARN\twarn`,
		ts + `\t` + id + `\tERROR\terror`,
		ts + `\t` + id + `\tDEBUG\tdebug`,
		ts + `\t` + id + `\tTRACE\ttrace`,
		ts + `\t` + id + `\tINFO\tline one\rline two`,
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != len(wantLines) {
		t.Fatalf("got %d lines, want %d; output:\n%q", len(lines), len(wantLines), out)
	}
	for i, want := range wantLines {
		if !regexp.MustCompile(`^` + want + `$`).MatchString(lines[i]) {
			t.Errorf("line %d = %q, want match %q", i, lines[i], want)
		}
	}
}

func TestWarmReuse(t *testing.T) {
	t.Parallel()
	const code = `
let count = 0;
exports.handler = async () => ({ count: ++count, pid: process.pid });`
	f := setup(t, map[string]string{"index.js": code})
	p := f.start(t, "index.handler")
	var pids []int
	for i := 1; i <= 2; i++ {
		id := f.api.invoke(t, `{}`)
		got := f.api.waitPost(t)
		if got.Kind != "response" || got.ID != id {
			t.Fatalf("invocation %d: post %+v; output:\n%s", i, got, p.out)
		}
		var r struct{ Count, Pid int }
		if err := json.Unmarshal(got.Body, &r); err != nil {
			t.Fatal(err)
		}
		if r.Count != i {
			t.Errorf("invocation %d: count %d, want %d (module state kept)", i, r.Count, i)
		}
		pids = append(pids, r.Pid)
	}
	if pids[0] != pids[1] || pids[0] != p.cmd.Process.Pid {
		t.Errorf("pids %v, want both %d", pids, p.cmd.Process.Pid)
	}
}

func TestCrashes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		code     string
		wantType string
		wantMsg  string
		wantExit int
	}{
		{"uncaught exception", `
exports.handler = async () => {
  setTimeout(() => { throw new Error('late failure'); }, 5);
  await new Promise((r) => setTimeout(r, 5000));
};`, "Error", "late failure", 129},
		{"unhandled rejection", `
exports.handler = async () => {
  Promise.reject(new Error('forgotten'));
  await new Promise((r) => setTimeout(r, 5000));
};`, "Runtime.UnhandledPromiseRejection", "Error: forgotten", 128},
		{"async handler never settles", `
exports.handler = async () => { await new Promise(() => {}); };`, "Runtime.NodeJsExit", "Error: Runtime exited without providing a reason", -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, _, p := invokeOnce(t, map[string]string{"index.js": tt.code}, "index.handler", `{}`)
			d := wantErrorPost(t, got, "error", tt.wantType, p)
			if !strings.HasPrefix(d.ErrorMessage, tt.wantMsg) {
				t.Errorf("errorMessage %q, want prefix %q", d.ErrorMessage, tt.wantMsg)
			}
			if tt.wantExit < 0 {
				return
			}
			if code := p.wait(t); code != tt.wantExit {
				t.Errorf("exit code %d, want %d", code, tt.wantExit)
			}
		})
	}
}

func TestInstallIdempotent(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "a", "b")
	first, err := Install(dir)
	if err != nil {
		t.Fatalf("Install: %v", err)
	}
	if !filepath.IsAbs(first) || filepath.Base(first) != EntryName {
		t.Errorf("path %q, want an absolute path to %s", first, EntryName)
	}
	content, err := os.ReadFile(first)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(content, bootstrap) {
		t.Fatalf("installed content differs from the embedded bootstrap")
	}
	old := time.Now().Add(-time.Hour).Truncate(time.Second)
	if err := os.Chtimes(first, old, old); err != nil {
		t.Fatal(err)
	}
	second, err := Install(dir)
	if err != nil || second != first {
		t.Fatalf("second Install = %q, %v; want %q", second, err, first)
	}
	if st, _ := os.Stat(first); !st.ModTime().Equal(old) {
		t.Errorf("up-to-date file rewritten (mtime %v, want %v)", st.ModTime(), old)
	}

	if err := os.WriteFile(first, []byte("stale"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Install(dir); err != nil {
		t.Fatalf("Install over stale file: %v", err)
	}
	if content, _ := os.ReadFile(first); !bytes.Equal(content, bootstrap) {
		t.Errorf("stale file not replaced")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("install dir holds %d entries, want 1 (no temp files left)", len(entries))
	}
}

func TestInstallError(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Install(filepath.Join(file, "boot"))
	if err == nil {
		t.Fatal("Install under a regular file succeeded, want an error")
	}
	if !strings.Contains(err.Error(), "nodeboot: install bootstrap into") {
		t.Errorf("error %q does not name the problem", err)
	}
}

func TestJSONLogFormat(t *testing.T) {
	t.Parallel()
	const code = `
exports.handler = async () => {
  console.debug('dropped below the level');
  console.info('plain');
  console.log({ order: 7 });
  console.warn('failed %s', 'card', new RangeError('declined'));
  return 'ok';
};`
	f := setup(t, map[string]string{"index.js": code})
	p := f.startEnv(t, "index.handler", "AWS_LAMBDA_LOG_FORMAT=JSON", "AWS_LAMBDA_LOG_LEVEL=INFO")
	id := f.api.invoke(t, `{}`)
	got := f.api.waitPost(t)
	wantResponse(t, got, `"ok"`, p)
	out := p.waitOutput(t, `"level":"WARN"`)
	type record struct {
		Timestamp    string          `json:"timestamp"`
		Level        string          `json:"level"`
		RequestID    string          `json:"requestId"`
		Message      json.RawMessage `json:"message"`
		ErrorType    string          `json:"errorType"`
		ErrorMessage string          `json:"errorMessage"`
	}
	var recs []record
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var r record
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("line %q is not JSON: %v", line, err)
		}
		if r.RequestID != id {
			t.Errorf("requestId %q, want %q", r.RequestID, id)
		}
		if _, err := time.Parse(time.RFC3339Nano, r.Timestamp); err != nil {
			t.Errorf("timestamp %q: %v", r.Timestamp, err)
		}
		recs = append(recs, r)
	}
	want := []struct{ level, message string }{
		{"INFO", `"plain"`},
		{"INFO", `{"order":7}`},
		{"WARN", `"failed card RangeError: declined`},
	}
	if len(recs) != len(want) {
		t.Fatalf("got %d records, want %d (DEBUG dropped); output:\n%s", len(recs), len(want), out)
	}
	for i, w := range want {
		if recs[i].Level != w.level || !strings.HasPrefix(string(recs[i].Message), w.message) {
			t.Errorf("record %d = %s %s, want %s %s...", i, recs[i].Level, recs[i].Message, w.level, w.message)
		}
	}
	if recs[2].ErrorType != "RangeError" || recs[2].ErrorMessage != "declined" {
		t.Errorf("error fields %q %q, want RangeError declined", recs[2].ErrorType, recs[2].ErrorMessage)
	}
}

func TestResponseStreamingRefusedByName(t *testing.T) {
	t.Parallel()
	f := setup(t, map[string]string{"index.js": `exports.handler = awslambda.streamifyResponse(async () => {});`})
	p := f.start(t, "index.handler")
	got := f.api.waitPost(t)
	if got.Kind != "init" {
		t.Fatalf("post kind %q, want init; output:\n%s", got.Kind, p.out)
	}
	if d := got.errorDoc(t); !strings.Contains(d.ErrorMessage, "awslambda.streamifyResponse") {
		t.Errorf("errorMessage %q does not name streamifyResponse", d.ErrorMessage)
	}
}

// A module that throws from a timer before the first invocation reports an
// init error and exits like the AWS runtime.
func TestCrashBeforeFirstInvocation(t *testing.T) {
	t.Parallel()
	f := setup(t, map[string]string{"index.js": `
setTimeout(() => { throw new Error('background failure'); }, 20);
exports.handler = async () => 'ok';`})
	p := f.start(t, "index.handler")
	got := f.api.waitPost(t)
	if got.Kind != "init" {
		t.Fatalf("post kind %q (%s), want init; output:\n%s", got.Kind, got.Body, p.out)
	}
	if d := got.errorDoc(t); d.ErrorType != "Error" || d.ErrorMessage != "background failure" {
		t.Errorf("error %q %q, want Error background failure", d.ErrorType, d.ErrorMessage)
	}
	if code := p.wait(t); code != 129 {
		t.Errorf("exit code %d, want 129", code)
	}
}
