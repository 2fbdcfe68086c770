package ledger

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/clearancehq/clearance/policies"
	"github.com/clearancehq/clearance/registry"
)

// Position is a wallet's balance of an asset on an external chain, as the
// chain's sidecar last reported it. Increases become lots acquired at the
// observation time; decreases consume lots FIFO.
type Position struct {
	Chain      string    `json:"chain"`
	AssetID    string    `json:"asset_id"`
	Wallet     string    `json:"wallet"`
	Balance    int64     `json:"balance"`
	Lots       []Lot     `json:"lots,omitempty"`
	Block      int64     `json:"block"`
	ObservedAt time.Time `json:"observed_at"`
}

func positionsOf(tx Tx, assetID, wallet string) ([]Position, error) {
	kvs, err := tx.Scan(tPositions, k(assetID, wallet)+sep, "", 0)
	if err != nil {
		return nil, err
	}
	out := make([]Position, 0, len(kvs))
	for _, kv := range kvs {
		var p Position
		if err := json.Unmarshal(kv.Value, &p); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// lockupDays reads the asset's lockup; an unknown asset has none.
func (l *Ledger) lockupDays(ctx context.Context, assetID string) (int64, error) {
	a, err := l.reg.Asset(ctx, assetID, time.Time{})
	if errors.Is(err, registry.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("ledger: read asset %s: %w", assetID, err)
	}
	return a.Params.LockupDays, nil
}

// Holding returns a wallet's and its investor's holdings of an asset at
// instant at: the wallet's balance on the reference ledger plus its
// external chain positions; the part of it whose lots are older than the
// asset's lockup_days; when the next locked lot unlocks; and the investor's
// balance summed over investorWallets (and wallet) on every ledger.
// It satisfies the gateway's HoldingsReader.
func (l *Ledger) Holding(ctx context.Context, assetID, wallet string, investorWallets []string, at time.Time) (policies.HoldingFacts, error) {
	var hf policies.HoldingFacts
	if assetID == "" || wallet == "" {
		return hf, nil
	}
	days, err := l.lockupDays(ctx, assetID)
	if err != nil {
		return hf, err
	}
	// The issuer's wallets hold the supply the reference ledger keeps in
	// buckets: the treasury wallet holds what is not yet distributed
	// (treasury, reserved and confirmed investments), the redemption wallet
	// what was redeemed and not yet burned. None of it is locked.
	issuerBucket, isIssuer, err := l.issuerWalletBalance(ctx, assetID, wallet)
	if err != nil {
		return hf, err
	}
	if at.IsZero() {
		at = l.clock()
	}
	lock := time.Duration(days) * 24 * time.Hour
	err = l.store.View(ctx, func(tx Tx) error {
		walletTotal := func(w string, lots *[]Lot) (int64, error) {
			h, err := loadWallet(tx, assetID, w)
			if err != nil {
				return 0, err
			}
			total := h.Balance
			if lots != nil {
				*lots = append(*lots, h.Lots...)
			}
			ps, err := positionsOf(tx, assetID, w)
			if err != nil {
				return 0, err
			}
			for _, p := range ps {
				total += p.Balance
				if lots != nil {
					*lots = append(*lots, p.Lots...)
				}
			}
			return total, nil
		}
		var lots []Lot
		bal, err := walletTotal(wallet, &lots)
		if err != nil {
			return err
		}
		hf.WalletBalance = bal
		for _, lot := range lots {
			unlock := lot.AcquiredAt.Add(lock)
			if days <= 0 || !unlock.After(at) {
				hf.Unlocked += lot.Amount
				continue
			}
			if u := unlock.Unix(); hf.NextUnlockAt == 0 || u < hf.NextUnlockAt {
				hf.NextUnlockAt = u
			}
		}
		seen := map[string]bool{wallet: true}
		hf.InvestorBalance = bal
		for _, w := range investorWallets {
			if seen[w] || w == "" {
				continue
			}
			seen[w] = true
			b, err := walletTotal(w, nil)
			if err != nil {
				return err
			}
			hf.InvestorBalance += b
		}
		return nil
	})
	if isIssuer {
		hf.WalletBalance += issuerBucket
		hf.Unlocked += issuerBucket
		hf.InvestorBalance += issuerBucket
	}
	hf.IsHolder = hf.InvestorBalance > 0
	return hf, err
}

// issuerWalletBalance returns the bucket balance behind the asset's
// treasury or redemption wallet, and whether wallet is one of them.
func (l *Ledger) issuerWalletBalance(ctx context.Context, assetID, wallet string) (int64, bool, error) {
	a, err := l.reg.Asset(ctx, assetID, time.Time{})
	if errors.Is(err, registry.ErrNotFound) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("ledger: read asset %s: %w", assetID, err)
	}
	treasury := strings.EqualFold(wallet, TreasuryWallet(a))
	redemption := strings.EqualFold(wallet, RedemptionWallet(a))
	if !treasury && !redemption {
		return 0, false, nil
	}
	b, err := l.Buckets(ctx, assetID)
	if errors.Is(err, ErrNotFound) {
		return 0, true, nil
	}
	if err != nil {
		return 0, false, err
	}
	if treasury {
		return b.Treasury + b.Reserved + b.Confirmed, true, nil
	}
	return b.Redeemed, true, nil
}

// HolderCounts returns the number of distinct investors with a positive
// aggregate balance of the asset (reference ledger plus external chains),
// overall and per investor jurisdiction. Wallets the registry does not know
// (the issuer's own) are not counted.
func (l *Ledger) HolderCounts(ctx context.Context, assetID string) (int64, map[string]int64, error) {
	balances := map[string]int64{}
	err := l.store.View(ctx, func(tx Tx) error {
		kvs, err := tx.Scan(tWallets, assetID+sep, "", 0)
		if err != nil {
			return err
		}
		for _, kv := range kvs {
			var w WalletHolding
			if err := json.Unmarshal(kv.Value, &w); err != nil {
				return err
			}
			balances[w.Wallet] += w.Balance
		}
		kvs, err = tx.Scan(tPositions, assetID+sep, "", 0)
		if err != nil {
			return err
		}
		for _, kv := range kvs {
			var p Position
			if err := json.Unmarshal(kv.Value, &p); err != nil {
				return err
			}
			balances[p.Wallet] += p.Balance
		}
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	perInvestor := map[string]int64{}
	for w, b := range balances {
		rw, ok, err := l.regWallet(ctx, w)
		if err != nil {
			return 0, nil, err
		}
		if !ok || rw.InvestorID == "" {
			continue
		}
		perInvestor[rw.InvestorID] += b
	}
	var total int64
	byJur := map[string]int64{}
	for id, b := range perInvestor {
		if b <= 0 {
			continue
		}
		total++
		inv, err := l.reg.Investor(ctx, id, time.Time{})
		if errors.Is(err, registry.ErrNotFound) {
			continue
		}
		if err != nil {
			return 0, nil, fmt.Errorf("ledger: read investor %s: %w", id, err)
		}
		if inv.Jurisdiction != "" {
			byJur[inv.Jurisdiction]++
		}
	}
	return total, byJur, nil
}

// Held reports whether an open reconciliation exception holds the wallet
// for the asset. It satisfies the gateway's HoldChecker.
func (l *Ledger) Held(ctx context.Context, assetID, wallet string) (bool, error) {
	held := false
	err := l.store.View(ctx, func(tx Tx) error {
		kvs, err := tx.Scan(tExcOpen, k(assetID, wallet)+sep, "", 1)
		held = len(kvs) > 0
		return err
	})
	return held, err
}

// WalletBalance returns a wallet's holding on the reference ledger.
func (l *Ledger) WalletBalance(ctx context.Context, assetID, wallet string) (WalletHolding, error) {
	var w WalletHolding
	if err := checkID("wallet", wallet); err != nil {
		return w, err
	}
	err := l.store.View(ctx, func(tx Tx) error {
		var err error
		w, err = loadWallet(tx, assetID, wallet)
		return err
	})
	return w, err
}

// Balance returns the asset's seed-001 balance object.
func (l *Ledger) Balance(ctx context.Context, assetID string) (Balance, error) {
	a, err := l.asset(ctx, assetID)
	if err != nil {
		return Balance{}, err
	}
	b, err := l.Buckets(ctx, assetID)
	if err != nil {
		return Balance{}, err
	}
	return NewBalance(assetID, b, a.Ticker, a.Decimals), nil
}

// Buckets returns the asset's raw buckets.
func (l *Ledger) Buckets(ctx context.Context, assetID string) (Buckets, error) {
	var s assetState
	err := l.store.View(ctx, func(tx Tx) error {
		var err error
		s, err = loadAsset(tx, assetID)
		return err
	})
	return s.Buckets, err
}

// CheckInvariants verifies, for one asset, that total equals the sum of the
// buckets, that investor wallet balances sum to distributed and the
// redemption wallet's to redeemed, and that every wallet's lots sum to its
// balance. It reads the whole asset and is meant for tests and audits.
func (l *Ledger) CheckInvariants(ctx context.Context, assetID string) error {
	a, err := l.asset(ctx, assetID)
	if err != nil {
		return err
	}
	redw := RedemptionWallet(a)
	return l.store.View(ctx, func(tx Tx) error {
		s, err := loadAsset(tx, assetID)
		if err != nil {
			return err
		}
		if !s.Buckets.Check() {
			return fmt.Errorf("%w: total %d != sum %+v", ErrInvariant, s.Buckets.Total, s.Buckets)
		}
		kvs, err := tx.Scan(tWallets, assetID+sep, "", 0)
		if err != nil {
			return err
		}
		var dist, red int64
		for _, kv := range kvs {
			var w WalletHolding
			if err := json.Unmarshal(kv.Value, &w); err != nil {
				return err
			}
			var sum int64
			for _, lot := range w.Lots {
				sum += lot.Amount
			}
			if sum != w.Balance || w.Balance < 0 {
				return fmt.Errorf("%w: wallet %s lots %d != balance %d", ErrInvariant, w.Wallet, sum, w.Balance)
			}
			if w.Wallet == redw {
				red += w.Balance
			} else {
				dist += w.Balance
			}
		}
		if dist != s.Buckets.Distributed || red != s.Buckets.Redeemed {
			return fmt.Errorf("%w: wallets hold %d distributed / %d redeemed, buckets say %d / %d", ErrInvariant, dist, red, s.Buckets.Distributed, s.Buckets.Redeemed)
		}
		return nil
	})
}
