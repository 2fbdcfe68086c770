package importer_test

import (
	"bytes"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/clearancehq/clearance/registry"
	"github.com/clearancehq/clearance/registry/boltstore"
	"github.com/clearancehq/clearance/registry/importer"
	"github.com/clearancehq/clearance/registry/postgres/pgtest"
)

// rows100k builds a JSON-lines file of 100,000 rows: one asset, then
// investors, each followed by a wallet and a whitelist entry.
func rows100k() []byte {
	var buf bytes.Buffer
	buf.WriteString(`{"kind":"asset","id":"IMP-1","ticker":"IMP","decimals":2,"params":{"require_whitelist":true}}` + "\n")
	rows := 1
	for i := 0; rows < 100_000; i++ {
		fmt.Fprintf(&buf, `{"kind":"investor","id":"inv-%07d","name":"Investor %d","status":"APPROVED","effective_from":"2026-01-01T00:00:00Z","kyc_expires_at":"2031-01-01T00:00:00Z","category":"ACCREDITED","jurisdiction":"CH","type":"INDIVIDUAL","active":true,"external_refs":{"kyc":"k-%d"}}`+"\n", i, i, i)
		fmt.Fprintf(&buf, `{"kind":"wallet","address":"0x%040x","investor_id":"inv-%07d","verified":true,"active":true}`+"\n", i+1, i)
		rows += 2
		if rows < 100_000 {
			fmt.Fprintf(&buf, `{"kind":"whitelist","asset_id":"IMP-1","investor_id":"inv-%07d"}`+"\n", i)
			rows++
		}
	}
	return buf.Bytes()
}

// BenchmarkImport100k imports 100,000 rows into an empty store; run with
// -benchtime=1x.
func BenchmarkImport100k(b *testing.B) {
	data := rows100k()
	stores := []struct {
		name string
		open func(b *testing.B) registry.Store
	}{
		{"bolt", func(b *testing.B) registry.Store {
			db, err := bolt.Open(filepath.Join(b.TempDir(), "imp.db"), 0o600, nil)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { db.Close() })
			s, err := boltstore.New(db, nil)
			if err != nil {
				b.Fatal(err)
			}
			return s
		}},
		{"postgres", func(b *testing.B) registry.Store { return pgtest.NewStore(b) }},
	}
	for _, st := range stores {
		b.Run(st.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				s := st.open(b)
				b.StartTimer()
				t0 := time.Now()
				res, err := importer.Import(b.Context(), s, bytes.NewReader(data), importer.Options{Change: change})
				if err != nil || res.Failed != 0 || res.Applied != 100_000 {
					b.Fatalf("import: %v %+v", err, res.Errors)
				}
				b.ReportMetric(100_000/time.Since(t0).Seconds(), "rows/s")
			}
		})
	}
}
