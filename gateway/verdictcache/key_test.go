package verdictcache

import (
	"math"
	"testing"

	"github.com/clearancehq/clearance/policies"
)

func TestKeyCoversStaticFacts(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(in *policies.Input)
	}{
		{"action", func(in *policies.Input) { in.Action = policies.ActionRedemption }},
		{"asset id", func(in *policies.Input) { in.AssetID = "BOND-2" }},
		{"to wallet", func(in *policies.Input) { in.ToWallet = "0xccc" }},
		{"venue", func(in *policies.Input) { in.Venue = "venue-x" }},
		{"list version", func(in *policies.Input) { in.ListVersion = "lists-2" }},
		{"asset known", func(in *policies.Input) { in.Asset.Known = false }},
		{"asset version", func(in *policies.Input) { in.Asset.Version++ }},
		{"asset paused", func(in *policies.Input) { in.Asset.PausedActions = []string{"ALL"} }},
		{"allowed jurisdictions", func(in *policies.Input) { in.Asset.AllowedJurisdictions = []string{"DE"} }},
		{"jurisdiction moved between lists", func(in *policies.Input) {
			in.Asset.AllowedJurisdictions = []string{"DE"}
			in.Asset.BlockedJurisdictions = []string{"FR"}
		}},
		{"allowed categories", func(in *policies.Input) { in.Asset.AllowedCategories = []string{"RETAIL"} }},
		{"parties", func(in *policies.Input) { in.Asset.Parties = "recipient" }},
		{"require whitelist", func(in *policies.Input) { in.Asset.RequireWhitelist = false }},
		{"treasury", func(in *policies.Input) { in.Asset.TreasuryWallet = "0xaaa" }},
		{"conditions", func(in *policies.Input) {
			in.Asset.Conditions = []policies.Condition{{ID: "c1", Expr: "true", Effect: "DENY", Code: "X"}}
		}},
		{"from removed", func(in *policies.Input) { in.From = nil }},
		{"to known", func(in *policies.Input) { in.To.Known = false }},
		{"to is treasury", func(in *policies.Input) { in.To.IsTreasury = true }},
		{"from is redemption", func(in *policies.Input) { in.From.IsRedemption = true }},
		{"wallet frozen", func(in *policies.Input) { in.To.Wallet.Frozen = true }},
		{"wallet verified", func(in *policies.Input) { in.From.Wallet.Verified = false }},
		{"wallet active", func(in *policies.Input) { in.From.Wallet.Active = false }},
		{"wallet version", func(in *policies.Input) { in.To.Wallet.Version++ }},
		{"investor status", func(in *policies.Input) { in.To.Investor.Status = "REVOKED" }},
		{"investor version", func(in *policies.Input) { in.From.Investor.Version++ }},
		{"investor known", func(in *policies.Input) { in.From.Investor.Known = false }},
		{"kyc expiry", func(in *policies.Input) { in.To.Investor.KYCExpiresAt++ }},
		{"effective to", func(in *policies.Input) { in.To.Investor.EffectiveTo = in.Now + 1000 }},
		{"category", func(in *policies.Input) { in.To.Investor.Category = "RETAIL" }},
		{"jurisdiction", func(in *policies.Input) { in.To.Investor.Jurisdiction = "US" }},
		{"whitelisted", func(in *policies.Input) { in.To.Investor.Whitelisted = false }},
		{"investor active", func(in *policies.Input) { in.To.Investor.Active = false }},
		{"locked until", func(in *policies.Input) { in.From.Investor.LockedUntil = in.Now + 5000 }},
		{"screening status", func(in *policies.Input) { in.To.Screening.Status = "POTENTIAL" }},
		{"screening exception", func(in *policies.Input) { in.To.Screening.Exception = true }},
		{"string boundary shift", func(in *policies.Input) {
			// "DE","FR" vs "DEF","R": length prefixes keep them apart.
			in.Asset.AllowedJurisdictions = []string{"DEF", "R"}
		}},
	}
	base := keyOf(sampleInput(baseNow), "rev-1")
	if got := keyOf(sampleInput(baseNow), "rev-2"); got == base {
		t.Errorf("revision change kept the key")
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := sampleInput(baseNow)
			tc.mutate(in)
			if keyOf(in, "rev-1") == base {
				t.Errorf("changing %s kept the key", tc.name)
			}
		})
	}
}

