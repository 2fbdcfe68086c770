package verdictcache

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/clearancehq/clearance/policies"
	"github.com/clearancehq/clearance/registry"
)

// newL1Cache returns an L1-only cache on a fake clock at baseNow.
func newL1Cache(t *testing.T) (*Cache, *fakeClock, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	c, err := New(Config{L1Size: 1000}, nil, nil, reg)
	if err != nil {
		t.Fatal(err)
	}
	clk := newFakeClock(baseNow)
	c.clock = clk.now
	return c, clk, reg
}

func lookup(t *testing.T, c *Cache, in *policies.Input, fn *counter) (policies.Result, string) {
	t.Helper()
	res, tier, err := c.Lookup(context.Background(), in, "rev-1", fn.compute)
	if err != nil {
		t.Fatalf("Lookup: %v", err)
	}
	return res, tier
}

func TestL1HitAndMiss(t *testing.T) {
	c, _, reg := newL1Cache(t)
	fn := &counter{res: denyResult()}
	res, tier := lookup(t, c, sampleInput(baseNow), fn)
	if tier != TierNone || fn.calls.Load() != 1 {
		t.Fatalf("first lookup: tier %q, calls %d", tier, fn.calls.Load())
	}
	// Same static facts, different dynamic ones: a hit.
	in := sampleInput(baseNow + 3)
	in.Amount = 777
	in.To.Holding.WalletBalance = 1
	res2, tier := lookup(t, c, in, fn)
	if tier != TierL1 || fn.calls.Load() != 1 {
		t.Fatalf("second lookup: tier %q, calls %d", tier, fn.calls.Load())
	}
	if diff := cmp.Diff(res, res2); diff != "" {
		t.Errorf("cached result differs (-computed +cached):\n%s", diff)
	}
	// A changed static fact: a miss.
	in.To.Wallet.Frozen = true
	if _, tier := lookup(t, c, in, fn); tier != TierNone || fn.calls.Load() != 2 {
		t.Fatalf("changed fact: tier %q, calls %d", tier, fn.calls.Load())
	}
	if got := counterValue(t, c.m.l1Hit); got != 1 {
		t.Errorf("l1 hits = %v, want 1", got)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, mf := range mfs {
		found = found || mf.GetName() == "clearance_verdict_cache_lookups_total"
	}
	if !found {
		t.Errorf("lookups metric not gathered")
	}
}

func TestErrorsAreNotCached(t *testing.T) {
	c, _, _ := newL1Cache(t)
	boom := errors.New("engine down")
	fn := &counter{err: boom}
	for range 2 {
		_, tier, err := c.Lookup(context.Background(), sampleInput(baseNow), "rev-1", fn.compute)
		if !errors.Is(err, boom) || tier != TierNone {
			t.Fatalf("Lookup = tier %q, err %v; want the compute error", tier, err)
		}
	}
	if fn.calls.Load() != 2 || c.Len() != 0 {
		t.Fatalf("calls %d, entries %d: an error was cached", fn.calls.Load(), c.Len())
	}
}

func TestBypass(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(in *policies.Input)
	}{
		{"historical", func(in *policies.Input) { in.Now -= 3600 }},
		{"future", func(in *policies.Input) { in.Now += 3600 }},
		{"boundary at now", func(in *policies.Input) { in.To.Investor.KYCExpiresAt = in.Now }},
		{"boundary within a second", func(in *policies.Input) { in.From.Investor.LockedUntil = in.Now + 1 }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, _, _ := newL1Cache(t)
			fn := &counter{res: allowResult()}
			for range 2 {
				in := sampleInput(baseNow)
				tc.mutate(in)
				if _, tier := lookup(t, c, in, fn); tier != TierNone {
					t.Fatalf("tier %q, want a bypass", tier)
				}
			}
			if fn.calls.Load() != 2 || c.Len() != 0 {
				t.Fatalf("calls %d, entries %d", fn.calls.Load(), c.Len())
			}
		})
	}
}

