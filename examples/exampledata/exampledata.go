package exampledata

import (
	"context"
	"embed"
	"fmt"
	"io/fs"

	"github.com/clearancehq/clearance/registry"
	"github.com/clearancehq/clearance/registry/importer"
)

//go:embed *.jsonl *.yaml
var files embed.FS

// RegistryFile is the name of the registry seed in FS.
const RegistryFile = "registry.jsonl"

// LedgerFile is the name of the reference ledger seed in FS.
const LedgerFile = "ledger.yaml"

// FS returns the embedded example files.
func FS() fs.FS { return files }

// SeedRegistry imports registry.jsonl into store in one transaction, with
// change actor c.Actor (default "example-seed"). Rows already present with
// the same content are left unchanged.
func SeedRegistry(ctx context.Context, store registry.Store, c registry.Change) (importer.Result, error) {
	if c.Actor == "" {
		c.Actor = "example-seed"
	}
	if c.Reason == "" {
		c.Reason = "example data"
	}
	f, err := files.Open(RegistryFile)
	if err != nil {
		return importer.Result{}, fmt.Errorf("exampledata: %w", err)
	}
	defer f.Close()
	res, err := importer.Import(ctx, store, f, importer.Options{Format: importer.FormatJSONL, Atomic: true, Change: c})
	if err != nil {
		return res, fmt.Errorf("exampledata: seed registry: %w", err)
	}
	return res, nil
}
