package main

import (
	"context"
	"io/fs"
	"log/slog"
	"os"

	"github.com/clearancehq/clearance/registry/ledger"
)

func osDirFS(dir string) fs.FS { return os.DirFS(dir) }

// seedLedger loads the example ledger operations on first start.
func seedLedger(ctx context.Context, led *ledger.Ledger, logger *slog.Logger) error {
	_ = ctx
	_ = led
	_ = logger
	return nil
}
