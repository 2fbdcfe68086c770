package ledger

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/clearancehq/clearance/policies"
	"github.com/clearancehq/clearance/registry"
)

// ReserveRequest reserves tokens from the treasury for an investment.
type ReserveRequest struct {
	Meta
	AssetID      string `json:"asset_id"`
	InvestmentID string `json:"investment_id"`
	InvestorID   string `json:"investor_id"`
	Wallet       string `json:"wallet"`
	Amount       int64  `json:"amount"`
}

// InvestmentRequest names an investment to confirm, cancel, expire or
// distribute.
type InvestmentRequest struct {
	Meta
	AssetID      string `json:"asset_id"`
	InvestmentID string `json:"investment_id"`
}

// Prerequisite failure codes (seed 000).
const (
	PreNotConfirmed        = "NOT_CONFIRMED"
	PreWalletUnknown       = "WALLET_UNKNOWN"
	PreWalletNotVerified   = "WALLET_NOT_VERIFIED"
	PreWalletInactive      = "WALLET_INACTIVE"
	PreWalletNotOwned      = "WALLET_NOT_OWNED_BY_INVESTOR"
	PreInvestorUnknown     = "INVESTOR_UNKNOWN"
	PreInvestorNotApproved = "INVESTOR_NOT_APPROVED"
	PreInvestorInactive    = "INVESTOR_INACTIVE"
	PreNotWhitelisted      = "NOT_WHITELISTED"
)

// PrerequisiteFailure lists why one investment may not be distributed.
type PrerequisiteFailure struct {
	InvestmentID string   `json:"investment_id"`
	Wallet       string   `json:"wallet"`
	Codes        []string `json:"codes"`
}

// PrerequisiteError is returned when distribution prerequisites fail. It
// wraps ErrPrerequisites.
type PrerequisiteError struct {
	Failures []PrerequisiteFailure
}

func (e *PrerequisiteError) Error() string {
	var parts []string
	for _, f := range e.Failures {
		parts = append(parts, f.InvestmentID+": "+strings.Join(f.Codes, ","))
	}
	return "ledger: distribution prerequisites failed: " + strings.Join(parts, "; ")
}

// Unwrap makes errors.Is(err, ErrPrerequisites) true.
func (e *PrerequisiteError) Unwrap() error { return ErrPrerequisites }

func loadInvestment(tx Tx, assetID, id string) (Investment, error) {
	var inv Investment
	ok, err := getJSON(tx, tInvest, k(assetID, id), &inv)
	if err == nil && !ok {
		err = fmt.Errorf("%w: investment %s of asset %s", ErrNotFound, id, assetID)
	}
	return inv, err
}

func saveInvestment(tx Tx, inv Investment) error {
	return putJSON(tx, tInvest, k(inv.AssetID, inv.ID), inv)
}

// ReserveInvestment reserves amount from the treasury (treasury ->
// reserved_investments) for a new investment.
func (l *Ledger) ReserveInvestment(ctx context.Context, r ReserveRequest) (*Operation, error) {
	return l.run(ctx, KindReserve, r, r.IdempotencyKey, r.Actor)
}

// ConfirmInvestment moves a reserved investment to confirmed.
func (l *Ledger) ConfirmInvestment(ctx context.Context, r InvestmentRequest) (*Operation, error) {
	return l.run(ctx, KindConfirm, r, r.IdempotencyKey, r.Actor)
}

// CancelInvestment returns a reserved, confirmed or failed investment's
// tokens to the treasury.
func (l *Ledger) CancelInvestment(ctx context.Context, r InvestmentRequest) (*Operation, error) {
	return l.run(ctx, KindCancel, r, r.IdempotencyKey, r.Actor)
}

// ExpireInvestment returns an unfinished investment's tokens to the treasury.
func (l *Ledger) ExpireInvestment(ctx context.Context, r InvestmentRequest) (*Operation, error) {
	return l.run(ctx, KindExpire, r, r.IdempotencyKey, r.Actor)
}

