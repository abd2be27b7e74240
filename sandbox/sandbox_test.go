package sandbox

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ferry-run/ferry"
)

func TestSuccessRoundTrip(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{Realm: ferry.Realm{Region: "eu-west-1", Account: "123456789012"}})
	fn := goFn("ok")
	before := time.Now()
	res := b.invoke(t, fn, `{"op":"echo","value":"héllo"}`)
	r := decode(t, res)
	if r.Op != "echo" || r.Value != "héllo" {
		t.Errorf("reply = %+v, want echo héllo", r)
	}
	if want := "arn:aws:lambda:eu-west-1:123456789012:function:ok"; r.ARN != want {
		t.Errorf("invoked ARN = %q, want %q", r.ARN, want)
	}
	if d := time.UnixMilli(r.Deadline).Sub(before); d < 4*time.Second || d > 6*time.Second {
		t.Errorf("deadline %v after invoke, want about the 5 s timeout", d)
	}
	if res.InitDuration <= 0 {
		t.Errorf("cold start InitDuration = %v, want > 0", res.InitDuration)
	}
	if res.ExecutedVersion != "$LATEST" || res.RequestID == "" {
		t.Errorf("version %q, request id %q", res.ExecutedVersion, res.RequestID)
	}
	lines := logLines(res)
	if lines[0] != "init line " {
		t.Errorf("first log line = %q, want the init output", lines[0])
	}
	if want := "START RequestId: " + res.RequestID + " Version: $LATEST"; lines[1] != want {
		t.Errorf("log line 2 = %q, want %q", lines[1], want)
	}
	if want := "END RequestId: " + res.RequestID; lines[len(lines)-2] != want {
		t.Errorf("END line = %q, want %q", lines[len(lines)-2], want)
	}
	report := lines[len(lines)-1]
	for _, part := range []string{"REPORT RequestId: " + res.RequestID + "\tDuration: ", " ms\tBilled Duration: ", "\tMemory Size: 256 MB\tMax Memory Used: ", " MB\tInit Duration: "} {
		if !strings.Contains(report, part) {
			t.Errorf("REPORT line %q lacks %q", report, part)
		}
	}
}

func TestFunctionErrorAndPanic(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{})
	fn := goFn("fails")
	res := b.invoke(t, fn, `{"op":"error","value":"x"}`)
	if res.FunctionError != "Unhandled" || res.ErrorType != "errorString" || res.ErrorMessage != "boom x" {
		t.Errorf("error result = %q %q %q, want Unhandled errorString \"boom x\"", res.FunctionError, res.ErrorType, res.ErrorMessage)
	}
	if got, want := string(res.Payload), `{"errorMessage":"boom x","errorType":"errorString"}`; got != want {
		t.Errorf("error payload = %s, want %s", got, want)
	}
	// The instance survives a returned error.
	pid := decode(t, b.invoke(t, fn, `{"op":"echo"}`)).Pid

	res = b.invoke(t, fn, `{"op":"panic"}`)
	if res.FunctionError != "Unhandled" || res.ErrorType != "string" || res.ErrorMessage != "kaboom" {
		t.Errorf("panic result = %q %q %q, want Unhandled string kaboom", res.FunctionError, res.ErrorType, res.ErrorMessage)
	}
	m := errorPayload(t, res)
	if st, ok := m["stackTrace"].([]any); !ok || len(st) == 0 {
		t.Errorf("panic payload %s has no stackTrace", res.Payload)
	}
	// aws-lambda-go exits after a panic: the next invoke is a cold start.
	waitFor(t, "panicked process to exit", func() bool { return processGone(pid) })
	res = b.invoke(t, fn, `{"op":"echo"}`)
	if r := decode(t, res); r.Pid == pid || res.InitDuration == 0 {
		t.Errorf("after panic: pid %d (old %d), init %v; want a new instance", r.Pid, pid, res.InitDuration)
	}
}

