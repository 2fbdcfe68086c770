package ledgertest

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/clearancehq/clearance/policies"
	"github.com/clearancehq/clearance/registry"
	regbolt "github.com/clearancehq/clearance/registry/boltstore"
	"github.com/clearancehq/clearance/registry/ledger"
)

// Clock is a settable clock.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock starts at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t.UTC()} }

// Now returns the current time.
func (c *Clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) { c.mu.Lock(); c.t = t.UTC(); c.mu.Unlock() }

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// Rule scripts the Clearer: the first rule whose non-empty fields match
// the request decides.
type Rule struct {
	Action policies.Action
	// Wallet matches From or To.
	Wallet  string
	Effect  policies.Effect
	Reasons []policies.Reason
	Err     error
}

// Clearer is a scripted ledger.Clearer. Unmatched requests get Default
// (Allow unless set otherwise through SetDefault).
type Clearer struct {
	mu    sync.Mutex
	rules []Rule
	def   policies.Effect
	n     int
	calls []ledger.ClearRequest
}

// NewClearer allows everything until scripted.
func NewClearer() *Clearer { return &Clearer{def: policies.Allow} }

// Script replaces the rules.
func (c *Clearer) Script(rules ...Rule) { c.mu.Lock(); c.rules = rules; c.mu.Unlock() }

// SetDefault sets the effect of unmatched requests.
func (c *Clearer) SetDefault(e policies.Effect) { c.mu.Lock(); c.def = e; c.mu.Unlock() }

// Calls returns the requests seen so far.
func (c *Clearer) Calls() []ledger.ClearRequest {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]ledger.ClearRequest(nil), c.calls...)
}

// Clear implements ledger.Clearer.
func (c *Clearer) Clear(ctx context.Context, r ledger.ClearRequest) (ledger.Clearance, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls = append(c.calls, r)
	c.n++
	id := fmt.Sprintf("dec-%06d", c.n)
	for _, rule := range c.rules {
		if rule.Action != "" && rule.Action != r.Action {
			continue
		}
		if rule.Wallet != "" && rule.Wallet != r.From && rule.Wallet != r.To {
			continue
		}
		if rule.Err != nil {
			return ledger.Clearance{}, rule.Err
		}
		cl := ledger.Clearance{Effect: rule.Effect, Reasons: rule.Reasons, DecisionID: id}
		if rule.Effect == policies.Review {
			cl.CaseID = "case-" + id
		}
		return cl, nil
	}
	return ledger.Clearance{Effect: c.def, DecisionID: id}, nil
}

// Fixture names.
const (
	Asset      = "TKN-1"
	Ticker     = "TKN"
	Decimals   = 4
	Treasury   = "issuer.treasury"
	Redemption = "issuer.redemption"
	Alice      = "alice.main"
	Alice2     = "alice.backup"
	Bob        = "bob.main"
	Carol      = "carol.main" // investor PENDING
	Dave       = "dave.main"  // wallet not verified
	Erin       = "erin.main"  // not whitelisted
)

// Start is the fixture's initial clock time.
var Start = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// Env is a ledger over a store with the registry fixture.
type Env struct {
	Ledger  *ledger.Ledger
	Store   ledger.Store
	Reg     *regbolt.Store
	Clock   *Clock
	Clearer *Clearer
}