func (l *Ledger) specReserve(ctx context.Context, r ReserveRequest) (*spec, error) {
	for f, v := range map[string]string{"investment_id": r.InvestmentID, "investor_id": r.InvestorID, "wallet": r.Wallet} {
		if err := checkID(f, v); err != nil {
			return nil, err
		}
	}
	if err := checkAmount(r.Amount); err != nil {
		return nil, err
	}
	sp := &spec{kind: KindReserve, assetID: r.AssetID, pause: string(policies.ActionIssuance), amount: r.Amount, invID: r.InvestmentID, to: r.Wallet}
	sp.check = func(ctx context.Context, tx Tx, sp *spec) error {
		if _, err := loadInvestment(tx, r.AssetID, r.InvestmentID); err == nil {
			return fmt.Errorf("%w: investment %s already exists", ErrWrongState, r.InvestmentID)
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
		w, ok, err := l.regWallet(ctx, r.Wallet)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("%w: wallet %s", ErrNotFound, r.Wallet)
		}
		if w.InvestorID != r.InvestorID {
			return invalid("wallet", "belongs to investor %s, not %s", w.InvestorID, r.InvestorID)
		}
		s, err := loadAsset(tx, r.AssetID)
		if err != nil {
			return err
		}
		if r.Amount > s.Buckets.Treasury {
			return fmt.Errorf("%w: treasury holds %d, reservation of %d", ErrInsufficientBalance, s.Buckets.Treasury, r.Amount)
		}
		return nil
	}
	sp.apply = func(ctx context.Context, tx Tx, c *opCtx) error {
		s, err := loadAsset(tx, r.AssetID)
		if err != nil {
			return err
		}
		before := s.Buckets
		s.Buckets.Treasury -= r.Amount
		s.Buckets.Reserved += r.Amount
		if err := saveAsset(tx, s); err != nil {
			return err
		}
		inv := Investment{ID: r.InvestmentID, AssetID: r.AssetID, InvestorID: r.InvestorID, Wallet: r.Wallet,
			Amount: r.Amount, Status: InvReserved, CreatedAt: c.now, UpdatedAt: c.now}
		if err := saveInvestment(tx, inv); err != nil {
			return err
		}
		return c.event(tx, Event{Type: EvReserve, To: r.Wallet, Amount: r.Amount, Before: before, After: s.Buckets,
			Data: map[string]string{"investment_id": r.InvestmentID, "investor_id": r.InvestorID}})
	}
	return sp, nil
}

func (l *Ledger) specInvestmentStep(kind string, r InvestmentRequest) (*spec, error) {
	if err := checkID("investment_id", r.InvestmentID); err != nil {
		return nil, err
	}
	from := map[string][]string{
		KindConfirm: {InvReserved},
		KindCancel:  {InvReserved, InvConfirmed, InvDistributionFailed},
		KindExpire:  {InvReserved, InvConfirmed, InvDistributionFailed},
	}[kind]
	sp := &spec{kind: kind, assetID: r.AssetID, pause: string(policies.ActionIssuance), invID: r.InvestmentID}
	if kind != KindConfirm {
		sp.pause = "-" // returning tokens to the treasury is always possible
	}
	sp.check = func(ctx context.Context, tx Tx, sp *spec) error {
		inv, err := loadInvestment(tx, r.AssetID, r.InvestmentID)
		if err != nil {
			return err
		}
		if !slices.Contains(from, inv.Status) {
			return fmt.Errorf("%w: investment %s is %s; %s needs %s", ErrWrongState, inv.ID, inv.Status, kind, strings.Join(from, " or "))
		}
		sp.amount, sp.to = inv.Amount, inv.Wallet
		return nil
	}
	sp.apply = func(ctx context.Context, tx Tx, c *opCtx) error {
		inv, err := loadInvestment(tx, r.AssetID, r.InvestmentID)
		if err != nil {
			return err
		}
		s, err := loadAsset(tx, r.AssetID)
		if err != nil {
			return err
		}
		before := s.Buckets
		var typ string
		switch kind {
		case KindConfirm:
			s.Buckets.Reserved -= inv.Amount
			s.Buckets.Confirmed += inv.Amount
			inv.Status, typ = InvConfirmed, EvConfirm
		default:
			if inv.Status == InvReserved {
				s.Buckets.Reserved -= inv.Amount
			} else {
				s.Buckets.Confirmed -= inv.Amount
			}
			s.Buckets.Treasury += inv.Amount
			inv.Status, typ = InvCancelled, EvCancel
			if kind == KindExpire {
				inv.Status, typ = InvExpired, EvExpire
			}
		}
		inv.UpdatedAt = c.now
		if err := saveAsset(tx, s); err != nil {
			return err
		}
		if err := saveInvestment(tx, inv); err != nil {
			return err
		}
		return c.event(tx, Event{Type: typ, To: inv.Wallet, Amount: inv.Amount, Before: before, After: s.Buckets,
			Data: map[string]string{"investment_id": inv.ID}})
	}
	return sp, nil
}

