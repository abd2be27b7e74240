package sandbox

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/ferry-run/ferry"
)

const pyErrors = `def helper(x):
    raise KeyError(x)

def nested(event, context):
    return helper("missing")

def unmarshalable(event, context):
    return {1, 2}
`

// pyDoc is an error document with its keys in the order they came.
type pyDoc struct {
	keys  []string
	value map[string]any
}

func decodeDoc(t *testing.T, payload []byte) pyDoc {
	t.Helper()
	d := json.NewDecoder(strings.NewReader(string(payload)))
	var doc pyDoc
	if tok, err := d.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("payload %s is not an object", payload)
	}
	for d.More() {
		k, err := d.Token()
		if err != nil {
			t.Fatal(err)
		}
		var v any
		if err := d.Decode(&v); err != nil {
			t.Fatal(err)
		}
		doc.keys = append(doc.keys, k.(string))
	}
	if err := json.Unmarshal(payload, &doc.value); err != nil {
		t.Fatal(err)
	}
	return doc
}

// The error document of a Python function is exactly what AWS's Python
// runtime (awslambdaric) sends: errorMessage, errorType, requestId and
// stackTrace, in that order; stackTrace is traceback.format_list of the
// user's frames; runtime faults (marshal, init) carry a Runtime.* type and
// an empty stack trace, except a syntax error's one-line trace.
func TestPythonErrorDocumentMatchesAWS(t *testing.T) {
	t.Parallel()
	b := pySetup(t)
	files := map[string]string{"handler.py": pyErrors, "broken.py": "def ok(:\n    pass\n"}
	wantKeys := []string{"errorMessage", "errorType", "requestId", "stackTrace"}

	fn := pyFn(t, "pyerr", "handler.nested", files)
	file := filepath.Join(fn.CodeDir, "handler.py")
	res := b.invoke(t, fn, `{}`)
	doc := decodeDoc(t, res.Payload)
	want := map[string]any{
		"errorMessage": "'missing'", "errorType": "KeyError", "requestId": res.RequestID,
		"stackTrace": []any{
			`  File "` + file + `", line 5, in nested` + "\n" + `    return helper("missing")` + "\n",
			`  File "` + file + `", line 2, in helper` + "\n" + `    raise KeyError(x)` + "\n",
		},
	}
	if !reflect.DeepEqual(doc.keys, wantKeys) || !reflect.DeepEqual(doc.value, want) {
		t.Errorf("handler error:\n got %v %v\nwant %v %v", doc.keys, doc.value, wantKeys, want)
	}
	if res.FunctionError != ferry.FunctionErrorUnhandled || res.ErrorType != "KeyError" {
		t.Errorf("result %q %q", res.FunctionError, res.ErrorType)
	}
	// awslambdaric's log record: CR-joined lines, a Traceback header.
	if !strings.Contains(string(res.Logs), "[ERROR] KeyError: 'missing'\rTraceback (most recent call last):\r\u00a0\u00a0File \""+file+"\", line 5, in nested") {
		t.Errorf("log lacks the awslambdaric error record:\n%q", res.Logs)
	}

	fn = pyFn(t, "pymarshal", "handler.unmarshalable", files)
	res = b.invoke(t, fn, `{}`)
	doc = decodeDoc(t, res.Payload)
	want = map[string]any{"errorMessage": "Unable to marshal response: Object of type set is not JSON serializable",
		"errorType": "Runtime.MarshalError", "requestId": res.RequestID, "stackTrace": []any{}}
	if !reflect.DeepEqual(doc.keys, wantKeys) || !reflect.DeepEqual(doc.value, want) {
		t.Errorf("marshal error:\n got %v %v\nwant %v", doc.keys, doc.value, want)
	}

	for _, c := range []struct {
		handler, typ, msg string
		trace             []any
	}{
		{"nomod.ok", "Runtime.ImportModuleError", "Unable to import module 'nomod': No module named 'nomod'", []any{}},
		{"handler.missing", "Runtime.HandlerNotFound", "Handler 'missing' missing on module 'handler'", []any{}},
		{"nodot", "Runtime.MalformedHandlerName", "Bad handler 'nodot': not enough values to unpack (expected 2, got 1)", []any{}},
		{"sys.ok", "Runtime.BuiltInModuleConflict", "Cannot use built-in module sys as a handler module", []any{}},
		{"broken.ok", "Runtime.UserCodeSyntaxError", "", nil},
	} {
		fn := pyFn(t, "pyinit", c.handler, files)
		res := b.invoke(t, fn, `{}`)
		doc := decodeDoc(t, res.Payload)
		if !reflect.DeepEqual(doc.keys, wantKeys) || doc.value["errorType"] != c.typ || doc.value["requestId"] != "" {
			t.Errorf("%s: %v %s", c.handler, doc.keys, res.Payload)
			continue
		}
		if c.trace != nil {
			if doc.value["errorMessage"] != c.msg || !reflect.DeepEqual(doc.value["stackTrace"], c.trace) {
				t.Errorf("%s: %s, want message %q and stackTrace %v", c.handler, res.Payload, c.msg, c.trace)
			}
			continue
		}
		// A syntax error: the message names the module, the trace is
		// awslambdaric's one line '  File "<file>" Line <n>\n    <text>'.
		msg, _ := doc.value["errorMessage"].(string)
		tr, _ := doc.value["stackTrace"].([]any)
		wantTrace := `  File "` + filepath.Join(fn.CodeDir, "broken.py") + `" Line 1` + "\n    def ok(:\n"
		if !strings.HasPrefix(msg, "Syntax error in module 'broken': ") || len(tr) != 1 || tr[0] != wantTrace {
			t.Errorf("syntax error: %s, want trace %q", res.Payload, wantTrace)
		}
	}
}

// boto3 resolves as on AWS: from the function's folder first, then from a
// layer's python folder on the path (here through PYTHONPATH, as layers are
// outside the function's folder), before the interpreter's own. A tiny fake
// boto3 stands in for the real one.
func TestPythonBoto3Resolution(t *testing.T) {
	t.Parallel()
	b := pySetup(t)
	layer := filepath.Join(t.TempDir(), "python")
	fake := func(dir, version string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Join(dir, "boto3"), 0o755); err != nil {
			t.Fatal(err)
		}
		body := "__version__ = '" + version + "'\n\ndef client(name, **kw):\n    return {'service': name, 'from': __file__}\n"
		if err := os.WriteFile(filepath.Join(dir, "boto3", "__init__.py"), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	fake(layer, "layer")
	const handler = "import boto3\n\ndef go(event, context):\n    return {'version': boto3.__version__, 'client': boto3.client('sqs')['service']}\n"

	own := pyFn(t, "pyboto-own", "handler.go", map[string]string{"handler.py": handler})
	fake(own.CodeDir, "task")
	own.Env = map[string]string{"PYTHONPATH": layer}
	shared := pyFn(t, "pyboto-layer", "handler.go", map[string]string{"handler.py": handler})
	shared.Env = map[string]string{"PYTHONPATH": layer}
	for fn, want := range map[*ferry.Function]string{own: `{"version": "task", "client": "sqs"}`, shared: `{"version": "layer", "client": "sqs"}`} {
		res := b.invoke(t, fn, `{}`)
		if string(res.Payload) != want {
			t.Errorf("%s: %s %s, want %s", fn.Name, res.Payload, res.ErrorMessage, want)
		}
	}
}
