package ledger

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/clearancehq/clearance/policies"
	"github.com/clearancehq/clearance/registry"
)

// Meta carries the idempotency key and the actor of a mutating call. Neither
// is part of the request body the key is bound to.
type Meta struct {
	IdempotencyKey string `json:"-"`
	Actor          string `json:"-"`
}

// MintRequest mints into the treasury.
type MintRequest struct {
	Meta
	AssetID string `json:"asset_id"`
	Amount  int64  `json:"amount"`
	Note    string `json:"note,omitempty"`
}

// Burn sources.
const (
	BurnFromTreasury = "treasury"
	BurnFromRedeemed = "redeemed"
)

// BurnRequest burns from the treasury or from the redeemed bucket.
type BurnRequest struct {
	Meta
	AssetID string `json:"asset_id"`
	Amount  int64  `json:"amount"`
	Source  string `json:"source"`
	Note    string `json:"note,omitempty"`
}

// TransferRequest moves tokens between investor wallets.
type TransferRequest struct {
	Meta
	AssetID string `json:"asset_id"`
	From    string `json:"from"`
	To      string `json:"to"`
	Amount  int64  `json:"amount"`
	Venue   string `json:"venue,omitempty"`
}

// RedeemRequest returns tokens from a wallet to the redemption wallet.
type RedeemRequest struct {
	Meta
	AssetID string `json:"asset_id"`
	Wallet  string `json:"wallet"`
	Amount  int64  `json:"amount"`
}

// ForcedTransferRequest is an agent's forced transfer; Reason is mandatory.
type ForcedTransferRequest struct {
	Meta
	AssetID string `json:"asset_id"`
	From    string `json:"from"`
	To      string `json:"to"`
	Amount  int64  `json:"amount"`
	Reason  string `json:"reason"`
}

// RecoverRequest reissues a lost wallet's holding to a new wallet of the
// same investor; lots keep their acquisition times.
type RecoverRequest struct {
	Meta
	AssetID    string `json:"asset_id"`
	LostWallet string `json:"lost_wallet"`
	NewWallet  string `json:"new_wallet"`
	Reason     string `json:"reason,omitempty"`
}

// FreezeRequest freezes (or unfreezes) a wallet; Amount > 0 freezes only
// that amount.
type FreezeRequest struct {
	Meta
	AssetID string `json:"asset_id"`
	Wallet  string `json:"wallet"`
	Amount  int64  `json:"amount,omitempty"`
	Reason  string `json:"reason,omitempty"`
}

// PauseRequest pauses (or unpauses) actions on an asset; no actions means ALL.
type PauseRequest struct {
	Meta
	AssetID string   `json:"asset_id"`
	Actions []string `json:"actions,omitempty"`
	Reason  string   `json:"reason,omitempty"`
}

// Operation kinds.
const (
	KindMint         = "mint"
	KindBurn         = "burn"
	KindReserve      = "reserve"
	KindConfirm      = "confirm"
	KindCancel       = "cancel"
	KindExpire       = "expire"
	KindDistribute   = "distribute"
	KindBatch        = "distribute_batch"
	KindTransfer     = "transfer"
	KindRedeem       = "redeem"
	KindForced       = "forced_transfer"
	KindRecover      = "recover"
	KindFreeze       = "freeze"
	KindUnfreeze     = "unfreeze"
	KindPause        = "pause"
	KindUnpause      = "unpause"
	KindRevConfig    = "revenue_config"
	KindRevCreate    = "revenue_create"
	KindRevClaim     = "revenue_claim"
	KindRevReclaim   = "revenue_reclaim"
	KindRevSchedSet  = "revenue_schedule_set"
	KindRevSchedTrig = "revenue_schedule_trigger"
	KindRevSchedOff  = "revenue_schedule_disable"
	KindRevPush      = "revenue_push"
)

// Mint mints amount into the asset's treasury (cleared as ISSUANCE to the
// treasury wallet).
func (l *Ledger) Mint(ctx context.Context, r MintRequest) (*Operation, error) {
	return l.run(ctx, KindMint, r, r.IdempotencyKey, r.Actor)
}

