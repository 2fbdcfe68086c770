package storetest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/clearancehq/clearance/registry"
)

// Factory returns a fresh, empty store for one subtest.
type Factory func(t *testing.T) registry.Store

// Base is the instant the suite's time-travel tests start from.
var base = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func at(d time.Duration) time.Time { return base.Add(d) }

func chg(d time.Duration, reason string) registry.Change {
	return registry.Change{Actor: "tester", Reason: reason, At: at(d)}
}

func now(reason string) registry.Change { return registry.Change{Actor: "tester", Reason: reason} }

// Investor returns a valid investor fixture.
func Investor(id string) registry.Investor {
	kyc := time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC)
	return registry.Investor{
		ID: id, Name: "Test " + id, Status: registry.StatusApproved, EffectiveFrom: base,
		KYCExpiresAt: &kyc, Category: registry.CategoryAccredited, Jurisdiction: "CH",
		Type: registry.TypeIndividual, Active: true, ExternalRefs: map[string]string{"kyc": "ref-" + id},
	}
}

// Address returns a deterministic lowercase EVM address for n.
func Address(n int) string { return fmt.Sprintf("0x%040x", n+1) }

// Wallet returns a valid wallet fixture.
func Wallet(n int, investorID string) registry.Wallet {
	return registry.Wallet{Address: Address(n), Chain: registry.ChainEVM, InvestorID: investorID, Verified: true, Active: true}
}

// Asset returns a valid asset fixture.
func Asset(id string) registry.Asset {
	return registry.Asset{
		ID: id, Ticker: "TST", Decimals: 2, Pack: "default",
		Params: registry.AssetParams{
			AllowedJurisdictions: []string{"CH", "DE"}, AllowedCategories: []string{"ACCREDITED"},
			MaxHoldersPerJurisdiction: map[string]int64{"DE": 5}, Parties: "recipient", RequireWhitelist: true,
			Conditions: []registry.Condition{{ID: "c1", Expr: "amount <= 10", Effect: "DENY", Code: "ASSET_CONDITION_FAILED"}},
		},
		TreasuryWallet: Address(900),
	}
}

type result[T any] struct {
	v   T
	err error
}

func ok[T any](v T, err error) result[T] { return result[T]{v, err} }

func must[T any](t *testing.T, r result[T]) T {
	t.Helper()
	if r.err != nil {
		t.Fatal(r.err)
	}
	return r.v
}

func wantErr(t *testing.T, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("err = %v, want %v", err, target)
	}
}

func wantField(t *testing.T, err error, field string) {
	t.Helper()
	var ve *registry.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("err = %v, want *registry.ValidationError on %s", err, field)
	}
	if ve.Field != field {
		t.Fatalf("validation error on field %q (%s), want %q", ve.Field, ve.Rule, field)
	}
	if !errors.Is(err, registry.ErrInvalid) {
		t.Fatalf("validation error does not wrap ErrInvalid")
	}
}

// Run runs the conformance suite.
func Run(t *testing.T, newStore Factory) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s registry.Store)
	}{
		{"InvestorCRUD", testInvestorCRUD},
		{"InvestorValidation", testInvestorValidation},
		{"BeneficialOwners", testBeneficialOwners},
		{"WalletCRUD", testWalletCRUD},
		{"AssetCRUD", testAssetCRUD},
		{"Whitelist", testWhitelist},
		{"HistoryAndAsOf", testHistoryAsOf},
		{"WalletsOfAsOf", testWalletsOfAsOf},
		{"Pagination", testPagination},
		{"ConcurrentUpdates", testConcurrentUpdates},
		{"ChangePoints", testChangePoints},
		{"Events", testEvents},
		{"EventsInSeqOrderUnderConcurrency", testEventsOrdered},
		{"Upsert", testUpsert},
		{"UpsertAllOrNothing", testUpsertAtomic},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, newStore(t)) })
	}
}

func testInvestorCRUD(t *testing.T, s registry.Store) {
	ctx := t.Context()
	created := must(t, ok(s.CreateInvestor(ctx, Investor("inv-a"), now("onboard"))))
	if created.Version != 1 || created.UpdatedAt.IsZero() {
		t.Fatalf("created: version %d updated_at %v", created.Version, created.UpdatedAt)
	}
	got := must(t, ok(s.Investor(ctx, "inv-a", time.Time{})))
	if diff := cmp.Diff(created, got); diff != "" {
		t.Fatalf("get differs from create (-create +get):\n%s", diff)
	}
	_, err := s.CreateInvestor(ctx, Investor("inv-a"), now("again"))
	wantErr(t, err, registry.ErrConflict)

	upd := got
	upd.Status = registry.StatusSuspended
	v2 := must(t, ok(s.UpdateInvestor(ctx, upd, 1, now("suspend"))))
	if v2.Version != 2 || v2.Status != registry.StatusSuspended {
		t.Fatalf("update: %+v", v2)
	}
	stale := got
	stale.Category = registry.CategoryRetail
	_, err = s.UpdateInvestor(ctx, stale, 1, now("stale"))
	wantErr(t, err, registry.ErrConflict)
	after := must(t, ok(s.Investor(ctx, "inv-a", time.Time{})))
	if diff := cmp.Diff(v2, after); diff != "" {
		t.Fatalf("stale update changed the investor:\n%s", diff)
	}
	_, err = s.UpdateInvestor(ctx, Investor("inv-missing"), 1, now("x"))
	wantErr(t, err, registry.ErrNotFound)
	_, err = s.Investor(ctx, "inv-missing", time.Time{})
	wantErr(t, err, registry.ErrNotFound)
	_, err = s.CreateInvestor(ctx, Investor("inv-b"), registry.Change{})
	wantField(t, err, "actor")
}

