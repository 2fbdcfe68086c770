package boltstore_test

import (
	"path/filepath"
	"testing"

	"go.etcd.io/bbolt"

	"github.com/clearancehq/clearance/screening/cases"
	"github.com/clearancehq/clearance/screening/cases/boltstore"
	"github.com/clearancehq/clearance/screening/cases/casestest"
)

func TestConformance(t *testing.T) {
	casestest.Run(t, func(t *testing.T) cases.Store {
		db, err := bbolt.Open(filepath.Join(t.TempDir(), "c.db"), 0o600, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = db.Close() })
		s, err := boltstore.New(db)
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}