// Prerequisites checks the seed-000 distribution prerequisites of one
// investment against the registry: confirmed (or failed and retried),
// wallet verified and active and the investor's, investor APPROVED, active
// and whitelisted.
func (l *Ledger) prerequisites(ctx context.Context, inv Investment, allowed ...string) ([]string, error) {
	var codes []string
	if !slices.Contains(allowed, inv.Status) {
		codes = append(codes, PreNotConfirmed)
	}
	w, ok, err := l.regWallet(ctx, inv.Wallet)
	if err != nil {
		return nil, err
	}
	switch {
	case !ok:
		codes = append(codes, PreWalletUnknown)
	default:
		if !w.Verified {
			codes = append(codes, PreWalletNotVerified)
		}
		if !w.Active {
			codes = append(codes, PreWalletInactive)
		}
		if w.InvestorID != inv.InvestorID {
			codes = append(codes, PreWalletNotOwned)
		}
	}
	in, err := l.reg.Investor(ctx, inv.InvestorID, time.Time{})
	switch {
	case errors.Is(err, registry.ErrNotFound):
		codes = append(codes, PreInvestorUnknown)
	case err != nil:
		return nil, fmt.Errorf("ledger: read investor %s: %w", inv.InvestorID, err)
	default:
		if in.Status != registry.StatusApproved {
			codes = append(codes, PreInvestorNotApproved)
		}
		if !in.Active {
			codes = append(codes, PreInvestorInactive)
		}
		wl, err := l.reg.Whitelisted(ctx, inv.AssetID, inv.InvestorID, time.Time{})
		if err != nil {
			return nil, fmt.Errorf("ledger: read whitelist: %w", err)
		}
		if !wl {
			codes = append(codes, PreNotWhitelisted)
		}
	}
	return codes, nil
}

func (l *Ledger) specDistribute(ctx context.Context, r InvestmentRequest) (*spec, error) {
	if err := checkID("investment_id", r.InvestmentID); err != nil {
		return nil, err
	}
	sp := &spec{kind: KindDistribute, assetID: r.AssetID, action: policies.ActionDistribution, invID: r.InvestmentID}
	sp.check = func(ctx context.Context, tx Tx, sp *spec) error {
		inv, err := loadInvestment(tx, r.AssetID, r.InvestmentID)
		if err != nil {
			return err
		}
		if inv.Status != InvInDistribution {
			return fmt.Errorf("%w: investment %s is %s, not IN_DISTRIBUTION", ErrWrongState, inv.ID, inv.Status)
		}
		sp.from, sp.to, sp.amount = TreasuryWallet(sp.asset), inv.Wallet, inv.Amount
		rw, ok, err := l.regWallet(ctx, inv.Wallet)
		if err != nil {
			return err
		}
		if ok && rw.Frozen {
			return fmt.Errorf("%w: %s", ErrFrozen, inv.Wallet)
		}
		return nil
	}
	setStatus := func(status string, failure string, reasons []policies.Reason, evType string) func(context.Context, Tx, *opCtx) error {
		return func(ctx context.Context, tx Tx, c *opCtx) error {
			inv, err := loadInvestment(tx, r.AssetID, r.InvestmentID)
			if err != nil {
				return err
			}
			if inv.Status != InvInDistribution {
				return nil
			}
			inv.Status, inv.UpdatedAt, inv.DistributionOp = status, c.now, c.op.ID
			if status == InvDistributionFailed {
				inv.Failure, inv.FailureReasons = cmpOr(failure, c.op.Error), cmpOrReasons(reasons, c.op.Reasons)
			}
			if err := saveInvestment(tx, inv); err != nil {
				return err
			}
			if evType == "" {
				return nil
			}
			s, err := loadAsset(tx, r.AssetID)
			if err != nil {
				return err
			}
			return c.event(tx, Event{Type: evType, To: inv.Wallet, Amount: inv.Amount, Before: s.Buckets, After: s.Buckets,
				Data: map[string]string{"investment_id": inv.ID, "failure": inv.Failure}})
		}
	}
	sp.onPark = setStatus(InvInDistribution, "", nil, "")
	sp.onReject = setStatus(InvDistributionFailed, "denied by the gateway", nil, EvDistFailed)
	sp.onCancel = setStatus(InvDistributionFailed, "", nil, EvDistFailed)
	sp.apply = func(ctx context.Context, tx Tx, c *opCtx) error {
		inv, err := loadInvestment(tx, r.AssetID, r.InvestmentID)
		if err != nil {
			return err
		}
		s, err := loadAsset(tx, r.AssetID)
		if err != nil {
			return err
		}
		before := s.Buckets
		if s.Buckets.Confirmed < inv.Amount {
			return fmt.Errorf("%w: confirmed_investments %d < investment %d", ErrInvariant, s.Buckets.Confirmed, inv.Amount)
		}
		s.Buckets.Confirmed -= inv.Amount
		s.Buckets.Distributed += inv.Amount
		if err := saveAsset(tx, s); err != nil {
			return err
		}
		w, err := loadWallet(tx, r.AssetID, inv.Wallet)
		if err != nil {
			return err
		}
		addLots(&w, Lot{AcquiredAt: c.now, Amount: inv.Amount})
		if err := saveWallet(tx, w); err != nil {
			return err
		}
		inv.Status, inv.UpdatedAt, inv.DistributionOp, inv.Failure, inv.FailureReasons = InvDistributed, c.now, c.op.ID, "", nil
		if err := saveInvestment(tx, inv); err != nil {
			return err
		}
		return c.event(tx, Event{Type: EvDistributed, From: sp.from, To: inv.Wallet, Amount: inv.Amount, Before: before, After: s.Buckets,
			Data: map[string]string{"investment_id": inv.ID}})
	}
	return sp, nil
}

