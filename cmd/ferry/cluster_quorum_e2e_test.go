package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/ferry-run/ferry/internal/natscluster"
)

// readyz answers the node's /readyz status code.
func readyz(api string) (int, error) {
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get("http://" + api + "/readyz")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}

// TestClusterQuorumLoss runs a Ferry server on a 3-server JetStream cluster
// and shuts two NATS servers down: /readyz answers 503 and an async invoke
// is refused with 503 ServiceException (never a 202 for an event that is not
// stored). When the servers come back the node is ready again by itself
// and accepts events.
func TestClusterQuorumLoss(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cl := natscluster.Start(t, 3)
	n, _ := startClusterNode(t, t.TempDir(), freePort(t), cl.URL(0), cl.CredentialsFile())
	createFunction(t, n.lambda(), nodeFn("pay"))
	qurl := n.queueURL(t, "orders")
	invoke := func() (int, error) {
		rctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		defer cancel()
		out, err := n.lambda().Invoke(rctx, &lambda.InvokeInput{FunctionName: aws.String("pay"),
			InvocationType: types.InvocationTypeEvent, Payload: []byte(`{}`)})
		if err != nil {
			return 0, err
		}
		return int(out.StatusCode), nil
	}
	if code, err := readyz(n.api); code != 200 {
		t.Fatalf("/readyz before: %d %v", code, err)
	}
	if code, err := invoke(); code != 202 {
		t.Fatalf("invoke before: %d %v", code, err)
	}

	cl.Stop(1)
	cl.Stop(2)
	took := eventually(t, 15*time.Second, "/readyz 503 without a quorum", func() error {
		if code, err := readyz(n.api); code != 503 {
			return fmt.Errorf("/readyz %d %v", code, err)
		}
		return nil
	})
	t.Logf("/readyz 503 %v after the quorum was lost", took.Round(time.Millisecond))
	t0 := time.Now()
	code, err := invoke()
	var re *smithyhttp.ResponseError
	var ae smithy.APIError
	if code == 202 || !errors.As(err, &re) || re.HTTPStatusCode() != 503 || !errors.As(err, &ae) || ae.ErrorCode() != "ServiceException" {
		t.Fatalf("invoke without a quorum: %d %v; want 503 ServiceException", code, err)
	}
	t.Logf("invoke refused in %v: %v", time.Since(t0).Round(time.Millisecond), ae.ErrorMessage())
	sctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	_, err = n.sqs().SendMessage(sctx, &sqs.SendMessageInput{QueueUrl: aws.String(qurl), MessageBody: aws.String("x")})
	cancel()
	if !errors.As(err, &re) || re.HTTPStatusCode() != 503 {
		t.Fatalf("SendMessage without a quorum: %v; want a 503", err)
	}

	cl.Restart(1)
	cl.Restart(2)
	took = eventually(t, 30*time.Second, "/readyz 200 and an accepted invoke once the quorum is back", func() error {
		if code, err := readyz(n.api); code != 200 {
			return fmt.Errorf("/readyz %d %v", code, err)
		}
		if code, err := invoke(); code != 202 {
			return fmt.Errorf("invoke %d %v", code, err)
		}
		return nil
	})
	t.Logf("ready and accepting %v after the servers restarted", took.Round(time.Millisecond))
}
