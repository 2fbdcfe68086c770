package sidecar

import (
	"context"
	"time"
)

// Reporter is the observation API a sidecar writes to: what happened on the
// chain flows back into Clearance's view of holdings. The ledger service
// client (clearance.ledger.v1.LedgerService) implements it through
// NewLedgerReporter; sidecartest.Reporter records in memory.
type Reporter interface {
	// ReportTransfer records one confirmed on-chain movement. It is
	// idempotent per (chain, tx hash, log index).
	ReportTransfer(ctx context.Context, t Transfer) error
	// ReportBalance records a wallet's balance observed on the chain.
	ReportBalance(ctx context.Context, b Balance) error
	// RecordException opens a reconciliation exception and returns its id.
	// Recording the same (kind, chain, asset, wallet, item) again while it is
	// open returns the open record's id.
	RecordException(ctx context.Context, e Exception) (string, error)
	// ResolveException closes an exception.
	ResolveException(ctx context.Context, id, actor, note string) error
	// ListExceptions lists exceptions matching f.
	ListExceptions(ctx context.Context, f ExceptionFilter) ([]Exception, error)
}

// Transfer is one confirmed token movement observed on a chain. Amount is an
// integer in the asset's smallest unit, as a decimal string. Mints have an
// empty From and burns an empty To.
type Transfer struct {
	Chain       string
	AssetID     string
	TxHash      string
	LogIndex    uint
	BlockNumber uint64
	BlockHash   string
	From        string
	To          string
	Amount      string
	// ViaProxy is true when the transaction was cleared and forwarded by the
	// sidecar's proxy; DecisionID is then the gateway decision it rests on.
	ViaProxy   bool
	DecisionID string
	ObservedAt time.Time
}

// Balance is a wallet's balance of an asset on a chain at a block.
type Balance struct {
	Chain       string
	AssetID     string
	Wallet      string
	Amount      string
	BlockNumber uint64
	ObservedAt  time.Time
}

// Exception kinds.
const (
	// ExceptionUnclearedTransfer: a transfer reached the chain without going
	// through the proxy.
	ExceptionUnclearedTransfer = "UNCLEARED_TRANSFER"
	// ExceptionBalanceMismatch: Clearance's holdings and the chain disagree.
	ExceptionBalanceMismatch = "BALANCE_MISMATCH"
	// ExceptionReorgTooDeep: a block already reported as confirmed left the
	// canonical chain.
	ExceptionReorgTooDeep = "REORG_BEYOND_CONFIRMATIONS"
)

// Exception statuses.
const (
	ExceptionOpen     = "OPEN"
	ExceptionResolved = "RESOLVED"
)

// Exception is a reconciliation record: something on a chain that Clearance
// did not expect. While it is open the ledger/gateway may hold transfers of
// the affected wallet (a Held fact); the sidecar only records it.
type Exception struct {
	ID      string
	Kind    string
	Chain   string
	AssetID string
	Wallet  string
	// Item names what mismatched: TransferItem(tx ref), ItemBalance or
	// ReorgItem(...); the ledger keys open exceptions by it.
	Item string
	// Expected and Observed are the two sides; Difference = Observed -
	// Expected, all integers in the smallest unit as decimal strings.
	Expected   string
	Observed   string
	Difference string
	DetectedAt time.Time
	Status     string
	Note       string
}

// ExceptionFilter selects exceptions; empty fields match everything.
type ExceptionFilter struct {
	Chain   string
	AssetID string
	Wallet  string
	Status  string
}
