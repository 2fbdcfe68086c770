package registrysvc

import (
	"fmt"
	"strconv"
	"time"

	registryv1 "github.com/clearancehq/clearance/gateway/gen/registry/v1"
	"github.com/clearancehq/clearance/policies"
	"github.com/clearancehq/clearance/registry"
)

func invalid(field, rule string) error { return &registry.ValidationError{Field: field, Rule: rule} }

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func fmtTimePtr(t *time.Time) *string {
	if t == nil || t.IsZero() {
		return nil
	}
	s := fmtTime(*t)
	return &s
}

func parseTime(field, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, invalid(field, "must be an RFC 3339 time")
	}
	return t.UTC(), nil
}

func parseTimePtr(field, s string) (*time.Time, error) {
	t, err := parseTime(field, s)
	if err != nil || t.IsZero() {
		return nil, err
	}
	return &t, nil
}

func parseAmount(field, s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, invalid(field, "must be a non-negative integer string in the smallest unit")
	}
	return n, nil
}

func amount(n int64) string { return strconv.FormatInt(n, 10) }

func ptr[T any](v T) *T { return &v }

// ---- investors ----

func investorToProto(v registry.Investor) *registryv1.Investor {
	return &registryv1.Investor{
		Id: v.ID, Name: ptr(v.Name), DateOfBirth: ptr(v.DateOfBirth), Nationality: ptr(v.Nationality),
		RegistrationNumber: ptr(v.RegistrationNumber), Status: ptr(v.Status), EffectiveFrom: ptr(fmtTime(v.EffectiveFrom)),
		EffectiveTo: fmtTimePtr(v.EffectiveTo), KycExpiresAt: fmtTimePtr(v.KYCExpiresAt), Category: ptr(v.Category),
		Jurisdiction: ptr(v.Jurisdiction), Type: ptr(v.Type), Active: ptr(v.Active), LockedUntil: fmtTimePtr(v.LockedUntil),
		ExpectedMin: ptr(amount(v.ExpectedMin)), ExpectedMax: ptr(amount(v.ExpectedMax)), ExternalRefs: v.ExternalRefs,
		Version: v.Version, UpdatedAt: fmtTime(v.UpdatedAt), BeneficialOwners: ownersToProto(v.BeneficialOwners),
	}
}

func ownersToProto(os []registry.BeneficialOwner) []*registryv1.BeneficialOwner {
	if len(os) == 0 {
		return nil
	}
	out := make([]*registryv1.BeneficialOwner, len(os))
	for i, o := range os {
		out[i] = &registryv1.BeneficialOwner{Name: o.Name, DateOfBirth: o.DateOfBirth, Nationality: o.Nationality, OwnershipBp: o.OwnershipBP, Role: o.Role}
	}
	return out
}

// ownersFromProto converts owners; the store validates them. A nil entry
// (impossible from JSON, possible from a hand-built request) is rejected.
func ownersFromProto(ps []*registryv1.BeneficialOwner) ([]registry.BeneficialOwner, error) {
	out := make([]registry.BeneficialOwner, len(ps))
	for i, p := range ps {
		if p == nil {
			return nil, invalid(fmt.Sprintf("investor.beneficial_owners[%d]", i), "is required")
		}
		out[i] = registry.BeneficialOwner{Name: p.GetName(), DateOfBirth: p.GetDateOfBirth(), Nationality: p.GetNationality(), OwnershipBP: p.GetOwnershipBp(), Role: p.GetRole()}
	}
	return out, nil
}