func testInvestorValidation(t *testing.T, s registry.Store) {
	ctx := t.Context()
	early := base.Add(-time.Hour)
	tests := []struct {
		name  string
		edit  func(*registry.Investor)
		field string
	}{
		{"bad status", func(i *registry.Investor) { i.Status = "ACTIVE" }, "status"},
		{"bad category", func(i *registry.Investor) { i.Category = "VIP" }, "category"},
		{"bad type", func(i *registry.Investor) { i.Type = "TRUST" }, "type"},
		{"unassigned country", func(i *registry.Investor) { i.Jurisdiction = "XX" }, "jurisdiction"},
		{"alpha-3 country", func(i *registry.Investor) { i.Jurisdiction = "CHE" }, "jurisdiction"},
		{"effective_to before from", func(i *registry.Investor) { i.EffectiveTo = &early }, "effective_to"},
		{"effective_to equals from", func(i *registry.Investor) { b := base; i.EffectiveTo = &b }, "effective_to"},
		{"bad id", func(i *registry.Investor) { i.ID = "bad id!" }, "id"},
		{"bad dob", func(i *registry.Investor) { i.DateOfBirth = "1990-13-40" }, "date_of_birth"},
		{"negative expected", func(i *registry.Investor) { i.ExpectedMin = -1 }, "expected_min"},
		{"owner without name", func(i *registry.Investor) {
			i.BeneficialOwners = []registry.BeneficialOwner{{Name: "Ann Owner"}, {Name: "  "}}
		}, "beneficial_owners[1].name"},
		{"owner bad dob", func(i *registry.Investor) {
			i.BeneficialOwners = []registry.BeneficialOwner{{Name: "Ann Owner", DateOfBirth: "1970-02-30"}}
		}, "beneficial_owners[0].date_of_birth"},
		{"owner bad nationality", func(i *registry.Investor) {
			i.BeneficialOwners = []registry.BeneficialOwner{{Name: "Ann Owner", Nationality: "XX"}}
		}, "beneficial_owners[0].nationality"},
		{"owner share above 100%", func(i *registry.Investor) {
			i.BeneficialOwners = []registry.BeneficialOwner{{Name: "Ann Owner", OwnershipBP: 10001}}
		}, "beneficial_owners[0].ownership_bp"},
		{"too many owners", func(i *registry.Investor) {
			i.BeneficialOwners = make([]registry.BeneficialOwner, registry.MaxBeneficialOwners+1)
			for n := range i.BeneficialOwners {
				i.BeneficialOwners[n].Name = fmt.Sprintf("Owner %d", n)
			}
		}, "beneficial_owners"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			inv := Investor("inv-v")
			tc.edit(&inv)
			_, err := s.CreateInvestor(ctx, inv, now("x"))
			wantField(t, err, tc.field)
		})
	}
	_, err := s.Investor(ctx, "inv-v", time.Time{})
	wantErr(t, err, registry.ErrNotFound)
	lower := Investor("inv-lower")
	lower.Jurisdiction, lower.Status = "de", "approved"
	got := must(t, ok(s.CreateInvestor(ctx, lower, now("x"))))
	if got.Jurisdiction != "DE" || got.Status != registry.StatusApproved {
		t.Fatalf("codes not normalised: %+v", got)
	}
}

// testBeneficialOwners checks that beneficial owners round-trip (normalised),
// are versioned with the investor, and read as of each instant.
func testBeneficialOwners(t *testing.T, s registry.Store) {
	ctx := t.Context()
	h := time.Hour
	inv := Investor("inv-bo")
	inv.Type, inv.Category = registry.TypeEntity, registry.CategoryInstitutional
	inv.BeneficialOwners = []registry.BeneficialOwner{
		{Name: " Ann Owner ", DateOfBirth: "1970-05-01", Nationality: "gb", OwnershipBP: 6000, Role: "Owner"},
		{Name: "Carl Controller", Role: registry.RoleController},
	}
	v1 := must(t, ok(s.CreateInvestor(ctx, inv, chg(1*h, "onboard"))))
	wantOwners := []registry.BeneficialOwner{
		{Name: "Ann Owner", DateOfBirth: "1970-05-01", Nationality: "GB", OwnershipBP: 6000, Role: registry.RoleOwner},
		{Name: "Carl Controller", Role: registry.RoleController},
	}
	if diff := cmp.Diff(wantOwners, v1.BeneficialOwners); diff != "" {
		t.Fatalf("created owners not normalised (-want +got):\n%s", diff)
	}
	if inv.BeneficialOwners[0].Nationality != "gb" {
		t.Fatal("the store normalised the caller's slice in place")
	}
	got := must(t, ok(s.Investor(ctx, "inv-bo", time.Time{})))
	if diff := cmp.Diff(v1, got); diff != "" {
		t.Fatalf("round trip (-create +get):\n%s", diff)
	}

	// A new owner is a material change: a new version.
	upd := got
	upd.BeneficialOwners = append(slices.Clone(got.BeneficialOwners), registry.BeneficialOwner{Name: "Dora Director", Nationality: "DE", Role: registry.RoleDirector})
	v2 := must(t, ok(s.UpdateInvestor(ctx, upd, 1, chg(2*h, "new director"))))
	if v2.Version != 2 || len(v2.BeneficialOwners) != 3 {
		t.Fatalf("update: version %d owners %+v", v2.Version, v2.BeneficialOwners)
	}
	// Removing every owner is also a change, and stores no owners.
	upd = v2
	upd.BeneficialOwners = []registry.BeneficialOwner{}
	v3 := must(t, ok(s.UpdateInvestor(ctx, upd, 2, chg(3*h, "owners removed"))))
	if v3.Version != 3 || v3.BeneficialOwners != nil {
		t.Fatalf("clear: version %d owners %#v", v3.Version, v3.BeneficialOwners)
	}
	for _, tc := range []struct {
		name string
		asOf time.Time
		want registry.Investor
	}{
		{"as of v1", at(90 * time.Minute), v1},
		{"as of v2", at(150 * time.Minute), v2},
		{"latest", time.Time{}, v3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := must(t, ok(s.Investor(ctx, "inv-bo", tc.asOf)))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Fatalf("(-want +got):\n%s", diff)
			}
		})
	}
	hist := must(t, ok(s.History(ctx, registry.KindInvestor, "inv-bo")))
	var counts []int
	for _, r := range hist {
		counts = append(counts, len(r.Investor.BeneficialOwners))
	}
	if diff := cmp.Diff([]int{2, 3, 0}, counts); diff != "" {
		t.Fatalf("owners per history revision (-want +got):\n%s", diff)
	}
	if d := hist[1].Investor.BeneficialOwners[2]; d.Name != "Dora Director" || d.Role != registry.RoleDirector {
		t.Fatalf("history v2 third owner: %+v", d)
	}
}

