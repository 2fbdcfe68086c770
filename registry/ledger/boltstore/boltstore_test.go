package boltstore_test

import (
	"path/filepath"
	"testing"

	"go.etcd.io/bbolt"

	"github.com/clearancehq/clearance/registry/ledger"
	"github.com/clearancehq/clearance/registry/ledger/boltstore"
	"github.com/clearancehq/clearance/registry/ledger/ledgertest"
)

func newStore(t *testing.T) ledger.Store {
	db, err := bbolt.Open(filepath.Join(t.TempDir(), "ledger.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s, err := boltstore.New(db)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestConformance(t *testing.T) { ledgertest.Run(t, newStore) }
