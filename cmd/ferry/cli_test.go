package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// runCLI runs the ferry command line in-process and returns its output.
func runCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := newRootCommand()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := cmd.ExecuteContext(ctx)
	return out.String(), err
}

func TestCLIInvokeAndLogs(t *testing.T) {
	t.Parallel()
	m := setup(t, 0.001)
	createFunction(t, lambdaClient(m), nodeFn("pay"))
	ep := "--endpoint=" + m.APIURL()

	out, err := runCLI(t, "invoke", ep, "pay", `{"id":"cli","amount":3}`)
	if err != nil || !strings.Contains(out, `"paid":3`) {
		t.Fatalf("invoke: %v\n%s", err, out)
	}
	out, err = runCLI(t, "invoke", ep, "pay", `{"id":"cli","fail":true}`)
	if ee, ok := err.(*exitError); !ok || ee.code != 2 || !strings.Contains(out, "card declined for cli") {
		t.Fatalf("failing invoke: %v\n%s", err, out)
	}
	out, err = runCLI(t, "invoke", ep, "--async", "pay", `{"id":"cli-async","amount":4}`)
	if err != nil || len(strings.TrimSpace(out)) != 36 {
		t.Fatalf("async invoke: %v\n%s", err, out)
	}
	id := strings.TrimSpace(out)
	waitDone(t, m, id)
	out, err = runCLI(t, "logs", ep, "pay")
	if err != nil || !strings.Contains(out, "paying cli-async") || !strings.Contains(out, " pay "+id+" ") {
		t.Fatalf("logs: %v\n%s", err, out)
	}
	if _, err := runCLI(t, "invoke", ep, "missing"); err == nil || !strings.Contains(err.Error(), "ResourceNotFoundException") {
		t.Fatalf("unknown function: %v", err)
	}
}
