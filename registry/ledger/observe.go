package ledger

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// BalanceReport is a sidecar's observation of a wallet's balance on a chain.
type BalanceReport struct {
	Chain      string
	AssetID    string
	Wallet     string
	Balance    int64
	ObservedAt time.Time
	Block      int64
}

// ReportBalance records an external chain position. A report for an older
// block than the stored one is ignored (accepted false).
func (l *Ledger) ReportBalance(ctx context.Context, r BalanceReport) (bool, error) {
	for f, v := range map[string]string{"chain": r.Chain, "asset_id": r.AssetID, "wallet": r.Wallet} {
		if err := checkID(f, v); err != nil {
			return false, err
		}
	}
	if r.Balance < 0 {
		return false, invalid("balance", "must not be negative")
	}
	if r.ObservedAt.IsZero() {
		r.ObservedAt = l.clock()
	}
	accepted := false
	err := l.store.Update(ctx, func(tx Tx) error {
		key := k(r.AssetID, r.Wallet, r.Chain)
		var p Position
		ok, err := getJSON(tx, tPositions, key, &p)
		if err != nil {
			return err
		}
		if ok && r.Block < p.Block {
			accepted = false
			return nil
		}
		accepted = true
		if !ok {
			p = Position{Chain: r.Chain, AssetID: r.AssetID, Wallet: r.Wallet}
		}
		h := WalletHolding{AssetID: r.AssetID, Wallet: r.Wallet, Balance: p.Balance, Lots: p.Lots}
		switch d := r.Balance - p.Balance; {
		case d > 0:
			addLots(&h, Lot{AcquiredAt: r.ObservedAt.UTC(), Amount: d})
		case d < 0:
			if _, err := takeLots(&h, -d); err != nil {
				return err
			}
		}
		p.Balance, p.Lots, p.Block, p.ObservedAt = h.Balance, h.Lots, r.Block, r.ObservedAt.UTC()
		if p.Balance == 0 {
			return tx.Delete(tPositions, key)
		}
		return putJSON(tx, tPositions, key, p)
	})
	return accepted, err
}

// Positions lists a wallet's external positions of an asset.
func (l *Ledger) Positions(ctx context.Context, assetID, wallet string) ([]Position, error) {
	var out []Position
	err := l.store.View(ctx, func(tx Tx) error {
		var err error
		out, err = positionsOf(tx, assetID, wallet)
		return err
	})
	return out, err
}

// ObservedTransfer is a transfer a sidecar saw on a chain.
type ObservedTransfer struct {
	Chain      string    `json:"chain"`
	AssetID    string    `json:"asset_id"`
	From       string    `json:"from"`
	To         string    `json:"to"`
	Amount     int64     `json:"amount"`
	TxRef      string    `json:"tx_ref"`
	Block      int64     `json:"block"`
	ViaProxy   bool      `json:"via_proxy"`
	DecisionID string    `json:"decision_id,omitempty"`
	RecordedAt time.Time `json:"recorded_at"`
	EventSeq   int64     `json:"event_seq"`
}

// ReportTransfer records an external transfer once per (chain, tx_ref) and
// appends an "external_transfer" event linking the chain reference to the
// gateway decision. recorded is false for a duplicate report.
func (l *Ledger) ReportTransfer(ctx context.Context, t ObservedTransfer) (bool, error) {
	for f, v := range map[string]string{"chain": t.Chain, "asset_id": t.AssetID, "tx_ref": t.TxRef} {
		if err := checkID(f, v); err != nil {
			return false, err
		}
	}
	if t.Amount < 0 {
		return false, invalid("amount", "must not be negative")
	}
	t.RecordedAt = l.clock()
	recorded := false
	err := l.store.Update(ctx, func(tx Tx) error {
		key := k(t.Chain, t.TxRef)
		if _, ok, err := tx.Get(tObsTransfers, key); err != nil || ok {
			recorded = false
			return err
		}
		recorded = true
		s, err := loadAsset(tx, t.AssetID)
		if err != nil {
			return err
		}
		e := Event{AssetID: t.AssetID, Type: "external_transfer", From: t.From, To: t.To, Amount: t.Amount,
			Before: s.Buckets, After: s.Buckets, DecisionID: t.DecisionID, At: t.RecordedAt,
			Data: map[string]string{"chain": t.Chain, "tx_ref": t.TxRef, "block": itoa(t.Block), "via_proxy": strconv.FormatBool(t.ViaProxy)}}
		if err := appendEvent(tx, &e); err != nil {
			return err
		}
		t.EventSeq = e.Seq
		return putJSON(tx, tObsTransfers, key, t)
	})
	return recorded, err
}

// TransferByRef returns an observed transfer by chain and reference.
func (l *Ledger) TransferByRef(ctx context.Context, chain, txRef string) (ObservedTransfer, error) {
	var t ObservedTransfer
	err := l.store.View(ctx, func(tx Tx) error {
		ok, err := getJSON(tx, tObsTransfers, k(chain, txRef), &t)
		if err == nil && !ok {
			err = fmt.Errorf("%w: transfer %s on %s", ErrNotFound, txRef, chain)
		}
		return err
	})
	return t, err
}

// Exception statuses.
const (
	ExceptionOpen     = "OPEN"
	ExceptionResolved = "RESOLVED"
)