func testWalletCRUD(t *testing.T, s registry.Store) {
	ctx := t.Context()
	must(t, ok(s.CreateInvestor(ctx, Investor("inv-a"), now("x"))))
	must(t, ok(s.CreateInvestor(ctx, Investor("inv-b"), now("x"))))
	// EIP-55 example address from the EIP: mixed case with a valid checksum.
	mixed := "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
	w := must(t, ok(s.CreateWallet(ctx, registry.Wallet{Address: mixed, InvestorID: "inv-a", Verified: true, Active: true}, now("x"))))
	if w.Address != "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed" || w.Chain != registry.ChainEVM || w.Version != 1 {
		t.Fatalf("wallet not normalised: %+v", w)
	}
	got := must(t, ok(s.Wallet(ctx, mixed, time.Time{})))
	if diff := cmp.Diff(w, got); diff != "" {
		t.Fatalf("lookup by checksummed address:\n%s", diff)
	}
	_, err := s.CreateWallet(ctx, registry.Wallet{Address: "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed", InvestorID: "inv-b"}, now("dup"))
	wantErr(t, err, registry.ErrConflict)
	_, err = s.CreateWallet(ctx, registry.Wallet{Address: "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD", InvestorID: "inv-a"}, now("bad checksum"))
	wantField(t, err, "address")
	_, err = s.CreateWallet(ctx, Wallet(1, "inv-nobody"), now("x"))
	wantField(t, err, "investor_id")
	_, err = s.CreateWallet(ctx, registry.Wallet{Address: Address(2), Chain: registry.ChainStellar, InvestorID: "inv-a"}, now("x"))
	wantField(t, err, "chain")

	stellar := "GAAZI4TCR3TY5OJHCTJC2A4QSY6CJWJH5IAJTGKIN2ER7LBNVKOCCWN7"
	sw := must(t, ok(s.CreateWallet(ctx, registry.Wallet{Address: stellar, InvestorID: "inv-b", Verified: true}, now("x"))))
	if sw.Chain != registry.ChainStellar || sw.Address != stellar {
		t.Fatalf("stellar wallet: %+v", sw)
	}
	lw := must(t, ok(s.CreateWallet(ctx, registry.Wallet{Address: "acct:bob.main", InvestorID: "inv-b"}, now("x"))))
	if lw.Chain != registry.ChainLedger {
		t.Fatalf("ledger wallet chain %q", lw.Chain)
	}

	upd := w
	upd.Frozen, upd.FrozenAmount = true, 500
	w2 := must(t, ok(s.UpdateWallet(ctx, upd, 1, now("freeze"))))
	if w2.Version != 2 || !w2.Frozen || w2.FrozenAmount != 500 {
		t.Fatalf("freeze: %+v", w2)
	}
	_, err = s.UpdateWallet(ctx, upd, 1, now("stale"))
	wantErr(t, err, registry.ErrConflict)

	of := must(t, ok(s.WalletsOf(ctx, "inv-b", time.Time{})))
	addrs := []string{}
	for _, x := range of {
		addrs = append(addrs, x.Address)
	}
	slices.Sort(addrs)
	if diff := cmp.Diff([]string{stellar, "acct:bob.main"}, addrs, cmp.Transformer("sort", func(s []string) []string { s = slices.Clone(s); slices.Sort(s); return s })); diff != "" {
		t.Fatalf("WalletsOf(inv-b):\n%s", diff)
	}
	// Move the EVM wallet to inv-b.
	moved := w2
	moved.InvestorID = "inv-b"
	must(t, ok(s.UpdateWallet(ctx, moved, 2, now("transfer ownership"))))
	if n := len(must(t, ok(s.WalletsOf(ctx, "inv-a", time.Time{})))); n != 0 {
		t.Fatalf("inv-a still has %d wallets", n)
	}
	if n := len(must(t, ok(s.WalletsOf(ctx, "inv-b", time.Time{})))); n != 3 {
		t.Fatalf("inv-b has %d wallets, want 3", n)
	}
	_, err = s.Wallet(ctx, Address(77), time.Time{})
	wantErr(t, err, registry.ErrNotFound)
	_, err = s.Wallet(ctx, "not an address!", time.Time{})
	wantErr(t, err, registry.ErrNotFound)
}

