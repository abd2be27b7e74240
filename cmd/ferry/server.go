package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
)

func newServerCommand() *cobra.Command {
	var f serverFlags
	cmd := &cobra.Command{
		Use:   "server",
		Short: "Run a Ferry server: the AWS APIs on --api, state in --data",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := f.config()
			if err != nil {
				return err
			}
			m := NewMain(cfg)
			if err := m.Run(cmd.Context()); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "ferry: AWS APIs on %s, dashboard %s/_ferry/, gateway %s (data in %s)\n",
				m.APIURL(), m.APIURL(), m.Gateway.URL(), cfg.DataDir)
			fmt.Fprintln(cmd.OutOrStdout(), "ferry:", clusterBanner(m))
			if b := natsBanner(m); b != "" {
				fmt.Fprintln(cmd.OutOrStdout(), "ferry:", b)
			}
			if b := pausedBanner(cmd.Context(), m); b != "" {
				fmt.Fprintln(cmd.OutOrStdout(), "ferry:", b)
			}
			<-cmd.Context().Done()
			ctx, cancel := context.WithTimeout(context.Background(), cfg.shutdownTimeout())
			defer cancel()
			return m.Close(ctx)
		},
	}
	f.register(cmd.Flags(), ".ferry")
	return cmd
}
