package registry

import (
	"encoding/hex"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/stellar/go-stellar-sdk/strkey"
)

// Chains a wallet address can belong to.
const (
	ChainEVM     = "evm"
	ChainStellar = "stellar"
	ChainLedger  = "ledger"
)

// Investor types.
const (
	TypeIndividual = "INDIVIDUAL"
	TypeEntity     = "ENTITY"
)

// Enumerations, for validation and documentation.
var (
	Statuses   = []string{StatusPending, StatusApproved, StatusRestricted, StatusSuspended, StatusRevoked}
	Categories = []string{CategoryRetail, CategoryAccredited, CategoryQualified, CategoryProfessional, CategoryInstitutional}
	Types      = []string{TypeIndividual, TypeEntity}
	Chains     = []string{ChainEVM, ChainStellar, ChainLedger}
	// PausableActions are the values allowed in Asset.PausedActions.
	PausableActions = []string{"ALL", "ISSUANCE", "TRANSFER", "REDEMPTION", "DISTRIBUTION", "BURN", "RECOVERY", "FORCED_TRANSFER"}
)

// Size limits on free-text fields.
const (
	maxNameLen       = 256
	maxExternalRefs  = 32
	maxRefLen        = 256
	maxConditions    = 64
	maxExprLen       = 4096
	maxListLen       = 300
	maxPausedActions = 16
	// MaxBeneficialOwners bounds Investor.BeneficialOwners.
	MaxBeneficialOwners = 50
	// MaxOwnerNameLen bounds a beneficial owner's name.
	MaxOwnerNameLen = 200
	// MaxOwnershipBP is 100% in basis points.
	MaxOwnershipBP = 10000
)

var (
	idRe          = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$`)
	assetIDRe     = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)
	tickerRe      = regexp.MustCompile(`^[A-Z0-9]{1,12}$`)
	ledgerAcctRe  = regexp.MustCompile(`^[a-z][a-z0-9_.:-]{2,63}$`)
	evmRe         = regexp.MustCompile(`^0[xX][0-9a-fA-F]{40}$`)
	upperSnakeRe  = regexp.MustCompile(`^[A-Z][A-Z0-9_]{0,63}$`)
	dateRe        = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
	refKeyRe      = regexp.MustCompile(`^[A-Za-z0-9_.:-]{1,64}$`)
	packRe        = regexp.MustCompile(`^[A-Za-z0-9_.-]{0,64}$`)
	conditionIDRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)
	roleRe        = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,31}$`)
)

func invalid(field, rule string, args ...any) error {
	return &ValidationError{Field: field, Rule: fmt.Sprintf(rule, args...)}
}

// ValidCountry reports whether code is an assigned ISO-3166 alpha-2 code.
func ValidCountry(code string) bool {
	_, ok := iso3166[code]
	return ok
}

// NormalizeAddress detects the chain of addr, validates it and returns its
// normalised form:
//   - EVM: 0x + 40 hex digits; mixed case must pass the EIP-55 checksum;
//     normalised to lowercase;
//   - Stellar: a G... account id whose strkey checksum is valid, kept as is;
//   - ledger: a plain account id matching ^[a-z][a-z0-9_.:-]{2,63}$.
func NormalizeAddress(addr string) (chain, normalized string, err error) {
	if len(addr) > 128 {
		return "", "", invalid("address", "longer than 128 characters")
	}
	switch {
	case strings.HasPrefix(addr, "0x") || strings.HasPrefix(addr, "0X"):
		if !evmRe.MatchString(addr) {
			return "", "", invalid("address", "EVM address must be 0x followed by 40 hex digits")
		}
		hexPart := addr[2:]
		lower := strings.ToLower(hexPart)
		if hexPart != lower && hexPart != strings.ToUpper(hexPart) {
			if checksumHex(lower) != hexPart {
				return "", "", invalid("address", "EVM address fails the EIP-55 checksum")
			}
		}
		return ChainEVM, "0x" + lower, nil
	case len(addr) == 56 && addr[0] == 'G':
		if _, err := strkey.Decode(strkey.VersionByteAccountID, addr); err != nil {
			return "", "", invalid("address", "invalid Stellar account id (strkey)")
		}
		return ChainStellar, addr, nil
	case ledgerAcctRe.MatchString(addr):
		return ChainLedger, addr, nil
	}
	return "", "", invalid("address", "not an EVM address, Stellar G-address or ledger account id")
}

