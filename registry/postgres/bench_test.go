package postgres_test

import (
	"os"
	"testing"

	"github.com/clearancehq/clearance/registry"
	"github.com/clearancehq/clearance/registry/postgres/pgtest"
	"github.com/clearancehq/clearance/registry/storetest"
)

// BenchmarkDecisionReads: see storetest.BenchDecisionReads. The 1M-wallet
// run is opt-in with CLEARANCE_BENCH_1M=1.
func BenchmarkDecisionReads(b *testing.B) {
	storetest.BenchDecisionReads(b, os.Getenv("CLEARANCE_BENCH_1M") == "1", func(b *testing.B) registry.Store {
		return pgtest.NewStore(b)
	})
}
