package policies

// Input is the canonical request every engine sees: the request itself and
// every fact the gateway gathered for it. Engines must not mutate it.
//
// Times are Unix seconds (UTC); 0 means "unset". Amounts are integers in the
// asset's smallest unit. Amounts are int64: Clearance, like Stellar, limits a
// single quantity to 2^63-1 smallest units, and the gateway rejects larger
// values as invalid input.
type Input struct {
	Action  Action `json:"action"`
	AssetID string `json:"asset_id"`
	// FromWallet and ToWallet are normalised addresses; empty when the action
	// has no such side (no sender for ISSUANCE, no recipient for BURN).
	FromWallet string `json:"from_wallet,omitempty"`
	ToWallet   string `json:"to_wallet,omitempty"`
	Amount     int64  `json:"amount"`
	Venue      string `json:"venue,omitempty"`
	// Now is the evaluation instant (the request's `at`, or the time of the
	// request), Unix seconds.
	Now int64 `json:"now"`
	// Asset, From and To are the gathered facts. From and To are nil when the
	// action has no such side. A side that names a wallet the registry does
	// not know has Known == false.
	Asset AssetFacts  `json:"asset"`
	From  *PartyFacts `json:"from,omitempty"`
	To    *PartyFacts `json:"to,omitempty"`
	// Screening is the list set the screening facts came from.
	ListVersion string `json:"list_version,omitempty"`
}

// AssetFacts are the asset's parameters and aggregate state.
type AssetFacts struct {
	Known    bool   `json:"known"`
	ID       string `json:"id"`
	Ticker   string `json:"ticker,omitempty"`
	Decimals int    `json:"decimals"`
	Version  int64  `json:"version"`
	Pack     string `json:"pack,omitempty"`
	// PausedActions lists actions paused on this asset; "ALL" pauses every action.
	PausedActions        []string `json:"paused_actions,omitempty"`
	AllowedJurisdictions []string `json:"allowed_jurisdictions,omitempty"`
	BlockedJurisdictions []string `json:"blocked_jurisdictions,omitempty"`
	AllowedCategories    []string `json:"allowed_categories,omitempty"`
	// Parties is "recipient" (default) or "both".
	Parties                   string           `json:"parties,omitempty"`
	LockupDays                int64            `json:"lockup_days"`
	RedeemInLockup            bool             `json:"redeem_in_lockup"`
	MaxHolders                int64            `json:"max_holders"`
	MaxHoldersPerJurisdiction map[string]int64 `json:"max_holders_per_jurisdiction,omitempty"`
	MaxBalancePerInvestor     int64            `json:"max_balance_per_investor"`
	MinInvestment             int64            `json:"min_investment"`
	MaxInvestment             int64            `json:"max_investment"`
	RequireWhitelist          bool             `json:"require_whitelist"`
	// ReviewScore and EscalateScore are the AML bands (defaults 40 and 80).
	ReviewScore   int64 `json:"review_score"`
	EscalateScore int64 `json:"escalate_score"`
	// AMLReviewRatioPct and AMLEscalateRatioPct are the amount bands against
	// the investor's expected range in percent (defaults 300 and 600).
	AMLReviewRatioPct         int64            `json:"aml_review_ratio_pct"`
	AMLEscalateRatioPct       int64            `json:"aml_escalate_ratio_pct"`
	TreasuryWallet            string           `json:"treasury_wallet,omitempty"`
	RedemptionWallet          string           `json:"redemption_wallet,omitempty"`
	HolderCount               int64            `json:"holder_count"`
	HolderCountByJurisdiction map[string]int64 `json:"holder_count_by_jurisdiction,omitempty"`
	// Conditions are inline CEL rules from the asset's configuration.
	Conditions []Condition `json:"conditions,omitempty"`
}

