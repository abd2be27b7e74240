package main

import (
	"fmt"
	"io"
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

// stateText says where an invocation is: its outcome once final, else
// queued, paused, running, waiting for retry N at T, backing off until T.
func stateText(inv *ferry.Invocation) string {
	if inv.Done || inv.Cancelled {
		return outcomeOf(inv)
	}
	at := inv.NextAttempt.Local().Format("15:04:05.000")
	switch inv.State {
	case ferry.StateQueued:
		return "queued"
	case ferry.StatePaused:
		return "queued (function paused)"
	case ferry.StateRunning:
		if n := len(inv.Attempts); n > 0 {
			return fmt.Sprintf("running (retry %d)", n)
		}
		return "running"
	case ferry.StateRetryWait:
		return fmt.Sprintf("waiting for retry %d at %s", len(inv.Attempts), at)
	case ferry.StateBackoff:
		return fmt.Sprintf("throttled %dx, tried again at %s", inv.Throttles, at)
	case ferry.StateDelivering:
		return "delivering outcome (" + inv.Condition + ")"
	}
	return outcomeOf(inv)
}

func newInvocationsCommand() *cobra.Command {
	var (
		f        clientFlags
		out      outputFlag
		function string
		status   string
		limit    int
	)
	cmd := &cobra.Command{
		Use:   "invocations",
		Short: "List recent invocations, newest accepted first, pending ones with where they are",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			asJSON, err := out.json()
			if err != nil {
				return err
			}
			q := url.Values{"limit": {strconv.Itoa(limit)}}
			if function != "" {
				name, err := f.functionName(cmd.Context(), function)
				if err != nil {
					return err
				}
				q.Set("function", name)
			}
			if status != "" {
				q.Set("status", status)
			}
			var invs []ferry.Invocation
			if err := f.call(cmd.Context(), "GET", "/_ferry/api/invocations?"+q.Encode(), nil, &invs); err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), invs)
			}
			if len(invs) == 0 {
				fmt.Fprintln(cmd.OutOrStdout(), "no invocations")
				return nil
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "REQUEST ID\tFUNCTION\tTYPE\tACCEPTED\tATTEMPTS\tSTATUS")
			for i := range invs {
				inv := &invs[i]
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\n", inv.RequestID, inv.Function, inv.Type,
					inv.Accepted.Local().Format("2006-01-02 15:04:05.000"), len(inv.Attempts), stateText(inv))
			}
			return tw.Flush()
		},
	}
	f.register(cmd.Flags())
	out.register(cmd.Flags())
	cmd.Flags().StringVar(&function, "function", "", "only this function (its name or the stack's short name)")
	cmd.Flags().StringVar(&status, "status", "", "failed, succeeded or pending")
	cmd.Flags().IntVar(&limit, "limit", 50, "most invocations to list")
	return cmd
}

// traceHop is one hop of /_ferry/api/trace.
type traceHop struct {
	ferry.Invocation
	QueueDelayMs float64 `json:"queueDelayMs"`
	ColdStartMs  float64 `json:"coldStartMs"`
	RunMs        float64 `json:"runMs"`
}

// traceAnswer is /_ferry/api/trace.
type traceAnswer struct {
	RequestID string     `json:"requestId"`
	TraceID   string     `json:"traceId"`
	Hops      []traceHop `json:"hops"`
}

func newTraceCommand() *cobra.Command {
	var (
		f   clientFlags
		out outputFlag
	)
	cmd := &cobra.Command{
		Use:   "trace REQUEST_ID",
		Short: "Show the path an event took: every hop with where it is, queue delay, cold start, run time, attempts, logs and deliveries",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			asJSON, err := out.json()
			if err != nil {
				return err
			}
			var tr traceAnswer
			if err := f.call(cmd.Context(), "GET", "/_ferry/api/trace/"+url.PathEscape(args[0]), nil, &tr); err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), tr)
			}
			printTrace(cmd.OutOrStdout(), &tr, args[0])
			return nil
		},
	}
	f.register(cmd.Flags())
	out.register(cmd.Flags())
	return cmd
}

func printTrace(w io.Writer, tr *traceAnswer, focus string) {
	fmt.Fprintf(w, "trace %s (%d hops)\n", tr.TraceID, len(tr.Hops))
	for i, h := range tr.Hops {
		mark := " "
		if h.RequestID == focus {
			mark = "*"
		}
		fmt.Fprintf(w, "%s%d. %s %s  %s  accepted %s  -> %s\n", mark, i+1, h.Function, h.Type,
			h.RequestID, h.Accepted.Local().Format("15:04:05.000"), stateText(&h.Invocation))
		if len(h.Attempts) > 0 {
			cold := ""
			if h.ColdStartMs > 0 {
				cold = fmt.Sprintf(" (queue %.1f ms + cold start %.1f ms)", h.QueueDelayMs-h.ColdStartMs, h.ColdStartMs)
			}
			fmt.Fprintf(w, "     waited %.1f ms%s  ran %.1f ms\n", h.QueueDelayMs, cold, h.RunMs)
		}
		if h.RedriveOf != "" {
			fmt.Fprintf(w, "     redrive of %s\n", h.RedriveOf)
		}
		for j, a := range h.Attempts {
			res := "ok"
			if a.ErrorType != "" {
				res = a.ErrorType + ": " + a.ErrorMessage
			}
			fmt.Fprintf(w, "     attempt %d at %s, %v: %s\n", j+1, a.Start.Local().Format("15:04:05.000"), a.Duration.Round(time.Microsecond), res)
			for _, l := range strings.FieldsFunc(a.Logs, func(r rune) bool { return r == '\n' || r == '\r' }) {
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
			fmt.Fprintf(w, "     %s -> %s at %s: %s\n", d.Kind, d.Target, d.At.Local().Format("15:04:05.000"), res)
		}
	}
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