// Burn burns from the treasury or from redeemed (cleared as BURN).
func (l *Ledger) Burn(ctx context.Context, r BurnRequest) (*Operation, error) {
	return l.run(ctx, KindBurn, r, r.IdempotencyKey, r.Actor)
}

// Transfer moves tokens between wallets (cleared as TRANSFER). A transfer
// to the redemption wallet is a redemption.
func (l *Ledger) Transfer(ctx context.Context, r TransferRequest) (*Operation, error) {
	return l.run(ctx, KindTransfer, r, r.IdempotencyKey, r.Actor)
}

// Redeem moves tokens from a wallet to the asset's redemption wallet
// (distributed -> redeemed; cleared as REDEMPTION).
func (l *Ledger) Redeem(ctx context.Context, r RedeemRequest) (*Operation, error) {
	return l.run(ctx, KindRedeem, r, r.IdempotencyKey, r.Actor)
}

// ForcedTransfer moves tokens regardless of freezes (cleared as
// FORCED_TRANSFER). The caller enforces the agent role.
func (l *Ledger) ForcedTransfer(ctx context.Context, r ForcedTransferRequest) (*Operation, error) {
	return l.run(ctx, KindForced, r, r.IdempotencyKey, r.Actor)
}

// RecoverWallet moves a lost wallet's whole holding, lots and acquisition
// times included, to a new wallet of the same investor (cleared as RECOVERY).
func (l *Ledger) RecoverWallet(ctx context.Context, r RecoverRequest) (*Operation, error) {
	return l.run(ctx, KindRecover, r, r.IdempotencyKey, r.Actor)
}

// FreezeWallet freezes a wallet in the registry, fully or partially. It
// changes no bucket.
func (l *Ledger) FreezeWallet(ctx context.Context, r FreezeRequest) (*Operation, error) {
	return l.run(ctx, KindFreeze, r, r.IdempotencyKey, r.Actor)
}

// UnfreezeWallet lifts a freeze (Amount > 0 reduces a partial freeze).
func (l *Ledger) UnfreezeWallet(ctx context.Context, r FreezeRequest) (*Operation, error) {
	return l.run(ctx, KindUnfreeze, r, r.IdempotencyKey, r.Actor)
}

// Pause pauses actions on the asset (registry PausedActions).
func (l *Ledger) Pause(ctx context.Context, r PauseRequest) (*Operation, error) {
	return l.run(ctx, KindPause, r, r.IdempotencyKey, r.Actor)
}

// Unpause lifts paused actions.
func (l *Ledger) Unpause(ctx context.Context, r PauseRequest) (*Operation, error) {
	return l.run(ctx, KindUnpause, r, r.IdempotencyKey, r.Actor)
}

