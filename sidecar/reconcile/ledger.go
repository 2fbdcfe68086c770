package reconcile

import (
	"context"
	"fmt"
	"math/big"

	"github.com/clearancehq/clearance/registry/ledger"
)

// PositionReader is the reference ledger's read of external positions;
// *ledger.Ledger satisfies it.
type PositionReader interface {
	Positions(ctx context.Context, assetID, wallet string) ([]ledger.Position, error)
}

// LedgerHoldings is Holdings over the ledger's positions (what the sidecars
// reported), for a composition root that runs the ledger in process.
type LedgerHoldings struct {
	P PositionReader
}

var _ Holdings = LedgerHoldings{}

// Holding implements Holdings: the wallet's position on chain, zero if none.
func (h LedgerHoldings) Holding(ctx context.Context, chain, assetID, wallet string) (*big.Int, error) {
	ps, err := h.P.Positions(ctx, assetID, wallet)
	if err != nil {
		return nil, fmt.Errorf("reconcile: positions of %s/%s: %w", assetID, wallet, err)
	}
	sum := new(big.Int)
	for _, p := range ps {
		if p.Chain == chain {
			sum.Add(sum, big.NewInt(p.Balance))
		}
	}
	return sum, nil
}