func cmpOrReasons(a, b []policies.Reason) []policies.Reason {
	if len(a) > 0 {
		return a
	}
	return b
}

// DistributeInvestment distributes one investment (individual mode). The
// investment moves to IN_DISTRIBUTION, the gateway clears the delivery
// (DISTRIBUTION), and it ends DISTRIBUTED, or DISTRIBUTION_FAILED with
// details (prerequisites, denial, delivery failure). Retrying is keyed by
// the investment: a distributed investment returns its distributing
// operation, a failed one may be distributed again with a new key.
func (l *Ledger) DistributeInvestment(ctx context.Context, r InvestmentRequest) (*Operation, error) {
	if err := checkID("idempotency_key", r.IdempotencyKey); err != nil {
		return nil, err
	}
	if err := checkID("investment_id", r.InvestmentID); err != nil {
		return nil, err
	}
	if _, err := l.asset(ctx, r.AssetID); err != nil {
		return nil, err
	}
	body, _ := json.Marshal(r)
	hash := bodyHash(KindDistribute, body)
	var prev *Operation
	var inv Investment
	if err := l.store.View(ctx, func(tx Tx) error {
		var err error
		if prev, err = replay(tx, r.IdempotencyKey, hash); err != nil || prev != nil {
			return err
		}
		inv, err = loadInvestment(tx, r.AssetID, r.InvestmentID)
		return err
	}); err != nil {
		return nil, err
	}
	if prev != nil {
		return prev, replayErr(prev)
	}
	// Retry keyed by investment id.
	if (inv.Status == InvDistributed || inv.Status == InvInDistribution) && inv.DistributionOp != "" {
		op, err := l.Operation(ctx, inv.DistributionOp)
		if err != nil {
			return nil, err
		}
		if op.Status == OpApplied || op.Status == OpPendingReview {
			op.Replayed = true
			return op, nil
		}
	}
	allowed := []string{InvConfirmed, InvDistributionFailed, InvInDistribution}
	if !slices.Contains(allowed, inv.Status) {
		return nil, fmt.Errorf("%w: investment %s is %s; distribution needs CONFIRMED", ErrWrongState, inv.ID, inv.Status)
	}
	codes, err := l.prerequisites(ctx, inv, allowed...)
	if err != nil {
		return nil, err
	}
	if len(codes) > 0 {
		msg := "prerequisites failed: " + strings.Join(codes, ",")
		if err := l.markFailed(ctx, r, msg, r.Actor); err != nil {
			return nil, err
		}
		return nil, &PrerequisiteError{Failures: []PrerequisiteFailure{{InvestmentID: inv.ID, Wallet: inv.Wallet, Codes: codes}}}
	}
	if err := l.markInDistribution(ctx, r); err != nil {
		return nil, err
	}
	op, err := l.run(ctx, KindDistribute, r, r.IdempotencyKey, r.Actor)
	if err != nil && !errors.Is(err, ErrRejected) {
		// Delivery failed: only this investment is affected.
		if ferr := l.markFailed(ctx, r, err.Error(), r.Actor); ferr != nil {
			l.log.WarnContext(ctx, "ledger: mark distribution failed", "investment", r.InvestmentID, "err", ferr)
		}
	}
	return op, err
}

