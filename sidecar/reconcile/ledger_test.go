package reconcile

import (
	"context"
	"testing"

	"github.com/clearancehq/clearance/registry/ledger"
)

type positions []ledger.Position

func (p positions) Positions(context.Context, string, string) ([]ledger.Position, error) {
	return p, nil
}

var _ PositionReader = (*ledger.Ledger)(nil)

func TestLedgerHoldings(t *testing.T) {
	h := LedgerHoldings{P: positions{{Chain: "evm", Balance: 7}, {Chain: "stellar", Balance: 5}}}
	tests := []struct {
		name, chain, want string
	}{
		{"evm", "evm", "7"},
		{"stellar", "stellar", "5"},
		{"unknown chain holds zero", "ledger", "0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := h.Holding(t.Context(), tt.chain, "A", "w")
			if err != nil || got.String() != tt.want {
				t.Errorf("Holding = %v, %v; want %s", got, err, tt.want)
			}
		})
	}
}
