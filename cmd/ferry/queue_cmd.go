package main

import (
	"fmt"
	"net/url"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/control"
)

func newQueueCommand() *cobra.Command {
	var (
		f   clientFlags
		out outputFlag
	)
	cmd := &cobra.Command{
		Use:   "queue",
		Short: "Inspect and control a function's async event queue",
	}
	list := &cobra.Command{
		Use:   "list FUNCTION",
		Short: "List queued, running and waiting async events with age and attempts",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			asJSON, err := out.json()
			if err != nil {
				return err
			}
			name, err := f.functionName(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			var res struct {
				Function string          `json:"function"`
				Paused   bool            `json:"paused"`
				Events   []control.Event `json:"events"`
			}
			if err := f.call(cmd.Context(), "GET", "/_ferry/control/functions/"+url.PathEscape(name)+"/events", nil, &res); err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), res)
			}
			if res.Paused {
				fmt.Fprintf(cmd.OutOrStdout(), "%s: async processing is paused (ferry queue resume %s)\n", name, args[0])
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "REQUEST ID\tSTATE\tAGE\tATTEMPTS\tTHROTTLES")
			for _, e := range res.Events {
				inv := ferry.Invocation{State: e.State, NextAttempt: e.NextAttempt, Attempts: make([]ferry.Attempt, e.Attempts), Throttles: e.Throttles}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\n", e.RequestID, stateText(&inv), e.Age, e.Attempts, e.Throttles)
			}
			return tw.Flush()
		},
	}
	// simple is a command acting on a function's queue, printing what the
	// server answered as a sentence (text) or as is (json).
	simple := func(use, short, method, suffix string, nargs int, say func(name string, args []string, res map[string]any) string) *cobra.Command {
		return &cobra.Command{
			Use: use, Short: short, Args: cobra.ExactArgs(nargs),
			RunE: func(cmd *cobra.Command, args []string) error {
				asJSON, err := out.json()
				if err != nil {
					return err
				}
				name, err := f.functionName(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				path := "/_ferry/control/functions/" + url.PathEscape(name) + suffix
				if nargs == 2 {
					path += "/" + url.PathEscape(args[1])
				}
				var res map[string]any
				if err := f.call(cmd.Context(), method, path, nil, &res); err != nil {
					return err
				}
				if asJSON {
					return printJSON(cmd.OutOrStdout(), res)
				}
				fmt.Fprintln(cmd.OutOrStdout(), say(name, args, res))
				return nil
			},
		}
	}
	cmd.AddCommand(list,
		simple("cancel FUNCTION REQUEST_ID", "Remove one queued or running event (it will not run again)", "DELETE", "/events", 2,
			func(name string, args []string, _ map[string]any) string {
				return fmt.Sprintf("%s: event %s cancelled; it will not run", name, args[1])
			}),
		simple("purge FUNCTION", "Remove every queued and running event of the function", "POST", "/purge", 1,
			func(name string, _ []string, res map[string]any) string {
				return fmt.Sprintf("%s: %v queued events removed", name, res["purged"])
			}),
		simple("pause FUNCTION", "Stop running the function's async events (they keep being accepted)", "POST", "/pause", 1,
			func(name string, args []string, _ map[string]any) string {
				return fmt.Sprintf("%s: paused; its async events are kept, not run, until `ferry queue resume %s` (also across restarts)", name, args[0])
			}),
		simple("resume FUNCTION", "Run the function's async events again", "POST", "/resume", 1,
			func(name string, _ []string, _ map[string]any) string {
				return fmt.Sprintf("%s: resumed; its queued async events run again", name)
			}),
	)
	f.register(cmd.PersistentFlags())
	out.register(cmd.PersistentFlags())
	return cmd
}