func TestTimeoutKillsInstance(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{})
	fn := goFn("slow")
	fn.Timeout = 500 * time.Millisecond
	pid := decode(t, b.invoke(t, fn, `{"op":"echo"}`)).Pid
	res := b.invoke(t, fn, `{"op":"sleep","ms":30000}`)
	if res.FunctionError != "Unhandled" || res.ErrorType != "Sandbox.Timedout" {
		t.Fatalf("result = %q %q, want Unhandled Sandbox.Timedout", res.FunctionError, res.ErrorType)
	}
	if want := "RequestId: " + res.RequestID + " Error: Task timed out after 0.50 seconds"; res.ErrorMessage != want {
		t.Errorf("message = %q, want %q", res.ErrorMessage, want)
	}
	if m := errorPayload(t, res); m["errorType"] != "Sandbox.Timedout" || m["errorMessage"] != res.ErrorMessage {
		t.Errorf("payload = %s", res.Payload)
	}
	if !strings.Contains(string(res.Logs), "Status: timeout") {
		t.Errorf("logs lack the timeout status:\n%s", res.Logs)
	}
	if !processGone(pid) {
		t.Errorf("process %d still exists after the timeout", pid)
	}
	if busy, idle := b.pool.Stats("slow"); busy != 0 || idle != 0 {
		t.Errorf("Stats = %d busy %d idle, want 0 0", busy, idle)
	}
}

func TestCrashIsExitError(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{})
	res := b.invoke(t, goFn("crash"), `{"op":"exit"}`)
	if res.FunctionError != "Unhandled" || res.ErrorType != "Runtime.ExitError" {
		t.Fatalf("result = %q %q, want Unhandled Runtime.ExitError", res.FunctionError, res.ErrorType)
	}
	if want := "RequestId: " + res.RequestID + " Error: Runtime exited with error: exit status 2"; res.ErrorMessage != want {
		t.Errorf("message = %q, want %q", res.ErrorMessage, want)
	}
}

func TestInitFailureIsRetried(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{})
	fn := goFn("badinit")
	fn.Env = map[string]string{"TESTFN_INIT_EXIT": "1", "TESTFN_INIT_MARK": "m"}
	for i := range 2 {
		res := b.invoke(t, fn, `{"op":"echo"}`)
		if res.ErrorType != "Runtime.InitError" || !strings.HasSuffix(res.ErrorMessage, "Runtime exited with error: exit status 1") {
			t.Fatalf("attempt %d: %q %q, want Runtime.InitError exit status 1", i, res.ErrorType, res.ErrorMessage)
		}
		if !strings.Contains(string(res.Logs), "init line m\n") || res.InitDuration == 0 {
			t.Errorf("attempt %d: init output or duration missing; logs:\n%s", i, res.Logs)
		}
	}
	if busy, idle := b.pool.Stats("badinit"); busy != 0 || idle != 0 {
		t.Errorf("Stats = %d %d, want 0 0", busy, idle)
	}
}

func TestWarmReuse(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{})
	fn := goFn("warm")
	first := b.invoke(t, fn, `{"op":"echo"}`)
	second := b.invoke(t, fn, `{"op":"echo"}`)
	if p1, p2 := decode(t, first).Pid, decode(t, second).Pid; p1 != p2 {
		t.Errorf("pids %d then %d, want the same instance", p1, p2)
	}
	if second.InitDuration != 0 || strings.Contains(string(second.Logs), "Init Duration") {
		t.Errorf("warm invoke has init duration %v / logs:\n%s", second.InitDuration, second.Logs)
	}
	if busy, idle := b.pool.Stats("warm"); busy != 0 || idle != 1 {
		t.Errorf("Stats = %d busy %d idle, want 0 1", busy, idle)
	}
}

func TestReservedConcurrency(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{})
	fn := goFn("one")
	one := 1
	fn.ReservedConcurrency = &one
	done := make(chan *ferry.Result, 1)
	go func() {
		res, _ := b.pool.Invoke(context.Background(), fn, &ferry.InvokeRequest{Payload: json.RawMessage(`{"op":"sleep","ms":1500}`)})
		done <- res
	}()
	waitFor(t, "first invoke to be busy", func() bool { busy, _ := b.pool.Stats("one"); return busy == 1 })
	_, err := b.pool.Invoke(context.Background(), fn, &ferry.InvokeRequest{Payload: json.RawMessage(`{"op":"echo"}`)})
	if got := ferry.ErrorCode(err); got != ferry.ETHROTTLED {
		t.Errorf("second concurrent invoke: code %q (%v), want %q", got, err, ferry.ETHROTTLED)
	}
	if res := <-done; res == nil || res.Failed() {
		t.Errorf("first invoke = %+v, want success", res)
	}

	zero := 0
	fn0 := goFn("zero")
	fn0.ReservedConcurrency = &zero
	_, err = b.pool.Invoke(context.Background(), fn0, &ferry.InvokeRequest{Payload: json.RawMessage(`{}`)})
	if got := ferry.ErrorCode(err); got != ferry.ETHROTTLED {
		t.Errorf("reserved 0: code %q, want %q", got, ferry.ETHROTTLED)
	}
}

