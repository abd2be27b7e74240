// Command testfn is an aws-lambda-go function used by the sandbox tests. The
// event's "op" field selects its behaviour.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

type event struct {
	Op    string   `json:"op"`
	Value string   `json:"value"`
	Ms    int      `json:"ms"`
	Env   []string `json:"env"`
}

type reply struct {
	Op       string            `json:"op"`
	Value    string            `json:"value,omitempty"`
	Pid      int               `json:"pid"`
	Env      map[string]string `json:"env,omitempty"`
	ARN      string            `json:"arn,omitempty"`
	Deadline int64             `json:"deadlineMs,omitempty"`
	Custom   map[string]string `json:"custom,omitempty"`
	Trace    string            `json:"trace,omitempty"`
}

func handle(ctx context.Context, e event) (any, error) {
	r := reply{Op: e.Op, Value: e.Value, Pid: os.Getpid()}
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		r.ARN = lc.InvokedFunctionArn
	}
	if d, ok := ctx.Deadline(); ok {
		r.Deadline = d.UnixMilli()
	}
	switch e.Op {
	case "echo":
	case "context":
		if lc, ok := lambdacontext.FromContext(ctx); ok {
			r.Custom = lc.ClientContext.Custom
		}
		r.Trace = os.Getenv("_X_AMZN_TRACE_ID")
	case "print":
		fmt.Println("hello from stdout", e.Value)
		fmt.Fprintln(os.Stderr, "hello from stderr", e.Value)
	case "env":
		r.Env = map[string]string{}
		for _, k := range e.Env {
			r.Env[k] = os.Getenv(k)
		}
	case "error":
		return nil, errors.New("boom " + e.Value)
	case "panic":
		panic("kaboom")
	case "sleep":
		time.Sleep(time.Duration(e.Ms) * time.Millisecond)
	case "exit":
		os.Exit(2)
	case "alloc": // hold Ms megabytes for a second
		b := make([]byte, e.Ms<<20)
		for i := range b {
			b[i] = 1
		}
		time.Sleep(time.Second)
		r.Value = strconv.Itoa(len(b) >> 20)
	case "raw":
		return strings.NewReader(e.Value), nil
	default:
		return nil, fmt.Errorf("unknown op %q", e.Op)
	}
	return r, nil
}

func main() {
	fmt.Println("init line", os.Getenv("TESTFN_INIT_MARK"))
	if os.Getenv("TESTFN_INIT_EXIT") != "" {
		os.Exit(1)
	}
	lambda.Start(handle)
}
