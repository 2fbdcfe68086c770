// Command clearance-bench measures Clearance side by side with
// `opa run --server` on the same Rego pack and the same facts, and writes
// docs/benchmarks.md and a latency plot. scripts/bench.sh (make bench) is
// the one command that builds everything and runs it; see docs/benchmarks.md.
//
// Subcommands:
//
//	run       the whole comparison (registries, servers, gate, trials, report)
//	registry  write a generated registry (JSON lines) of N wallets to stdout
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