func TestIdleReaping(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{IdleTimeout: 200 * time.Millisecond})
	pid := decode(t, b.invoke(t, goFn("reap"), `{"op":"echo"}`)).Pid
	waitFor(t, "idle instance to be reaped", func() bool {
		_, idle := b.pool.Stats("reap")
		return idle == 0 && processGone(pid)
	})
}

func TestConfigChangeStartsNewInstance(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{})
	fn := goFn("reload")
	pid := decode(t, b.invoke(t, fn, `{"op":"echo"}`)).Pid
	changes := []func(f *ferry.Function){
		func(f *ferry.Function) { f.Modified = f.Modified.Add(time.Second) },
		func(f *ferry.Function) { f.Env = map[string]string{"V": "2"} },
		func(f *ferry.Function) { f.Memory = 512 },
		func(f *ferry.Function) { f.Timeout = 7 * time.Second },
	}
	for i, change := range changes {
		change(fn)
		res := b.invoke(t, fn, `{"op":"echo"}`)
		newPid := decode(t, res).Pid
		if newPid == pid || res.InitDuration == 0 {
			t.Errorf("change %d: pid %d (old %d), init %v; want a new instance", i, newPid, pid, res.InitDuration)
		}
		waitFor(t, "retired instance to exit", func() bool { return processGone(pid) })
		pid = newPid
	}
}

func TestLogsCaptureOutput(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{})
	fn := goFn("printer")
	b.invoke(t, fn, `{"op":"echo"}`)
	res := b.invoke(t, fn, `{"op":"print","value":"v1"}`)
	lines := logLines(res)
	want := []string{
		"START RequestId: " + res.RequestID + " Version: $LATEST",
		"hello from stdout v1",
		"hello from stderr v1",
		"END RequestId: " + res.RequestID,
	}
	if len(lines) != 5 {
		t.Fatalf("logs = %q, want START, 2 lines, END, REPORT", lines)
	}
	for i, w := range want {
		if lines[i] != w {
			t.Errorf("log line %d = %q, want %q", i, lines[i], w)
		}
	}
	if !b.logs.has("printer|" + res.RequestID + "|hello from stdout v1") {
		t.Errorf("OnLog did not see the function's line")
	}
}

func TestEnvironment(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{})
	fn := goFn("envfn")
	fn.Handler = "ignored.handler"
	fn.Env = map[string]string{"MY_VAR": "mine", "AWS_ACCESS_KEY_ID": "AKIAFROMFN"}
	keys := []string{"AWS_LAMBDA_RUNTIME_API", "_HANDLER", "LAMBDA_TASK_ROOT", "AWS_LAMBDA_FUNCTION_NAME",
		"AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_LOG_GROUP_NAME",
		"AWS_LAMBDA_LOG_STREAM_NAME", "AWS_REGION", "AWS_DEFAULT_REGION", "TZ", "AWS_ACCESS_KEY_ID",
		"AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "PATH", "MY_VAR", "LAMBDA_RUNTIME_DIR"}
	kj, _ := json.Marshal(keys)
	env := decode(t, b.invoke(t, fn, `{"op":"env","env":`+string(kj)+`}`)).Env
	want := map[string]string{
		"_HANDLER": "ignored.handler", "LAMBDA_TASK_ROOT": goCodeDir, "AWS_LAMBDA_FUNCTION_NAME": "envfn",
		"AWS_LAMBDA_FUNCTION_VERSION": "$LATEST", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
		"AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/envfn", "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1",
		"TZ": ":UTC", "AWS_ACCESS_KEY_ID": "AKIAFROMFN", "MY_VAR": "mine",
	}
	for k, v := range want {
		if env[k] != v {
			t.Errorf("%s = %q, want %q", k, env[k], v)
		}
	}
	for _, k := range []string{"AWS_LAMBDA_RUNTIME_API", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "PATH", "LAMBDA_RUNTIME_DIR"} {
		if env[k] == "" {
			t.Errorf("%s is empty", k)
		}
	}
	if !strings.HasPrefix(env["AWS_LAMBDA_RUNTIME_API"], "127.0.0.1:") {
		t.Errorf("AWS_LAMBDA_RUNTIME_API = %q, want 127.0.0.1:port", env["AWS_LAMBDA_RUNTIME_API"])
	}
	if !strings.Contains(env["AWS_LAMBDA_LOG_STREAM_NAME"], "/[$LATEST]") {
		t.Errorf("log stream = %q", env["AWS_LAMBDA_LOG_STREAM_NAME"])
	}
}

