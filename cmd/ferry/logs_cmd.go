package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"github.com/spf13/cobra"
)

func newLogsCommand() *cobra.Command {
	var (
		f      clientFlags
		follow bool
		lines  int
	)
	cmd := &cobra.Command{
		Use:   "logs FUNCTION",
		Short: "Print a function's recent log lines; -f keeps following new ones",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name, err := f.functionName(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			q := url.Values{"function": {name}, "lines": {strconv.Itoa(lines)}}
			if follow {
				q.Set("follow", "1")
			}
			req, err := http.NewRequestWithContext(cmd.Context(), http.MethodGet, f.endpoint+"/_ferry/logs?"+q.Encode(), nil)
			if err != nil {
				return err
			}
			req.SetBasicAuth(f.accessKey, f.secretKey)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b, _ := io.ReadAll(resp.Body)
				return fmt.Errorf("logs: %s: %s", resp.Status, b)
			}
			_, err = io.Copy(recordBreaks{cmd.OutOrStdout()}, resp.Body)
			if cmd.Context().Err() != nil {
				return nil
			}
			return err
		},
	}
	f.register(cmd.Flags())
	cmd.Flags().BoolVarP(&follow, "follow", "f", false, "keep printing new lines")
	cmd.Flags().IntVar(&lines, "lines", 100, "how many recent lines to print first")
	return cmd
}

// recordBreaks writes log text with the line breaks inside a record shown
// as such: a function's runtime writes one record per console call, its
// own line breaks as \r (as on AWS), which a terminal would draw over the
// record's start. Continuation lines are indented under the record.
type recordBreaks struct{ w io.Writer }

func (r recordBreaks) Write(b []byte) (int, error) {
	if _, err := r.w.Write(bytes.ReplaceAll(b, []byte("\r"), []byte(continuation))); err != nil {
		return 0, err
	}
	return len(b), nil
}

// continuation starts the second and later lines of one log record.
const continuation = "\n    "
