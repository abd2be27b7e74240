// Command payfn is an aws-lambda-go function for Ferry's end-to-end tests:
// it pays an amount, fails when asked, sleeps, or exits.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

type payment struct {
	ID      string `json:"id"`
	Amount  int    `json:"amount"`
	Fail    bool   `json:"fail"`
	SleepMs int    `json:"sleepMs"`
	Exit    bool   `json:"exit"`
}

type receipt struct {
	ID        string `json:"id"`
	Paid      int    `json:"paid"`
	RequestID string `json:"requestId"`
}

func handle(ctx context.Context, p payment) (*receipt, error) {
	lc, _ := lambdacontext.FromContext(ctx)
	fmt.Println("paying", p.ID)
	time.Sleep(time.Duration(p.SleepMs) * time.Millisecond)
	if p.Exit {
		os.Exit(3)
	}
	if p.Fail {
		return nil, errors.New("card declined for " + p.ID)
	}
	return &receipt{ID: p.ID, Paid: p.Amount, RequestID: lc.AwsRequestID}, nil
}

func main() {
	if os.Getenv("PAYFN_BROKEN_INIT") != "" {
		fmt.Fprintln(os.Stderr, "missing configuration")
		os.Exit(1)
	}
	lambda.Start(handle)
}
