package gateway

import (
	"context"
	"time"

	"github.com/clearancehq/clearance/policies"
	"github.com/clearancehq/clearance/registry"
)

// The gateway declares the small interfaces it consumes; the components
// (registry stores, the reference ledger, screening, the review queue, the
// sidecar observations) implement them, and cmd/clearance wires them in.

// RegistryReader is the registry's read side at an instant (zero = now).
type RegistryReader = registry.Reader

// HoldingsReader reports holdings of an asset, aggregated over the reference
// ledger and every external chain the sidecars report.
type HoldingsReader interface {
	// Holding returns the wallet's and its investor's holdings at instant at.
	// investorWallets lists every wallet of the wallet's investor, so
	// investor-level balances sum over all of them.
	Holding(ctx context.Context, assetID, wallet string, investorWallets []string, at time.Time) (policies.HoldingFacts, error)
	// HolderCounts returns the number of investors holding the asset, overall
	// and per jurisdiction.
	HolderCounts(ctx context.Context, assetID string) (total int64, byJurisdiction map[string]int64, err error)
}

// Screener returns the precomputed sanctions status of a party. It must be a
// lookup, not a fuzzy search. An error fails the check closed.
type Screener interface {
	Status(ctx context.Context, investorID, wallet string) (policies.ScreeningFacts, error)
	// ListVersion is the version of the list set statuses come from.
	ListVersion() string
}

// AMLScorer computes the AML score and its features for one request, from
// the request and the gathered facts.
type AMLScorer interface {
	Score(ctx context.Context, in *policies.Input, party *policies.PartyFacts) (policies.AMLFacts, error)
	// Observe records an allowed movement in the velocity windows.
	Observe(ctx context.Context, in *policies.Input) error
}

// Escalator opens a review case for a REVIEW verdict.
type Escalator interface {
	OpenCase(ctx context.Context, c CaseRequest) (caseID string, err error)
}

// CaseRequest is what the gateway hands to the review queue.
type CaseRequest struct {
	DecisionID string
	Input      *policies.Input
	Reasons    []policies.Reason
	RiskScore  int64
	// Origin names what the request was ("check", "ledger:<op id>", ...).
	Origin string
	// RequestedBy is the caller who asked; they may not approve the case.
	RequestedBy string
}

// HoldChecker reports reconciliation holds on wallets.
type HoldChecker interface {
	Held(ctx context.Context, assetID, wallet string) (bool, error)
}