// Condition is an inline CEL rule on an asset, such as
// `amount <= 50000 && to.investor.category == "ACCREDITED"`. When Expr
// evaluates to false the rule fires with Effect (DENY or REVIEW) and Code.
type Condition struct {
	ID      string `json:"id" yaml:"id"`
	Expr    string `json:"expr" yaml:"expr"`
	Effect  string `json:"effect" yaml:"effect"`
	Code    string `json:"code" yaml:"code"`
	Message string `json:"message,omitempty" yaml:"message,omitempty"`
}

// PartyFacts describe one side of the movement: its wallet, the investor who
// owns it, holdings, and screening and AML facts.
type PartyFacts struct {
	Known     bool           `json:"known"`
	Wallet    WalletFacts    `json:"wallet"`
	Investor  InvestorFacts  `json:"investor"`
	Holding   HoldingFacts   `json:"holding"`
	Screening ScreeningFacts `json:"screening"`
	AML       AMLFacts       `json:"aml"`
	// Hold is true when a reconciliation exception blocks this wallet.
	Hold bool `json:"hold"`
	// IsTreasury / IsRedemption mark the issuer's own wallets for the asset.
	IsTreasury   bool `json:"is_treasury"`
	IsRedemption bool `json:"is_redemption"`
}

// WalletFacts mirror the registry wallet in force at Now.
type WalletFacts struct {
	Address      string `json:"address"`
	Chain        string `json:"chain,omitempty"`
	Verified     bool   `json:"verified"`
	Active       bool   `json:"active"`
	Frozen       bool   `json:"frozen"`
	FrozenAmount int64  `json:"frozen_amount"`
	Version      int64  `json:"version"`
}

// InvestorFacts mirror the registry investor in force at Now.
type InvestorFacts struct {
	Known         bool   `json:"known"`
	ID            string `json:"id,omitempty"`
	Status        string `json:"status,omitempty"`
	EffectiveFrom int64  `json:"effective_from"`
	EffectiveTo   int64  `json:"effective_to"`
	KYCExpiresAt  int64  `json:"kyc_expires_at"`
	Category      string `json:"category,omitempty"`
	Jurisdiction  string `json:"jurisdiction,omitempty"`
	Type          string `json:"type,omitempty"`
	Active        bool   `json:"active"`
	Whitelisted   bool   `json:"whitelisted"`
	// LockedUntil is a per-investor lock end (Unix seconds), 0 if none.
	LockedUntil int64 `json:"locked_until"`
	ExpectedMin int64 `json:"expected_min"`
	ExpectedMax int64 `json:"expected_max"`
	Version     int64 `json:"version"`
}

// HoldingFacts are balances in the asset, aggregated across the reference
// ledger and every chain the sidecars report.
type HoldingFacts struct {
	// WalletBalance is this wallet's balance of the asset.
	WalletBalance int64 `json:"wallet_balance"`
	// Unlocked is the part of WalletBalance whose lots are past their lockup.
	Unlocked int64 `json:"unlocked"`
	// NextUnlockAt is when the next locked lot unlocks, 0 if none is locked.
	NextUnlockAt int64 `json:"next_unlock_at"`
	// InvestorBalance is the investor's balance over all wallets and ledgers.
	InvestorBalance int64 `json:"investor_balance"`
	// IsHolder reports whether the investor holds any of the asset.
	IsHolder bool `json:"is_holder"`
}

// ScreeningFacts are the precomputed sanctions status of a party.
type ScreeningFacts struct {
	// Status is CLEAR, POTENTIAL or CONFIRMED; UNAVAILABLE when the lists
	// could not be consulted (which fails closed).
	Status string  `json:"status"`
	Score  float64 `json:"score"`
	// Entry names the list entry that matched, if any.
	Entry string `json:"entry,omitempty"`
	// Exception is true when a live false-positive exception suppresses a
	// potential match.
	Exception bool `json:"exception"`
}

// AMLFacts are the AML risk score and its features, computed per request.
type AMLFacts struct {
	Score    int64            `json:"score"`
	Features map[string]int64 `json:"features,omitempty"`
	// AmountRatio is amount / expected max, times 100 (300 means 3x).
	AmountRatioPct int64 `json:"amount_ratio_pct"`
}
