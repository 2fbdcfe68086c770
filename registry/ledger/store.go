package ledger

import "context"

// Tables the ledger keeps. Store implementations map each to their own
// bucket or table (prefixed "ledger_").
var Tables = []string{
	tMeta, tAssets, tWallets, tOps, tIdem, tEvents, tEvAsset, tEvWallet,
	tInvest, tRounds, tShares, tClaims, tRevCfg, tSched, tPositions,
	tObsTransfers, tExceptions, tExcOpen, tRevenue,
}

const (
	tMeta         = "meta"
	tAssets       = "assets"
	tWallets      = "wallets"
	tOps          = "operations"
	tIdem         = "idempotency"
	tEvents       = "events"
	tEvAsset      = "events_by_asset"
	tEvWallet     = "events_by_wallet"
	tInvest       = "investments"
	tRounds       = "rounds"
	tShares       = "round_shares"
	tClaims       = "claims"
	tRevCfg       = "revenue_config"
	tSched        = "schedules"
	tPositions    = "positions"
	tObsTransfers = "observed_transfers"
	tExceptions   = "exceptions"
	tExcOpen      = "exceptions_open"
	tRevenue      = "revenue_balances"
)

// KV is one key and its value.
type KV struct {
	Key   string
	Value []byte
}

// Tx is one store transaction. Keys are compared bytewise.
type Tx interface {
	// Get returns the value of key, and false if it is absent.
	Get(table, key string) ([]byte, bool, error)
	Put(table, key string, value []byte) error
	Delete(table, key string) error
	// Scan returns, in ascending key order, up to limit entries (0: all)
	// whose key starts with prefix and sorts strictly after after ("" for
	// the first).
	Scan(table, prefix, after string, limit int) ([]KV, error)
}

// Store runs transactions. Update runs fn in one read-write transaction
// that is serialized with every other Update (so balances checked inside fn
// cannot be overdrawn concurrently); it may run fn again when the backend
// asks for a retry, so fn must have no effect outside tx. A non-nil error
// from fn rolls back.
type Store interface {
	Update(ctx context.Context, fn func(Tx) error) error
	View(ctx context.Context, fn func(Tx) error) error
}
