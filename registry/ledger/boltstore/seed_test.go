package boltstore_test

import (
	"context"
	"path/filepath"
	"testing"

	"go.etcd.io/bbolt"

	"github.com/clearancehq/clearance/examples/exampledata"
	"github.com/clearancehq/clearance/registry"
	regbolt "github.com/clearancehq/clearance/registry/boltstore"
	"github.com/clearancehq/clearance/registry/ledger"
	"github.com/clearancehq/clearance/registry/ledger/ledgertest"
)

func TestSeedFromYAML(t *testing.T) {
	ctx := context.Background()
	db, err := bbolt.Open(filepath.Join(t.TempDir(), "r.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	reg, err := regbolt.New(db, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := exampledata.SeedRegistry(ctx, reg, registry.Change{}); err != nil {
		t.Fatal(err)
	}
	l, err := ledger.New(newStore(t), reg, ledgertest.NewClearer(), ledger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := ledger.SeedFromYAML(ctx, l, exampledata.FS()); err != nil {
			t.Fatal(err)
		}
	}
	b, err := l.Buckets(ctx, "BOND-2030")
	if err != nil {
		t.Fatal(err)
	}
	if b.Total != 10000000 || b.Distributed != 3500000 {
		t.Errorf("BOND-2030 after seeding twice: %+v", b)
	}
}
