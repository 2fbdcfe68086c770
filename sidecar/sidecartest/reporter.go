package sidecartest

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"sync"
	"time"

	"github.com/clearancehq/clearance/sidecar"
)

var _ sidecar.Reporter = (*Reporter)(nil)

// Reporter records observations in memory.
type Reporter struct {
	mu         sync.Mutex
	transfers  []sidecar.Transfer
	seen       map[string]bool
	balances   []sidecar.Balance
	exceptions []sidecar.Exception
	// holdings is what Holding answers, keyed by chain|asset|wallet.
	holdings map[string]string
}

// NewReporter returns an empty reporter.
func NewReporter() *Reporter {
	return &Reporter{seen: map[string]bool{}, holdings: map[string]string{}}
}

// ReportTransfer implements sidecar.Reporter; it is idempotent per
// (chain, tx, log index).
func (r *Reporter) ReportTransfer(_ context.Context, t sidecar.Transfer) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	k := fmt.Sprintf("%s|%s|%d", t.Chain, t.TxHash, t.LogIndex)
	if r.seen[k] {
		return nil
	}
	r.seen[k] = true
	r.transfers = append(r.transfers, t)
	return nil
}

// ReportBalance implements sidecar.Reporter.
func (r *Reporter) ReportBalance(_ context.Context, b sidecar.Balance) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.balances = append(r.balances, b)
	return nil
}

// RecordException implements sidecar.Reporter.
func (r *Reporter) RecordException(_ context.Context, e sidecar.Exception) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, x := range r.exceptions {
		if x.Status == sidecar.ExceptionOpen && x.Kind == e.Kind && x.Chain == e.Chain &&
			x.AssetID == e.AssetID && x.Wallet == e.Wallet && x.Item == e.Item {
			return x.ID, nil
		}
	}
	e.ID = fmt.Sprintf("exc-%d", len(r.exceptions)+1)
	e.Status = sidecar.ExceptionOpen
	if e.DetectedAt.IsZero() {
		e.DetectedAt = time.Now()
	}
	r.exceptions = append(r.exceptions, e)
	return e.ID, nil
}

// ResolveException implements sidecar.Reporter.
func (r *Reporter) ResolveException(_ context.Context, id, _, note string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := range r.exceptions {
		if r.exceptions[i].ID == id {
			r.exceptions[i].Status = sidecar.ExceptionResolved
			r.exceptions[i].Note = note
			return nil
		}
	}
	return errors.New("sidecartest: no such exception")
}

// ListExceptions implements sidecar.Reporter.
func (r *Reporter) ListExceptions(_ context.Context, f sidecar.ExceptionFilter) ([]sidecar.Exception, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []sidecar.Exception
	for _, x := range r.exceptions {
		if (f.Chain == "" || f.Chain == x.Chain) && (f.AssetID == "" || f.AssetID == x.AssetID) &&
			(f.Wallet == "" || f.Wallet == x.Wallet) && (f.Status == "" || f.Status == x.Status) {
			out = append(out, x)
		}
	}
	return out, nil
}

// Transfers returns the reported transfers.
func (r *Reporter) Transfers() []sidecar.Transfer {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.transfers)
}

// Balances returns the reported balances.
func (r *Reporter) Balances() []sidecar.Balance {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.balances)
}

// SetHolding sets Clearance's recorded holding for Holdings.
func (r *Reporter) SetHolding(chain, assetID, wallet, amount string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.holdings[chain+"|"+assetID+"|"+wallet] = amount
}

// Holding returns Clearance's recorded holding of wallet, as set with
// SetHolding (zero when unset); it implements reconcile.Holdings.
func (r *Reporter) Holding(_ context.Context, chain, assetID, wallet string) (*big.Int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	v, ok := r.holdings[chain+"|"+assetID+"|"+wallet]
	if !ok {
		return new(big.Int), nil
	}
	n, ok := new(big.Int).SetString(v, 10)
	if !ok {
		return nil, fmt.Errorf("sidecartest: holding %q is not an integer", v)
	}
	return n, nil
}