func testAssetCRUD(t *testing.T, s registry.Store) {
	ctx := t.Context()
	a := must(t, ok(s.CreateAsset(ctx, Asset("BOND-1"), now("x"))))
	got := must(t, ok(s.Asset(ctx, "BOND-1", time.Time{})))
	if diff := cmp.Diff(a, got); diff != "" {
		t.Fatalf("asset round trip:\n%s", diff)
	}
	if diff := cmp.Diff(Asset("BOND-1").Params, got.Params); diff != "" {
		t.Fatalf("params not kept:\n%s", diff)
	}
	_, err := s.CreateAsset(ctx, Asset("BOND-1"), now("x"))
	wantErr(t, err, registry.ErrConflict)
	tests := []struct {
		name  string
		edit  func(*registry.Asset)
		field string
	}{
		{"decimals 19", func(a *registry.Asset) { a.Decimals = 19 }, "decimals"},
		{"decimals negative", func(a *registry.Asset) { a.Decimals = -1 }, "decimals"},
		{"bad jurisdiction", func(a *registry.Asset) { a.Params.BlockedJurisdictions = []string{"ZZ"} }, "params.blocked_jurisdictions"},
		{"bad parties", func(a *registry.Asset) { a.Params.Parties = "sender" }, "params.parties"},
		{"aml bands inverted", func(a *registry.Asset) { a.Params.AMLReviewRatioPct, a.Params.AMLEscalateRatioPct = 500, 400 }, "params.aml_escalate_ratio_pct"},
		{"negative aml band", func(a *registry.Asset) { a.Params.AMLReviewRatioPct = -1 }, "params.aml_review_ratio_pct"},
		{"bad paused action", func(a *registry.Asset) { a.PausedActions = []string{"DANCE"} }, "paused_actions"},
		{"bad condition effect", func(a *registry.Asset) { a.Params.Conditions[0].Effect = "ALLOW" }, "params.conditions[0].effect"},
		{"bad treasury", func(a *registry.Asset) { a.TreasuryWallet = "0x12" }, "treasury_wallet"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			x := Asset("BOND-2")
			tc.edit(&x)
			_, err := s.CreateAsset(ctx, x, now("x"))
			wantField(t, err, tc.field)
		})
	}
	upd := got
	upd.PausedActions = []string{"TRANSFER"}
	v2 := must(t, ok(s.UpdateAsset(ctx, upd, 1, now("pause"))))
	if v2.Version != 2 || !slices.Equal(v2.PausedActions, []string{"TRANSFER"}) {
		t.Fatalf("pause: %+v", v2)
	}
	_, err = s.UpdateAsset(ctx, upd, 1, now("stale"))
	wantErr(t, err, registry.ErrConflict)
}

func testWhitelist(t *testing.T, s registry.Store) {
	ctx := t.Context()
	must(t, ok(s.CreateAsset(ctx, Asset("A1"), now("x"))))
	must(t, ok(s.CreateInvestor(ctx, Investor("inv-a"), now("x"))))
	if ok := must(t, ok(s.Whitelisted(ctx, "A1", "inv-a", time.Time{}))); ok {
		t.Fatal("whitelisted before add")
	}
	e := must(t, ok(s.AddToWhitelist(ctx, "A1", "inv-a", now("approve"))))
	if !e.Active || e.Version != 1 {
		t.Fatalf("add: %+v", e)
	}
	again := must(t, ok(s.AddToWhitelist(ctx, "A1", "inv-a", now("approve again"))))
	if again.Version != 1 {
		t.Fatalf("re-adding created version %d", again.Version)
	}
	if ok := must(t, ok(s.Whitelisted(ctx, "A1", "inv-a", time.Time{}))); !ok {
		t.Fatal("not whitelisted after add")
	}
	list, _ := must2[[]registry.WhitelistEntry](t)(s.ListWhitelist(ctx, "A1", registry.PageRequest{}))
	if len(list) != 1 || list[0].InvestorID != "inv-a" {
		t.Fatalf("ListWhitelist: %+v", list)
	}
	r := must(t, ok(s.RemoveFromWhitelist(ctx, "A1", "inv-a", now("offboard"))))
	if r.Active || r.Version != 2 {
		t.Fatalf("remove: %+v", r)
	}
	if ok := must(t, ok(s.Whitelisted(ctx, "A1", "inv-a", time.Time{}))); ok {
		t.Fatal("still whitelisted after remove")
	}
	list, _ = must2[[]registry.WhitelistEntry](t)(s.ListWhitelist(ctx, "A1", registry.PageRequest{}))
	if len(list) != 0 {
		t.Fatalf("ListWhitelist after remove: %+v", list)
	}
	_, err := s.RemoveFromWhitelist(ctx, "A1", "inv-b", now("x"))
	wantErr(t, err, registry.ErrNotFound)
	_, err = s.AddToWhitelist(ctx, "NOPE", "inv-a", now("x"))
	wantErr(t, err, registry.ErrNotFound)
	_, err = s.AddToWhitelist(ctx, "A1", "inv-nobody", now("x"))
	wantErr(t, err, registry.ErrNotFound)
	h := must(t, ok(s.History(ctx, registry.KindWhitelist, registry.WhitelistID("A1", "inv-a"))))
	if len(h) != 2 || h[0].Reason != "approve" || h[1].Reason != "offboard" || h[1].Whitelist.Active {
		t.Fatalf("whitelist history: %+v", h)
	}
}