func (l *Ledger) markInDistribution(ctx context.Context, r InvestmentRequest) error {
	now := l.clock()
	return l.store.Update(ctx, func(tx Tx) error {
		inv, err := loadInvestment(tx, r.AssetID, r.InvestmentID)
		if err != nil {
			return err
		}
		if inv.Status == InvInDistribution {
			return nil
		}
		if inv.Status != InvConfirmed && inv.Status != InvDistributionFailed {
			return fmt.Errorf("%w: investment %s is %s", ErrWrongState, inv.ID, inv.Status)
		}
		inv.Status, inv.UpdatedAt, inv.Attempts, inv.DistributionOp = InvInDistribution, now, inv.Attempts+1, ""
		if err := saveInvestment(tx, inv); err != nil {
			return err
		}
		s, err := loadAsset(tx, r.AssetID)
		if err != nil {
			return err
		}
		e := Event{AssetID: r.AssetID, Type: EvDistStarted, To: inv.Wallet, Amount: inv.Amount, Before: s.Buckets, After: s.Buckets,
			Actor: r.Actor, IdempotencyKey: r.IdempotencyKey, OperationID: opID(r.IdempotencyKey), At: now,
			Data: map[string]string{"investment_id": inv.ID, "attempt": itoa(int64(inv.Attempts))}}
		return appendEvent(tx, &e)
	})
}

func (l *Ledger) markFailed(ctx context.Context, r InvestmentRequest, failure, actor string) error {
	now := l.clock()
	return l.store.Update(ctx, func(tx Tx) error {
		inv, err := loadInvestment(tx, r.AssetID, r.InvestmentID)
		if err != nil {
			return err
		}
		if inv.Status != InvInDistribution && inv.Status != InvConfirmed && inv.Status != InvDistributionFailed {
			return nil
		}
		inv.Status, inv.UpdatedAt, inv.Failure, inv.FailureReasons = InvDistributionFailed, now, failure, nil
		if err := saveInvestment(tx, inv); err != nil {
			return err
		}
		s, err := loadAsset(tx, r.AssetID)
		if err != nil {
			return err
		}
		e := Event{AssetID: r.AssetID, Type: EvDistFailed, To: inv.Wallet, Amount: inv.Amount, Before: s.Buckets, After: s.Buckets,
			Actor: actor, IdempotencyKey: r.IdempotencyKey, At: now, Data: map[string]string{"investment_id": inv.ID, "failure": failure}}
		return appendEvent(tx, &e)
	})
}

// BatchResult is the outcome of a batch distribution.
type BatchResult struct {
	// Operations holds one entry per distributed investment, in id order.
	Operations []*Operation `json:"-"`
	// Errors maps investment id to its delivery error, if it failed.
	Errors   map[string]string `json:"errors,omitempty"`
	Replayed bool              `json:"-"`
}

// DistributeBatch distributes every confirmed investment of the asset. It
// checks every prerequisite first: if any investment fails, nothing
// executes and a *PrerequisiteError lists every failure. Once started, a
// delivery failure affects only its own investment. The batch's members
// are recorded under its key before the first delivery, and each member is
// distributed under the key "<key>/<investment id>": replaying the batch
// key (after a crash, too) finishes and returns the same members, never
// distributes one twice, and never picks up investments confirmed since.
func (l *Ledger) DistributeBatch(ctx context.Context, assetID, key, actor string) (*BatchResult, error) {
	if err := checkID("idempotency_key", key); err != nil {
		return nil, err
	}
	if _, err := l.asset(ctx, assetID); err != nil {
		return nil, err
	}
	body, _ := json.Marshal(struct {
		AssetID string `json:"asset_id"`
	}{assetID})
	hash := bodyHash(KindBatch, body)
	members, replayed, err := l.batchMembers(ctx, key, hash)
	if err != nil {
		return nil, err
	}
	if !replayed {
		invs, err := l.Investments(ctx, assetID, InvConfirmed, 0)
		if err != nil {
			return nil, err
		}
		var failures []PrerequisiteFailure
		members = members[:0]
		for _, inv := range invs {
			codes, err := l.prerequisites(ctx, inv, InvConfirmed)
			if err != nil {
				return nil, err
			}
			if len(codes) > 0 {
				failures = append(failures, PrerequisiteFailure{InvestmentID: inv.ID, Wallet: inv.Wallet, Codes: codes})
			}
			members = append(members, inv.ID)
		}
		if len(failures) > 0 {
			return nil, &PrerequisiteError{Failures: failures}
		}
		if members, err = l.recordBatch(ctx, assetID, key, hash, actor, body, members); err != nil {
			return nil, err
		}
	}
	res := &BatchResult{Errors: map[string]string{}}
	for _, id := range members {
		op, err := l.DistributeInvestment(ctx, InvestmentRequest{Meta: Meta{IdempotencyKey: key + "/" + id, Actor: actor}, AssetID: assetID, InvestmentID: id})
		if op != nil {
			res.Operations = append(res.Operations, op)
		}
		if err != nil {
			if !errors.Is(err, ErrRejected) && !isDomainErr(err) && !errors.Is(err, ErrClearance) {
				return res, err
			}
			res.Errors[id] = err.Error()
		}
	}
	return res, nil
}

