package verdictcache

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/clearancehq/clearance/policies"
)

// baseNow is the evaluation instant of sample inputs in tests that use a
// fake clock.
const baseNow = int64(1_900_000_000)

// sampleInput returns a transfer between two known, approved investors,
// evaluated at now. Its time boundaries are fixed relative to baseNow.
func sampleInput(now int64) *policies.Input {
	party := func(inv, wallet, jur string) *policies.PartyFacts {
		return &policies.PartyFacts{
			Known: true,
			Wallet: policies.WalletFacts{
				Address: wallet, Chain: "evm", Verified: true, Active: true, Version: 3,
			},
			Investor: policies.InvestorFacts{
				Known: true, ID: inv, Status: "APPROVED", EffectiveFrom: baseNow - 86400*30,
				KYCExpiresAt: baseNow + 86400*300, Category: "ACCREDITED", Jurisdiction: jur,
				Type: "INDIVIDUAL", Active: true, Whitelisted: true, ExpectedMax: 1_000_000, Version: 7,
			},
			Holding:   policies.HoldingFacts{WalletBalance: 5000, Unlocked: 5000, InvestorBalance: 5000, IsHolder: true},
			Screening: policies.ScreeningFacts{Status: "CLEAR"},
			AML:       policies.AMLFacts{Score: 10, AmountRatioPct: 20},
		}
	}
	return &policies.Input{
		Action:     policies.ActionTransfer,
		AssetID:    "BOND-1",
		FromWallet: "0xaaa",
		ToWallet:   "0xbbb",
		Amount:     100,
		Now:        now,
		Asset: policies.AssetFacts{
			Known: true, ID: "BOND-1", Ticker: "BND", Decimals: 2, Version: 4, Pack: "default",
			AllowedJurisdictions: []string{"DE", "FR"}, Parties: "both", RequireWhitelist: true,
			MaxHolders: 100, HolderCount: 10, HolderCountByJurisdiction: map[string]int64{"DE": 3},
		},
		From:        party("inv-a", "0xaaa", "DE"),
		To:          party("inv-b", "0xbbb", "FR"),
		ListVersion: "lists-1",
	}
}

// counter is a compute function that counts its calls.
type counter struct {
	calls atomic.Int64
	res   policies.Result
	err   error
	// during runs inside compute, before it returns.
	during func()
}

func (c *counter) compute(context.Context) (policies.Result, error) {
	c.calls.Add(1)
	if c.during != nil {
		c.during()
	}
	return c.res, c.err
}

func allowResult() policies.Result {
	return policies.Result{Allow: true, Engine: "rego", Revised: "rev-1"}
}

func denyResult() policies.Result {
	return policies.Result{Engine: "rego", Deny: []policies.Reason{{Code: "RECIPIENT_FROZEN", Message: "recipient wallet is frozen", Policy: "rego/eligibility/frozen"}}}
}

// fakeClock is a settable wall clock.
type fakeClock struct{ nanos atomic.Int64 }

func newFakeClock(unix int64) *fakeClock {
	f := &fakeClock{}
	f.nanos.Store(unix * int64(time.Second))
	return f
}

func (f *fakeClock) now() time.Time { return time.Unix(0, f.nanos.Load()) }
func (f *fakeClock) set(unix int64) { f.nanos.Store(unix * int64(time.Second)) }

// counterValue reads a counter.
func counterValue(t testing.TB, c prometheus.Counter) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}
