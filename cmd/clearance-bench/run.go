package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"
)

// config holds the flags of `clearance-bench run`.
type config struct {
	Repo         string
	DocsRepo     string
	Clearance    string
	OPA          string
	Work         string
	Out          string
	SVG          string
	MicroBench   string
	Profile      string
	ProfileOps   int
	GitSHA       string
	Rounds       int
	OpenRounds   int
	Trial        time.Duration
	Warmup       time.Duration
	Wallets      int
	BigWallets   int
	Pin          bool
	SUTCPU       string
	QuietWait    time.Duration
	Seed         uint64
	MixSize      int
	Budget       time.Duration
	RegistryMemo string
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: clearance-bench run|registry [flags]")
		return 2
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	switch args[0] {
	case "registry":
		fs := flag.NewFlagSet("registry", flag.ContinueOnError)
		fs.SetOutput(stderr)
		wallets := fs.Int("wallets", 10_000, "generated wallets")
		seed := fs.Uint64("seed", 1, "generator seed")
		example := fs.String("example", "examples/exampledata/registry.jsonl", "example registry rows to prepend")
		if err := fs.Parse(args[1:]); err != nil {
			return 2
		}
		ex, err := os.ReadFile(*example)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		if _, err := writeRegistry(stdout, ex, *wallets, *seed); err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		return 0
	case "run":
		cfg, err := parseRun(args[1:], stderr)
		if err != nil {
			return 2
		}
		if err := runBench(ctx, cfg, logger); err != nil {
			logger.Error("benchmark failed", "err", err)
			return 1
		}
		return 0
	}
	fmt.Fprintf(stderr, "unknown subcommand %q\n", args[0])
	return 2
}

func parseRun(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.Repo, "repo", ".", "repository root")
	fs.StringVar(&c.DocsRepo, "docs-repo", "", "repository whose docs/bench/*.md are included (default -repo)")
	fs.StringVar(&c.Clearance, "clearance", "", "clearance binary")
	fs.StringVar(&c.OPA, "opa", "", "opa binary")
	fs.StringVar(&c.Work, "work", "", "scratch directory (data dirs, logs)")
	fs.StringVar(&c.Out, "out", "docs/benchmarks.md", "report to write")
	fs.StringVar(&c.SVG, "svg", "docs/benchmarks-latency.svg", "latency plot to write")
	fs.StringVar(&c.MicroBench, "micro", "", "go test -bench output to include (optional)")
	fs.StringVar(&c.Profile, "profile", "", "`go tool pprof -top -cum` output of BenchmarkCheckGRPC/rego (optional)")
	fs.IntVar(&c.ProfileOps, "profile-ops", 2000, "checks the profile covers")
	fs.StringVar(&c.GitSHA, "git-sha", "", "commit measured")
	fs.IntVar(&c.Rounds, "rounds", 3, "closed-loop rounds")
	fs.IntVar(&c.OpenRounds, "open-rounds", 2, "open-loop rounds")
	fs.DurationVar(&c.Trial, "trial", 2*time.Second, "measured time per trial")
	fs.DurationVar(&c.Warmup, "warmup", 500*time.Millisecond, "warm-up per trial")
	fs.IntVar(&c.Wallets, "wallets", 10_000, "wallets of the main registry")
	fs.IntVar(&c.BigWallets, "big-wallets", 100_000, "wallets of the large registry (0 skips it)")
	fs.BoolVar(&c.Pin, "pin", true, "pin servers to -sut-cpu and this process to the other CPUs (taskset)")
	fs.StringVar(&c.SUTCPU, "sut-cpu", "1", "CPU list for the servers when pinned")
	fs.DurationVar(&c.QuietWait, "quiet-wait", 8*time.Second, "longest wait for a quiet machine before each round")
	fs.Uint64Var(&c.Seed, "seed", 1, "generator seed")
	fs.IntVar(&c.MixSize, "mix", 1000, "requests in the uniform mix")
	fs.DurationVar(&c.Budget, "budget", 12*time.Minute, "stop adding rounds past this much time")
	fs.StringVar(&c.RegistryMemo, "registry-cache", "", "directory keeping imported registries between runs (optional)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if c.Clearance == "" || c.OPA == "" || c.Work == "" {
		fmt.Fprintln(stderr, "run: -clearance, -opa and -work are required")
		return c, errors.New("missing flags")
	}
	if c.DocsRepo == "" {
		c.DocsRepo = c.Repo
	}
	for _, p := range []*string{&c.DocsRepo, &c.Clearance, &c.OPA, &c.Work, &c.Out, &c.SVG, &c.Repo} {
		if a, err := filepath.Abs(*p); err == nil {
			*p = a
		}
	}
	return c, nil
}
