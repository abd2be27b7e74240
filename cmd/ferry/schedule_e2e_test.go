package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ferry-run/ferry/history"
	"github.com/ferry-run/ferry/stack"
)

// TestStackScheduleInvokesFunction: a serverless.yml schedule event runs
// its function with the EventBridge Scheduled Event (Ferry's clock scale
// makes a minute 60 ms).
func TestStackScheduleInvokesFunction(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	files := map[string]string{
		"serverless.yml": `service: ticker
provider:
  name: aws
  runtime: nodejs20.x
functions:
  tick:
    handler: index.tick
    events:
      - schedule: rate(1 minute)
`,
		"index.js": `exports.tick = async (e) => ({ source: e.source, type: e["detail-type"] });`,
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	st, _, err := stack.Load(dir, stack.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m := setup(t, 0.001)
	if err := m.Apply(context.Background(), st); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		invs, err := m.History.List(context.Background(), history.Filter{Function: "ticker-dev-tick", Status: history.StatusSucceeded})
		if err != nil {
			t.Fatal(err)
		}
		if len(invs) >= 2 {
			if got := string(invs[0].Response); got != `{"source":"aws.events","type":"Scheduled Event"}` {
				t.Fatalf("scheduled run answered %s", got)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d scheduled runs after 20 s", len(invs))
		}
		time.Sleep(20 * time.Millisecond)
	}
}