func must2[T any](t *testing.T) func(T, string, error) (T, string) {
	return func(v T, next string, err error) (T, string) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v, next
	}
}

func testHistoryAsOf(t *testing.T, s registry.Store) {
	ctx := t.Context()
	h := time.Hour
	inv := Investor("inv-h")
	v1 := must(t, ok(s.CreateInvestor(ctx, inv, chg(1*h, "onboard"))))
	inv.Status = registry.StatusSuspended
	v2 := must(t, ok(s.UpdateInvestor(ctx, inv, 1, chg(2*h, "suspend"))))
	inv.Status = registry.StatusApproved
	inv.Jurisdiction = "DE"
	v3 := must(t, ok(s.UpdateInvestor(ctx, inv, 2, registry.Change{Actor: "alice", Reason: "reinstate", At: at(3 * h)})))
	if v1.UpdatedAt != at(1*h) || v3.UpdatedAt != at(3*h) {
		t.Fatalf("commit times not taken from Change.At: %v %v", v1.UpdatedAt, v3.UpdatedAt)
	}
	tests := []struct {
		name string
		asOf time.Time
		want *registry.Investor
	}{
		{"before creation", at(30 * time.Minute), nil},
		{"at creation", at(1 * h), &v1},
		{"between v1 and v2", at(90 * time.Minute), &v1},
		{"at v2", at(2 * h), &v2},
		{"just before v3", at(3*h - time.Microsecond), &v2},
		{"at v3", at(3 * h), &v3},
		{"later", at(100 * h), &v3},
		{"zero means latest", time.Time{}, &v3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.Investor(ctx, "inv-h", tc.asOf)
			if tc.want == nil {
				wantErr(t, err, registry.ErrNotFound)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(*tc.want, got); diff != "" {
				t.Fatalf("as of %v (-want +got):\n%s", tc.asOf, diff)
			}
		})
	}
	hist := must(t, ok(s.History(ctx, registry.KindInvestor, "inv-h")))
	type row struct {
		Version      int64
		At           time.Time
		Actor        string
		Reason       string
		Status       string
		Jurisdiction string
	}
	var gotRows []row
	for _, r := range hist {
		gotRows = append(gotRows, row{r.Version, r.At, r.Actor, r.Reason, r.Investor.Status, r.Investor.Jurisdiction})
	}
	want := []row{
		{1, at(1 * h), "tester", "onboard", "APPROVED", "CH"},
		{2, at(2 * h), "tester", "suspend", "SUSPENDED", "CH"},
		{3, at(3 * h), "alice", "reinstate", "APPROVED", "DE"},
	}
	if diff := cmp.Diff(want, gotRows); diff != "" {
		t.Fatalf("history (-want +got):\n%s", diff)
	}
	// An update dated before the current version is rejected.
	_, err := s.UpdateInvestor(ctx, inv, 3, chg(2*h, "backdated"))
	wantField(t, err, "at")

	// Asset, wallet and whitelist as_of.
	a := Asset("A-H")
	must(t, ok(s.CreateAsset(ctx, a, chg(1*h, "list"))))
	a.Decimals = 4
	must(t, ok(s.UpdateAsset(ctx, a, 1, chg(5*h, "redenominate"))))
	if got := must(t, ok(s.Asset(ctx, "A-H", at(4*h)))); got.Decimals != 2 || got.Version != 1 {
		t.Fatalf("asset as of 4h: %+v", got)
	}
	if got := must(t, ok(s.Asset(ctx, "A-H", at(5*h)))); got.Decimals != 4 {
		t.Fatalf("asset as of 5h: %+v", got)
	}
	w := Wallet(5, "inv-h")
	must(t, ok(s.CreateWallet(ctx, w, chg(3*h, "link"))))
	w.Frozen = true
	must(t, ok(s.UpdateWallet(ctx, w, 1, chg(6*h, "freeze"))))
	if got := must(t, ok(s.Wallet(ctx, w.Address, at(5*h)))); got.Frozen {
		t.Fatal("wallet frozen as of 5h")
	}
	if got := must(t, ok(s.Wallet(ctx, w.Address, at(6*h)))); !got.Frozen {
		t.Fatal("wallet not frozen as of 6h")
	}
	_, err = s.Wallet(ctx, w.Address, at(2*h))
	wantErr(t, err, registry.ErrNotFound)
	must(t, ok(s.AddToWhitelist(ctx, "A-H", "inv-h", chg(4*h, "approve"))))
	must(t, ok(s.RemoveFromWhitelist(ctx, "A-H", "inv-h", chg(7*h, "remove"))))
	for _, c := range []struct {
		name string
		d    time.Duration
		want bool
	}{{"before add", 3 * h, false}, {"after add", 5 * h, true}, {"after remove", 8 * h, false}} {
		if got := must(t, ok(s.Whitelisted(ctx, "A-H", "inv-h", at(c.d)))); got != c.want {
			t.Errorf("whitelisted %s = %v, want %v", c.name, got, c.want)
		}
	}
}

