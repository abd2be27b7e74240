package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

// TestEngineConnectionRecovers makes the embedded server drop Ferry's own
// connection with a fatal protocol error (a publish to a 5000-character
// subject exceeds its control line limit): the connection reconnects, the
// async engine invokes functions again, and /healthz answers 200 (or 503
// while it reconnects, never stuck).
func TestEngineConnectionRecovers(t *testing.T) {
	t.Parallel()
	m := setup(t, 0.001)
	lc := lambdaClient(m)
	createFunction(t, lc, nodeFn("pay"))
	q := createQueue(t, m, "paid")
	putDestinations(t, lc, "pay", 0, q, "")
	invokeAsync(t, lc, "pay", map[string]any{"id": "before"})
	receiveOne(t, m, "paid", 10*time.Second)

	nc := m.Engine.Conn()
	reconnects := nc.Stats().Reconnects
	if err := nc.Publish(strings.Repeat("x", 5000), []byte("boom")); err != nil {
		t.Fatal(err)
	}
	statuses := map[int]bool{}
	eventually(t, 5*time.Second, "engine reconnect", func() error {
		statuses[httpStatus(t, m.APIURL()+"/healthz")] = true
		if nc.IsClosed() {
			t.Fatal("the engine connection was closed for good")
		}
		if nc.Stats().Reconnects == reconnects {
			return errors.New("not reconnected yet")
		}
		return nil
	})
	eventually(t, 5*time.Second, "/healthz after reconnect", func() error {
		if got := httpStatus(t, m.APIURL()+"/healthz"); got != 200 {
			return fmt.Errorf("healthz %d", got)
		}
		return nil
	})
	for s := range statuses {
		if s != 200 && s != 503 {
			t.Errorf("/healthz answered %d while reconnecting", s)
		}
	}

	id := invokeAsync(t, lc, "pay", map[string]any{"id": "after", "amount": 7})
	msg := receiveOne(t, m, "paid", 15*time.Second)
	if got := path(record(t, msg.Body), "requestContext", "requestId"); got != id {
		t.Fatalf("record for %v, want %s", got, id)
	}
	out, err := lc.Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String("pay"), Payload: []byte(`{"id":"sync","amount":2}`)})
	if err != nil {
		t.Fatal(err)
	}
	var res map[string]any
	if err := json.Unmarshal(out.Payload, &res); err != nil || res["paid"] != float64(2) {
		t.Fatalf("sync invoke after reconnect: %s (%v)", out.Payload, err)
	}
}