func TestEntryEndsAtNextBoundary(t *testing.T) {
	c, clk, _ := newL1Cache(t)
	fn := &counter{res: allowResult()}
	mk := func(now int64) *policies.Input {
		in := sampleInput(now)
		in.To.Investor.KYCExpiresAt = baseNow + 30
		return in
	}
	lookup(t, c, mk(baseNow), fn)
	clk.set(baseNow + 28)
	if _, tier := lookup(t, c, mk(baseNow+28), fn); tier != TierL1 {
		t.Fatalf("before the boundary: tier %q, want l1", tier)
	}
	clk.set(baseNow + 29)
	if _, tier := lookup(t, c, mk(baseNow+29), fn); tier != TierNone {
		t.Fatalf("a second before the boundary: tier %q, want a bypass", tier)
	}
	clk.set(baseNow + 30)
	if _, tier := lookup(t, c, mk(baseNow+30), fn); tier != TierNone {
		t.Fatalf("at the boundary: tier %q, want a bypass", tier)
	}
	clk.set(baseNow + 31)
	if _, tier := lookup(t, c, mk(baseNow+31), fn); tier != TierNone {
		t.Fatalf("after the boundary: tier %q, want a miss", tier)
	}
	// A request whose Now is before the entry's window (clock skew) misses.
	in := sampleInput(baseNow)
	in.From.Investor.EffectiveFrom = baseNow - 10
	lookup(t, c, in, fn)
	early := sampleInput(baseNow - 11)
	early.From.Investor.EffectiveFrom = baseNow - 10
	if _, tier := lookup(t, c, early, fn); tier != TierNone {
		t.Fatalf("Now before the window: tier %q, want a miss", tier)
	}
}

func TestTTLBackstop(t *testing.T) {
	c, clk, _ := newL1Cache(t)
	fn := &counter{res: allowResult()}
	lookup(t, c, sampleInput(baseNow), fn)
	clk.set(baseNow + 61)
	if _, tier := lookup(t, c, sampleInput(baseNow+61), fn); tier != TierNone {
		t.Fatalf("after the TTL: tier %q, want a miss", tier)
	}
}

func TestInvalidateEvictsExactlyTheAffected(t *testing.T) {
	// Three entries: (a->b), (a->c), (d->e) on BOND-1, plus (d->e) on BOND-2.
	mk := func(from, to, asset string) *policies.Input {
		in := sampleInput(baseNow)
		in.AssetID, in.Asset.ID = asset, asset
		in.FromWallet, in.From.Wallet.Address, in.From.Investor.ID = "0x"+from, "0x"+from, "inv-"+from
		in.ToWallet, in.To.Wallet.Address, in.To.Investor.ID = "0x"+to, "0x"+to, "inv-"+to
		return in
	}
	inputs := map[string]*policies.Input{
		"ab1": mk("a", "b", "BOND-1"),
		"ac1": mk("a", "c", "BOND-1"),
		"de1": mk("d", "e", "BOND-1"),
		"de2": mk("d", "e", "BOND-2"),
	}
	tests := []struct {
		name    string
		ev      registry.Event
		evicted []string
	}{
		{"investor", registry.Event{Kind: registry.KindInvestor, ID: "inv-a"}, []string{"ab1", "ac1"}},
		{"recipient wallet", registry.Event{Kind: registry.KindWallet, ID: "0xe"}, []string{"de1", "de2"}},
		{"asset", registry.Event{Kind: registry.KindAsset, ID: "BOND-2"}, []string{"de2"}},
		{"whitelist id", registry.Event{Kind: registry.KindWhitelist, ID: registry.WhitelistID("BOND-1", "inv-c"), AssetID: "BOND-1"}, []string{"ac1"}},
		{"unrelated", registry.Event{Kind: registry.KindInvestor, ID: "inv-z"}, nil},
		{"unknown kind", registry.Event{Kind: "mystery", ID: "x"}, []string{"ab1", "ac1", "de1", "de2"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, _, _ := newL1Cache(t)
			fn := &counter{res: allowResult()}
			for _, in := range inputs {
				lookup(t, c, in, fn)
			}
			c.Invalidate(context.Background(), tc.ev)
			evicted := map[string]bool{}
			for _, n := range tc.evicted {
				evicted[n] = true
			}
			for name, in := range inputs {
				_, tier := lookup(t, c, in, fn)
				if got := tier != TierL1; got != evicted[name] {
					t.Errorf("%s: evicted = %v, want %v", name, got, evicted[name])
				}
			}
			if len(c.l1.index) == 0 {
				t.Errorf("tag index is empty after refilling")
			}
		})
	}
}