// applyInvestor copies the fields present in p onto v.
func applyInvestor(v *registry.Investor, p *registryv1.Investor) error {
	if p == nil {
		return invalid("investor", "is required")
	}
	var err error
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = *src
		}
	}
	set(&v.Name, p.Name)
	set(&v.DateOfBirth, p.DateOfBirth)
	set(&v.Nationality, p.Nationality)
	set(&v.RegistrationNumber, p.RegistrationNumber)
	set(&v.Status, p.Status)
	set(&v.Category, p.Category)
	set(&v.Jurisdiction, p.Jurisdiction)
	set(&v.Type, p.Type)
	if p.Active != nil {
		v.Active = *p.Active
	}
	if p.EffectiveFrom != nil {
		if v.EffectiveFrom, err = parseTime("investor.effective_from", *p.EffectiveFrom); err != nil {
			return err
		}
	}
	times := []struct {
		field string
		src   *string
		dst   **time.Time
	}{
		{"investor.effective_to", p.EffectiveTo, &v.EffectiveTo},
		{"investor.kyc_expires_at", p.KycExpiresAt, &v.KYCExpiresAt},
		{"investor.locked_until", p.LockedUntil, &v.LockedUntil},
	}
	for _, t := range times {
		if t.src == nil {
			continue
		}
		if *t.dst, err = parseTimePtr(t.field, *t.src); err != nil {
			return err
		}
	}
	if p.ExpectedMin != nil {
		if v.ExpectedMin, err = parseAmount("investor.expected_min", *p.ExpectedMin); err != nil {
			return err
		}
	}
	if p.ExpectedMax != nil {
		if v.ExpectedMax, err = parseAmount("investor.expected_max", *p.ExpectedMax); err != nil {
			return err
		}
	}
	if len(p.ExternalRefs) > 0 {
		v.ExternalRefs = p.ExternalRefs
	}
	if len(p.BeneficialOwners) > 0 {
		if v.BeneficialOwners, err = ownersFromProto(p.BeneficialOwners); err != nil {
			return err
		}
	}
	return nil
}

// ---- wallets ----

func walletToProto(v registry.Wallet) *registryv1.Wallet {
	return &registryv1.Wallet{
		Address: v.Address, Chain: ptr(v.Chain), InvestorId: ptr(v.InvestorID), Verified: ptr(v.Verified),
		Active: ptr(v.Active), Frozen: ptr(v.Frozen), FrozenAmount: ptr(amount(v.FrozenAmount)),
		Version: v.Version, UpdatedAt: fmtTime(v.UpdatedAt),
	}
}

func applyWallet(v *registry.Wallet, p *registryv1.Wallet) error {
	if p == nil {
		return invalid("wallet", "is required")
	}
	if p.Chain != nil {
		v.Chain = *p.Chain
	}
	if p.InvestorId != nil {
		v.InvestorID = *p.InvestorId
	}
	for _, b := range []struct {
		src *bool
		dst *bool
	}{{p.Verified, &v.Verified}, {p.Active, &v.Active}, {p.Frozen, &v.Frozen}} {
		if b.src != nil {
			*b.dst = *b.src
		}
	}
	if p.FrozenAmount != nil {
		n, err := parseAmount("wallet.frozen_amount", *p.FrozenAmount)
		if err != nil {
			return err
		}
		v.FrozenAmount = n
	}
	return nil
}

// ---- assets ----

func paramsToProto(p registry.AssetParams) *registryv1.AssetParams {
	out := &registryv1.AssetParams{
		AllowedJurisdictions: p.AllowedJurisdictions, BlockedJurisdictions: p.BlockedJurisdictions,
		AllowedCategories: p.AllowedCategories, LockupDays: p.LockupDays, RedeemInLockup: p.RedeemInLockup,
		MaxHolders: p.MaxHolders, MaxHoldersPerJurisdiction: p.MaxHoldersPerJurisdiction,
		MaxBalancePerInvestor: amount(p.MaxBalancePerInvestor), MinInvestment: amount(p.MinInvestment),
		MaxInvestment: amount(p.MaxInvestment), Parties: p.Parties, RequireWhitelist: p.RequireWhitelist,
		ReviewScore: p.ReviewScore, EscalateScore: p.EscalateScore, OnScreeningHit: p.OnScreeningHit,
		AmlReviewRatioPct: p.AMLReviewRatioPct, AmlEscalateRatioPct: p.AMLEscalateRatioPct,
	}
	for _, c := range p.Conditions {
		out.Conditions = append(out.Conditions, &registryv1.Condition{Id: c.ID, Expr: c.Expr, Effect: c.Effect, Code: c.Code, Message: c.Message})
	}
	return out
}

