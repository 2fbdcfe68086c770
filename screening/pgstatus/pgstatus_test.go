package pgstatus_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/clearancehq/clearance/registry/postgres/pgtest"

	"github.com/google/go-cmp/cmp"
	bolt "go.etcd.io/bbolt"

	"github.com/clearancehq/clearance/screening"
	"github.com/clearancehq/clearance/screening/boltstatus"
	"github.com/clearancehq/clearance/screening/pgstatus"
)

func pgStore(t *testing.T) screening.StatusStore {
	t.Helper()
	pool := pgtest.NewPool(t)
	for i := 0; i < 2; i++ { // idempotent
		if err := pgstatus.Migrate(t.Context(), pool); err != nil {
			t.Fatal(err)
		}
	}
	return pgstatus.New(pool)
}

func boltStore(t *testing.T) screening.StatusStore {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "s.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s, err := boltstatus.New(db)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestStatusStoreConformance runs the same behaviour against both stores.
func TestStatusStoreConformance(t *testing.T) {
	for _, tc := range []struct {
		name string
		new  func(*testing.T) screening.StatusStore
	}{{"bolt", boltStore}, {"postgres", pgStore}} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := t.Context()
			s := tc.new(t)
			if _, ok, err := s.Investor(ctx, "inv-1"); ok || err != nil {
				t.Fatalf("empty store: %v %v", ok, err)
			}
			at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
			rec := screening.StatusRecord{Subject: "inv-1", Status: screening.TierPotential, Score: 0.93, Entry: "OFAC-SDN:1 X", ListVersion: "ls-1", ScreenedAt: at,
				Matches: []screening.MatchRef{{List: "OFAC-SDN", EntityID: "1", Entry: "OFAC-SDN:1 X", Score: 0.93, Tier: screening.TierPotential, Fields: []string{"name"}}}}
			if err := s.PutInvestor(ctx, rec); err != nil {
				t.Fatal(err)
			}
			got, ok, err := s.Investor(ctx, "inv-1")
			if err != nil || !ok {
				t.Fatal(ok, err)
			}
			if d := cmp.Diff(rec, got); d != "" {
				t.Errorf("investor round trip (-want +got):\n%s", d)
			}
			rec.Status, rec.ListVersion = screening.TierClear, "ls-2"
			if err := s.PutInvestor(ctx, rec); err != nil {
				t.Fatal(err)
			}
			if got, _, _ := s.Investor(ctx, "inv-1"); got.Status != screening.TierClear || got.ListVersion != "ls-2" {
				t.Errorf("overwrite: %+v", got)
			}
			if err := s.PutInvestor(ctx, screening.StatusRecord{Subject: "x"}); err == nil {
				t.Error("record without a list version accepted")
			}
			w := screening.StatusRecord{Subject: "0xabc", Status: screening.TierConfirmed, ListVersion: "ls-2", ScreenedAt: at}
			if err := s.PutWallet(ctx, w); err != nil {
				t.Fatal(err)
			}
			if got, ok, _ := s.Wallet(ctx, "0xabc"); !ok || got.Status != screening.TierConfirmed {
				t.Errorf("wallet: %+v", got)
			}
			if _, ok, _ := s.Investor(ctx, "0xabc"); ok {
				t.Error("wallet and investor records share a namespace")
			}
			e1 := screening.Exception{ID: "ex-1", InvestorID: "inv-1", List: "OFAC-SDN", EntityID: "1", Reviewer: "r", Note: "n", CreatedAt: at, ExpiresAt: at.Add(time.Hour)}
			e2 := e1
			e2.ID, e2.CreatedAt = "ex-2", at.Add(time.Minute)
			for _, e := range []screening.Exception{e2, e1} {
				if err := s.PutException(ctx, e); err != nil {
					t.Fatal(err)
				}
			}
			es, err := s.Exceptions(ctx, "inv-1")
			if err != nil || len(es) != 2 || es[0].ID != "ex-1" {
				t.Fatalf("exceptions oldest first: %+v %v", es, err)
			}
			rev := at.Add(2 * time.Minute)
			e1.RevokedAt, e1.RevokedBy = &rev, "c"
			if err := s.PutException(ctx, e1); err != nil {
				t.Fatal(err)
			}
			if got, ok, _ := s.Exception(ctx, "ex-1"); !ok || got.RevokedBy != "c" {
				t.Errorf("exception replace: %+v", got)
			}
			if _, ok, _ := s.Checkpoint(ctx, "rescreen/ls-2"); ok {
				t.Error("checkpoint before set")
			}
			for _, v := range []string{"inv-1", "inv-9"} {
				if err := s.SetCheckpoint(ctx, "rescreen/ls-2", v); err != nil {
					t.Fatal(err)
				}
			}
			if v, ok, _ := s.Checkpoint(ctx, "rescreen/ls-2"); !ok || v != "inv-9" {
				t.Errorf("checkpoint = %q", v)
			}
		})
	}
}