func TestIndexIsPrunedOnCapacityEviction(t *testing.T) {
	c, err := New(Config{L1Size: 2}, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	fn := &counter{res: allowResult()}
	now := time.Now().Unix()
	for i := range 50 {
		in := sampleInput(now)
		in.ToWallet = "0x" + string(rune('a'+i%26)) + string(rune('a'+i/26))
		in.To.Wallet.Address = in.ToWallet
		lookup(t, c, in, fn)
	}
	c.l1.mu.Lock()
	defer c.l1.mu.Unlock()
	// Two entries share asset, sender wallet and both investors; each has
	// its own recipient wallet: 4+2 tags.
	if n := len(c.l1.index); n != 6 {
		t.Errorf("index holds %d tags for 2 entries", n)
	}
}

func TestRevisionAndListVersionPurge(t *testing.T) {
	c, _, reg := newL1Cache(t)
	fn := &counter{res: allowResult()}
	c.OnRevision("rev-1")
	c.OnListVersion("lists-1")
	lookup(t, c, sampleInput(baseNow), fn)
	c.OnRevision("rev-1") // unchanged: keeps entries
	if c.Len() != 1 {
		t.Fatalf("unchanged revision purged")
	}
	c.OnRevision("rev-2")
	if c.Len() != 0 {
		t.Fatalf("revision change kept %d entries", c.Len())
	}
	lookup(t, c, sampleInput(baseNow), fn)
	c.OnListVersion("lists-2")
	if c.Len() != 0 {
		t.Fatalf("list version change kept %d entries", c.Len())
	}
	if got := counterValue(t, c.m.invalidations.WithLabelValues("revision")); got != 2 {
		t.Errorf("revision invalidations = %v, want 2", got)
	}
	_ = reg
}

func TestInvalidationDuringComputeStoresNothing(t *testing.T) {
	c, _, _ := newL1Cache(t)
	fn := &counter{res: allowResult()}
	fn.during = func() {
		c.Invalidate(context.Background(), registry.Event{Kind: registry.KindWallet, ID: "0xbbb"})
	}
	lookup(t, c, sampleInput(baseNow), fn)
	if c.Len() != 0 {
		t.Fatalf("a result computed across an invalidation was stored")
	}
}

func TestDisabledCacheBypasses(t *testing.T) {
	c, _, _ := newL1Cache(t)
	fn := &counter{res: allowResult()}
	lookup(t, c, sampleInput(baseNow), fn)
	c.setEnabled(false, "subscription_lost")
	if c.Len() != 0 {
		t.Fatalf("disabling kept %d entries", c.Len())
	}
	for range 2 {
		if _, tier := lookup(t, c, sampleInput(baseNow), fn); tier != TierNone {
			t.Fatalf("disabled cache answered from %q", tier)
		}
	}
	if c.Len() != 0 || fn.calls.Load() != 3 {
		t.Fatalf("disabled cache stored: entries %d, calls %d", c.Len(), fn.calls.Load())
	}
	c.setEnabled(true, "")
	lookup(t, c, sampleInput(baseNow), fn)
	if _, tier := lookup(t, c, sampleInput(baseNow), fn); tier != TierL1 {
		t.Fatalf("re-enabled cache: tier %q", tier)
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"zero", Config{}, true},
		{"defaults", DefaultConfig(), true},
		{"negative size", Config{L1Size: -1}, false},
		{"tiny ttl", Config{TTL: time.Second}, false},
		{"slow redis", Config{RedisTimeout: 2 * time.Second}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.cfg.Validate(); (err == nil) != tc.ok {
				t.Errorf("Validate = %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

func TestDuplicateRegistrationFails(t *testing.T) {
	reg := prometheus.NewRegistry()
	if _, err := New(Config{}, nil, nil, reg); err != nil {
		t.Fatal(err)
	}
	if _, err := New(Config{}, nil, nil, reg); err == nil {
		t.Fatal("second cache on the same registry registered its metrics")
	}
}
