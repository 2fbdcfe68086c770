package registry

import (
	"context"
	"errors"
	"time"
)

// Sentinel errors callers branch on with errors.Is.
var (
	ErrNotFound = errors.New("registry: not found")
	// ErrConflict is returned when an update's expected version is stale, or a
	// unique key (wallet address on a chain, asset id) already exists.
	ErrConflict = errors.New("registry: conflict")
	ErrInvalid  = errors.New("registry: invalid")
)

// ValidationError names the field and the rule it broke. It wraps ErrInvalid.
type ValidationError struct {
	Field string
	Rule  string
}

func (e *ValidationError) Error() string {
	return "registry: invalid " + e.Field + ": " + e.Rule
}

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *ValidationError) Unwrap() error { return ErrInvalid }

// Investor statuses.
const (
	StatusPending    = "PENDING"
	StatusApproved   = "APPROVED"
	StatusRestricted = "RESTRICTED"
	StatusSuspended  = "SUSPENDED"
	StatusRevoked    = "REVOKED"
)

// Investor categories.
const (
	CategoryRetail        = "RETAIL"
	CategoryAccredited    = "ACCREDITED"
	CategoryQualified     = "QUALIFIED"
	CategoryProfessional  = "PROFESSIONAL"
	CategoryInstitutional = "INSTITUTIONAL"
)

// Investor is a natural person or entity with its KYC/KYB facts.
// Version starts at 1 and increases by one with every committed change.
type Investor struct {
	ID                 string     `json:"id"`
	Name               string     `json:"name,omitempty"`
	DateOfBirth        string     `json:"date_of_birth,omitempty"` // YYYY-MM-DD, for screening
	Nationality        string     `json:"nationality,omitempty"`
	RegistrationNumber string     `json:"registration_number,omitempty"`
	Status             string     `json:"status"`
	EffectiveFrom      time.Time  `json:"effective_from"`
	EffectiveTo        *time.Time `json:"effective_to,omitempty"`
	KYCExpiresAt       *time.Time `json:"kyc_expires_at,omitempty"`
	Category           string     `json:"category"`
	Jurisdiction       string     `json:"jurisdiction"`
	Type               string     `json:"type"` // INDIVIDUAL or ENTITY
	Active             bool       `json:"active"`
	// LockedUntil is a per-investor lock on sending.
	LockedUntil *time.Time `json:"locked_until,omitempty"`
	// ExpectedMin and ExpectedMax are the expected activity range per
	// transaction, in the smallest unit of any asset, for AML.
	ExpectedMin  int64             `json:"expected_min,omitempty"`
	ExpectedMax  int64             `json:"expected_max,omitempty"`
	ExternalRefs map[string]string `json:"external_refs,omitempty"`
	// BeneficialOwners are the natural persons who own or control the
	// investor (usually an ENTITY). Each is screened with the investor.
	BeneficialOwners []BeneficialOwner `json:"beneficial_owners,omitempty"`
	Version          int64             `json:"version"`
	UpdatedAt        time.Time         `json:"updated_at"`
}

// Beneficial owner roles, for documentation; any short lowercase role is
// accepted.
const (
	RoleOwner      = "owner"
	RoleController = "controller"
	RoleDirector   = "director"
)

// BeneficialOwner is a person who owns or controls an investor, with the
// facts screening needs and how the owner was identified (ownership share
// or role), as requirements §4.3 asks to keep.
type BeneficialOwner struct {
	Name        string `json:"name"`
	DateOfBirth string `json:"date_of_birth,omitempty"` // YYYY-MM-DD
	Nationality string `json:"nationality,omitempty"`   // ISO-3166 alpha-2
	// OwnershipBP is the ownership share in basis points (0..10000).
	OwnershipBP int64 `json:"ownership_bp,omitempty"`
	// Role is how the owner was identified: "owner", "controller",
	// "director", ...
	Role string `json:"role,omitempty"`
}

