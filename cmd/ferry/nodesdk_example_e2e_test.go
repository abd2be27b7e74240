package main

import (
	"net/http"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestUpRunsTheNodeSDKExample runs `ferry up examples/node-sdk`: a POST to
// /orders runs placeOrder, whose unbundled AWS SDK v3 clients (Ferry's)
// send to the queue, publish to the topic, put an event on the bus and
// invoke audit asynchronously; each one is seen at the other end, in the
// log of the function it triggers.
func TestUpRunsTheNodeSDKExample(t *testing.T) {
	t.Parallel()
	if installedNodeSDK() == "" {
		t.Fatal("the AWS SDK for Node.js is not installed: run `go run ./cmd/ferry runtime install node-sdk` (.ci/run does)")
	}
	dir := t.TempDir()
	copyDir(t, "../../examples/node-sdk", dir)
	p := startUp(t, buildFerry(t), dir)
	p.waitLine(t, regexp.MustCompile(`ferry: orders \(serverless.yml, stage dev\) is up`), 60*time.Second)
	resp, err := http.Post("http://"+p.gateway+"/orders", "application/json", strings.NewReader(`{"id":"o-42"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 202 {
		t.Fatalf("POST /orders: %s; output:\n%s", resp.Status, strings.Join(p.output(), "\n"))
	}
	for fn, how := range map[string]string{"fulfil": "from the queue", "notify": "from the topic",
		"analytics": "from the bus, OrderPlaced", "audit": "by async invoke"} {
		p.waitLine(t, regexp.MustCompile(`^orders-dev-`+fn+` [0-9a-f-]{36} .*\t`+fn+`: order o-42 `+how+`$`), 20*time.Second)
	}
	for _, l := range p.output() {
		if strings.Contains(l, "differs from SQSClient resolved endpoint") {
			t.Errorf("the queue URL's host is not the functions' endpoint: %s", l)
		}
	}
	_ = p.cmd.Process.Signal(syscall.SIGINT)
	<-p.done
}