// Exception is a reconciliation mismatch; while open it holds the wallet.
type Exception struct {
	ID         string    `json:"id"`
	AssetID    string    `json:"asset_id"`
	Wallet     string    `json:"wallet"`
	Chain      string    `json:"chain"`
	Item       string    `json:"item"`
	Expected   string    `json:"expected"`
	Observed   string    `json:"observed"`
	Difference string    `json:"difference"`
	DetectedAt time.Time `json:"detected_at"`
	Status     string    `json:"status"`
	ResolvedAt time.Time `json:"resolved_at,omitzero"`
	ResolvedBy string    `json:"resolved_by,omitempty"`
	Note       string    `json:"note,omitempty"`
}

// RecordException opens a reconciliation exception. An open exception for
// the same asset, wallet, chain and item is returned instead of a duplicate.
func (l *Ledger) RecordException(ctx context.Context, e Exception) (Exception, error) {
	for f, v := range map[string]string{"asset_id": e.AssetID, "wallet": e.Wallet, "chain": e.Chain, "item": e.Item} {
		if err := checkID(f, v); err != nil {
			return e, err
		}
	}
	for f, v := range map[string]string{"expected": e.Expected, "observed": e.Observed, "difference": e.Difference} {
		if len(v) > 200 {
			return e, invalid(f, "longer than 200 characters")
		}
	}
	if e.DetectedAt.IsZero() {
		e.DetectedAt = l.clock()
	}
	e.DetectedAt = e.DetectedAt.UTC()
	var out Exception
	err := l.store.Update(ctx, func(tx Tx) error {
		kvs, err := tx.Scan(tExcOpen, k(e.AssetID, e.Wallet)+sep, "", 0)
		if err != nil {
			return err
		}
		for _, kv := range kvs {
			var x Exception
			if ok, err := getJSON(tx, tExceptions, string(kv.Value), &x); err != nil {
				return err
			} else if ok && x.Chain == e.Chain && x.Item == e.Item {
				out = x
				return nil
			}
		}
		var n int64
		if b, ok, err := tx.Get(tMeta, "exception_seq"); err != nil {
			return err
		} else if ok {
			n, _ = strconv.ParseInt(string(b), 10, 64)
		}
		n++
		if err := tx.Put(tMeta, "exception_seq", []byte(itoa(n))); err != nil {
			return err
		}
		x := e
		x.ID, x.Status, x.ResolvedAt, x.ResolvedBy, x.Note = fmt.Sprintf("exc_%08d", n), ExceptionOpen, time.Time{}, "", ""
		if err := putJSON(tx, tExceptions, x.ID, x); err != nil {
			return err
		}
		if err := tx.Put(tExcOpen, k(x.AssetID, x.Wallet, x.ID), []byte(x.ID)); err != nil {
			return err
		}
		s, err := loadAsset(tx, x.AssetID)
		if err != nil {
			return err
		}
		ev := Event{AssetID: x.AssetID, Type: EvExceptionRecorded, From: x.Wallet, Before: s.Buckets, After: s.Buckets, At: l.clock(),
			Data: map[string]string{"exception_id": x.ID, "chain": x.Chain, "item": x.Item, "expected": x.Expected, "observed": x.Observed, "difference": x.Difference}}
		if err := appendEvent(tx, &ev); err != nil {
			return err
		}
		out = x
		return nil
	})
	return out, err
}

// ResolveException closes an open exception, lifting its hold. Resolving a
// resolved exception returns it unchanged.
func (l *Ledger) ResolveException(ctx context.Context, id, actor, note string) (Exception, error) {
	if err := checkID("id", id); err != nil {
		return Exception{}, err
	}
	if len(note) > 2000 {
		return Exception{}, invalid("note", "longer than 2000 characters")
	}
	var x Exception
	err := l.store.Update(ctx, func(tx Tx) error {
		ok, err := getJSON(tx, tExceptions, id, &x)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("%w: exception %s", ErrNotFound, id)
		}
		if x.Status != ExceptionOpen {
			return nil
		}
		x.Status, x.ResolvedAt, x.ResolvedBy, x.Note = ExceptionResolved, l.clock(), actor, note
		if err := putJSON(tx, tExceptions, x.ID, x); err != nil {
			return err
		}
		if err := tx.Delete(tExcOpen, k(x.AssetID, x.Wallet, x.ID)); err != nil {
			return err
		}
		s, err := loadAsset(tx, x.AssetID)
		if err != nil {
			return err
		}
		ev := Event{AssetID: x.AssetID, Type: EvExceptionResolved, From: x.Wallet, Before: s.Buckets, After: s.Buckets, Actor: actor, At: x.ResolvedAt,
			Data: map[string]string{"exception_id": x.ID, "note": note}}
		return appendEvent(tx, &ev)
	})
	return x, err
}

// Exceptions lists exceptions in id order, filtered by asset (empty: all)
// and status (empty: all), after id `after`.
func (l *Ledger) Exceptions(ctx context.Context, assetID, status, after string, limit int) ([]Exception, error) {
	var out []Exception
	err := l.store.View(ctx, func(tx Tx) error {
		kvs, err := tx.Scan(tExceptions, "", after, 0)
		if err != nil {
			return err
		}
		for _, kv := range kvs {
			var x Exception
			if err := json.Unmarshal(kv.Value, &x); err != nil {
				return err
			}
			if (assetID == "" || x.AssetID == assetID) && (status == "" || x.Status == status) {
				out = append(out, x)
				if limit > 0 && len(out) >= limit {
					break
				}
			}
		}
		return nil
	})
	return out, err
}
