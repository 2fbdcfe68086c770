package ledger

import (
	"context"
	"fmt"
)

// RevenueConfig is an asset's V2 revenue distribution configuration.
type RevenueConfig struct {
	AssetID            string `json:"asset_id"`
	MinIntervalSeconds int64  `json:"min_interval_seconds"`
	ClaimDelaySeconds  int64  `json:"claim_delay_seconds"`
	RoundExpirySeconds int64  `json:"round_expiry_seconds"`
	// CommissionBps is the commission in basis points (50 = 0.5 %).
	CommissionBps int64  `json:"commission_bps"`
	AdminWallet   string `json:"admin_wallet,omitempty"`
}

// DefaultRevenueConfig is the seed-002 default.
func DefaultRevenueConfig() RevenueConfig {
	return RevenueConfig{MinIntervalSeconds: 43200, ClaimDelaySeconds: 3600, RoundExpirySeconds: 31536000, CommissionBps: 50}
}

func (l *Ledger) buildRevenue(ctx context.Context, kind string, body []byte) (*spec, error) {
	return nil, fmt.Errorf("%w: %s not implemented", ErrInvalid, kind)
}
