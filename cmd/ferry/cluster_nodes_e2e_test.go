package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/ferry-run/ferry/gateway"
	"github.com/ferry-run/ferry/internal/natscluster"
	"github.com/ferry-run/ferry/natsjs"
)

// TestClusterNodesAgree runs two Ferry servers on a JetStream cluster: a
// function, a queue and a route made on one are served by the other within
// a second, and /metrics labels each node's series with its node and gives
// the cluster totals of both.
func TestClusterNodesAgree(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cl := natscluster.Start(t, 3)
	creds := cl.CredentialsFile()
	node := func(i int, name string) *Main {
		return setupWith(t, Config{NATSURL: cl.URL(i), NATSAuth: natsjs.AuthConfig{CredentialsFile: creds}, NodeName: name, ClockScale: 0.01})
	}
	a, b := node(0, "node-a"), node(1, "node-b")
	la, lb := lambdaClient(a), lambdaClient(b)

	createFunction(t, la, nodeFn("pay"))
	took := eventually(t, time.Second, "function made on A seen on B", func() error {
		_, err := lb.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("pay")})
		return err
	})
	t.Logf("function seen on B after %v", took.Round(time.Millisecond))

	createQueue(t, a, "orders")
	sb := sqs.New(sqs.Options{Region: "us-east-1", BaseEndpoint: aws.String(b.APIURL()), Credentials: adminCreds, RetryMaxAttempts: 1})
	took = eventually(t, time.Second, "queue made on A seen on B", func() error {
		_, err := sb.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("orders")})
		return err
	})
	t.Logf("queue seen on B after %v", took.Round(time.Millisecond))

	route := gateway.Route{Kind: gateway.KindHTTPAPI, Method: "POST", Path: "/pay", Function: "pay"}
	if err := a.setRoutes([]gateway.Route{route}); err != nil {
		t.Fatal(err)
	}
	took = eventually(t, time.Second, "route set on A served by B", func() error {
		if r := b.routes(); len(r) != 1 || r[0].Path != "/pay" || r[0].Function != "pay" {
			return fmt.Errorf("B's routes: %+v", r)
		}
		return nil
	})
	t.Logf("route served by B after %v", took.Round(time.Millisecond))

	// Metrics: 2 runs on A, 3 on B.
	for range 2 {
		invokeSync(t, la, "pay", pay(false))
	}
	for range 3 {
		invokeSync(t, lb, "pay", pay(false))
	}
	if got := scrape(t, a)[`ferry_Invocations{function="pay",node="node-a"}`]; got != 2 {
		t.Errorf("A's own invocations %v, want 2", got)
	}
	if got := scrape(t, b)[`ferry_Invocations{function="pay",node="node-b"}`]; got != 3 {
		t.Errorf("B's own invocations %v, want 3", got)
	}
	// Each node saves its totals every few seconds; the cluster view sums
	// this node's live counters and the others' saved ones.
	took = eventually(t, 2*defaultTotalsInterval, "cluster totals on both nodes", func() error {
		for _, m := range []*Main{a, b} {
			if got := scrape(t, m)[`ferry_cluster_Invocations{function="pay"}`]; got != 5 {
				return fmt.Errorf("%s: ferry_cluster_Invocations %v, want 5", m.Config.NodeName, got)
			}
		}
		return nil
	})
	t.Logf("cluster totals complete after %v", took.Round(time.Millisecond))
}