// ChecksumAddress renders a lowercase 0x-address in EIP-55 mixed case.
func ChecksumAddress(addr string) string {
	if !evmRe.MatchString(addr) {
		return addr
	}
	return "0x" + checksumHex(strings.ToLower(addr[2:]))
}

func checksumHex(lower string) string {
	h := hex.EncodeToString(crypto.Keccak256([]byte(lower)))
	out := []byte(lower)
	for i, c := range out {
		if c >= 'a' && c <= 'f' && h[i] >= '8' {
			out[i] = c - 32
		}
	}
	return string(out)
}

func checkID(field, id string, re *regexp.Regexp) error {
	if id == "" {
		return invalid(field, "is required")
	}
	if !re.MatchString(id) {
		return invalid(field, "must match %s", re.String())
	}
	return nil
}

func checkEnum(field, v string, allowed []string) error {
	if !slices.Contains(allowed, v) {
		return invalid(field, "must be one of %s", strings.Join(allowed, ", "))
	}
	return nil
}

func checkCountry(field, v string) error {
	if !ValidCountry(v) {
		return invalid(field, "must be an ISO-3166 alpha-2 code, got %q", truncate(v, 8))
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// ValidateInvestor checks inv and normalises it in place (uppercases codes).
// A zero EffectiveFrom is left for the store to set to the commit time.
func ValidateInvestor(inv *Investor) error {
	if err := checkID("id", inv.ID, idRe); err != nil {
		return err
	}
	inv.Status = strings.ToUpper(strings.TrimSpace(inv.Status))
	inv.Category = strings.ToUpper(strings.TrimSpace(inv.Category))
	inv.Type = strings.ToUpper(strings.TrimSpace(inv.Type))
	inv.Jurisdiction = strings.ToUpper(strings.TrimSpace(inv.Jurisdiction))
	inv.Nationality = strings.ToUpper(strings.TrimSpace(inv.Nationality))
	if len(inv.Name) > maxNameLen {
		return invalid("name", "longer than %d characters", maxNameLen)
	}
	if len(inv.RegistrationNumber) > maxRefLen {
		return invalid("registration_number", "longer than %d characters", maxRefLen)
	}
	if err := checkDate("date_of_birth", inv.DateOfBirth); err != nil {
		return err
	}
	if inv.Nationality != "" {
		if err := checkCountry("nationality", inv.Nationality); err != nil {
			return err
		}
	}
	if len(inv.BeneficialOwners) > 0 {
		// Normalise a copy: the caller's slice may be shared (a shallow
		// copy of an Investor shares it).
		inv.BeneficialOwners = slices.Clone(inv.BeneficialOwners)
	}
	if err := validateOwners(inv.BeneficialOwners); err != nil {
		return err
	}
	if err := checkEnum("status", inv.Status, Statuses); err != nil {
		return err
	}
	if err := checkEnum("category", inv.Category, Categories); err != nil {
		return err
	}
	if err := checkEnum("type", inv.Type, Types); err != nil {
		return err
	}
	if err := checkCountry("jurisdiction", inv.Jurisdiction); err != nil {
		return err
	}
	if inv.EffectiveTo != nil && !inv.EffectiveFrom.IsZero() && !inv.EffectiveTo.After(inv.EffectiveFrom) {
		return invalid("effective_to", "must be after effective_from")
	}
	if inv.ExpectedMin < 0 {
		return invalid("expected_min", "must not be negative")
	}
	if inv.ExpectedMax < 0 {
		return invalid("expected_max", "must not be negative")
	}
	if inv.ExpectedMax != 0 && inv.ExpectedMax < inv.ExpectedMin {
		return invalid("expected_max", "must be at least expected_min")
	}
	if len(inv.ExternalRefs) > maxExternalRefs {
		return invalid("external_refs", "more than %d entries", maxExternalRefs)
	}
	for k, v := range inv.ExternalRefs {
		if !refKeyRe.MatchString(k) {
			return invalid("external_refs", "key must match %s", refKeyRe.String())
		}
		if len(v) > maxRefLen {
			return invalid("external_refs."+k, "longer than %d characters", maxRefLen)
		}
	}
	return nil
}

// checkDate accepts "" or a valid YYYY-MM-DD date.
func checkDate(field, v string) error {
	if v == "" {
		return nil
	}
	if !dateRe.MatchString(v) {
		return invalid(field, "must be YYYY-MM-DD")
	}
	if _, err := time.Parse(time.DateOnly, v); err != nil {
		return invalid(field, "must be a valid date YYYY-MM-DD")
	}
	return nil
}

// validateOwners checks beneficial owners and normalises them in place
// (trims names, uppercases nationalities, lowercases roles). Errors name
// the owner by index, e.g. "beneficial_owners[2].nationality".
func validateOwners(owners []BeneficialOwner) error {
	if len(owners) > MaxBeneficialOwners {
		return invalid("beneficial_owners", "more than %d entries", MaxBeneficialOwners)
	}
	for i := range owners {
		o := &owners[i]
		field := fmt.Sprintf("beneficial_owners[%d]", i)
		o.Name = strings.TrimSpace(o.Name)
		o.Nationality = strings.ToUpper(strings.TrimSpace(o.Nationality))
		o.Role = strings.ToLower(strings.TrimSpace(o.Role))
		if o.Name == "" {
			return invalid(field+".name", "is required")
		}
		if len(o.Name) > MaxOwnerNameLen {
			return invalid(field+".name", "longer than %d characters", MaxOwnerNameLen)
		}
		if err := checkDate(field+".date_of_birth", o.DateOfBirth); err != nil {
			return err
		}
		if o.Nationality != "" {
			if err := checkCountry(field+".nationality", o.Nationality); err != nil {
				return err
			}
		}
		if o.OwnershipBP < 0 || o.OwnershipBP > MaxOwnershipBP {
			return invalid(field+".ownership_bp", "must be between 0 and %d basis points", MaxOwnershipBP)
		}
		if o.Role != "" && !roleRe.MatchString(o.Role) {
			return invalid(field+".role", "must match %s", roleRe.String())
		}
	}
	return nil
}

// ValidateWallet checks w and normalises its address and chain in place.
func ValidateWallet(w *Wallet) error {
	if w.Address == "" {
		return invalid("address", "is required")
	}
	chain, norm, err := NormalizeAddress(strings.TrimSpace(w.Address))
	if err != nil {
		return err
	}
	w.Chain = strings.ToLower(strings.TrimSpace(w.Chain))
	if w.Chain != "" && w.Chain != chain {
		return invalid("chain", "address is a %s address, not %s", chain, truncate(w.Chain, 16))
	}
	w.Address, w.Chain = norm, chain
	if err := checkID("investor_id", w.InvestorID, idRe); err != nil {
		return err
	}
	if w.FrozenAmount < 0 {
		return invalid("frozen_amount", "must not be negative")
	}
	return nil
}

// ValidateAsset checks a and normalises it in place.
func ValidateAsset(a *Asset) error {
	if err := checkID("id", a.ID, assetIDRe); err != nil {
		return err
	}
	a.Ticker = strings.ToUpper(strings.TrimSpace(a.Ticker))
	if !tickerRe.MatchString(a.Ticker) {
		return invalid("ticker", "must be 1-12 characters A-Z or 0-9")
	}
	if a.Decimals < 0 || a.Decimals > 18 {
		return invalid("decimals", "must be between 0 and 18")
	}
	if !packRe.MatchString(a.Pack) {
		return invalid("pack", "must match %s", packRe.String())
	}
	if len(a.PausedActions) > maxPausedActions {
		return invalid("paused_actions", "more than %d entries", maxPausedActions)
	}
	for i, act := range a.PausedActions {
		a.PausedActions[i] = strings.ToUpper(act)
		if err := checkEnum("paused_actions", a.PausedActions[i], PausableActions); err != nil {
			return err
		}
	}
	for _, f := range []struct {
		name string
		v    *string
	}{{"treasury_wallet", &a.TreasuryWallet}, {"redemption_wallet", &a.RedemptionWallet}} {
		if *f.v == "" {
			continue
		}
		_, norm, err := NormalizeAddress(*f.v)
		if err != nil {
			return invalid(f.name, "%s", err.(*ValidationError).Rule)
		}
		*f.v = norm
	}
	return validateParams(&a.Params)
}

func validateParams(p *AssetParams) error {
	for _, l := range []struct {
		name  string
		codes []string
	}{{"params.allowed_jurisdictions", p.AllowedJurisdictions}, {"params.blocked_jurisdictions", p.BlockedJurisdictions}} {
		if len(l.codes) > maxListLen {
			return invalid(l.name, "more than %d entries", maxListLen)
		}
		for i, c := range l.codes {
			l.codes[i] = strings.ToUpper(c)
			if err := checkCountry(l.name, l.codes[i]); err != nil {
				return err
			}
		}
	}
	for i, c := range p.AllowedCategories {
		p.AllowedCategories[i] = strings.ToUpper(c)
		if err := checkEnum("params.allowed_categories", p.AllowedCategories[i], Categories); err != nil {
			return err
		}
	}
	nonNeg := []struct {
		name string
		v    int64
	}{
		{"params.lockup_days", p.LockupDays}, {"params.max_holders", p.MaxHolders},
		{"params.max_balance_per_investor", p.MaxBalancePerInvestor}, {"params.min_investment", p.MinInvestment},
		{"params.max_investment", p.MaxInvestment}, {"params.review_score", p.ReviewScore}, {"params.escalate_score", p.EscalateScore},
		{"params.aml_review_ratio_pct", p.AMLReviewRatioPct}, {"params.aml_escalate_ratio_pct", p.AMLEscalateRatioPct},
	}
	for _, n := range nonNeg {
		if n.v < 0 {
			return invalid(n.name, "must not be negative")
		}
	}
	rv, ev := p.AMLReviewRatioPct, p.AMLEscalateRatioPct
	if rv == 0 {
		rv = 300
	}
	if ev == 0 {
		ev = 600
	}
	if ev <= rv {
		return invalid("params.aml_escalate_ratio_pct", "must be above aml_review_ratio_pct (%d)", rv)
	}
	if p.MaxInvestment != 0 && p.MaxInvestment < p.MinInvestment {
		return invalid("params.max_investment", "must be at least min_investment")
	}
	if len(p.MaxHoldersPerJurisdiction) > maxListLen {
		return invalid("params.max_holders_per_jurisdiction", "more than %d entries", maxListLen)
	}
	for c, n := range p.MaxHoldersPerJurisdiction {
		if !ValidCountry(c) {
			return invalid("params.max_holders_per_jurisdiction", "key must be an ISO-3166 alpha-2 code, got %q", truncate(c, 8))
		}
		if n < 0 {
			return invalid("params.max_holders_per_jurisdiction."+c, "must not be negative")
		}
	}
	p.Parties = strings.ToLower(p.Parties)
	if p.Parties != "" {
		if err := checkEnum("params.parties", p.Parties, []string{"recipient", "both"}); err != nil {
			return err
		}
	}
	p.OnScreeningHit = strings.ToLower(p.OnScreeningHit)
	if p.OnScreeningHit != "" {
		if err := checkEnum("params.on_screening_hit", p.OnScreeningHit, []string{"freeze", "case"}); err != nil {
			return err
		}
	}
	if len(p.Conditions) > maxConditions {
		return invalid("params.conditions", "more than %d entries", maxConditions)
	}
	seen := map[string]bool{}
	for i := range p.Conditions {
		c := &p.Conditions[i]
		field := fmt.Sprintf("params.conditions[%d]", i)
		if !conditionIDRe.MatchString(c.ID) {
			return invalid(field+".id", "must match %s", conditionIDRe.String())
		}
		if seen[c.ID] {
			return invalid(field+".id", "duplicate condition id %q", c.ID)
		}
		seen[c.ID] = true
		if strings.TrimSpace(c.Expr) == "" {
			return invalid(field+".expr", "is required")
		}
		if len(c.Expr) > maxExprLen {
			return invalid(field+".expr", "longer than %d characters", maxExprLen)
		}
		c.Effect = strings.ToUpper(c.Effect)
		if err := checkEnum(field+".effect", c.Effect, []string{"DENY", "REVIEW"}); err != nil {
			return err
		}
		if !upperSnakeRe.MatchString(c.Code) {
			return invalid(field+".code", "must be UPPER_SNAKE")
		}
		if len(c.Message) > maxNameLen {
			return invalid(field+".message", "longer than %d characters", maxNameLen)
		}
	}
	return nil
}

// ValidateWhitelist checks the ids of a whitelist entry.
func ValidateWhitelist(assetID, investorID string) error {
	if err := checkID("asset_id", assetID, assetIDRe); err != nil {
		return err
	}
	return checkID("investor_id", investorID, idRe)
}

// iso3166 holds every officially assigned ISO-3166-1 alpha-2 code.
var iso3166 = func() map[string]struct{} {
	const codes = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ " +
		"CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR " +
		"GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP " +
		"KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ " +
		"NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW " +
		"SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ " +
		"UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW"
	m := make(map[string]struct{}, 249)
	for _, c := range strings.Fields(codes) {
		m[c] = struct{}{}
	}
	return m
}()