// batchResult is the stored result of a batch operation: its members.
type batchResult struct {
	InvestmentIDs []string `json:"investment_ids"`
}

// batchMembers returns the members recorded under a batch key, if any.
func (l *Ledger) batchMembers(ctx context.Context, key, hash string) ([]string, bool, error) {
	var prev *Operation
	if err := l.store.View(ctx, func(tx Tx) error {
		var err error
		prev, err = replay(tx, key, hash)
		return err
	}); err != nil || prev == nil {
		return nil, false, err
	}
	var br batchResult
	if err := json.Unmarshal(prev.Result, &br); err != nil {
		return nil, false, fmt.Errorf("%w: batch %s: %v", ErrInvariant, key, err)
	}
	return br.InvestmentIDs, true, nil
}

// recordBatch stores the batch's members under its key; if a concurrent
// call recorded them first, those are returned.
func (l *Ledger) recordBatch(ctx context.Context, assetID, key, hash, actor string, body []byte, members []string) ([]string, error) {
	out := members
	err := l.store.Update(ctx, func(tx Tx) error {
		prev, err := replay(tx, key, hash)
		if err != nil {
			return err
		}
		if prev != nil {
			var br batchResult
			if err := json.Unmarshal(prev.Result, &br); err != nil {
				return fmt.Errorf("%w: batch %s: %v", ErrInvariant, key, err)
			}
			out = br.InvestmentIDs
			return nil
		}
		res, err := json.Marshal(batchResult{InvestmentIDs: members})
		if err != nil {
			return err
		}
		op := &Operation{ID: opID(key), Kind: KindBatch, AssetID: assetID, IdempotencyKey: key, BodyHash: hash,
			Request: body, Actor: actor, Status: OpApplied, Result: res, CreatedAt: l.clock()}
		return saveOp(tx, op)
	})
	return out, err
}

// Investment returns one investment.
func (l *Ledger) Investment(ctx context.Context, assetID, id string) (Investment, error) {
	var inv Investment
	err := l.store.View(ctx, func(tx Tx) error {
		var err error
		inv, err = loadInvestment(tx, assetID, id)
		return err
	})
	return inv, err
}

// Investments lists an asset's investments in id order, optionally only
// those with status, after the id `after`.
func (l *Ledger) Investments(ctx context.Context, assetID, status string, limit int) ([]Investment, error) {
	return l.InvestmentsPage(ctx, assetID, status, "", limit)
}

// InvestmentsPage lists investments after the given investment id.
func (l *Ledger) InvestmentsPage(ctx context.Context, assetID, status, after string, limit int) ([]Investment, error) {
	var out []Investment
	err := l.store.View(ctx, func(tx Tx) error {
		a := ""
		if after != "" {
			a = k(assetID, after)
		}
		kvs, err := tx.Scan(tInvest, assetID+sep, a, 0)
		if err != nil {
			return err
		}
		for _, kv := range kvs {
			var inv Investment
			if err := json.Unmarshal(kv.Value, &inv); err != nil {
				return err
			}
			if status == "" || inv.Status == status {
				out = append(out, inv)
				if limit > 0 && len(out) >= limit {
					break
				}
			}
		}
		return nil
	})
	return out, err
}