// build decodes a stored request and returns its spec.
func (l *Ledger) build(ctx context.Context, kind string, body []byte) (*spec, error) {
	dec := func(v any) error {
		if err := json.Unmarshal(body, v); err != nil {
			return fmt.Errorf("ledger: decode %s request: %w", kind, err)
		}
		return nil
	}
	switch kind {
	case KindMint:
		var r MintRequest
		if err := dec(&r); err != nil {
			return nil, err
		}
		return l.specMint(r)
	case KindBurn:
		var r BurnRequest
		if err := dec(&r); err != nil {
			return nil, err
		}
		return l.specBurn(r)
	case KindTransfer:
		var r TransferRequest
		if err := dec(&r); err != nil {
			return nil, err
		}
		return l.specMove(ctx, KindTransfer, r.AssetID, r.From, r.To, r.Amount, "")
	case KindRedeem:
		var r RedeemRequest
		if err := dec(&r); err != nil {
			return nil, err
		}
		return l.specMove(ctx, KindRedeem, r.AssetID, r.Wallet, "", r.Amount, "")
	case KindForced:
		var r ForcedTransferRequest
		if err := dec(&r); err != nil {
			return nil, err
		}
		if r.Reason == "" {
			return nil, invalid("reason", "required for a forced transfer")
		}
		return l.specMove(ctx, KindForced, r.AssetID, r.From, r.To, r.Amount, r.Reason)
	case KindRecover:
		var r RecoverRequest
		if err := dec(&r); err != nil {
			return nil, err
		}
		return l.specRecover(ctx, r)
	case KindFreeze, KindUnfreeze:
		var r FreezeRequest
		if err := dec(&r); err != nil {
			return nil, err
		}
		return l.specFreeze(ctx, kind, r)
	case KindPause, KindUnpause:
		var r PauseRequest
		if err := dec(&r); err != nil {
			return nil, err
		}
		return l.specPause(ctx, kind, r)
	case KindReserve:
		var r ReserveRequest
		if err := dec(&r); err != nil {
			return nil, err
		}
		return l.specReserve(ctx, r)
	case KindConfirm, KindCancel, KindExpire:
		var r InvestmentRequest
		if err := dec(&r); err != nil {
			return nil, err
		}
		return l.specInvestmentStep(kind, r)
	case KindDistribute:
		var r InvestmentRequest
		if err := dec(&r); err != nil {
			return nil, err
		}
		return l.specDistribute(ctx, r)
	case KindRevConfig, KindRevCreate, KindRevClaim, KindRevReclaim, KindRevSchedSet, KindRevSchedTrig, KindRevSchedOff, KindRevPush, KindBatch:
		return l.buildRevenue(ctx, kind, body)
	}
	return nil, fmt.Errorf("%w: unknown operation kind %q", ErrInvalid, kind)
}

func checkAmount(v int64) error {
	if v <= 0 {
		return invalid("amount", "must be positive")
	}
	return nil
}

func (l *Ledger) specMint(r MintRequest) (*spec, error) {
	if err := checkAmount(r.Amount); err != nil {
		return nil, err
	}
	if len(r.Note) > 1000 {
		return nil, invalid("note", "longer than 1000 characters")
	}
	sp := &spec{kind: KindMint, assetID: r.AssetID, action: policies.ActionIssuance, amount: r.Amount}
	sp.check = func(ctx context.Context, tx Tx, sp *spec) error {
		sp.to = TreasuryWallet(sp.asset)
		s, err := loadAsset(tx, r.AssetID)
		if err != nil {
			return err
		}
		if _, ok := (Buckets{Treasury: s.Buckets.Total, Distributed: r.Amount}).Sum(); !ok {
			return invalid("amount", "total supply would overflow")
		}
		return nil
	}
	sp.apply = func(ctx context.Context, tx Tx, c *opCtx) error {
		s, err := loadAsset(tx, r.AssetID)
		if err != nil {
			return err
		}
		before := s.Buckets
		s.Buckets.Treasury += r.Amount
		s.Buckets.Total += r.Amount
		if err := saveAsset(tx, s); err != nil {
			return err
		}
		return c.event(tx, Event{Type: EvMint, To: sp.to, Amount: r.Amount, Before: before, After: s.Buckets, Data: noteData(r.Note)})
	}
	return sp, nil
}

func noteData(note string) map[string]string {
	if note == "" {
		return nil
	}
	return map[string]string{"note": note}
}