func paramsFromProto(p *registryv1.AssetParams) (registry.AssetParams, error) {
	out := registry.AssetParams{
		AllowedJurisdictions: p.AllowedJurisdictions, BlockedJurisdictions: p.BlockedJurisdictions,
		AllowedCategories: p.AllowedCategories, LockupDays: p.LockupDays, RedeemInLockup: p.RedeemInLockup,
		MaxHolders: p.MaxHolders, MaxHoldersPerJurisdiction: p.MaxHoldersPerJurisdiction,
		Parties: p.Parties, RequireWhitelist: p.RequireWhitelist, ReviewScore: p.ReviewScore,
		EscalateScore: p.EscalateScore, OnScreeningHit: p.OnScreeningHit,
		AMLReviewRatioPct: p.AmlReviewRatioPct, AMLEscalateRatioPct: p.AmlEscalateRatioPct,
	}
	var err error
	for _, a := range []struct {
		field string
		src   string
		dst   *int64
	}{
		{"asset.params.max_balance_per_investor", p.MaxBalancePerInvestor, &out.MaxBalancePerInvestor},
		{"asset.params.min_investment", p.MinInvestment, &out.MinInvestment},
		{"asset.params.max_investment", p.MaxInvestment, &out.MaxInvestment},
	} {
		if *a.dst, err = parseAmount(a.field, a.src); err != nil {
			return out, err
		}
	}
	for _, c := range p.Conditions {
		out.Conditions = append(out.Conditions, registry.Condition{ID: c.Id, Expr: c.Expr, Effect: c.Effect, Code: c.Code, Message: c.Message})
	}
	return out, nil
}

func assetToProto(v registry.Asset) *registryv1.Asset {
	return &registryv1.Asset{
		Id: v.ID, Ticker: ptr(v.Ticker), Decimals: ptr(int32(v.Decimals)), Pack: ptr(v.Pack),
		Params: paramsToProto(v.Params), PausedActions: &registryv1.StringList{Values: v.PausedActions},
		TreasuryWallet: ptr(v.TreasuryWallet), RedemptionWallet: ptr(v.RedemptionWallet),
		Version: v.Version, UpdatedAt: fmtTime(v.UpdatedAt),
	}
}

func applyAsset(v *registry.Asset, p *registryv1.Asset) error {
	if p == nil {
		return invalid("asset", "is required")
	}
	if p.Ticker != nil {
		v.Ticker = *p.Ticker
	}
	if p.Decimals != nil {
		v.Decimals = int(*p.Decimals)
	}
	if p.Pack != nil {
		v.Pack = *p.Pack
	}
	if p.TreasuryWallet != nil {
		v.TreasuryWallet = *p.TreasuryWallet
	}
	if p.RedemptionWallet != nil {
		v.RedemptionWallet = *p.RedemptionWallet
	}
	if p.PausedActions != nil {
		v.PausedActions = p.PausedActions.Values
	}
	if p.Params != nil {
		params, err := paramsFromProto(p.Params)
		if err != nil {
			return err
		}
		v.Params = params
	}
	return nil
}

func whitelistToProto(e registry.WhitelistEntry) *registryv1.WhitelistEntry {
	return &registryv1.WhitelistEntry{AssetId: e.AssetID, InvestorId: e.InvestorID, Active: e.Active, Version: e.Version, UpdatedAt: fmtTime(e.UpdatedAt)}
}

func revisionToProto(r registry.Revision) *registryv1.Revision {
	out := &registryv1.Revision{Kind: r.Kind, Id: r.ID, Version: r.Version, At: fmtTime(r.At), Actor: r.Actor, Reason: r.Reason}
	switch {
	case r.Investor != nil:
		out.Entity = &registryv1.Revision_Investor{Investor: investorToProto(*r.Investor)}
	case r.Wallet != nil:
		out.Entity = &registryv1.Revision_Wallet{Wallet: walletToProto(*r.Wallet)}
	case r.Asset != nil:
		out.Entity = &registryv1.Revision_Asset{Asset: assetToProto(*r.Asset)}
	case r.Whitelist != nil:
		out.Entity = &registryv1.Revision_Whitelist{Whitelist: whitelistToProto(*r.Whitelist)}
	}
	return out
}

func reasonsToProto(rs []policies.Reason) []*registryv1.Reason {
	out := make([]*registryv1.Reason, 0, len(rs))
	for _, r := range rs {
		out = append(out, &registryv1.Reason{Code: r.Code, Message: r.Message, Policy: r.Policy, Observed: r.Observed, Limit: r.Limit, Reference: r.Reference, Effect: r.Effect})
	}
	return out
}

func changeToProto(c registry.ChangePoint) *registryv1.Change {
	return &registryv1.Change{At: fmtTime(c.At), Kind: c.Kind, Id: c.ID, Version: c.Version, Field: c.Field, Actor: c.Actor, Reason: c.Reason}
}
