package main

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/ferry-run/ferry/control"
)

func newRedriveCommand() *cobra.Command {
	var (
		f            clientFlags
		output       outputFlag
		req          control.RedriveRequest
		since, until string
	)
	cmd := &cobra.Command{
		Use:   "redrive --function F [--since T] [--until T] [--error-type X] [--dry-run]",
		Short: "Invoke failed async invocations again with fresh attempts, each linked to the original",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			asJSON, err := output.json()
			if err != nil {
				return err
			}
			for _, t := range []struct {
				flag, s string
				to      *time.Time
			}{{"--since", since, &req.Since}, {"--until", until, &req.Until}} {
				if t.s == "" {
					continue
				}
				v, err := parseWhen(t.s)
				if err != nil {
					return fmt.Errorf("%s: %w", t.flag, err)
				}
				*t.to = v
			}
			if req.Function, err = f.functionName(cmd.Context(), req.Function); err != nil {
				return err
			}
			var out struct {
				DryRun      bool               `json:"dryRun"`
				Invocations []control.Redriven `json:"invocations"`
			}
			if err := f.call(cmd.Context(), "POST", "/_ferry/control/redrive", req, &out); err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), out)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "REQUEST ID\tACCEPTED\tCONDITION\tERROR TYPE\tNEW REQUEST ID")
			for _, r := range out.Invocations {
				next := r.NewID
				if out.DryRun {
					next = "(dry run)"
				} else if r.Error != "" {
					next = "failed: " + r.Error
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.RequestID, r.Accepted.Format(time.RFC3339), r.Condition, r.ErrorType, next)
			}
			return tw.Flush()
		},
	}
	f.register(cmd.Flags())
	output.register(cmd.Flags())
	cmd.Flags().StringVar(&req.Function, "function", "", "function whose failed async invocations to redrive (required)")
	cmd.Flags().StringVar(&since, "since", "", "only invocations accepted at or after this time (RFC 3339, or a duration ago like 1h)")
	cmd.Flags().StringVar(&until, "until", "", "only invocations accepted at or before this time (RFC 3339, or a duration ago)")
	cmd.Flags().StringVar(&req.ErrorType, "error-type", "", "only invocations whose last error has this type")
	cmd.Flags().BoolVar(&req.DryRun, "dry-run", false, "list what would be redriven, change nothing")
	cmd.Flags().IntVar(&req.Limit, "limit", 1000, "most invocations to consider")
	_ = cmd.MarkFlagRequired("function")
	return cmd
}

// parseWhen reads an RFC 3339 time or a duration before now.
func parseWhen(s string) (time.Time, error) {
	if d, err := time.ParseDuration(s); err == nil {
		return time.Now().Add(-d), nil
	}
	return time.Parse(time.RFC3339, s)
}