func TestRawResponseKept(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{})
	res := b.invoke(t, goFn("raw"), `{"op":"raw","value":"not json {"}`)
	if res.Failed() || string(res.Payload) != "not json {" {
		t.Errorf("payload = %q (failed %v), want the raw bytes", res.Payload, res.Failed())
	}
}

func TestMisbehavingRuntime(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{})
	fn := fakeFn(t, "misbehave", "misbehave")
	res := b.invoke(t, fn, `{}`)
	if got, want := string(res.Payload), `{"wrongId":400,"lateInitError":403}`; got != want {
		t.Errorf("first payload = %s, want %s", got, want)
	}
	second := b.invoke(t, fn, `{}`)
	if second.ErrorType != "Custom.Header" || second.ErrorMessage != "not json" {
		t.Errorf("error with header only: %q %q, want Custom.Header \"not json\"", second.ErrorType, second.ErrorMessage)
	}
	res = b.invoke(t, fn, `{}`)
	if got, want := string(res.Payload), `{"doubleResponse":403}`; got != want {
		t.Errorf("third payload = %s, want %s", got, want)
	}
	// Printed after the second answer: it belongs to the second or third log.
	if !strings.Contains(string(second.Logs)+string(res.Logs), "double response status 403\n") {
		t.Errorf("output after an answer is lost:\n%s\n%s", second.Logs, res.Logs)
	}
}

func TestInitErrors(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{})
	res := b.invoke(t, fakeFn(t, "early", "exit-before-next"), `{}`)
	if res.ErrorType != "Runtime.InitError" || !strings.Contains(res.ErrorMessage, "exit status 1") {
		t.Errorf("exit before next: %q %q", res.ErrorType, res.ErrorMessage)
	}
	if !strings.Contains(string(res.Logs), "dying during init") {
		t.Errorf("init output missing from logs:\n%s", res.Logs)
	}
	res = b.invoke(t, fakeFn(t, "imports", "init-error"), `{}`)
	if res.FunctionError != "Unhandled" || res.ErrorType != "Runtime.ImportModuleError" || res.ErrorMessage != "Cannot find module 'index'" {
		t.Errorf("init error: %q %q %q", res.FunctionError, res.ErrorType, res.ErrorMessage)
	}
	if got, want := string(res.Payload), `{"errorMessage":"Cannot find module 'index'","errorType":"Runtime.ImportModuleError","stackTrace":["at load"]}`; got != want {
		t.Errorf("init error payload = %s, want %s", got, want)
	}
}

func TestBadRuntimes(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{})
	fn := goFn("py")
	fn.Runtime = "python3.12" // no bootstrap configured
	if _, err := b.pool.Invoke(context.Background(), fn, &ferry.InvokeRequest{}); ferry.ErrorCode(err) != ferry.EINVALID {
		t.Errorf("python without bootstrap: %v, want EINVALID", err)
	}
	fn.Runtime = "nodejs20.x" // no bootstrap configured
	if _, err := b.pool.Invoke(context.Background(), fn, &ferry.InvokeRequest{}); ferry.ErrorCode(err) != ferry.EINVALID {
		t.Errorf("node without bootstrap: %v, want EINVALID", err)
	}
	noCode := &ferry.Function{Name: "nocode", Runtime: "provided"}
	if _, err := b.pool.Invoke(context.Background(), noCode, &ferry.InvokeRequest{}); ferry.ErrorCode(err) != ferry.EINVALID {
		t.Errorf("no code directory: %v, want EINVALID", err)
	}
	missing := &ferry.Function{Name: "nobootstrap", Runtime: "provided.al2", CodeDir: t.TempDir()}
	res := b.invoke(t, missing, `{}`)
	if res.ErrorType != "Runtime.InvalidEntrypoint" {
		t.Errorf("missing bootstrap: %q %q, want Runtime.InvalidEntrypoint", res.ErrorType, res.ErrorMessage)
	}
}

