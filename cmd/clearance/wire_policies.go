package main

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"

	"github.com/clearancehq/clearance/gateway"
	gatewayv1 "github.com/clearancehq/clearance/gateway/gen/gateway/v1"
	"github.com/clearancehq/clearance/policies"
	"github.com/clearancehq/clearance/policies/library"
	"github.com/clearancehq/clearance/policies/source"
)

// buildPolicies compiles the shipped packs, or a policy directory that a
// Watcher then keeps reloading (compile, run the pack's tests, swap).
func buildPolicies(ctx context.Context, cfg Config, logger *slog.Logger, reg prometheus.Registerer) (policies.Engine, gateway.PolicyStatusFunc, *source.Watcher, error) {
	fsys, err := engineFS(library.FS(), cfg.PolicyEngines)
	if err != nil {
		return nil, nil, nil, err
	}
	dir := "(shipped packs, " + cfg.PolicyEngines + ")"
	if cfg.PolicyDir != "" {
		fsys, dir = osDirFS(cfg.PolicyDir), cfg.PolicyDir
		// The first load must pass the pack's own tests too.
		if rep, err := source.Test(ctx, fsys); err != nil {
			for _, f := range rep.Failures {
				logger.Error("policy test failed", "failure", f.String())
			}
			return nil, nil, nil, fmt.Errorf("policies in %s: %w", cfg.PolicyDir, err)
		}
	}
	b, err := source.Compile(ctx, fsys)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("policies in %s: %w", dir, err)
	}
	live := source.NewLive(b)
	logger.Info("policies loaded", "dir", dir, "revision", b.Revision())
	var w *source.Watcher
	if cfg.PolicyDir != "" {
		w, err = source.NewWatcher(cfg.PolicyDir, live, source.WithInterval(cfg.PolicyPoll), source.WithLogger(logger.With("component", "policy-watcher")), source.WithRegisterer(reg))
		if err != nil {
			return nil, nil, nil, err
		}
	}
	status := func() *gatewayv1.PolicyStatus {
		cur := live.Current()
		out := &gatewayv1.PolicyStatus{Revision: cur.Revision(), LoadedAt: cur.LoadedAt().UTC().Format(time.RFC3339), Directory: dir}
		if w != nil {
			s := w.Status()
			out.LastError, out.ReloadsOk, out.ReloadsFailed = s.LastError, s.Reloads, s.Failures
			if !s.LastErrorAt.IsZero() {
				out.LastErrorAt = s.LastErrorAt.UTC().Format(time.RFC3339)
			}
		}
		return out
	}
	return liveEngine{live}, status, w, nil
}

func policyCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "policy", Short: "Policy authoring tools: test and lint a policy directory offline"}
	cmd.AddCommand(&cobra.Command{
		Use:   "test DIR",
		Short: "Compile a policy directory and run its Rego unit tests and golden cases",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			rep, err := source.Test(cmd.Context(), osDirFS(args[0]))
			for _, f := range rep.Failures {
				fmt.Fprintln(e.stdout, "FAIL", f.String())
			}
			fmt.Fprintf(e.stdout, "revision %s\nrego tests: %d passed, %d failed\ngolden cases: %d passed, %d failed\n",
				rep.Revision, rep.Rego.Passed, rep.Rego.Failed, rep.Golden.Passed, rep.Golden.Failed)
			if err != nil {
				return &codeError{exitError, err}
			}
			return nil
		},
	}, &cobra.Command{
		Use:   "lint DIR",
		Short: "Check a policy directory strictly (Rego strict mode, CEL types, declared reason codes)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			issues, err := source.Lint(cmd.Context(), osDirFS(args[0]))
			for _, i := range issues {
				fmt.Fprintln(e.stdout, i.String())
			}
			if err != nil {
				return &codeError{exitError, fmt.Errorf("%d issue(s)", len(issues))}
			}
			fmt.Fprintln(e.stdout, "no issues")
			return nil
		},
	})
	return cmd
}

// engineFS selects which engines' files of the shipped packs are loaded:
// "rego" (the Rego pack; CEL still evaluates assets' inline conditions),
// "cel" (the CEL port) or "both" (both evaluated, reasons merged).
func engineFS(fsys fs.FS, engines string) (fs.FS, error) {
	switch engines {
	case "both":
		return fsys, nil
	case "rego":
		return filterFS{fsys, func(p string) bool { return !strings.HasPrefix(p, "cel/") && p != "cel" }}, nil
	case "cel":
		return filterFS{fsys, func(p string) bool { return !strings.HasSuffix(p, ".rego") }}, nil
	}
	return nil, fmt.Errorf("policy_engines: must be rego, cel or both, not %q", engines)
}

// filterFS hides the paths keep rejects.
type filterFS struct {
	fs.FS
	keep func(path string) bool
}

func (f filterFS) Open(name string) (fs.File, error) {
	if name != "." && !f.keep(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return f.FS.Open(name)
}

func (f filterFS) ReadDir(name string) ([]fs.DirEntry, error) {
	es, err := fs.ReadDir(f.FS, name)
	if err != nil {
		return nil, err
	}
	out := es[:0]
	for _, e := range es {
		p := e.Name()
		if name != "." {
			p = path.Join(name, p)
		}
		if f.keep(p) {
			out = append(out, e)
		}
	}
	return out, nil
}
