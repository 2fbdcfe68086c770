package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/clearancehq/clearance/registry"
	"github.com/clearancehq/clearance/registry/importer"
)

func registryCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "registry", Short: "Registry administration: migrations, bulk import and export"}
	cmd.AddCommand(registryMigrateCmd(e), registryImportCmd(e), registryExportCmd(e))
	return cmd
}

func registryMigrateCmd(e *env) *cobra.Command {
	f := &serveFlags{}
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Apply the PostgreSQL migrations of every component (idempotent)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := LoadConfig(f.config, os.Environ())
			if err != nil {
				return &codeError{exitUsage, err}
			}
			if cmd.Flags().Changed("postgres-dsn") {
				cfg.PostgresDSN = f.dsn
			}
			if cfg.PostgresDSN == "" {
				return &codeError{exitUsage, fmt.Errorf("--postgres-dsn (or CLEARANCE_POSTGRES_DSN) is required")}
			}
			pool, err := pgxpool.New(cmd.Context(), cfg.PostgresDSN)
			if err != nil {
				return err
			}
			defer pool.Close()
			if err := migrateAll(cmd.Context(), pool); err != nil {
				return err
			}
			fmt.Fprintln(e.stdout, "migrations applied")
			return nil
		},
	}
	cmd.Flags().StringVar(&f.config, "config", os.Getenv("CLEARANCE_CONFIG"), "config file (YAML)")
	cmd.Flags().StringVar(&f.dsn, "postgres-dsn", "", "PostgreSQL DSN")
	return cmd
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func registryImportCmd(e *env) *cobra.Command {
	f := &serveFlags{}
	var atomic bool
	var format, actor, reason string
	cmd := &cobra.Command{
		Use:   "import FILE",
		Short: "Import investors, wallets and whitelist entries from CSV or JSON lines",
		Long: `Import investors, wallets and whitelist entries (and assets) from CSV or JSON
lines. Each bad row is reported with its line number; the valid rows are
applied, or nothing at all with --atomic. Re-importing the same file is a
no-op. A progress bar shows on a terminal.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := openCLIStores(cmd, f)
			if err != nil {
				return err
			}
			defer st.Close()
			opts := importer.Options{Format: format, Atomic: atomic, Change: registry.Change{Actor: actor, Reason: reason}}
			var bar *progressbar.ProgressBar
			if isTerminal(e.stderr) {
				opts.Progress = func(done, total int) {
					if bar == nil {
						bar = progressbar.NewOptions(total, progressbar.OptionSetWriter(e.stderr), progressbar.OptionSetDescription("importing"),
							progressbar.OptionShowCount(), progressbar.OptionThrottle(100_000_000))
					}
					_ = bar.Set(done)
				}
			}
			res, err := importer.ImportFile(cmd.Context(), st.reg, args[0], opts)
			if bar != nil {
				_ = bar.Finish()
				fmt.Fprintln(e.stderr)
			}
			if err != nil && len(res.Errors) == 0 {
				return err
			}
			w := bufio.NewWriter(e.stderr)
			for _, re := range res.Errors {
				fmt.Fprintf(w, "%s: %s\n", args[0], re.Error())
			}
			w.Flush()
			fmt.Fprintf(e.stdout, "rows: %d  applied: %d  unchanged: %d  failed: %d\n", res.Total, res.Applied, res.Unchanged, res.Failed)
			if err != nil {
				return &codeError{exitError, fmt.Errorf("nothing applied (--atomic): %w", err)}
			}
			if res.Failed > 0 {
				return &codeError{exitError, fmt.Errorf("%d rows failed", res.Failed)}
			}
			return nil
		},
	}
	bindCommonFlags(cmd, f)
	cmd.Flags().BoolVar(&atomic, "atomic", false, "apply all rows or none")
	cmd.Flags().StringVar(&format, "format", "", "csv or jsonl (default: from the file extension)")
	cmd.Flags().StringVar(&actor, "actor", envOr("USER", "cli"), "actor recorded on every change")
	cmd.Flags().StringVar(&reason, "reason", "bulk import", "reason recorded on every change")
	return cmd
}

func registryExportCmd(e *env) *cobra.Command {
	f := &serveFlags{}
	var format, out string
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Export the registry in the import format (JSON lines or CSV)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := openCLIStores(cmd, f)
			if err != nil {
				return err
			}
			defer st.Close()
			var w io.Writer = e.stdout
			if out != "" && out != "-" {
				fh, err := os.Create(out)
				if err != nil {
					return err
				}
				defer fh.Close()
				w = fh
				if format == "" && strings.HasSuffix(out, ".csv") {
					format = importer.FormatCSV
				}
			}
			if format == "" {
				format = importer.FormatJSONL
			}
			bw := bufio.NewWriter(w)
			if err := importer.Export(cmd.Context(), st.reg, bw, format); err != nil {
				return err
			}
			return bw.Flush()
		},
	}
	bindCommonFlags(cmd, f)
	cmd.Flags().StringVar(&format, "format", "", "jsonl (default) or csv")
	cmd.Flags().StringVarP(&out, "output", "o", "-", "output file")
	return cmd
}

// contextTimeout derives a context with a timeout from the command's.
func contextTimeout(cmd *cobra.Command, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(cmd.Context(), d)
}
