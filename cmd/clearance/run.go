package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// Exit codes of the CLI.
const (
	exitOK     = 0
	exitError  = 1
	exitUsage  = 2
	exitDeny   = 3
	exitReview = 4
)

// exitError carries a specific exit code out of a command.
type codeError struct {
	code int
	err  error
}

func (e *codeError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := newRoot(stdin, stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	var ce *codeError
	if errors.As(err, &ce) {
		if ce.err != nil {
			fmt.Fprintln(stderr, "clearance:", ce.err)
		}
		return ce.code
	}
	fmt.Fprintln(stderr, "clearance:", err)
	return exitError
}

type env struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

func newRoot(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr}
	root := &cobra.Command{
		Use:           "clearance",
		Short:         "Clearance: a compliance gateway for tokenized real-world assets",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetIn(stdin)
	root.AddCommand(
		serveCmd(e),
		checkCmd(e),
		versionCmd(e),
		policyCmd(e),
		registryCmd(e),
		decisionsCmd(e),
		screeningCmd(e),
		sidecarCmd(e),
	)
	return root
}

// Version is set with -ldflags "-X main.Version=..."; otherwise it comes
// from the module build info.
var Version = ""

func versionString() string {
	v := Version
	if v == "" {
		if bi, ok := debug.ReadBuildInfo(); ok {
			v = bi.Main.Version
			for _, s := range bi.Settings {
				if s.Key == "vcs.revision" && len(s.Value) >= 12 {
					v += " (" + s.Value[:12] + ")"
				}
			}
		}
	}
	if v == "" {
		v = "(devel)"
	}
	return v
}

func versionCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintf(e.stdout, "clearance %s\n", versionString())
			return nil
		},
	}
}
