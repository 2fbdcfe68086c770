package celengine

import (
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/interpreter"

	"github.com/clearancehq/clearance/policies"
)

// activation resolves the input variables and the evaluated definitions.
type activation struct {
	in      *policies.Input
	asset   map[string]any
	from    any
	to      any
	defs    map[string]any
	hasFrom bool
	hasTo   bool
}

var _ interpreter.Activation = (*activation)(nil)

func newActivation(in *policies.Input, ndefs int) *activation {
	a := &activation{
		in:      in,
		asset:   assetMap(&in.Asset),
		from:    partyValue(in.From),
		to:      partyValue(in.To),
		hasFrom: in.From != nil,
		hasTo:   in.To != nil,
	}
	if ndefs > 0 {
		a.defs = make(map[string]any, ndefs)
	}
	return a
}

func (a *activation) ResolveName(name string) (any, bool) {
	switch name {
	case "action":
		return string(a.in.Action), true
	case "amount":
		return a.in.Amount, true
	case "now":
		return a.in.Now, true
	case "asset":
		return a.asset, true
	case "from":
		return a.from, true
	case "to":
		return a.to, true
	case "has_from":
		return a.hasFrom, true
	case "has_to":
		return a.hasTo, true
	case "list_version":
		return a.in.ListVersion, true
	case "asset_id":
		return a.in.AssetID, true
	case "from_wallet":
		return a.in.FromWallet, true
	case "to_wallet":
		return a.in.ToWallet, true
	case "venue":
		return a.in.Venue, true
	}
	v, ok := a.defs[name]
	return v, ok
}

func (a *activation) Parent() interpreter.Activation { return nil }

func strList(xs []string) []string {
	if xs == nil {
		return []string{}
	}
	return xs
}

func intMap(m map[string]int64) map[string]int64 {
	if m == nil {
		return map[string]int64{}
	}
	return m
}

func assetMap(a *policies.AssetFacts) map[string]any {
	conds := make([]any, len(a.Conditions))
	for i, c := range a.Conditions {
		conds[i] = map[string]any{"id": c.ID, "expr": c.Expr, "effect": c.Effect, "code": c.Code, "message": c.Message}
	}
	return map[string]any{
		"known":                        a.Known,
		"id":                           a.ID,
		"ticker":                       a.Ticker,
		"decimals":                     int64(a.Decimals),
		"version":                      a.Version,
		"pack":                         a.Pack,
		"paused_actions":               strList(a.PausedActions),
		"allowed_jurisdictions":        strList(a.AllowedJurisdictions),
		"blocked_jurisdictions":        strList(a.BlockedJurisdictions),
		"allowed_categories":           strList(a.AllowedCategories),
		"parties":                      a.Parties,
		"lockup_days":                  a.LockupDays,
		"redeem_in_lockup":             a.RedeemInLockup,
		"max_holders":                  a.MaxHolders,
		"max_holders_per_jurisdiction": intMap(a.MaxHoldersPerJurisdiction),
		"max_balance_per_investor":     a.MaxBalancePerInvestor,
		"min_investment":               a.MinInvestment,
		"max_investment":               a.MaxInvestment,
		"require_whitelist":            a.RequireWhitelist,
		"review_score":                 a.ReviewScore,
		"escalate_score":               a.EscalateScore,
		"aml_review_ratio_pct":         a.AMLReviewRatioPct,
		"aml_escalate_ratio_pct":       a.AMLEscalateRatioPct,
		"treasury_wallet":              a.TreasuryWallet,
		"redemption_wallet":            a.RedemptionWallet,
		"holder_count":                 a.HolderCount,
		"holder_count_by_jurisdiction": intMap(a.HolderCountByJurisdiction),
		"conditions":                   conds,
	}
}

func partyValue(p *policies.PartyFacts) any {
	if p == nil {
		return types.NullValue
	}
	w, inv, h, s, aml := &p.Wallet, &p.Investor, &p.Holding, &p.Screening, &p.AML
	return map[string]any{
		"known": p.Known,
		"wallet": map[string]any{
			"address": w.Address, "chain": w.Chain, "verified": w.Verified, "active": w.Active,
			"frozen": w.Frozen, "frozen_amount": w.FrozenAmount, "version": w.Version,
		},
		"investor": map[string]any{
			"known": inv.Known, "id": inv.ID, "status": inv.Status,
			"effective_from": inv.EffectiveFrom, "effective_to": inv.EffectiveTo,
			"kyc_expires_at": inv.KYCExpiresAt, "category": inv.Category,
			"jurisdiction": inv.Jurisdiction, "type": inv.Type, "active": inv.Active,
			"whitelisted": inv.Whitelisted, "locked_until": inv.LockedUntil,
			"expected_min": inv.ExpectedMin, "expected_max": inv.ExpectedMax, "version": inv.Version,
		},
		"holding": map[string]any{
			"wallet_balance": h.WalletBalance, "unlocked": h.Unlocked, "next_unlock_at": h.NextUnlockAt,
			"investor_balance": h.InvestorBalance, "is_holder": h.IsHolder,
		},
		"screening": map[string]any{
			"status": s.Status, "score": s.Score, "entry": s.Entry, "exception": s.Exception,
		},
		"aml": map[string]any{
			"score": aml.Score, "features": intMap(aml.Features), "amount_ratio_pct": aml.AmountRatioPct,
		},
		"hold":          p.Hold,
		"is_treasury":   p.IsTreasury,
		"is_redemption": p.IsRedemption,
	}
}
