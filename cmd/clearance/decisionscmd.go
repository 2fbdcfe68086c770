package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/clearancehq/clearance/gateway/decisionlog"
)

func decisionsCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "decisions", Short: "Decision log tools"}
	f := &serveFlags{}
	verify := &cobra.Command{
		Use:   "verify",
		Short: "Verify the decision log's hash chain",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := openCLIStores(cmd, f)
			if err != nil {
				return err
			}
			defer st.Close()
			var sink decisionlog.Sink
			if st.pool != nil {
				sink = decisionlog.NewPGSink(st.pool)
			} else if sink, err = decisionlog.NewBoltSink(st.bolt); err != nil {
				return err
			}
			n, err := decisionlog.Verify(cmd.Context(), sink)
			if err != nil {
				return &codeError{exitError, fmt.Errorf("chain broken after %d entries: %w", n, err)}
			}
			fmt.Fprintf(e.stdout, "decision log OK: %d entries, chain intact\n", n)
			return nil
		},
	}
	bindCommonFlags(verify, f)
	cmd.AddCommand(verify)
	return cmd
}