func testWalletsOfAsOf(t *testing.T, s registry.Store) {
	ctx := t.Context()
	h := time.Hour
	must(t, ok(s.CreateInvestor(ctx, Investor("inv-a"), chg(0, "x"))))
	must(t, ok(s.CreateInvestor(ctx, Investor("inv-b"), chg(0, "x"))))
	w := Wallet(1, "inv-a")
	must(t, ok(s.CreateWallet(ctx, w, chg(1*h, "x"))))
	must(t, ok(s.CreateWallet(ctx, Wallet(2, "inv-a"), chg(3*h, "x"))))
	w.InvestorID = "inv-b"
	must(t, ok(s.UpdateWallet(ctx, w, 1, chg(2*h, "move"))))
	addrs := func(ws []registry.Wallet) []string {
		var out []string
		for _, x := range ws {
			out = append(out, x.Address)
		}
		slices.Sort(out)
		return out
	}
	tests := []struct {
		name     string
		investor string
		asOf     time.Time
		want     []string
	}{
		{"a before any", "inv-a", at(30 * time.Minute), nil},
		{"a after first", "inv-a", at(90 * time.Minute), []string{Address(1)}},
		{"a after move", "inv-a", at(150 * time.Minute), nil},
		{"b after move", "inv-b", at(150 * time.Minute), []string{Address(1)}},
		{"a now", "inv-a", time.Time{}, []string{Address(2)}},
		{"b now", "inv-b", time.Time{}, []string{Address(1)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := addrs(must(t, ok(s.WalletsOf(ctx, tc.investor, tc.asOf))))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Fatalf("(-want +got):\n%s", diff)
			}
		})
	}
}

func testPagination(t *testing.T, s registry.Store) {
	ctx := t.Context()
	var rows []registry.Mutation
	for i := range 25 {
		inv := Investor(fmt.Sprintf("inv-%03d", i))
		if i%5 == 0 {
			inv.Status = registry.StatusPending
		}
		rows = append(rows, registry.Mutation{Investor: &inv})
	}
	for i := range 12 {
		w := Wallet(i, "inv-001")
		if i%2 == 0 {
			w.InvestorID = "inv-002"
		}
		rows = append(rows, registry.Mutation{Wallet: &w})
	}
	res := must(t, ok(s.Upsert(ctx, rows, now("bulk"), registry.UpsertOptions{AllOrNothing: true})))
	for _, r := range res {
		if r.Err != nil {
			t.Fatal(r.Err)
		}
	}
	var seen []string
	cursor := ""
	pages := 0
	for {
		page, next := must2[[]registry.Investor](t)(s.ListInvestors(ctx, registry.InvestorFilter{}, registry.PageRequest{Limit: 10, Cursor: cursor}))
		pages++
		if len(page) > 10 {
			t.Fatalf("page of %d > limit", len(page))
		}
		for _, inv := range page {
			seen = append(seen, inv.ID)
		}
		if next == "" {
			break
		}
		cursor = next
		if pages > 10 {
			t.Fatal("pagination does not end")
		}
	}
	if pages != 3 || len(seen) != 25 || !slices.IsSorted(seen) || len(slices.Compact(slices.Clone(seen))) != 25 {
		t.Fatalf("pages=%d seen=%d sorted=%v", pages, len(seen), slices.IsSorted(seen))
	}
	pending, next := must2[[]registry.Investor](t)(s.ListInvestors(ctx, registry.InvestorFilter{Status: registry.StatusPending}, registry.PageRequest{Limit: 3}))
	if len(pending) != 3 || next == "" {
		t.Fatalf("pending page 1: %d next=%q", len(pending), next)
	}
	rest, next2 := must2[[]registry.Investor](t)(s.ListInvestors(ctx, registry.InvestorFilter{Status: registry.StatusPending}, registry.PageRequest{Limit: 3, Cursor: next}))
	if len(rest) != 2 || next2 != "" {
		t.Fatalf("pending page 2: %d next=%q", len(rest), next2)
	}
	for _, inv := range append(pending, rest...) {
		if inv.Status != registry.StatusPending {
			t.Fatalf("filter leaked %s", inv.Status)
		}
	}
	none, _ := must2[[]registry.Investor](t)(s.ListInvestors(ctx, registry.InvestorFilter{Jurisdiction: "DE"}, registry.PageRequest{}))
	if len(none) != 0 {
		t.Fatalf("jurisdiction filter: %d", len(none))
	}
	ws, _ := must2[[]registry.Wallet](t)(s.ListWallets(ctx, registry.WalletFilter{InvestorID: "inv-002"}, registry.PageRequest{Limit: 100}))
	if len(ws) != 6 {
		t.Fatalf("wallets of inv-002: %d", len(ws))
	}
	all, _ := must2[[]registry.Wallet](t)(s.ListWallets(ctx, registry.WalletFilter{}, registry.PageRequest{Limit: 5000}))
	if len(all) != 12 {
		t.Fatalf("all wallets: %d", len(all))
	}
	_, _, err := s.ListInvestors(ctx, registry.InvestorFilter{}, registry.PageRequest{Cursor: "!!not-a-cursor!!"})
	wantErr(t, err, registry.ErrInvalid)
}

