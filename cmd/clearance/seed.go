package main

import (
	"context"
	"io/fs"
	"log/slog"
	"os"

	"github.com/clearancehq/clearance/examples/exampledata"
	"github.com/clearancehq/clearance/registry/ledger"
)

func osDirFS(dir string) fs.FS { return os.DirFS(dir) }

// seedLedger applies the example ledger operations (idempotent: every
// operation carries an idempotency key, so a restart applies nothing twice).
func seedLedger(ctx context.Context, led *ledger.Ledger, logger *slog.Logger) error {
	if err := ledger.SeedFromYAML(ctx, led, exampledata.FS()); err != nil {
		return err
	}
	logger.Info("reference ledger seeded with the example operations")
	return nil
}