func (l *Ledger) specBurn(r BurnRequest) (*spec, error) {
	if err := checkAmount(r.Amount); err != nil {
		return nil, err
	}
	if r.Source == "" {
		r.Source = BurnFromTreasury
	}
	if r.Source != BurnFromTreasury && r.Source != BurnFromRedeemed {
		return nil, invalid("source", "must be treasury or redeemed")
	}
	sp := &spec{kind: KindBurn, assetID: r.AssetID, action: policies.ActionBurn, amount: r.Amount}
	sp.check = func(ctx context.Context, tx Tx, sp *spec) error {
		s, err := loadAsset(tx, r.AssetID)
		if err != nil {
			return err
		}
		have := s.Buckets.Treasury
		sp.from = TreasuryWallet(sp.asset)
		if r.Source == BurnFromRedeemed {
			have = s.Buckets.Redeemed
			sp.from = RedemptionWallet(sp.asset)
		}
		if r.Amount > have {
			return fmt.Errorf("%w: %s holds %d, burn of %d", ErrInsufficientBalance, r.Source, have, r.Amount)
		}
		return nil
	}
	sp.apply = func(ctx context.Context, tx Tx, c *opCtx) error {
		s, err := loadAsset(tx, r.AssetID)
		if err != nil {
			return err
		}
		before := s.Buckets
		if r.Source == BurnFromRedeemed {
			w, err := loadWallet(tx, r.AssetID, sp.from)
			if err != nil {
				return err
			}
			if _, err := takeLots(&w, r.Amount); err != nil {
				return err
			}
			if err := saveWallet(tx, w); err != nil {
				return err
			}
			s.Buckets.Redeemed -= r.Amount
		} else {
			s.Buckets.Treasury -= r.Amount
		}
		s.Buckets.Total -= r.Amount
		if err := saveAsset(tx, s); err != nil {
			return err
		}
		d := noteData(r.Note)
		if d == nil {
			d = map[string]string{}
		}
		d["source"] = r.Source
		return c.event(tx, Event{Type: EvBurn, From: sp.from, Amount: r.Amount, Before: before, After: s.Buckets, Data: d})
	}
	return sp, nil
}

// specMove covers transfer, redemption and forced transfer.
func (l *Ledger) specMove(ctx context.Context, kind, assetID, from, to string, amount int64, reason string) (*spec, error) {
	if err := checkID("from_wallet", from); err != nil {
		return nil, err
	}
	if kind != KindRedeem {
		if err := checkID("to_wallet", to); err != nil {
			return nil, err
		}
	}
	if err := checkAmount(amount); err != nil {
		return nil, err
	}
	if len(reason) > 1000 {
		return nil, invalid("reason", "longer than 1000 characters")
	}
	action := map[string]policies.Action{KindTransfer: policies.ActionTransfer, KindRedeem: policies.ActionRedemption, KindForced: policies.ActionForcedTransfer}[kind]
	sp := &spec{kind: kind, assetID: assetID, action: action, from: from, to: to, amount: amount}
	redemption := false
	sp.check = func(ctx context.Context, tx Tx, sp *spec) error {
		treasury, redw := TreasuryWallet(sp.asset), RedemptionWallet(sp.asset)
		if kind == KindRedeem {
			sp.to = redw
		}
		redemption = sp.to == redw
		if redemption && kind == KindTransfer {
			sp.action = policies.ActionRedemption
		}
		if sp.from == treasury || sp.from == redw {
			return invalid("from_wallet", "the issuer's treasury and redemption wallets move tokens only by distribution and burn")
		}
		if sp.to == treasury {
			return invalid("to_wallet", "tokens return to the issuer by redemption")
		}
		w, err := loadWallet(tx, assetID, sp.from)
		if err != nil {
			return err
		}
		rw, known, err := l.regWallet(ctx, sp.from)
		if err != nil {
			return err
		}
		if kind != KindForced {
			if known && rw.Frozen {
				return fmt.Errorf("%w: %s", ErrFrozen, sp.from)
			}
			if avail := available(rw, known, w.Balance); amount > avail {
				if avail < w.Balance {
					return fmt.Errorf("%w: %s has %d available (%d frozen), needs %d", ErrInsufficientBalance, sp.from, avail, w.Balance-avail, amount)
				}
				return fmt.Errorf("%w: %s holds %d, needs %d", ErrInsufficientBalance, sp.from, w.Balance, amount)
			}
			if !redemption {
				tw, tknown, err := l.regWallet(ctx, sp.to)
				if err != nil {
					return err
				}
				if tknown && tw.Frozen {
					return fmt.Errorf("%w: %s", ErrFrozen, sp.to)
				}
			}
		} else if amount > w.Balance {
			return fmt.Errorf("%w: %s holds %d, needs %d", ErrInsufficientBalance, sp.from, w.Balance, amount)
		}
		return nil
	}
	sp.apply = func(ctx context.Context, tx Tx, c *opCtx) error {
		s, err := loadAsset(tx, assetID)
		if err != nil {
			return err
		}
		before := s.Buckets
		src, err := loadWallet(tx, assetID, sp.from)
		if err != nil {
			return err
		}
		lots, err := takeLots(&src, amount)
		if err != nil {
			return err
		}
		typ := map[string]string{KindTransfer: EvTransfer, KindRedeem: EvRedeem, KindForced: EvForced}[kind]
		if sp.from == sp.to {
			addLots(&src, lots...) // self-transfer: nothing moves
		} else {
			if err := saveWallet(tx, src); err != nil {
				return err
			}
			dst, err := loadWallet(tx, assetID, sp.to)
			if err != nil {
				return err
			}
			for i := range lots {
				lots[i].AcquiredAt = c.now
			}
			addLots(&dst, lots...)
			src = dst
		}
		if err := saveWallet(tx, src); err != nil {
			return err
		}
		if redemption {
			typ = EvRedeem
			s.Buckets.Distributed -= amount
			s.Buckets.Redeemed += amount
		}
		if err := saveAsset(tx, s); err != nil {
			return err
		}
		var d map[string]string
		if reason != "" {
			d = map[string]string{"reason": reason}
		}
		return c.event(tx, Event{Type: typ, From: sp.from, To: sp.to, Amount: amount, Before: before, After: s.Buckets, Data: d})
	}
	return sp, nil
}

