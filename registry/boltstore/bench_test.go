package boltstore_test

import (
	"os"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/clearancehq/clearance/registry"
	"github.com/clearancehq/clearance/registry/boltstore"
	"github.com/clearancehq/clearance/registry/storetest"
)

// BenchmarkDecisionReads: see storetest.BenchDecisionReads. The 1M-wallet
// run is opt-in with CLEARANCE_BENCH_1M=1.
func BenchmarkDecisionReads(b *testing.B) {
	storetest.BenchDecisionReads(b, os.Getenv("CLEARANCE_BENCH_1M") == "1", func(b *testing.B) registry.Store {
		db, err := bolt.Open(filepath.Join(b.TempDir(), "bench.db"), 0o600, nil)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { db.Close() })
		s, err := boltstore.New(db, nil)
		if err != nil {
			b.Fatal(err)
		}
		return s
	})
}