func TestContextCancelKillsInstance(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{})
	fn := goFn("cancel")
	pid := decode(t, b.invoke(t, fn, `{"op":"echo"}`)).Pid
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err := b.pool.Invoke(ctx, fn, &ferry.InvokeRequest{Payload: json.RawMessage(`{"op":"sleep","ms":30000}`)})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want context.DeadlineExceeded", err)
	}
	waitFor(t, "abandoned instance to exit", func() bool { return processGone(pid) })
}

func TestStopKillsEverything(t *testing.T) {
	t.Parallel()
	p := New(Options{})
	if err := p.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	res, err := p.Invoke(context.Background(), goFn("stop"), &ferry.InvokeRequest{Payload: json.RawMessage(`{"op":"echo"}`)})
	if err != nil {
		t.Fatal(err)
	}
	pid := decode(t, res).Pid
	for range 2 {
		if err := p.Stop(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if !processGone(pid) {
		t.Errorf("process %d alive after Stop", pid)
	}
	if _, err := p.Invoke(context.Background(), goFn("stop"), &ferry.InvokeRequest{}); ferry.ErrorCode(err) != ferry.EUNAVAILABLE {
		t.Errorf("Invoke after Stop: %v, want EUNAVAILABLE", err)
	}
}

func TestNodeRuntimeCommandLine(t *testing.T) {
	t.Parallel()
	node, err := execLookPath("node")
	if err != nil {
		t.Skip("node not installed")
	}
	dir := t.TempDir()
	boot := filepath.Join(dir, "bootstrap.mjs")
	js := `const api = "http://" + process.env.AWS_LAMBDA_RUNTIME_API + "/2018-06-01/runtime/invocation/";
for (;;) {
  const r = await fetch(api + "next");
  const id = r.headers.get("lambda-runtime-aws-request-id");
  const ev = await r.json();
  const body = JSON.stringify({event: ev, argv: process.execArgv, handler: process.env._HANDLER, execEnv: process.env.AWS_EXECUTION_ENV});
  await fetch(api + id + "/response", {method: "POST", body});
}
`
	if err := os.WriteFile(boot, []byte(js), 0o644); err != nil {
		t.Fatal(err)
	}
	b := setup(t, Options{NodeBootstrap: boot, NodeBinary: node})
	fn := &ferry.Function{Name: "node", Runtime: "nodejs20.x", Handler: "index.handler", CodeDir: dir, Memory: 1000}
	res := b.invoke(t, fn, `{"a":1}`)
	var got struct {
		Event   map[string]int `json:"event"`
		Argv    []string       `json:"argv"`
		Handler string         `json:"handler"`
		ExecEnv string         `json:"execEnv"`
	}
	if err := json.Unmarshal(res.Payload, &got); err != nil {
		t.Fatalf("payload %s: %v\n%s", res.Payload, err, res.Logs)
	}
	if got.Event["a"] != 1 || got.Handler != "index.handler" || got.ExecEnv != "AWS_Lambda_nodejs20.x" {
		t.Errorf("node saw %+v", got)
	}
	if want := fmt.Sprint([]string{"--max-old-space-size=900"}); fmt.Sprint(got.Argv) != want {
		t.Errorf("execArgv = %v, want %s", got.Argv, want)
	}
}

func TestStateTransitions(t *testing.T) {
	t.Parallel()
	allowed := map[[2]State]bool{
		{Starting, Initializing}: true, {Starting, Dead}: true,
		{Initializing, Idle}: true, {Initializing, Dead}: true,
		{Idle, Busy}: true, {Idle, Dead}: true,
		{Busy, Idle}: true, {Busy, Dead}: true,
	}
	for from := Starting; from <= Dead; from++ {
		for to := Starting; to <= Dead; to++ {
			if got := canTransition(from, to); got != allowed[[2]State{from, to}] {
				t.Errorf("canTransition(%s, %s) = %v", from, to, got)
			}
		}
	}
}

func TestSecondConcurrentNextRefused(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{})
	res := b.invoke(t, fakeFn(t, "doublenext", "double-next"), `{}`)
	if got, want := string(res.Payload), `{"secondNext":403}`; got != want {
		t.Errorf("payload = %s, want %s", got, want)
	}
}

func TestMaxInstancesThrottles(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{MaxInstances: 2})
	fn := goFn("max2")
	results := make(chan *ferry.Result, 2)
	for range 2 {
		go func() {
			res, _ := b.pool.Invoke(context.Background(), fn, &ferry.InvokeRequest{Payload: json.RawMessage(`{"op":"sleep","ms":1000}`)})
			results <- res
		}()
	}
	waitFor(t, "two busy instances", func() bool { busy, _ := b.pool.Stats("max2"); return busy == 2 })
	_, err := b.pool.Invoke(context.Background(), fn, &ferry.InvokeRequest{Payload: json.RawMessage(`{"op":"echo"}`)})
	if ferry.ErrorCode(err) != ferry.ETHROTTLED {
		t.Errorf("third invoke: %v, want ETHROTTLED", err)
	}
	pids := map[int]bool{}
	for range 2 {
		pids[decode(t, <-results).Pid] = true
	}
	if len(pids) != 2 {
		t.Errorf("concurrent invokes ran on %d instances, want 2", len(pids))
	}
	if busy, idle := b.pool.Stats("max2"); busy != 0 || idle != 2 {
		t.Errorf("Stats = %d %d, want 0 busy 2 idle", busy, idle)
	}
}

