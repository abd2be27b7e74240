package sandbox

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/pyboot"
)

const pyHandler = `import json, logging, time
logger = logging.getLogger()
logger.setLevel(logging.INFO)

def ok(event, context):
    print("hello", event.get("n"))
    logger.info("info line")
    return {"n": event.get("n"), "rid": context.aws_request_id, "name": context.function_name,
            "version": context.function_version, "mem": context.memory_limit_in_mb,
            "arn": context.invoked_function_arn, "group": context.log_group_name,
            "remaining": context.get_remaining_time_in_millis()}

def fail(event, context):
    raise ValueError("bad input")

def slow(event, context):
    time.sleep(30)
`

// pyFn writes files into a fresh code folder and returns a python3.12 function.
func pyFn(t *testing.T, name, handler string, files map[string]string) *ferry.Function {
	t.Helper()
	dir := t.TempDir()
	for n, body := range files {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return &ferry.Function{Name: name, Runtime: "python3.12", Handler: handler, CodeDir: dir, Memory: 256,
		Timeout: 5 * time.Second, Modified: time.Unix(1_700_000_000, 0)}
}

func pySetup(t *testing.T) *bundle {
	t.Helper()
	entry, err := pyboot.Install(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	bin, _, err := pyboot.Resolve("python3")
	if err != nil {
		t.Fatal(err)
	}
	return setup(t, Options{PythonBootstrap: entry, PythonBinary: bin})
}

func TestPythonHandlerContextAndLogs(t *testing.T) {
	t.Parallel()
	b := pySetup(t)
	fn := pyFn(t, "pyok", "handler.ok", map[string]string{"handler.py": pyHandler})
	for _, n := range []int{1, 2} {
		res := b.invoke(t, fn, `{"n":`+string(rune('0'+n))+`}`)
		if res.Failed() {
			t.Fatalf("failed: %s %s\n%s", res.ErrorType, res.Payload, res.Logs)
		}
		var got map[string]any
		if err := json.Unmarshal(res.Payload, &got); err != nil {
			t.Fatal(err)
		}
		if got["n"] != float64(n) || got["rid"] != res.RequestID || got["name"] != "pyok" || got["version"] != "$LATEST" ||
			got["mem"] != "256" || got["group"] != "/aws/lambda/pyok" || !strings.HasSuffix(got["arn"].(string), ":function:pyok") {
			t.Errorf("context = %v", got)
		}
		if r := got["remaining"].(float64); r <= 3000 || r > 5000 {
			t.Errorf("remaining = %v ms, want within the 5 s timeout", r)
		}
		logs := string(res.Logs)
		if !strings.Contains(logs, "hello "+string(rune('0'+n))) {
			t.Errorf("print missing from this request's logs:\n%s", logs)
		}
		if strings.Contains(logs, "hello "+string(rune('0'+3-n))) {
			t.Errorf("another request's print in these logs:\n%s", logs)
		}
		found := false
		for _, l := range logLines(res) {
			if f := strings.Split(l, "\t"); len(f) == 4 && f[0] == "[INFO]" && strings.HasSuffix(f[1], "Z") && f[2] == res.RequestID && f[3] == "info line" {
				found = true
			}
		}
		if !found {
			t.Errorf("no `[INFO]\\t<time>Z\\t%s\\tinfo line` line:\n%s", res.RequestID, logs)
		}
	}
}

func TestPythonErrorPayload(t *testing.T) {
	t.Parallel()
	b := pySetup(t)
	fn := pyFn(t, "pyfail", "handler.fail", map[string]string{"handler.py": pyHandler})
	res := b.invoke(t, fn, `{}`)
	if res.FunctionError != "Unhandled" || res.ErrorType != "ValueError" || res.ErrorMessage != "bad input" {
		t.Fatalf("result = %q %q %q", res.FunctionError, res.ErrorType, res.ErrorMessage)
	}
	var doc struct {
		ErrorMessage, ErrorType, RequestID string
		StackTrace                         []string
	}
	if err := json.Unmarshal(res.Payload, &doc); err != nil {
		t.Fatalf("payload %s: %v", res.Payload, err)
	}
	if doc.ErrorType != "ValueError" || doc.ErrorMessage != "bad input" {
		t.Errorf("payload = %s", res.Payload)
	}
	want := `  File "` + filepath.Join(fn.CodeDir, "handler.py") + `", line 14, in fail` + "\n" + `    raise ValueError("bad input")` + "\n"
	if len(doc.StackTrace) != 1 || doc.StackTrace[0] != want {
		t.Errorf("stackTrace = %q, want last %q", doc.StackTrace, want)
	}
}

func TestPythonInitErrors(t *testing.T) {
	t.Parallel()
	b := pySetup(t)
	for _, c := range []struct{ handler, typ, msg string }{
		{"nomod.ok", "Runtime.ImportModuleError", "Unable to import module 'nomod': No module named 'nomod'"},
		{"handler.missing", "Runtime.HandlerNotFound", "Handler 'missing' missing on module 'handler'"},
		{"broken.ok", "Runtime.UserCodeSyntaxError", "Syntax error in module 'broken'"},
	} {
		fn := pyFn(t, "pyinit", c.handler, map[string]string{"handler.py": pyHandler, "broken.py": "def ok(:\n"})
		res, err := b.pool.Invoke(t.Context(), fn, &ferry.InvokeRequest{Function: fn.Name, Payload: json.RawMessage(`{}`)})
		if err != nil {
			t.Fatalf("%s: %v", c.handler, err)
		}
		if res.ErrorType != c.typ || !strings.HasPrefix(res.ErrorMessage, c.msg) {
			t.Errorf("%s: %q %q, want %q %q", c.handler, res.ErrorType, res.ErrorMessage, c.typ, c.msg)
		}
	}
}

func TestPythonTimeout(t *testing.T) {
	t.Parallel()
	b := pySetup(t)
	fn := pyFn(t, "pyslow", "handler.slow", map[string]string{"handler.py": pyHandler})
	fn.Timeout = 500 * time.Millisecond
	res := b.invoke(t, fn, `{}`)
	if res.ErrorType != "Sandbox.Timedout" {
		t.Fatalf("result = %q %q", res.ErrorType, res.ErrorMessage)
	}
}

func TestPythonLayerPathImport(t *testing.T) {
	t.Parallel()
	b := pySetup(t)
	// a package vendored in the function's folder resolves like boto3 installed there
	fn := pyFn(t, "pyvendor", "handler.go", map[string]string{"handler.py": "import vendored\ndef go(e, c):\n    return vendored.V\n"})
	if err := os.MkdirAll(filepath.Join(fn.CodeDir, "vendored"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(fn.CodeDir, "vendored", "__init__.py"), []byte("V = 'from task root'\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	res := b.invoke(t, fn, `{}`)
	if string(res.Payload) != `"from task root"` {
		t.Fatalf("payload = %s %s\n%s", res.Payload, res.ErrorMessage, res.Logs)
	}
}

func writeFile(path, body string) error { return os.WriteFile(path, []byte(body), 0o644) }