// NewRegistry opens a registry boltstore in a temp dir and seeds the
// fixture: asset TKN-1 (4 decimals, lockup lockupDays), investors alice
// (two wallets), bob (APPROVED, whitelisted), carol (PENDING), dave (wallet
// not verified), erin (not whitelisted).
func NewRegistry(t testing.TB, lockupDays int64) *regbolt.Store {
	t.Helper()
	db, err := bbolt.Open(filepath.Join(t.TempDir(), "registry.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	reg, err := regbolt.New(db, nil)
	if err != nil {
		t.Fatal(err)
	}
	SeedRegistry(t, reg, lockupDays)
	return reg
}

// SeedRegistry writes the fixture into reg.
func SeedRegistry(t testing.TB, reg registry.Store, lockupDays int64) {
	t.Helper()
	ctx := context.Background()
	c := registry.Change{Actor: "fixture", At: Start.Add(-24 * time.Hour)}
	if _, err := reg.CreateAsset(ctx, registry.Asset{ID: Asset, Ticker: Ticker, Decimals: Decimals, Pack: "default",
		TreasuryWallet: Treasury, RedemptionWallet: Redemption, Params: registry.AssetParams{LockupDays: lockupDays}}, c); err != nil {
		t.Fatal(err)
	}
	type who struct {
		id, status, jur string
		wallets         []string
		verified, wl    bool
	}
	for _, w := range []who{
		{"alice", registry.StatusApproved, "CH", []string{Alice, Alice2}, true, true},
		{"bob", registry.StatusApproved, "DE", []string{Bob}, true, true},
		{"carol", registry.StatusPending, "FR", []string{Carol}, true, true},
		{"dave", registry.StatusApproved, "DE", []string{Dave}, false, true},
		{"erin", registry.StatusApproved, "LU", []string{Erin}, true, false},
	} {
		if _, err := reg.CreateInvestor(ctx, registry.Investor{ID: w.id, Status: w.status, EffectiveFrom: Start.Add(-48 * time.Hour),
			Category: registry.CategoryAccredited, Jurisdiction: w.jur, Type: "INDIVIDUAL", Active: true}, c); err != nil {
			t.Fatal(err)
		}
		for _, a := range w.wallets {
			if _, err := reg.CreateWallet(ctx, registry.Wallet{Address: a, Chain: "ledger", InvestorID: w.id, Verified: w.verified, Active: true}, c); err != nil {
				t.Fatal(err)
			}
		}
		if w.wl {
			if _, err := reg.AddToWhitelist(ctx, Asset, w.id, c); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// NewEnv builds a ledger over store with a fresh registry fixture.
func NewEnv(t testing.TB, store ledger.Store) *Env {
	t.Helper()
	e := &Env{Store: store, Reg: NewRegistry(t, 0), Clock: NewClock(Start), Clearer: NewClearer()}
	l, err := ledger.New(store, e.Reg, e.Clearer, ledger.Options{Now: e.Clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	e.Ledger = l
	return e
}

// Fund mints, reserves, confirms and distributes amount to each wallet
// (wallet -> investor as in the fixture), failing the test on error.
func (e *Env) Fund(t testing.TB, amounts map[string]int64) {
	t.Helper()
	ctx := context.Background()
	var total int64
	for _, a := range amounts {
		total += a
	}
	key := fmt.Sprintf("fund-%d", time.Now().UnixNano())
	if _, err := e.Ledger.Mint(ctx, ledger.MintRequest{Meta: ledger.Meta{IdempotencyKey: key + "-mint"}, AssetID: Asset, Amount: total}); err != nil {
		t.Fatal(err)
	}
	for w, a := range amounts {
		rw, err := e.Reg.Wallet(ctx, w, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		id := key + "-" + w
		if _, err := e.Ledger.ReserveInvestment(ctx, ledger.ReserveRequest{Meta: ledger.Meta{IdempotencyKey: id + "-r"}, AssetID: Asset, InvestmentID: id, InvestorID: rw.InvestorID, Wallet: w, Amount: a}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.Ledger.ConfirmInvestment(ctx, ledger.InvestmentRequest{Meta: ledger.Meta{IdempotencyKey: id + "-c"}, AssetID: Asset, InvestmentID: id}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.Ledger.DistributeInvestment(ctx, ledger.InvestmentRequest{Meta: ledger.Meta{IdempotencyKey: id + "-d"}, AssetID: Asset, InvestmentID: id}); err != nil {
			t.Fatal(err)
		}
	}
}
