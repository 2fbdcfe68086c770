package registry

import (
	"context"
	"time"
)

// Entity kinds, as used in Event.Kind, Revision.Kind and History.
const (
	KindInvestor  = "investor"
	KindWallet    = "wallet"
	KindAsset     = "asset"
	KindWhitelist = "whitelist"
)

// Page sizes for List calls.
const (
	DefaultPageSize = 100
	MaxPageSize     = 1000
)

// Store is the registry's read and write side. Both implementations
// (registry/boltstore and registry/postgres) pass registry/storetest.
//
// Invariants every implementation keeps:
//   - every write is one transaction and bumps the entity's Version by one;
//   - an update whose expected version is stale fails with ErrConflict and
//     changes nothing;
//   - every committed change is kept as a Revision with actor, time and
//     reason, and reads with a non-zero asOf return the version committed at
//     or before asOf (ErrNotFound if none was);
//   - events are delivered to subscribers after commit, in Seq order per
//     process.
type Store interface {
	Reader

	CreateInvestor(ctx context.Context, inv Investor, c Change) (Investor, error)
	// UpdateInvestor replaces the investor if its current version equals
	// expectedVersion.
	UpdateInvestor(ctx context.Context, inv Investor, expectedVersion int64, c Change) (Investor, error)
	CreateWallet(ctx context.Context, w Wallet, c Change) (Wallet, error)
	UpdateWallet(ctx context.Context, w Wallet, expectedVersion int64, c Change) (Wallet, error)
	CreateAsset(ctx context.Context, a Asset, c Change) (Asset, error)
	UpdateAsset(ctx context.Context, a Asset, expectedVersion int64, c Change) (Asset, error)

	// AddToWhitelist whitelists the investor for the asset. Adding an entry
	// that is already active is a no-op returning the current entry.
	AddToWhitelist(ctx context.Context, assetID, investorID string, c Change) (WhitelistEntry, error)
	// RemoveFromWhitelist removes an active entry; ErrNotFound if none.
	RemoveFromWhitelist(ctx context.Context, assetID, investorID string, c Change) (WhitelistEntry, error)

	ListInvestors(ctx context.Context, f InvestorFilter, p PageRequest) ([]Investor, string, error)
	ListWallets(ctx context.Context, f WalletFilter, p PageRequest) ([]Wallet, string, error)
	ListAssets(ctx context.Context, f AssetFilter, p PageRequest) ([]Asset, string, error)
	// ListWhitelist lists the active whitelist entries of an asset (all
	// assets if assetID is empty), ordered by asset then investor.
	ListWhitelist(ctx context.Context, assetID string, p PageRequest) ([]WhitelistEntry, string, error)

	// History returns every revision of one entity, oldest first. For
	// KindWhitelist the id is WhitelistID(assetID, investorID).
	History(ctx context.Context, kind, id string) ([]Revision, error)

	// ChangePoints lists, in time order, every instant in [from, to) at which
	// a fact relevant to the wallet's eligibility for the asset changed, or a
	// time boundary inside such a fact passed.
	ChangePoints(ctx context.Context, assetID, wallet string, from, to time.Time) ([]ChangePoint, error)

	// Upsert applies a batch of mixed rows in one transaction: each row is
	// created, or updated if its content differs (same content: no new
	// version). Row failures are reported in the results; with
	// opts.AllOrNothing any failure commits nothing and returns ErrInvalid.
	Upsert(ctx context.Context, rows []Mutation, c Change, opts UpsertOptions) ([]MutationResult, error)

	// Subscribe registers fn for events emitted after every commit. fn runs
	// synchronously on the writer's goroutine and must not block or write to
	// the store. The returned cancel function unregisters it.
	Subscribe(fn func(Event)) (cancel func())

	// Seq returns the latest change sequence (0 for an empty store).
	Seq(ctx context.Context) (int64, error)
}

// WhitelistEntry is one investor's whitelisting for an asset.
type WhitelistEntry struct {
	AssetID    string    `json:"asset_id"`
	InvestorID string    `json:"investor_id"`
	Active     bool      `json:"active"`
	Version    int64     `json:"version"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// WhitelistID is the History id of a whitelist entry.
func WhitelistID(assetID, investorID string) string { return assetID + "/" + investorID }

// Revision is one committed version of an entity.
type Revision struct {
	Kind    string    `json:"kind"`
	ID      string    `json:"id"`
	Version int64     `json:"version"`
	At      time.Time `json:"at"`
	Actor   string    `json:"actor"`
	Reason  string    `json:"reason,omitempty"`
	// Exactly one of these is set, matching Kind.
	Investor  *Investor       `json:"investor,omitempty"`
	Wallet    *Wallet         `json:"wallet,omitempty"`
	Asset     *Asset          `json:"asset,omitempty"`
	Whitelist *WhitelistEntry `json:"whitelist,omitempty"`
}

// ChangePoint is an instant at which a wallet's eligibility may change.
type ChangePoint struct {
	At time.Time `json:"at"`
	// Kind is the entity kind whose version changed, or "boundary" when a
	// time field inside a fact passes.
	Kind    string `json:"kind"`
	ID      string `json:"id"`
	Version int64  `json:"version,omitempty"`
	// Field names the boundary (kyc_expires_at, effective_from,
	// effective_to, locked_until) for Kind "boundary".
	Field  string `json:"field,omitempty"`
	Actor  string `json:"actor,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// KindBoundary is ChangePoint.Kind for a time boundary inside a fact.
const KindBoundary = "boundary"

// PageRequest asks for one page. Limit <= 0 means DefaultPageSize; it is
// capped at MaxPageSize. Cursor is the opaque token a previous call returned.
type PageRequest struct {
	Limit  int
	Cursor string
}

// PageLimit returns the effective page size.
func (p PageRequest) PageLimit() int {
	switch {
	case p.Limit <= 0:
		return DefaultPageSize
	case p.Limit > MaxPageSize:
		return MaxPageSize
	}
	return p.Limit
}

// InvestorFilter selects investors; empty fields match everything.
type InvestorFilter struct {
	Status       string
	Jurisdiction string
	Category     string
}

// WalletFilter selects wallets; empty fields match everything.
type WalletFilter struct {
	InvestorID string
	Chain      string
}

// AssetFilter selects assets; empty fields match everything.
type AssetFilter struct {
	Pack string
}

// Mutation is one row of a bulk write: exactly one field is set.
type Mutation struct {
	Investor  *Investor
	Wallet    *Wallet
	Asset     *Asset
	Whitelist *WhitelistEntry // Active false removes the entry
}

// Kind returns the kind of the row, or "" if none or several are set.
func (m Mutation) Kind() string {
	n, k := 0, ""
	if m.Investor != nil {
		n, k = n+1, KindInvestor
	}
	if m.Wallet != nil {
		n, k = n+1, KindWallet
	}
	if m.Asset != nil {
		n, k = n+1, KindAsset
	}
	if m.Whitelist != nil {
		n, k = n+1, KindWhitelist
	}
	if n != 1 {
		return ""
	}
	return k
}

// MutationResult reports the outcome of one row of an Upsert.
type MutationResult struct {
	Kind    string
	ID      string
	Version int64
	// Changed is false when the row matched the stored content.
	Changed bool
	Err     error
}

// UpsertOptions tunes Upsert.
type UpsertOptions struct {
	AllOrNothing bool
}
