package exampledata_test

import (
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/clearancehq/clearance/examples/exampledata"
	"github.com/clearancehq/clearance/registry"
	"github.com/clearancehq/clearance/registry/boltstore"
)

func TestSeedRegistry(t *testing.T) {
	db, err := bolt.Open(filepath.Join(t.TempDir(), "clearance.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	st, err := boltstore.New(db, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	res, err := exampledata.SeedRegistry(ctx, st, registry.Change{})
	if err != nil {
		t.Fatalf("seed: %v (%v)", err, res.Errors)
	}
	if res.Failed != 0 || res.Applied != res.Total || res.Total == 0 {
		t.Fatalf("first seed: %+v", res)
	}
	again, err := exampledata.SeedRegistry(ctx, st, registry.Change{})
	if err != nil {
		t.Fatal(err)
	}
	if again.Applied != 0 || again.Unchanged != res.Total {
		t.Fatalf("re-seed changed rows: %+v", again)
	}

	statuses := map[string]bool{}
	invs, _, err := st.ListInvestors(ctx, registry.InvestorFilter{}, registry.PageRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for _, inv := range invs {
		statuses[inv.Status] = true
	}
	for _, s := range []string{registry.StatusApproved, registry.StatusPending, registry.StatusSuspended, registry.StatusRevoked} {
		if !statuses[s] {
			t.Errorf("no investor with status %s", s)
		}
	}
	for _, id := range []string{"BOND-2030", "FUND-A", "RECV-POOL"} {
		a, err := st.Asset(ctx, id, time.Time{})
		if err != nil {
			t.Fatalf("asset %s: %v", id, err)
		}
		for _, w := range []string{a.TreasuryWallet, a.RedemptionWallet} {
			got, err := st.Wallet(ctx, w, time.Time{})
			if err != nil || got.InvestorID != "inv-issuer" {
				t.Errorf("asset %s wallet %s: %+v %v", id, w, got, err)
			}
		}
		ok, err := st.Whitelisted(ctx, id, "inv-alice", time.Time{})
		if err != nil || !ok {
			t.Errorf("inv-alice not whitelisted on %s: %v", id, err)
		}
	}
	ivan, err := st.WalletsOf(ctx, "inv-ivan", time.Time{})
	if err != nil || len(ivan) != 1 || ivan[0].Address != "0x7f367cc41522ce07553e823bf3be79a889debe1b" {
		t.Errorf("inv-ivan wallets: %+v %v", ivan, err)
	}
	ws, _, err := st.ListWallets(ctx, registry.WalletFilter{}, registry.PageRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var frozen, unverified int
	for _, w := range ws {
		if w.Frozen {
			frozen++
		}
		if !w.Verified {
			unverified++
		}
	}
	if frozen != 1 || unverified != 1 {
		t.Errorf("frozen=%d unverified=%d, want 1 and 1", frozen, unverified)
	}
}
