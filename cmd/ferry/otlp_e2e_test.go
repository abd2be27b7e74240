package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ferry-run/ferry/otlp"
)

// TestOTLPExportOfAPaymentsPath: with --otlp-endpoint, the spans of one
// payment's hops reach a collector under one trace id.
func TestOTLPExportOfAPaymentsPath(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var bodies []string
	col := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, string(b))
		mu.Unlock()
	}))
	defer col.Close()
	m := setupWith(t, Config{ClockScale: 0.001, OTLPEndpoint: col.URL})
	c := lambdaClient(m)
	createFunction(t, c, nodeFn("pay"))
	createFunction(t, c, fnSpec{name: "notify", runtime: "nodejs20.x", handler: "index.handler",
		zip: zipFiles(map[string]string{"index.js": `exports.handler = async () => "ok";`}, 0o644)})
	putDestinations(t, c, "pay", 0, "arn:aws:lambda:us-east-1:000000000000:function:notify", "")
	id := invokeAsync(t, c, "pay", pay(false))
	inv := waitDone(t, m, id)
	trace, ok := otlp.TraceIDHex(inv.TraceID)
	if !ok {
		t.Fatalf("invocation trace id %q", inv.TraceID)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		mu.Lock()
		all := strings.Join(bodies, "\n")
		mu.Unlock()
		if strings.Count(all, `"traceId":"`+trace+`"`) >= 2 {
			for _, name := range []string{`"name":"pay"`, `"name":"notify"`} {
				if !strings.Contains(all, name) {
					t.Fatalf("no span %s in %s", name, all)
				}
			}
			var req map[string]any
			if err := json.Unmarshal([]byte(strings.Split(all, "\n")[0]), &req); err != nil {
				t.Fatalf("collector got invalid JSON: %v", err)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("spans of trace %s not exported; got:\n%s", trace, all)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