func TestKeyIgnoresDynamicFacts(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(in *policies.Input)
	}{
		{"amount", func(in *policies.Input) { in.Amount = 999999 }},
		{"now", func(in *policies.Input) { in.Now += 60 }},
		{"holder count", func(in *policies.Input) { in.Asset.HolderCount = 99 }},
		{"holder count by jurisdiction", func(in *policies.Input) { in.Asset.HolderCountByJurisdiction = map[string]int64{"FR": 4} }},
		{"holding", func(in *policies.Input) { in.From.Holding = policies.HoldingFacts{WalletBalance: 1} }},
		{"aml", func(in *policies.Input) { in.To.AML = policies.AMLFacts{Score: 99} }},
		{"hold", func(in *policies.Input) { in.From.Hold = true }},
	}
	base := keyOf(sampleInput(baseNow), "rev-1")
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := sampleInput(baseNow)
			tc.mutate(in)
			if keyOf(in, "rev-1") != base {
				t.Errorf("changing %s changed the key", tc.name)
			}
		})
	}
}

func TestHashesDiffer(t *testing.T) {
	b := appendStatic(nil, sampleInput(baseNow), "rev-1")
	if hashXX(b) == hashSHA(b) || hashXX(b) == (key{}) {
		t.Fatalf("hashes are degenerate")
	}
	if hashXX(b) != hashXX(append([]byte(nil), b...)) {
		t.Fatalf("xx hash is not deterministic")
	}
}

func TestWindow(t *testing.T) {
	const now = baseNow
	tests := []struct {
		name   string
		mutate func(in *policies.Input)
		lo, hi int64
		ok     bool
	}{
		{"sample", func(*policies.Input) {}, now - 86400*30, now + 86400*300, true},
		{"no boundaries", func(in *policies.Input) {
			in.From.Investor = policies.InvestorFacts{}
			in.To.Investor = policies.InvestorFacts{}
		}, math.MinInt64, math.MaxInt64, true},
		{"no parties", func(in *policies.Input) { in.From, in.To = nil, nil }, math.MinInt64, math.MaxInt64, true},
		{"kyc expires soon", func(in *policies.Input) { in.To.Investor.KYCExpiresAt = now + 100 }, now - 86400*30, now + 100, true},
		{"kyc expired", func(in *policies.Input) { in.To.Investor.KYCExpiresAt = now - 5 }, now - 5, now + 86400*300, true},
		{"future effective from", func(in *policies.Input) { in.From.Investor.EffectiveFrom = now + 50 }, now - 86400*30, now + 50, true},
		{"effective to", func(in *policies.Input) { in.From.Investor.EffectiveTo = now + 70 }, now - 86400*30, now + 70, true},
		{"locked until", func(in *policies.Input) { in.From.Investor.LockedUntil = now + 30 }, now - 86400*30, now + 30, true},
		{"boundary at now", func(in *policies.Input) { in.To.Investor.KYCExpiresAt = now }, 0, 0, false},
		{"boundary within a second", func(in *policies.Input) { in.To.Investor.LockedUntil = now + 1 }, 0, 0, false},
		{"boundary two seconds away", func(in *policies.Input) { in.To.Investor.LockedUntil = now + 2 }, now - 86400*30, now + 2, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := sampleInput(now)
			tc.mutate(in)
			lo, hi, ok := window(in)
			if ok != tc.ok {
				t.Fatalf("ok = %v, want %v", ok, tc.ok)
			}
			if ok && (lo != tc.lo || hi != tc.hi) {
				t.Errorf("window = (%d, %d), want (%d, %d)", lo, hi, tc.lo, tc.hi)
			}
		})
	}
}
