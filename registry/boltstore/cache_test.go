package boltstore_test

import (
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/clearancehq/clearance/registry"
	"github.com/clearancehq/clearance/registry/boltstore"
	"github.com/clearancehq/clearance/registry/storetest"
)

// TestReadCacheNeverServesAStaleRecord: reads of current records come from
// the decoded-record cache, a write is seen by the very next read, and a
// caller mutating a returned value cannot alter what others read.
func TestReadCacheNeverServesAStaleRecord(t *testing.T) {
	db := open(t, filepath.Join(t.TempDir(), "c.db"))
	t.Cleanup(func() { db.Close() })
	s, err := boltstore.New(db, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	ch := registry.Change{Actor: "t"}
	inv, err := s.CreateInvestor(ctx, storetest.Investor("inv-c"), ch)
	if err != nil {
		t.Fatal(err)
	}
	w, err := s.CreateWallet(ctx, storetest.Wallet(1, "inv-c"), ch)
	if err != nil {
		t.Fatal(err)
	}
	a, err := s.CreateAsset(ctx, storetest.Asset("A"), ch)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ { // warm
		if _, err := s.Wallet(ctx, w.Address, time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	w.Frozen = true
	if _, err := s.UpdateWallet(ctx, w, w.Version, ch); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Wallet(ctx, w.Address, time.Time{}); !got.Frozen {
		t.Fatal("cached wallet survived an update")
	}
	got, _ := s.Investor(ctx, "inv-c", time.Time{})
	got.ExternalRefs["kyc"] = "tampered"
	*got.KYCExpiresAt = time.Time{}
	again, _ := s.Investor(ctx, "inv-c", time.Time{})
	if again.ExternalRefs["kyc"] != inv.ExternalRefs["kyc"] || again.KYCExpiresAt.IsZero() {
		t.Fatalf("mutating a returned investor changed the cache: %+v", again)
	}
	ga, _ := s.Asset(ctx, "A", time.Time{})
	ga.Params.AllowedJurisdictions[0] = "XX"
	if ga2, _ := s.Asset(ctx, "A", time.Time{}); ga2.Params.AllowedJurisdictions[0] != a.Params.AllowedJurisdictions[0] {
		t.Fatal("mutating a returned asset changed the cache")
	}
	if ok, _ := s.Whitelisted(ctx, "A", "inv-c", time.Time{}); ok {
		t.Fatal("whitelisted before being added")
	}
	if _, err := s.AddToWhitelist(ctx, "A", "inv-c", ch); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.Whitelisted(ctx, "A", "inv-c", time.Time{}); !ok {
		t.Fatal("cached whitelist survived an add")
	}

	// Readers racing with writers: once a write returns, no later read sees
	// an older version.
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for r := 0; r < 4; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
					_, _ = s.Investor(ctx, "inv-c", time.Time{})
				}
			}
		}()
	}
	cur, _ := s.Investor(ctx, "inv-c", time.Time{})
	for i := 0; i < 200; i++ {
		next, err := s.UpdateInvestor(ctx, func() registry.Investor { c := cur; c.Name = "n" + time.Now().String(); return c }(), cur.Version, ch)
		if err != nil {
			t.Fatal(err)
		}
		seen, _ := s.Investor(ctx, "inv-c", time.Time{})
		if seen.Version < next.Version {
			close(stop)
			wg.Wait()
			t.Fatalf("read after an acknowledged write saw version %d < %d", seen.Version, next.Version)
		}
		cur = next
	}
	close(stop)
	wg.Wait()
}
