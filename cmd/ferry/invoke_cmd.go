package main

import (
	"encoding/base64"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/spf13/cobra"
)

func readAll(r io.Reader) ([]byte, error) { return io.ReadAll(r) }

func newInvokeCommand() *cobra.Command {
	var (
		f     clientFlags
		async bool
		tail  bool
	)
	cmd := &cobra.Command{
		Use: "invoke FUNCTION [payload|@file|-]",
		Long: `invoke calls a function through the Lambda API. FUNCTION is its name, or the short name
a stack file gives it (processPayment for payments-dev-processPayment).`,
		Short: "Invoke a function, synchronously (prints the response) or with --async (prints the request id)",
		Args:  cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			payload := []byte("{}")
			if len(args) == 2 {
				var err error
				if payload, err = argBody(args[1]); err != nil {
					return err
				}
			}
			name, err := f.functionName(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			in := &lambda.InvokeInput{FunctionName: aws.String(name), Payload: payload}
			if async {
				in.InvocationType = types.InvocationTypeEvent
			} else if tail {
				in.LogType = types.LogTypeTail
			}
			out, err := f.lambda().Invoke(cmd.Context(), in)
			if err != nil {
				return err
			}
			id, _ := awsmiddleware.GetRequestIDMetadata(out.ResultMetadata)
			if async {
				fmt.Fprintln(cmd.OutOrStdout(), id)
				if tail {
					return tailAsync(cmd, &f, id)
				}
				return nil
			}
			if tail {
				logs, _ := base64.StdEncoding.DecodeString(aws.ToString(out.LogResult))
				fmt.Fprint(recordBreaks{cmd.ErrOrStderr()}, string(logs))
			}
			fmt.Fprintln(cmd.OutOrStdout(), string(out.Payload))
			if out.FunctionError != nil {
				return &exitError{code: 2, msg: fmt.Sprintf("function error (%s), request %s", aws.ToString(out.FunctionError), id)}
			}
			return nil
		},
	}
	f.register(cmd.Flags())
	cmd.Flags().BoolVar(&async, "async", false, "invoke asynchronously (InvocationType Event)")
	cmd.Flags().BoolVar(&tail, "tail", false, "print the invocation's log tail on stderr (with --async: wait for the outcome, printing each attempt's logs)")
	return cmd
}
