package opaengine

import (
	"sort"
	"strconv"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/clearancehq/clearance/policies"
)

// InputValue converts in into an OPA value with the JSON field names of
// policies.Input. Absent parties are null, nil lists are empty arrays and nil
// maps are empty objects, so policies never see undefined fields.
func InputValue(in *policies.Input) ast.Value {
	return inputValueWith(in, partyTerm)
}

func inputValueWith(in *policies.Input, party func(*policies.PartyFacts) *ast.Term) ast.Value {
	return ast.NewObject(
		item("action", str(string(in.Action))),
		item("asset_id", str(in.AssetID)),
		item("from_wallet", str(in.FromWallet)),
		item("to_wallet", str(in.ToWallet)),
		item("amount", num(in.Amount)),
		item("venue", str(in.Venue)),
		item("now", num(in.Now)),
		item("asset", ast.NewTerm(assetValue(&in.Asset))),
		item("from", party(in.From)),
		item("to", party(in.To)),
		item("list_version", str(in.ListVersion)),
	)
}

func item(k string, v *ast.Term) [2]*ast.Term { return [2]*ast.Term{ast.InternedTerm(k), v} }

func str(s string) *ast.Term { return ast.StringTerm(s) }

func num(n int64) *ast.Term { return ast.InternedTerm(n) }

func boolean(b bool) *ast.Term { return ast.InternedTerm(b) }

func strs(xs []string) *ast.Term {
	ts := make([]*ast.Term, len(xs))
	for i, x := range xs {
		ts[i] = ast.StringTerm(x)
	}
	return ast.ArrayTerm(ts...)
}

func intMap(m map[string]int64) *ast.Term {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	items := make([][2]*ast.Term, len(keys))
	for i, k := range keys {
		items[i] = [2]*ast.Term{ast.StringTerm(k), num(m[k])}
	}
	return ast.NewTerm(ast.NewObject(items...))
}

func assetValue(a *policies.AssetFacts) ast.Value {
	conds := make([]*ast.Term, len(a.Conditions))
	for i, c := range a.Conditions {
		conds[i] = ast.NewTerm(ast.NewObject(
			item("id", str(c.ID)),
			item("expr", str(c.Expr)),
			item("effect", str(c.Effect)),
			item("code", str(c.Code)),
			item("message", str(c.Message)),
		))
	}
	return ast.NewObject(
		item("known", boolean(a.Known)),
		item("id", str(a.ID)),
		item("ticker", str(a.Ticker)),
		item("decimals", num(int64(a.Decimals))),
		item("version", num(a.Version)),
		item("pack", str(a.Pack)),
		item("paused_actions", strs(a.PausedActions)),
		item("allowed_jurisdictions", strs(a.AllowedJurisdictions)),
		item("blocked_jurisdictions", strs(a.BlockedJurisdictions)),
		item("allowed_categories", strs(a.AllowedCategories)),
		item("parties", str(a.Parties)),
		item("lockup_days", num(a.LockupDays)),
		item("redeem_in_lockup", boolean(a.RedeemInLockup)),
		item("max_holders", num(a.MaxHolders)),
		item("max_holders_per_jurisdiction", intMap(a.MaxHoldersPerJurisdiction)),
		item("max_balance_per_investor", num(a.MaxBalancePerInvestor)),
		item("min_investment", num(a.MinInvestment)),
		item("max_investment", num(a.MaxInvestment)),
		item("require_whitelist", boolean(a.RequireWhitelist)),
		item("review_score", num(a.ReviewScore)),
		item("escalate_score", num(a.EscalateScore)),
		item("aml_review_ratio_pct", num(a.AMLReviewRatioPct)),
		item("aml_escalate_ratio_pct", num(a.AMLEscalateRatioPct)),
		item("treasury_wallet", str(a.TreasuryWallet)),
		item("redemption_wallet", str(a.RedemptionWallet)),
		item("holder_count", num(a.HolderCount)),
		item("holder_count_by_jurisdiction", intMap(a.HolderCountByJurisdiction)),
		item("conditions", ast.ArrayTerm(conds...)),
	)
}

func partyTerm(p *policies.PartyFacts) *ast.Term {
	return partyTermWith(p, walletTerm, investorTerm)
}

func walletTerm(w *policies.WalletFacts) *ast.Term {
	return ast.NewTerm(ast.NewObject(
		item("address", str(w.Address)),
		item("chain", str(w.Chain)),
		item("verified", boolean(w.Verified)),
		item("active", boolean(w.Active)),
		item("frozen", boolean(w.Frozen)),
		item("frozen_amount", num(w.FrozenAmount)),
		item("version", num(w.Version)),
	))
}

func investorTerm(inv *policies.InvestorFacts) *ast.Term {
	return ast.NewTerm(ast.NewObject(
		item("known", boolean(inv.Known)),
		item("id", str(inv.ID)),
		item("status", str(inv.Status)),
		item("effective_from", num(inv.EffectiveFrom)),
		item("effective_to", num(inv.EffectiveTo)),
		item("kyc_expires_at", num(inv.KYCExpiresAt)),
		item("category", str(inv.Category)),
		item("jurisdiction", str(inv.Jurisdiction)),
		item("type", str(inv.Type)),
		item("active", boolean(inv.Active)),
		item("whitelisted", boolean(inv.Whitelisted)),
		item("locked_until", num(inv.LockedUntil)),
		item("expected_min", num(inv.ExpectedMin)),
		item("expected_max", num(inv.ExpectedMax)),
		item("version", num(inv.Version)),
	))
}

func partyTermWith(p *policies.PartyFacts, wt func(*policies.WalletFacts) *ast.Term, it func(*policies.InvestorFacts) *ast.Term) *ast.Term {
	if p == nil {
		return ast.InternedNullTerm
	}
	w, inv, h, s, aml := &p.Wallet, &p.Investor, &p.Holding, &p.Screening, &p.AML
	return ast.NewTerm(ast.NewObject(
		item("known", boolean(p.Known)),
		item("wallet", wt(w)),
		item("investor", it(inv)),
		item("holding", ast.NewTerm(ast.NewObject(
			item("wallet_balance", num(h.WalletBalance)),
			item("unlocked", num(h.Unlocked)),
			item("next_unlock_at", num(h.NextUnlockAt)),
			item("investor_balance", num(h.InvestorBalance)),
			item("is_holder", boolean(h.IsHolder)),
		))),
		item("screening", ast.NewTerm(ast.NewObject(
			item("status", str(s.Status)),
			item("score", ast.NewTerm(ast.Number(strconv.FormatFloat(s.Score, 'g', -1, 64)))),
			item("entry", str(s.Entry)),
			item("exception", boolean(s.Exception)),
		))),
		item("aml", ast.NewTerm(ast.NewObject(
			item("score", num(aml.Score)),
			item("features", intMap(aml.Features)),
			item("amount_ratio_pct", num(aml.AmountRatioPct)),
		))),
		item("hold", boolean(p.Hold)),
		item("is_treasury", boolean(p.IsTreasury)),
		item("is_redemption", boolean(p.IsRedemption)),
	))
}