func (l *Ledger) specRecover(ctx context.Context, r RecoverRequest) (*spec, error) {
	if err := checkID("lost_wallet", r.LostWallet); err != nil {
		return nil, err
	}
	if err := checkID("new_wallet", r.NewWallet); err != nil {
		return nil, err
	}
	if r.LostWallet == r.NewWallet {
		return nil, invalid("new_wallet", "must differ from lost_wallet")
	}
	sp := &spec{kind: KindRecover, assetID: r.AssetID, action: policies.ActionRecovery, from: r.LostWallet, to: r.NewWallet}
	sp.check = func(ctx context.Context, tx Tx, sp *spec) error {
		lw, ok, err := l.regWallet(ctx, r.LostWallet)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("%w: wallet %s", ErrNotFound, r.LostWallet)
		}
		nw, ok, err := l.regWallet(ctx, r.NewWallet)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("%w: wallet %s", ErrNotFound, r.NewWallet)
		}
		if lw.InvestorID != nw.InvestorID {
			return invalid("new_wallet", "must belong to the same investor as the lost wallet")
		}
		w, err := loadWallet(tx, r.AssetID, r.LostWallet)
		if err != nil {
			return err
		}
		if w.Balance == 0 {
			return fmt.Errorf("%w: wallet %s holds nothing to recover", ErrInsufficientBalance, r.LostWallet)
		}
		sp.amount = w.Balance
		return nil
	}
	sp.apply = func(ctx context.Context, tx Tx, c *opCtx) error {
		s, err := loadAsset(tx, r.AssetID)
		if err != nil {
			return err
		}
		src, err := loadWallet(tx, r.AssetID, r.LostWallet)
		if err != nil {
			return err
		}
		lots, err := takeLots(&src, src.Balance)
		if err != nil {
			return err
		}
		if err := saveWallet(tx, src); err != nil {
			return err
		}
		dst, err := loadWallet(tx, r.AssetID, r.NewWallet)
		if err != nil {
			return err
		}
		addLots(&dst, lots...) // acquisition times carry over
		if err := saveWallet(tx, dst); err != nil {
			return err
		}
		return c.event(tx, Event{Type: EvRecovery, From: r.LostWallet, To: r.NewWallet, Amount: sp.amount, Before: s.Buckets, After: s.Buckets, Data: noteData(r.Reason)})
	}
	return sp, nil
}

