package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/clearancehq/clearance/screening"
	"github.com/clearancehq/clearance/screening/sources"
)

func screeningCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "screening", Short: "Sanctions lists: load, check and screen"}
	var dir string
	load := &cobra.Command{
		Use:   "load FILE...",
		Short: "Parse list files and, if they all parse, install them into the lists directory",
		Long: `Parse sanctions list files (OFAC sdn.csv, alt.csv, add.csv, sdn_comments.csv;
UN and EU consolidated XML). If every file parses, they are installed
atomically into --lists-dir, where a gateway with screening.refresh set picks
them up (and rescreens every holder). A file that fails to parse installs
nothing: the lists in force stay in force.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			svc, err := screening.NewService(screening.Options{Parse: sources.Parse})
			if err != nil {
				return err
			}
			files, err := screening.ReadFiles(args...)
			if err != nil {
				return err
			}
			set, err := svc.Load(cmd.Context(), files...)
			if err != nil {
				return &codeError{exitError, fmt.Errorf("lists not installed: %w", err)}
			}
			fmt.Fprintf(e.stdout, "version %s  sha256 %s\n", set.Version, set.SHA256)
			for l, n := range set.Counts {
				fmt.Fprintf(e.stdout, "  %-12s %d entries\n", l, n)
			}
			if dir == "" {
				fmt.Fprintln(e.stdout, "parsed OK (no --lists-dir given: nothing installed)")
				return nil
			}
			if err := installLists(cmd.Context(), dir, args); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "installed into %s\n", dir)
			return nil
		},
	}
	load.Flags().StringVar(&dir, "lists-dir", "", "lists directory a gateway refreshes from")
	var name, dob, nat, reg string
	screen := &cobra.Command{
		Use:   "screen",
		Short: "Screen one name against the bundled or given lists and print every match with its score and fields",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			svc, err := screening.NewService(screening.Options{Parse: sources.Parse})
			if err != nil {
				return err
			}
			if dir != "" {
				_, err = svc.RefreshDir(cmd.Context(), dir)
			} else {
				var files []screening.SourceFile
				if files, err = embeddedListsDefault(); err == nil {
					_, err = svc.Load(cmd.Context(), files...)
				}
			}
			if err != nil {
				return err
			}
			ms, set, err := svc.Screen(cmd.Context(), screening.Party{Name: name, DateOfBirth: dob, Nationality: nat, RegistrationNumber: reg})
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "list version %s: %d match(es)\n", set.Version, len(ms))
			for _, m := range ms {
				fmt.Fprintf(e.stdout, "  %-10s %.3f  %s\n", m.Tier, m.Score, m.Explain())
			}
			return nil
		},
	}
	screen.Flags().StringVar(&dir, "lists-dir", "", "lists directory (default: the bundled OFAC snapshot)")
	screen.Flags().StringVar(&name, "name", "", "name to screen")
	screen.Flags().StringVar(&dob, "dob", "", "date of birth YYYY-MM-DD")
	screen.Flags().StringVar(&nat, "nationality", "", "nationality")
	screen.Flags().StringVar(&reg, "id", "", "registration, passport or national ID number")
	cmd.AddCommand(load, screen)
	return cmd
}

// installLists copies files into dir through temp names and renames, so a
// refreshing gateway never sees a half-written file.
func installLists(_ context.Context, dir string, files []string) error {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	var tmps []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		tmp := filepath.Join(dir, "."+filepath.Base(f)+".tmp")
		if err := os.WriteFile(tmp, b, 0o640); err != nil {
			return err
		}
		tmps = append(tmps, tmp)
	}
	for _, tmp := range tmps {
		final := filepath.Join(dir, strings.TrimSuffix(strings.TrimPrefix(filepath.Base(tmp), "."), ".tmp"))
		if err := os.Rename(tmp, final); err != nil {
			return err
		}
	}
	return nil
}