func testConcurrentUpdates(t *testing.T, s registry.Store) {
	ctx := t.Context()
	base := must(t, ok(s.CreateInvestor(ctx, Investor("inv-c"), now("x"))))
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			inv := base
			inv.Name = fmt.Sprintf("writer %d", i)
			_, errs[i] = s.UpdateInvestor(ctx, inv, 1, now("race"))
		}()
	}
	wg.Wait()
	wins := 0
	winner := ""
	for i, err := range errs {
		switch {
		case err == nil:
			wins++
			winner = fmt.Sprintf("writer %d", i)
		case !errors.Is(err, registry.ErrConflict):
			t.Fatalf("writer %d: %v", i, err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d updates won, want exactly 1", wins)
	}
	got := must(t, ok(s.Investor(ctx, "inv-c", time.Time{})))
	if got.Version != 2 || got.Name != winner {
		t.Fatalf("after race: version %d name %q, want 2 %q", got.Version, got.Name, winner)
	}
	if h := must(t, ok(s.History(ctx, registry.KindInvestor, "inv-c"))); len(h) != 2 {
		t.Fatalf("history has %d versions, want 2", len(h))
	}
}

func testChangePoints(t *testing.T, s registry.Store) {
	ctx := t.Context()
	h := time.Hour
	must(t, ok(s.CreateAsset(ctx, Asset("CP"), chg(1*h, "list asset"))))
	inv := Investor("inv-cp")
	kyc := at(10 * h)
	inv.KYCExpiresAt = &kyc
	inv.EffectiveFrom = at(2 * h)
	must(t, ok(s.CreateInvestor(ctx, inv, chg(2*h, "onboard"))))
	w := Wallet(3, "inv-cp")
	must(t, ok(s.CreateWallet(ctx, w, chg(3*h, "link wallet"))))
	must(t, ok(s.AddToWhitelist(ctx, "CP", "inv-cp", chg(4*h, "whitelist"))))
	inv.Status = registry.StatusSuspended
	must(t, ok(s.UpdateInvestor(ctx, inv, 1, chg(5*h, "suspend"))))
	// Unrelated changes must not show up.
	must(t, ok(s.CreateInvestor(ctx, Investor("inv-other"), chg(6*h, "other"))))
	must(t, ok(s.CreateAsset(ctx, Asset("OTHER"), chg(6*h, "other"))))
	w.Frozen = true
	must(t, ok(s.UpdateWallet(ctx, w, 1, chg(20*h, "freeze, outside range"))))

	pts := must(t, ok(s.ChangePoints(ctx, "CP", w.Address, at(0), at(12*h))))
	type p struct {
		At     time.Time
		Kind   string
		Field  string
		Reason string
	}
	var got []p
	for _, x := range pts {
		got = append(got, p{x.At, x.Kind, x.Field, x.Reason})
	}
	want := []p{
		{at(1 * h), registry.KindAsset, "", "list asset"},
		{at(2 * h), registry.KindInvestor, "", "onboard"},
		{at(2 * h), registry.KindBoundary, "effective_from", "onboard"},
		{at(3 * h), registry.KindWallet, "", "link wallet"},
		{at(4 * h), registry.KindWhitelist, "", "whitelist"},
		{at(5 * h), registry.KindInvestor, "", "suspend"},
		{at(10 * h), registry.KindBoundary, "kyc_expires_at", "onboard"},
	}
	sortPts := cmp.Transformer("sort", func(in []p) []p {
		out := slices.Clone(in)
		slices.SortStableFunc(out, func(a, b p) int {
			if c := a.At.Compare(b.At); c != 0 {
				return c
			}
			if a.Kind != b.Kind {
				if a.Kind < b.Kind {
					return -1
				}
				return 1
			}
			return 0
		})
		return out
	})
	if diff := cmp.Diff(want, got, sortPts); diff != "" {
		t.Fatalf("change points (-want +got):\n%s", diff)
	}
	for i := 1; i < len(pts); i++ {
		if pts[i].At.Before(pts[i-1].At) {
			t.Fatalf("change points not in time order at %d", i)
		}
	}
	for _, x := range pts {
		if x.Actor != "tester" {
			t.Fatalf("change point without actor: %+v", x)
		}
	}
	_, err := s.ChangePoints(ctx, "CP", Address(999), at(0), at(12*h))
	wantErr(t, err, registry.ErrNotFound)
	_, err = s.ChangePoints(ctx, "CP", w.Address, at(12*h), at(0))
	wantErr(t, err, registry.ErrInvalid)
}

func testEvents(t *testing.T, s registry.Store) {
	ctx := t.Context()
	var mu sync.Mutex
	var got []registry.Event
	cancel := s.Subscribe(func(e registry.Event) {
		mu.Lock()
		got = append(got, e)
		mu.Unlock()
	})
	seq0 := must(t, ok(s.Seq(ctx)))
	inv := must(t, ok(s.CreateInvestor(ctx, Investor("inv-e"), now("x"))))
	must(t, ok(s.UpdateInvestor(ctx, inv, 1, now("y"))))
	_, err := s.UpdateInvestor(ctx, inv, 1, now("stale"))
	wantErr(t, err, registry.ErrConflict)
	must(t, ok(s.CreateWallet(ctx, Wallet(1, "inv-e"), now("x"))))
	must(t, ok(s.CreateAsset(ctx, Asset("EV"), now("x"))))
	must(t, ok(s.AddToWhitelist(ctx, "EV", "inv-e", now("x"))))
	must(t, ok(s.AddToWhitelist(ctx, "EV", "inv-e", now("no-op"))))
	type ev struct {
		Kind, ID, AssetID string
		Version           int64
	}
	want := []ev{
		{registry.KindInvestor, "inv-e", "", 1},
		{registry.KindInvestor, "inv-e", "", 2},
		{registry.KindWallet, Address(1), "", 1},
		{registry.KindAsset, "EV", "EV", 1},
		{registry.KindWhitelist, "inv-e", "EV", 1},
	}
	mu.Lock()
	var gotEv []ev
	for _, e := range got {
		gotEv = append(gotEv, ev{e.Kind, e.ID, e.AssetID, e.Version})
	}
	seqs := []int64{}
	for _, e := range got {
		seqs = append(seqs, e.Seq)
	}
	mu.Unlock()
	if diff := cmp.Diff(want, gotEv); diff != "" {
		t.Fatalf("events (-want +got):\n%s", diff)
	}
	for i, sq := range seqs {
		if sq <= seq0 || (i > 0 && sq <= seqs[i-1]) {
			t.Fatalf("event seqs not increasing from %d: %v", seq0, seqs)
		}
	}
	if last := must(t, ok(s.Seq(ctx))); last != seqs[len(seqs)-1] {
		t.Fatalf("Seq() = %d, last event seq %d", last, seqs[len(seqs)-1])
	}
	cancel()
	must(t, ok(s.CreateInvestor(ctx, Investor("inv-f"), now("x"))))
	mu.Lock()
	defer mu.Unlock()
	if len(got) != len(want) {
		t.Fatalf("event delivered after cancel")
	}
}

func testUpsert(t *testing.T, s registry.Store) {
	ctx := t.Context()
	a, b := Investor("inv-u1"), Investor("inv-u2")
	w := Wallet(1, "inv-u1")
	bad := Wallet(2, "inv-u1")
	bad.Address = "0xnothex"
	as := Asset("UP")
	wl := registry.WhitelistEntry{AssetID: "UP", InvestorID: "inv-u2", Active: true}
	rows := []registry.Mutation{{Investor: &a}, {Investor: &b}, {Asset: &as}, {Wallet: &w}, {Wallet: &bad}, {Whitelist: &wl}, {}}
	res := must(t, ok(s.Upsert(ctx, rows, now("import"), registry.UpsertOptions{})))
	if len(res) != len(rows) {
		t.Fatalf("%d results for %d rows", len(res), len(rows))
	}
	for i, r := range res {
		wantFail := i == 4 || i == 6
		if (r.Err != nil) != wantFail {
			t.Fatalf("row %d: err %v", i, r.Err)
		}
		if !wantFail && (!r.Changed || r.Version != 1) {
			t.Fatalf("row %d: %+v", i, r)
		}
	}
	if ok := must(t, ok(s.Whitelisted(ctx, "UP", "inv-u2", time.Time{}))); !ok {
		t.Fatal("whitelist row not applied")
	}
	seq := must(t, ok(s.Seq(ctx)))
	again := must(t, ok(s.Upsert(ctx, rows[:4], now("re-import"), registry.UpsertOptions{})))
	for i, r := range again {
		if r.Err != nil || r.Changed || r.Version != 1 {
			t.Fatalf("re-import row %d: %+v", i, r)
		}
	}
	if s2 := must(t, ok(s.Seq(ctx))); s2 != seq {
		t.Fatalf("idempotent re-import moved Seq %d -> %d", seq, s2)
	}
	a.Category = registry.CategoryProfessional
	w.Frozen = true
	changed := must(t, ok(s.Upsert(ctx, []registry.Mutation{{Investor: &a}, {Wallet: &w}}, now("update"), registry.UpsertOptions{})))
	for _, r := range changed {
		if r.Err != nil || !r.Changed || r.Version != 2 {
			t.Fatalf("changed row: %+v", r)
		}
	}
	if got := must(t, ok(s.Investor(ctx, "inv-u1", time.Time{}))); got.Category != registry.CategoryProfessional {
		t.Fatalf("upsert did not update: %+v", got)
	}
}

func testUpsertAtomic(t *testing.T, s registry.Store) {
	ctx := t.Context()
	a := Investor("inv-x1")
	w := Wallet(1, "inv-x1")
	orphan := Wallet(2, "inv-nobody")
	_, err := s.Upsert(ctx, []registry.Mutation{{Investor: &a}, {Wallet: &w}, {Wallet: &orphan}}, now("atomic"), registry.UpsertOptions{AllOrNothing: true})
	wantErr(t, err, registry.ErrInvalid)
	_, err = s.Investor(ctx, "inv-x1", time.Time{})
	wantErr(t, err, registry.ErrNotFound)
	_, err = s.Wallet(ctx, w.Address, time.Time{})
	wantErr(t, err, registry.ErrNotFound)
	if seq := must(t, ok(s.Seq(ctx))); seq != 0 {
		t.Fatalf("rolled-back batch moved Seq to %d", seq)
	}
	res := must(t, ok(s.Upsert(ctx, []registry.Mutation{{Investor: &a}, {Wallet: &w}}, now("atomic"), registry.UpsertOptions{AllOrNothing: true})))
	if len(res) != 2 || !res[1].Changed {
		t.Fatalf("atomic batch: %+v", res)
	}
}

func testEventsOrdered(t *testing.T, s registry.Store) {
	ctx := t.Context()
	var mu sync.Mutex
	var seqs []int64
	cancel := s.Subscribe(func(e registry.Event) {
		mu.Lock()
		seqs = append(seqs, e.Seq)
		mu.Unlock()
	})
	defer cancel()
	const writers, each = 4, 5
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				if _, err := s.CreateInvestor(ctx, Investor(fmt.Sprintf("inv-%d-%d", w, i)), now("x")); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	if len(seqs) != writers*each {
		t.Fatalf("%d events, want %d", len(seqs), writers*each)
	}
	for i := 1; i < len(seqs); i++ {
		if seqs[i] != seqs[i-1]+1 {
			t.Fatalf("events out of order or with gaps: %v", seqs)
		}
	}
}