func (l *Ledger) specFreeze(ctx context.Context, kind string, r FreezeRequest) (*spec, error) {
	if err := checkID("wallet", r.Wallet); err != nil {
		return nil, err
	}
	if r.Amount < 0 {
		return nil, invalid("amount", "must not be negative")
	}
	sp := &spec{kind: kind, assetID: r.AssetID, pause: "-", from: r.Wallet}
	sp.check = func(ctx context.Context, tx Tx, sp *spec) error {
		_, ok, err := l.regWallet(ctx, r.Wallet)
		if err == nil && !ok {
			err = fmt.Errorf("%w: wallet %s", ErrNotFound, r.Wallet)
		}
		return err
	}
	sp.apply = func(ctx context.Context, tx Tx, c *opCtx) error {
		// The registry write happens in external (before this transaction).
		s, err := loadAsset(tx, r.AssetID)
		if err != nil {
			return err
		}
		typ := EvFreeze
		if kind == KindUnfreeze {
			typ = EvUnfreeze
		}
		d := map[string]string{"frozen_amount": itoa(r.Amount)}
		if r.Reason != "" {
			d["reason"] = r.Reason
		}
		return c.event(tx, Event{Type: typ, From: r.Wallet, Amount: r.Amount, Before: s.Buckets, After: s.Buckets, Data: d})
	}
	sp.external = func(ctx context.Context, actor string) error {
		w, ok, err := l.regWallet(ctx, r.Wallet)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("%w: wallet %s", ErrNotFound, r.Wallet)
		}
		nw := w
		switch {
		case kind == KindFreeze && r.Amount == 0:
			nw.Frozen = true
		case kind == KindFreeze:
			nw.FrozenAmount = r.Amount
		case r.Amount == 0:
			nw.Frozen, nw.FrozenAmount = false, 0
		default:
			nw.FrozenAmount = max(0, w.FrozenAmount-r.Amount)
		}
		if nw.Frozen == w.Frozen && nw.FrozenAmount == w.FrozenAmount {
			return nil
		}
		_, err = l.reg.UpdateWallet(ctx, nw, w.Version, registry.Change{Actor: actor, Reason: cmpOr(r.Reason, "ledger "+kind)})
		if err != nil {
			return fmt.Errorf("ledger: %s wallet %s: %w", kind, r.Wallet, err)
		}
		return nil
	}
	return sp, nil
}

func (l *Ledger) specPause(ctx context.Context, kind string, r PauseRequest) (*spec, error) {
	acts := slices.Clone(r.Actions)
	if len(acts) == 0 {
		acts = []string{"ALL"}
	}
	for _, a := range acts {
		if a != "ALL" && !policies.Action(a).Valid() {
			return nil, invalid("actions", "unknown action %q", a)
		}
	}
	sp := &spec{kind: kind, assetID: r.AssetID, pause: "-"}
	sp.apply = func(ctx context.Context, tx Tx, c *opCtx) error {
		s, err := loadAsset(tx, r.AssetID)
		if err != nil {
			return err
		}
		typ := EvPause
		if kind == KindUnpause {
			typ = EvUnpause
		}
		d := map[string]string{"actions": fmt.Sprint(acts)}
		if r.Reason != "" {
			d["reason"] = r.Reason
		}
		return c.event(tx, Event{Type: typ, Before: s.Buckets, After: s.Buckets, Data: d})
	}
	sp.external = func(ctx context.Context, actor string) error {
		a, err := l.asset(ctx, r.AssetID)
		if err != nil {
			return err
		}
		na := a
		na.PausedActions = slices.Clone(a.PausedActions)
		for _, x := range acts {
			if kind == KindPause && !slices.Contains(na.PausedActions, x) {
				na.PausedActions = append(na.PausedActions, x)
			}
			if kind == KindUnpause {
				if x == "ALL" {
					na.PausedActions = nil
				}
				na.PausedActions = slices.DeleteFunc(na.PausedActions, func(p string) bool { return p == x })
			}
		}
		if slices.Equal(na.PausedActions, a.PausedActions) {
			return nil
		}
		if _, err := l.reg.UpdateAsset(ctx, na, a.Version, registry.Change{Actor: actor, Reason: cmpOr(r.Reason, "ledger "+kind)}); err != nil {
			return fmt.Errorf("ledger: %s asset %s: %w", kind, r.AssetID, err)
		}
		return nil
	}
	return sp, nil
}
