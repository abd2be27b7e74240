package main

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ferry-run/ferry"
)

// tailAsync follows an async invocation until its outcome is final: each
// attempt's log lines go to stderr as the attempt ends, and every change of
// where the event is (queued, running, waiting for a retry) is said once.
// A failure outcome ends with exit status 2, like a failed sync invoke.
func tailAsync(cmd *cobra.Command, f *clientFlags, id string) error {
	ctx, errw := cmd.Context(), cmd.ErrOrStderr()
	shownAttempts, lastState := 0, ""
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		var inv ferry.Invocation
		err := f.call(ctx, "GET", "/_ferry/api/invocations/"+url.PathEscape(id), nil, &inv)
		if err != nil && !strings.Contains(err.Error(), "not found") {
			return err
		}
		if err == nil {
			for ; shownAttempts < len(inv.Attempts); shownAttempts++ {
				fmt.Fprint(recordBreaks{errw}, inv.Attempts[shownAttempts].Logs)
			}
			if st := stateText(&inv); st != lastState && !inv.Done {
				fmt.Fprintf(errw, "ferry: %s: %s\n", id, st)
				lastState = st
			}
			if inv.Done {
				fmt.Fprintf(errw, "ferry: %s: %s\n", id, stateText(&inv))
				if len(inv.Response) > 0 {
					fmt.Fprintln(cmd.OutOrStdout(), string(inv.Response))
				}
				if inv.Cancelled || inv.Condition != "" && inv.Condition != ferry.ConditionSuccess {
					return &exitError{code: 2, msg: fmt.Sprintf("async invocation %s: %s", id, outcomeOf(&inv))}
				}
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}
