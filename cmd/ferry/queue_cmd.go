package main

import (
	"context"
	"fmt"
	"net/url"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/ferry-run/ferry/control"
)

func newQueueCommand() *cobra.Command {
	var f clientFlags
	cmd := &cobra.Command{
		Use:   "queue",
		Short: "Inspect and control a function's async event queue",
	}
	fnPath := func(ctx context.Context, fn string) string {
		return "/_ferry/control/functions/" + url.PathEscape(f.functionName(ctx, fn))
	}
	list := &cobra.Command{
		Use:   "list FUNCTION",
		Short: "List queued and running async events with age and attempts",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var out struct {
				Paused bool            `json:"paused"`
				Events []control.Event `json:"events"`
			}
			if err := f.call(cmd.Context(), "GET", fnPath(cmd.Context(), args[0])+"/events", nil, &out); err != nil {
				return err
			}
			if out.Paused {
				fmt.Fprintf(cmd.OutOrStdout(), "%s: async processing is paused\n", args[0])
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "REQUEST ID\tSTATE\tAGE\tATTEMPTS\tTHROTTLES")
			for _, e := range out.Events {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\n", e.RequestID, e.State, e.Age, e.Attempts, e.Throttles)
			}
			return tw.Flush()
		},
	}
	simple := func(use, short, method, suffix string, nargs int) *cobra.Command {
		return &cobra.Command{
			Use: use, Short: short, Args: cobra.ExactArgs(nargs),
			RunE: func(cmd *cobra.Command, args []string) error {
				path := fnPath(cmd.Context(), args[0]) + suffix
				if nargs == 2 {
					path += "/" + url.PathEscape(args[1])
				}
				var out map[string]any
				if err := f.call(cmd.Context(), method, path, nil, &out); err != nil {
					return err
				}
				fmt.Fprintln(cmd.OutOrStdout(), out)
				return nil
			},
		}
	}
	cmd.AddCommand(list,
		simple("cancel FUNCTION REQUEST_ID", "Remove one queued or running event (it will not run again)", "DELETE", "/events", 2),
		simple("purge FUNCTION", "Remove every queued and running event of the function", "POST", "/purge", 1),
		simple("pause FUNCTION", "Stop running the function's async events (they keep being accepted)", "POST", "/pause", 1),
		simple("resume FUNCTION", "Run the function's async events again", "POST", "/resume", 1),
	)
	f.register(cmd.PersistentFlags())
	return cmd
}
