package main

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/ferry-run/ferry"
)

// outcomeOf is a one-word summary of an invocation.
func outcomeOf(inv *ferry.Invocation) string {
	switch {
	case inv.Cancelled:
		return "Cancelled"
	case inv.Condition != "":
		return inv.Condition
	case !inv.Done:
		return "pending"
	case inv.FunctionError != "":
		return "Error"
	}
	return "Success"
}

func newInvocationsCommand() *cobra.Command {
	var (
		f        clientFlags
		function string
		status   string
		limit    int
	)
	cmd := &cobra.Command{
		Use:   "invocations",
		Short: "List recent invocations, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q := url.Values{"limit": {strconv.Itoa(limit)}}
			if function != "" {
				q.Set("function", function)
			}
			if status != "" {
				q.Set("status", status)
			}
			var invs []ferry.Invocation
			if err := f.call(cmd.Context(), "GET", "/_ferry/api/invocations?"+q.Encode(), nil, &invs); err != nil {
				return err
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "REQUEST ID\tFUNCTION\tTYPE\tACCEPTED\tATTEMPTS\tOUTCOME")
			for i := range invs {
				inv := &invs[i]
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\n", inv.RequestID, inv.Function, inv.Type,
					inv.Accepted.Format(time.RFC3339), len(inv.Attempts), outcomeOf(inv))
			}
			return tw.Flush()
		},
	}
	f.register(cmd.Flags())
	cmd.Flags().StringVar(&function, "function", "", "only this function")
	cmd.Flags().StringVar(&status, "status", "", "failed, succeeded or pending")
	cmd.Flags().IntVar(&limit, "limit", 50, "most invocations to list")
	return cmd
}

// traceHop is one hop of /_ferry/api/trace.
type traceHop struct {
	ferry.Invocation
	QueueDelayMs float64 `json:"queueDelayMs"`
	RunMs        float64 `json:"runMs"`
}

func newTraceCommand() *cobra.Command {
	var f clientFlags
	cmd := &cobra.Command{
		Use:   "trace REQUEST_ID",
		Short: "Show the path an event took: every hop with queue delay, run time, attempts, logs and deliveries",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var tr struct {
				RequestID string     `json:"requestId"`
				TraceID   string     `json:"traceId"`
				Hops      []traceHop `json:"hops"`
			}
			if err := f.call(cmd.Context(), "GET", "/_ferry/api/trace/"+url.PathEscape(args[0]), nil, &tr); err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "trace %s (%d hops)\n", tr.TraceID, len(tr.Hops))
			for i, h := range tr.Hops {
				mark := " "
				if h.RequestID == args[0] {
					mark = "*"
				}
				fmt.Fprintf(w, "%s%d. %s %s  %s  accepted %s  queued %.1f ms  ran %.1f ms  -> %s\n", mark, i+1, h.Function, h.Type,
					h.RequestID, h.Accepted.Format("15:04:05.000"), h.QueueDelayMs, h.RunMs, outcomeOf(&h.Invocation))
				if h.RedriveOf != "" {
					fmt.Fprintf(w, "     redrive of %s\n", h.RedriveOf)
				}
				for j, a := range h.Attempts {
					res := "ok"
					if a.ErrorType != "" {
						res = a.ErrorType + ": " + a.ErrorMessage
					}
					fmt.Fprintf(w, "     attempt %d at %s, %v: %s\n", j+1, a.Start.Format("15:04:05.000"), a.Duration.Round(time.Microsecond), res)
					for _, l := range strings.Split(strings.TrimRight(a.Logs, "\n"), "\n") {
						if l != "" {
							fmt.Fprintf(w, "       | %s\n", l)
						}
					}
				}
				for _, d := range h.Deliveries {
					res := "delivered"
					if d.Error != "" {
						res = "failed: " + d.Error
					}
					fmt.Fprintf(w, "     %s -> %s at %s: %s\n", d.Kind, d.Target, d.At.Format("15:04:05.000"), res)
				}
			}
			return nil
		},
	}
	f.register(cmd.Flags())
	return cmd
}

func newGraphCommand() *cobra.Command {
	var (
		f      clientFlags
		format string
	)
	cmd := &cobra.Command{
		Use:   "graph",
		Short: "Print the running stack as a Mermaid (default) or DOT drawing",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var s string
			if err := f.call(cmd.Context(), "GET", "/_ferry/control/graph?format="+url.QueryEscape(format), nil, &s); err != nil {
				return err
			}
			fmt.Fprint(cmd.OutOrStdout(), s)
			return nil
		},
	}
	f.register(cmd.Flags())
	cmd.Flags().StringVar(&format, "format", "mermaid", "mermaid or dot")
	return cmd
}
