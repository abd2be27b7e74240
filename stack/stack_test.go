package stack_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/stack"
)

var update = flag.Bool("update", false, "rewrite the expected.json golden files")

// golden is what a case's expected.json holds.
type golden struct {
	Stack    *stack.Stack `json:"stack"`
	Warnings []string     `json:"warnings"`
}

func setup(t *testing.T) stack.LoadOptions {
	t.Helper()
	env := map[string]string{"FERRY_TEST_ENV": "from-env"}
	return stack.LoadOptions{
		Env:     func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		Options: map[string]string{},
	}
}

// TestGolden loads every testdata/<case> folder and compares the stack and
// warnings with testdata/<case>/expected.json (go test -update rewrites them).
func TestGolden(t *testing.T) {
	t.Parallel()
	dirs, err := filepath.Glob("testdata/*")
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range dirs {
		if _, err := os.Stat(filepath.Join(dir, "expected.json")); err != nil && !*update || filepath.Base(dir) == "refused" {
			continue
		}
		t.Run(filepath.Base(dir), func(t *testing.T) {
			t.Parallel()
			opts := setup(t)
			st, warns, err := stack.Load(dir, opts)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			g := golden{Stack: st, Warnings: []string{}}
			for _, w := range warns {
				g.Warnings = append(g.Warnings, w.String())
			}
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			enc.SetIndent("", "  ")
			if err := enc.Encode(g); err != nil {
				t.Fatal(err)
			}
			abs, _ := filepath.Abs(dir)
			got := bytes.ReplaceAll(buf.Bytes(), []byte(abs), []byte("$DIR"))
			file := filepath.Join(dir, "expected.json")
			if *update {
				if err := os.WriteFile(file, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("stack differs from %s (run go test -update and review the diff):\n%s", file, got)
			}
		})
	}
}

// TestPaymentsStack checks the reference stack of DESIGN.md field by field,
// independently of the golden file.
func TestPaymentsStack(t *testing.T) {
	t.Parallel()
	opts := setup(t)
	opts.Account = "123456789012"
	st, warns, err := stack.Load("testdata/payments", opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(warns) != 0 {
		t.Errorf("warnings: %v", warns)
	}
	realm := ferry.Realm{Region: "us-east-1", Account: "123456789012"}
	fn, ok := st.Function("processPayment")
	if !ok {
		t.Fatal("no processPayment")
	}
	if got, want := fn.Name, "payments-dev-processPayment"; got != want {
		t.Errorf("name = %q, want %q", got, want)
	}
	if fn.Async.MaximumRetryAttempts == nil || *fn.Async.MaximumRetryAttempts != 0 {
		t.Errorf("retries = %v, want 0", fn.Async.MaximumRetryAttempts)
	}
	if got, want := fn.Async.MaximumEventAge.Seconds(), 60.0; got != want {
		t.Errorf("max event age = %v, want %v", got, want)
	}
	if got, want := fn.Async.OnSuccess, realm.QueueARN("paymentsNotification"); got != want {
		t.Errorf("onSuccess = %q, want %q", got, want)
	}
	if got, want := fn.Async.OnFailure, realm.QueueARN("paymentsDLQ"); got != want {
		t.Errorf("onFailure = %q, want %q", got, want)
	}
	if got, want := fn.Env["TOPIC_ARN"], realm.TopicARN("payments"); got != want {
		t.Errorf("TOPIC_ARN = %q, want %q", got, want)
	}
	cust, _ := st.Function("notifyCustomer")
	if got, want := cust.Env["QUEUE_URL"], "http://localhost:4566/123456789012/paymentsNotification"; got != want {
		t.Errorf("QUEUE_URL = %q, want %q", got, want)
	}
	wantSub := stack.Subscription{Topic: realm.TopicARN("payments"), Protocol: "lambda", Endpoint: realm.FunctionARN("payments-dev-processPayment")}
	if len(st.Subscriptions) != 1 || st.Subscriptions[0] != wantSub {
		t.Errorf("subscriptions = %+v, want [%+v]", st.Subscriptions, wantSub)
	}
	wantTriggers := []stack.QueueTrigger{
		{Queue: realm.QueueARN("paymentsNotification"), Function: "payments-dev-notifyCustomer", BatchSize: 1, Enabled: true},
		{Queue: realm.QueueARN("paymentsDLQ"), Function: "payments-dev-notifyPaymentsTeam", BatchSize: 1, Enabled: true},
	}
	if len(st.Triggers) != 2 || st.Triggers[0] != wantTriggers[0] || st.Triggers[1] != wantTriggers[1] {
		t.Errorf("triggers = %+v, want %+v", st.Triggers, wantTriggers)
	}
	if len(st.Routes) != 1 || st.Routes[0].Proxy == nil {
		t.Fatalf("routes = %+v, want one service proxy", st.Routes)
	}
	r := st.Routes[0]
	if r.Method != "POST" || r.Path != "/payments" || r.Proxy.Kind != "sns" || r.Proxy.Target != realm.TopicARN("payments") {
		t.Errorf("route = %+v %+v", r, r.Proxy)
	}
	tmpl := r.Proxy.RequestTemplates["application/json"]
	if want := "arn:aws:sns:us-east-1:123456789012:payments"; !strings.Contains(tmpl, want) {
		t.Errorf("request template %q does not contain %q", tmpl, want)
	}
}