// Wallet is an address on a chain owned by one investor.
type Wallet struct {
	Address      string    `json:"address"` // normalised
	Chain        string    `json:"chain"`   // "evm", "stellar" or "ledger"
	InvestorID   string    `json:"investor_id"`
	Verified     bool      `json:"verified"`
	Active       bool      `json:"active"`
	Frozen       bool      `json:"frozen"`
	FrozenAmount int64     `json:"frozen_amount,omitempty"`
	Version      int64     `json:"version"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// Condition is an inline CEL rule in an asset's configuration.
type Condition struct {
	ID      string `json:"id"`
	Expr    string `json:"expr"`
	Effect  string `json:"effect"` // DENY or REVIEW
	Code    string `json:"code"`
	Message string `json:"message,omitempty"`
}

// AssetParams are the policy parameters of an asset.
type AssetParams struct {
	AllowedJurisdictions      []string         `json:"allowed_jurisdictions,omitempty"`
	BlockedJurisdictions      []string         `json:"blocked_jurisdictions,omitempty"`
	AllowedCategories         []string         `json:"allowed_categories,omitempty"`
	LockupDays                int64            `json:"lockup_days,omitempty"`
	RedeemInLockup            bool             `json:"redeem_in_lockup,omitempty"`
	MaxHolders                int64            `json:"max_holders,omitempty"`
	MaxHoldersPerJurisdiction map[string]int64 `json:"max_holders_per_jurisdiction,omitempty"`
	MaxBalancePerInvestor     int64            `json:"max_balance_per_investor,omitempty"`
	MinInvestment             int64            `json:"min_investment,omitempty"`
	MaxInvestment             int64            `json:"max_investment,omitempty"`
	Parties                   string           `json:"parties,omitempty"` // "recipient" or "both"
	RequireWhitelist          bool             `json:"require_whitelist,omitempty"`
	ReviewScore               int64            `json:"review_score,omitempty"`
	EscalateScore             int64            `json:"escalate_score,omitempty"`
	// AMLReviewRatioPct and AMLEscalateRatioPct are the amount bands against
	// the investor's expected range, in percent (defaults 300 and 600:
	// more than 3x reviews, more than 6x escalates).
	AMLReviewRatioPct   int64 `json:"aml_review_ratio_pct,omitempty"`
	AMLEscalateRatioPct int64 `json:"aml_escalate_ratio_pct,omitempty"`
	// OnScreeningHit is "freeze" or "case": what a new list hit does to a holder.
	OnScreeningHit string      `json:"on_screening_hit,omitempty"`
	Conditions     []Condition `json:"conditions,omitempty"`
}

// Asset is a regulated token.
type Asset struct {
	ID               string      `json:"id"`
	Ticker           string      `json:"ticker"`
	Decimals         int         `json:"decimals"`
	Pack             string      `json:"pack"`
	Params           AssetParams `json:"params"`
	PausedActions    []string    `json:"paused_actions,omitempty"`
	TreasuryWallet   string      `json:"treasury_wallet,omitempty"`
	RedemptionWallet string      `json:"redemption_wallet,omitempty"`
	Version          int64       `json:"version"`
	UpdatedAt        time.Time   `json:"updated_at"`
}

// Change records who changed what, when and why. Every write takes one.
type Change struct {
	Actor  string
	Reason string
	// At is the commit time; the store sets it if zero.
	At time.Time
}

// Event is emitted after every committed change.
type Event struct {
	Kind    string    `json:"kind"` // "investor", "wallet", "asset", "whitelist"
	ID      string    `json:"id"`   // investor id, wallet address, asset id
	AssetID string    `json:"asset_id,omitempty"`
	Version int64     `json:"version"`
	At      time.Time `json:"at"`
	// Seq is the store's global change sequence; it increases with every commit.
	Seq int64 `json:"seq"`
}

// Reader is the read side the decision path uses. asOf zero means "now".
type Reader interface {
	Investor(ctx context.Context, id string, asOf time.Time) (Investor, error)
	Wallet(ctx context.Context, address string, asOf time.Time) (Wallet, error)
	Asset(ctx context.Context, id string, asOf time.Time) (Asset, error)
	Whitelisted(ctx context.Context, assetID, investorID string, asOf time.Time) (bool, error)
	// WalletsOf lists the investor's wallets in force at asOf.
	WalletsOf(ctx context.Context, investorID string, asOf time.Time) ([]Wallet, error)
}