func TestStopDuringInvoke(t *testing.T) {
	t.Parallel()
	p := New(Options{})
	if err := p.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	fn := goFn("inflight")
	errs := make(chan error, 1)
	go func() {
		_, err := p.Invoke(context.Background(), fn, &ferry.InvokeRequest{Payload: json.RawMessage(`{"op":"sleep","ms":30000}`)})
		errs <- err
	}()
	waitFor(t, "invoke in flight", func() bool { busy, _ := p.Stats("inflight"); return busy == 1 })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := p.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errs:
		if ferry.ErrorCode(err) != ferry.EUNAVAILABLE {
			t.Errorf("in-flight invoke: %v, want EUNAVAILABLE", err)
		}
	case <-ctx.Done():
		t.Fatal("in-flight invoke did not return after Stop")
	}
}

func TestClientContextAndTrace(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{})
	cc := base64.StdEncoding.EncodeToString([]byte(`{"custom":{"k":"v"}}`))
	req := &ferry.InvokeRequest{Payload: json.RawMessage(`{"op":"context"}`), ClientContext: cc, TraceID: "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1"}
	res, err := b.pool.Invoke(context.Background(), goFn("ctxfn"), req)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Custom map[string]string `json:"custom"`
		Trace  string            `json:"trace"`
	}
	if err := json.Unmarshal(res.Payload, &got); err != nil {
		t.Fatalf("payload %s: %v", res.Payload, err)
	}
	if got.Custom["k"] != "v" || got.Trace != req.TraceID {
		t.Errorf("function saw client context %v and trace %q", got.Custom, got.Trace)
	}
	// Without a trace id the runtime still receives one.
	got.Trace = ""
	json.Unmarshal(b.invoke(t, goFn("ctxfn"), `{"op":"context"}`).Payload, &got)
	if !strings.HasPrefix(got.Trace, "Root=1-") {
		t.Errorf("generated trace = %q, want Root=1-...", got.Trace)
	}
}

func TestMemorySizeIsEnforced(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{})
	fn := goFn("hungry")
	fn.Memory = 128
	res := b.invoke(t, fn, `{"op":"alloc","ms":300}`)
	if res.FunctionError != "Unhandled" || res.ErrorType != "Runtime.OutOfMemory" {
		t.Fatalf("result = %q %q %s, want Unhandled Runtime.OutOfMemory", res.FunctionError, res.ErrorType, res.Payload)
	}
	if want := "RequestId: " + res.RequestID + " Error: Runtime exited with error: signal: killed"; res.ErrorMessage != want {
		t.Errorf("message = %q, want %q", res.ErrorMessage, want)
	}
	if !strings.Contains(string(res.Logs), "Error Type: Runtime.OutOfMemory") {
		t.Errorf("logs lack the out-of-memory status:\n%s", res.Logs)
	}
	// Within its memory size the same function runs.
	if res := b.invoke(t, fn, `{"op":"alloc","ms":20}`); res.Failed() {
		t.Fatalf("20 MB in 128 MB: %q %s", res.ErrorType, res.Payload)
	}
}
