package ledger

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"time"

	"github.com/clearancehq/clearance/policies"
)

// RevenueConfig is an asset's V2 revenue distribution configuration.
type RevenueConfig struct {
	AssetID            string `json:"asset_id"`
	MinIntervalSeconds int64  `json:"min_interval_seconds"`
	ClaimDelaySeconds  int64  `json:"claim_delay_seconds"`
	RoundExpirySeconds int64  `json:"round_expiry_seconds"`
	// CommissionBps is the commission in basis points (50 = 0.5 %).
	CommissionBps int64 `json:"commission_bps"`
	// AdminWallet funds rounds and receives reclaims (default: treasury).
	AdminWallet string `json:"admin_wallet,omitempty"`
}

// DefaultRevenueConfig is the seed-002 default.
func DefaultRevenueConfig() RevenueConfig {
	return RevenueConfig{MinIntervalSeconds: 43200, ClaimDelaySeconds: 3600, RoundExpirySeconds: 31536000, CommissionBps: 50}
}

// Round is a V2 distribution round.
type Round struct {
	AssetID       string    `json:"asset_id"`
	ID            int64     `json:"id"`
	Token         string    `json:"token"`
	Deposited     int64     `json:"deposited"`
	Commission    int64     `json:"commission"`
	TotalAmount   int64     `json:"total_amount"`
	TotalShares   int64     `json:"total_shares"`
	TotalClaimed  int64     `json:"total_claimed"`
	Reclaimed     int64     `json:"reclaimed"`
	Holders       int64     `json:"holders"`
	CreatedAt     time.Time `json:"created_at"`
	ClaimableFrom time.Time `json:"claimable_from"`
	ExpiresAt     time.Time `json:"expires_at"`
	Finalized     bool      `json:"is_finalized"`
	Scheduled     bool      `json:"scheduled"`
}

// Round states.
const (
	RoundCreated   = "CREATED"
	RoundClaimable = "CLAIMABLE"
	RoundExpired   = "EXPIRED"
)

// State is the round's lifecycle state at now.
func (r Round) State(now time.Time) string {
	switch {
	case !now.Before(r.ExpiresAt):
		return RoundExpired
	case !now.Before(r.ClaimableFrom):
		return RoundClaimable
	}
	return RoundCreated
}

// Claim statuses.
const (
	ClaimClaimed  = "CLAIMED"
	ClaimWithheld = "WITHHELD"
	ClaimPending  = "PENDING_REVIEW"
)

// Claim is one holder's claim on a round.
type Claim struct {
	AssetID    string            `json:"asset_id"`
	RoundID    int64             `json:"round_id"`
	Wallet     string            `json:"wallet"`
	Shares     int64             `json:"shares"`
	Amount     int64             `json:"amount"`
	Status     string            `json:"status"`
	Reasons    []policies.Reason `json:"reasons,omitempty"`
	DecisionID string            `json:"decision_id,omitempty"`
	At         time.Time         `json:"at"`
	Replayed   bool              `json:"-"`
}

// Schedule is an asset's automatic distribution schedule.
type Schedule struct {
	AssetID   string    `json:"asset_id"`
	Enabled   bool      `json:"enabled"`
	First     time.Time `json:"first_distribution_time"`
	Interval  int64     `json:"interval_seconds"`
	Total     int64     `json:"total_distributions"`
	Completed int64     `json:"completed_distributions"`
	Token     string    `json:"token"`
	Amount    int64     `json:"amount"`
}

// NextDue is when the next scheduled distribution is due.
func (s Schedule) NextDue() time.Time {
	return s.First.Add(time.Duration(s.Completed*s.Interval) * time.Second)
}

// Revenue requests.
type (
	RevenueConfigRequest struct {
		Meta
		Config RevenueConfig `json:"config"`
	}
	CreateRoundRequest struct {
		Meta
		AssetID string `json:"asset_id"`
		Token   string `json:"token"`
		Amount  int64  `json:"amount"`
	}
	ClaimRequest struct {
		Meta
		AssetID string `json:"asset_id"`
		RoundID int64  `json:"round_id"`
		Wallet  string `json:"wallet"`
	}
	ReclaimRequest struct {
		Meta
		AssetID string `json:"asset_id"`
		RoundID int64  `json:"round_id"`
	}
	ScheduleRequest struct {
		Meta
		AssetID  string    `json:"asset_id"`
		First    time.Time `json:"first"`
		Interval int64     `json:"interval_seconds"`
		Total    int64     `json:"total_distributions"`
		Token    string    `json:"token"`
		Amount   int64     `json:"amount"`
	}
	AssetRequest struct {
		Meta
		AssetID string `json:"asset_id"`
	}
	PushRequest struct {
		Meta
		AssetID string `json:"asset_id"`
		Token   string `json:"token"`
		Amount  int64  `json:"amount"`
	}
)

// PushResult is the outcome of a V1 push distribution.
type PushResult struct {
	AssetID    string        `json:"asset_id"`
	Token      string        `json:"token"`
	Deposited  int64         `json:"deposited"`
	Commission int64         `json:"commission"`
	TotalPaid  int64         `json:"total_paid"`
	Payments   []PushPayment `json:"payments"`
	Replayed   bool          `json:"-"`
}

// PushPayment is one holder's V1 payment.
type PushPayment struct {
	Wallet string `json:"wallet"`
	Shares int64  `json:"shares"`
	Amount int64  `json:"amount"`
}

func mulDiv(a, b, c int64) int64 {
	if c == 0 {
		return 0
	}
	x := new(big.Int).Mul(big.NewInt(a), big.NewInt(b))
	return x.Quo(x, big.NewInt(c)).Int64()
}

func roundKey(assetID string, id int64) string { return k(assetID, seqKey(id)) }

func loadRevCfg(tx Tx, assetID string, def RevenueConfig) (RevenueConfig, error) {
	c := def
	ok, err := getJSON(tx, tRevCfg, assetID, &c)
	if err != nil {
		return c, err
	}
	if !ok {
		c = def
	}
	c.AssetID = assetID
	return c, nil
}

func loadRound(tx Tx, assetID string, id int64) (Round, error) {
	var r Round
	ok, err := getJSON(tx, tRounds, roundKey(assetID, id), &r)
	if err == nil && !ok {
		err = fmt.Errorf("%w: round %d of asset %s", ErrNotFound, id, assetID)
	}
	return r, err
}

func credit(tx Tx, assetID, token, wallet string, amount int64) error {
	key := k(assetID, token, wallet)
	var v int64
	if b, ok, err := tx.Get(tRevenue, key); err != nil {
		return err
	} else if ok {
		v, _ = strconv.ParseInt(string(b), 10, 64)
	}
	return tx.Put(tRevenue, key, []byte(itoa(v+amount)))
}

// holderShares lists investor wallets' reference-ledger balances (the
// redemption wallet excluded).
func holderShares(tx Tx, assetID, redemption string) ([]PushPayment, int64, error) {
	kvs, err := tx.Scan(tWallets, assetID+sep, "", 0)
	if err != nil {
		return nil, 0, err
	}
	var out []PushPayment
	var total int64
	for _, kv := range kvs {
		var w WalletHolding
		if err := json.Unmarshal(kv.Value, &w); err != nil {
			return nil, 0, err
		}
		if w.Wallet == redemption || w.Balance <= 0 {
			continue
		}
		out = append(out, PushPayment{Wallet: w.Wallet, Shares: w.Balance})
		total += w.Balance
	}
	return out, total, nil
}

func validToken(tok string) error {
	if err := checkID("token", tok); err != nil {
		return err
	}
	if len(tok) > 64 {
		return invalid("token", "longer than 64 characters")
	}
	return nil
}

// SetRevenueConfig sets the asset's revenue config (event config_updated).
func (l *Ledger) SetRevenueConfig(ctx context.Context, r RevenueConfigRequest) (RevenueConfig, error) {
	op, err := l.run(ctx, KindRevConfig, r, r.IdempotencyKey, r.Actor)
	if err != nil {
		return RevenueConfig{}, err
	}
	var c RevenueConfig
	return c, json.Unmarshal(op.Result, &c)
}

// RevenueConfigOf returns the asset's revenue config (the default if unset).
func (l *Ledger) RevenueConfigOf(ctx context.Context, assetID string) (RevenueConfig, error) {
	var c RevenueConfig
	err := l.store.View(ctx, func(tx Tx) error {
		var err error
		c, err = loadRevCfg(tx, assetID, l.revDef)
		return err
	})
	return c, err
}

// CreateRound creates a V2 round: commission deducted, shares snapshotted
// at the record date (now). DistributionTooSoon inside min_interval.
func (l *Ledger) CreateRound(ctx context.Context, r CreateRoundRequest) (Round, error) {
	return l.roundOp(ctx, KindRevCreate, r, r.Meta)
}

// ReclaimRound returns an expired round's unclaimed funds to the admin.
func (l *Ledger) ReclaimRound(ctx context.Context, r ReclaimRequest) (Round, error) {
	return l.roundOp(ctx, KindRevReclaim, r, r.Meta)
}

// TriggerSchedule creates the next scheduled round; anyone may call it
// once it is due.
func (l *Ledger) TriggerSchedule(ctx context.Context, r AssetRequest) (Round, error) {
	return l.roundOp(ctx, KindRevSchedTrig, r, r.Meta)
}

func (l *Ledger) roundOp(ctx context.Context, kind string, req any, m Meta) (Round, error) {
	op, err := l.run(ctx, kind, req, m.IdempotencyKey, m.Actor)
	if err != nil {
		return Round{}, err
	}
	var rd Round
	return rd, json.Unmarshal(op.Result, &rd)
}

// SetSchedule configures the asset's schedule (InvalidScheduleConfig on
// bad parameters).
func (l *Ledger) SetSchedule(ctx context.Context, r ScheduleRequest) (Schedule, error) {
	return l.schedOp(ctx, KindRevSchedSet, r, r.Meta)
}

// DisableSchedule turns the schedule off (ScheduleNotConfigured if none).
func (l *Ledger) DisableSchedule(ctx context.Context, r AssetRequest) (Schedule, error) {
	return l.schedOp(ctx, KindRevSchedOff, r, r.Meta)
}

func (l *Ledger) schedOp(ctx context.Context, kind string, req any, m Meta) (Schedule, error) {
	op, err := l.run(ctx, kind, req, m.IdempotencyKey, m.Actor)
	if err != nil {
		return Schedule{}, err
	}
	var s Schedule
	return s, json.Unmarshal(op.Result, &s)
}

// ScheduleOf returns the asset's schedule.
func (l *Ledger) ScheduleOf(ctx context.Context, assetID string) (Schedule, error) {
	var s Schedule
	err := l.store.View(ctx, func(tx Tx) error {
		ok, err := getJSON(tx, tSched, assetID, &s)
		if err == nil && !ok {
			err = ErrScheduleNotConfigured
		}
		return err
	})
	return s, err
}

// Claim claims a holder's share of a round. The claim is cleared by the
// gateway (DISTRIBUTION): a denied holder's claim is WITHHELD with the
// reasons, its share stays in the round, and a later claim (new key)
// succeeds once the holder is reinstated.
func (l *Ledger) Claim(ctx context.Context, r ClaimRequest) (Claim, error) {
	op, err := l.run(ctx, KindRevClaim, r, r.IdempotencyKey, r.Actor)
	if err != nil && !errors.Is(err, ErrRejected) {
		return Claim{}, err
	}
	c := Claim{AssetID: r.AssetID, RoundID: r.RoundID, Wallet: r.Wallet, DecisionID: op.DecisionID, Reasons: op.Reasons, Replayed: op.Replayed}
	switch op.Status {
	case OpApplied:
		if err := json.Unmarshal(op.Result, &c); err != nil {
			return c, err
		}
		c.Replayed = op.Replayed
	case OpRejected:
		c.Status = ClaimWithheld
	case OpPendingReview:
		c.Status = ClaimPending
	default:
		c.Status = op.Status
	}
	return c, nil
}

// Round returns a round.
func (l *Ledger) Round(ctx context.Context, assetID string, id int64) (Round, error) {
	var r Round
	err := l.store.View(ctx, func(tx Tx) error {
		var err error
		r, err = loadRound(tx, assetID, id)
		return err
	})
	return r, err
}

// Rounds lists rounds after round id `after`.
func (l *Ledger) Rounds(ctx context.Context, assetID string, after int64, limit int) ([]Round, error) {
	var out []Round
	err := l.store.View(ctx, func(tx Tx) error {
		a := ""
		if after > 0 {
			a = roundKey(assetID, after)
		}
		kvs, err := tx.Scan(tRounds, assetID+sep, a, limit)
		for _, kv := range kvs {
			var r Round
			if err := json.Unmarshal(kv.Value, &r); err != nil {
				return err
			}
			out = append(out, r)
		}
		return err
	})
	return out, err
}

// RevenueBalance is what a wallet has received in a revenue token.
func (l *Ledger) RevenueBalance(ctx context.Context, assetID, token, wallet string) (int64, error) {
	var v int64
	err := l.store.View(ctx, func(tx Tx) error {
		b, ok, err := tx.Get(tRevenue, k(assetID, token, wallet))
		if ok {
			v, _ = strconv.ParseInt(string(b), 10, 64)
		}
		return err
	})
	return v, err
}

// PushRevenue is a V1 push distribution: every holder is paid its share of
// the post-commission amount in one transaction, all or nothing. Every
// holder is cleared (DISTRIBUTION) first; any non-ALLOW stops it.
func (l *Ledger) PushRevenue(ctx context.Context, r PushRequest) (PushResult, error) {
	if err := checkID("idempotency_key", r.IdempotencyKey); err != nil {
		return PushResult{}, err
	}
	body, _ := json.Marshal(r)
	var prev *Operation
	if err := l.store.View(ctx, func(tx Tx) error {
		var err error
		prev, err = replay(tx, r.IdempotencyKey, bodyHash(KindRevPush, body))
		return err
	}); err != nil {
		return PushResult{}, err
	}
	if prev == nil {
		sp, err := l.build(ctx, KindRevPush, body)
		if err != nil {
			return PushResult{}, err
		}
		if err := l.precheck(ctx, sp); err != nil {
			return PushResult{}, err
		}
		var holders []PushPayment
		if err := l.store.View(ctx, func(tx Tx) error {
			var err error
			holders, _, err = holderShares(tx, r.AssetID, RedemptionWallet(sp.asset))
			return err
		}); err != nil {
			return PushResult{}, err
		}
		for _, h := range holders {
			cl, err := l.clearer.Clear(ctx, ClearRequest{Action: policies.ActionDistribution, AssetID: r.AssetID, From: TreasuryWallet(sp.asset), To: h.Wallet, Amount: h.Shares, Actor: r.Actor, Origin: "ledger:" + opID(r.IdempotencyKey)})
			if err != nil {
				return PushResult{}, fmt.Errorf("%w: %v", ErrClearance, err)
			}
			if cl.Effect != policies.Allow {
				return PushResult{}, fmt.Errorf("%w: V1 push is all-or-nothing and holder %s was not cleared (%s)", ErrRejected, h.Wallet, cl.Effect)
			}
		}
	}
	op, err := l.run(ctx, KindRevPush, r, r.IdempotencyKey, r.Actor)
	if err != nil {
		return PushResult{}, err
	}
	var res PushResult
	if err := json.Unmarshal(op.Result, &res); err != nil {
		return res, err
	}
	res.Replayed = op.Replayed
	return res, nil
}

func (l *Ledger) buildRevenue(ctx context.Context, kind string, body []byte) (*spec, error) {
	dec := func(v any) error {
		if err := json.Unmarshal(body, v); err != nil {
			return fmt.Errorf("ledger: decode %s request: %w", kind, err)
		}
		return nil
	}
	setResult := func(c *opCtx, v any) error {
		b, err := json.Marshal(v)
		c.op.Result = b
		return err
	}
	switch kind {
	case KindRevConfig:
		var r RevenueConfigRequest
		if err := dec(&r); err != nil {
			return nil, err
		}
		cfg := r.Config
		for f, v := range map[string]int64{"min_interval_seconds": cfg.MinIntervalSeconds, "claim_delay_seconds": cfg.ClaimDelaySeconds, "round_expiry_seconds": cfg.RoundExpirySeconds} {
			if v < 0 || v > 100*365*86400 {
				return nil, invalid(f, "must be between 0 and 100 years")
			}
		}
		if cfg.RoundExpirySeconds <= cfg.ClaimDelaySeconds {
			return nil, invalid("round_expiry_seconds", "must exceed claim_delay_seconds")
		}
		if cfg.CommissionBps < 0 || cfg.CommissionBps > 10000 {
			return nil, invalid("commission_bps", "must be between 0 and 10000")
		}
		sp := &spec{kind: kind, assetID: cfg.AssetID, pause: "-"}
		sp.apply = func(ctx context.Context, tx Tx, c *opCtx) error {
			if err := putJSON(tx, tRevCfg, cfg.AssetID, cfg); err != nil {
				return err
			}
			s, err := loadAsset(tx, cfg.AssetID)
			if err != nil {
				return err
			}
			if err := c.event(tx, Event{Type: EvRevConfig, Before: s.Buckets, After: s.Buckets, Data: map[string]string{
				"min_interval_seconds": itoa(cfg.MinIntervalSeconds), "claim_delay_seconds": itoa(cfg.ClaimDelaySeconds),
				"round_expiry_seconds": itoa(cfg.RoundExpirySeconds), "commission_bps": itoa(cfg.CommissionBps)}}); err != nil {
				return err
			}
			return setResult(c, cfg)
		}
		return sp, nil
	case KindRevCreate, KindRevSchedTrig:
		var r CreateRoundRequest
		if err := dec(&r); err != nil {
			return nil, err
		}
		if kind == KindRevCreate {
			if err := validToken(r.Token); err != nil {
				return nil, err
			}
			if err := checkAmount(r.Amount); err != nil {
				return nil, err
			}
		}
		sp := &spec{kind: kind, assetID: r.AssetID, pause: string(policies.ActionDistribution)}
		var sched Schedule
		sp.check = func(ctx context.Context, tx Tx, sp *spec) error {
			if kind == KindRevSchedTrig {
				ok, err := getJSON(tx, tSched, r.AssetID, &sched)
				switch {
				case err != nil:
					return err
				case !ok:
					return ErrScheduleNotConfigured
				case !sched.Enabled:
					return ErrScheduleNotEnabled
				case sched.Total > 0 && sched.Completed >= sched.Total:
					return ErrScheduleCompleted
				case l.clock().Before(sched.NextDue()):
					return ErrScheduledDistributionNotDue
				}
			}
			return l.checkTooSoon(tx, r.AssetID)
		}
		sp.apply = func(ctx context.Context, tx Tx, c *opCtx) error {
			tok, amt := r.Token, r.Amount
			if kind == KindRevSchedTrig {
				tok, amt = sched.Token, sched.Amount
			}
			rd, err := l.createRound(tx, c, sp, tok, amt, kind == KindRevSchedTrig)
			if err != nil {
				return err
			}
			if kind == KindRevSchedTrig {
				sched.Completed++
				if err := putJSON(tx, tSched, r.AssetID, sched); err != nil {
					return err
				}
				s, err := loadAsset(tx, r.AssetID)
				if err != nil {
					return err
				}
				if err := c.event(tx, Event{Type: EvRevSchedDist, Before: s.Buckets, After: s.Buckets, Data: map[string]string{"round_id": itoa(rd.ID), "completed": itoa(sched.Completed)}}); err != nil {
					return err
				}
			}
			return setResult(c, rd)
		}
		return sp, nil
	case KindRevClaim:
		var r ClaimRequest
		if err := dec(&r); err != nil {
			return nil, err
		}
		if err := checkID("wallet", r.Wallet); err != nil {
			return nil, err
		}
		sp := &spec{kind: kind, assetID: r.AssetID, action: policies.ActionDistribution, to: r.Wallet}
		var shares int64
		sp.check = func(ctx context.Context, tx Tx, sp *spec) error {
			rd, err := loadRound(tx, r.AssetID, r.RoundID)
			if err != nil {
				return err
			}
			now := l.clock()
			if now.Before(rd.ClaimableFrom) {
				return ErrClaimsNotOpenYet
			}
			if !now.Before(rd.ExpiresAt) {
				return ErrRoundExpired
			}
			var cl Claim
			if ok, err := getJSON(tx, tClaims, k(roundKey(r.AssetID, r.RoundID), r.Wallet), &cl); err != nil {
				return err
			} else if ok && cl.Status == ClaimClaimed {
				return fmt.Errorf("%w: wallet %s, round %d", ErrAlreadyClaimed, r.Wallet, r.RoundID)
			}
			b, ok, err := tx.Get(tShares, k(roundKey(r.AssetID, r.RoundID), r.Wallet))
			if err != nil {
				return err
			}
			if !ok {
				return fmt.Errorf("%w: wallet %s held no shares at round %d's record date", ErrNotFound, r.Wallet, r.RoundID)
			}
			shares, _ = strconv.ParseInt(string(b), 10, 64)
			sp.amount = mulDiv(shares, rd.TotalAmount, rd.TotalShares)
			sp.from = TreasuryWallet(sp.asset)
			return nil
		}
		claimKey := k(roundKey(r.AssetID, r.RoundID), r.Wallet)
		sp.apply = func(ctx context.Context, tx Tx, c *opCtx) error {
			rd, err := loadRound(tx, r.AssetID, r.RoundID)
			if err != nil {
				return err
			}
			rd.TotalClaimed += sp.amount
			if rd.TotalClaimed+rd.Reclaimed > rd.TotalAmount {
				return fmt.Errorf("%w: round %d would pay %d of %d", ErrInvariant, rd.ID, rd.TotalClaimed, rd.TotalAmount)
			}
			if err := putJSON(tx, tRounds, roundKey(r.AssetID, r.RoundID), rd); err != nil {
				return err
			}
			cl := Claim{AssetID: r.AssetID, RoundID: r.RoundID, Wallet: r.Wallet, Shares: shares, Amount: sp.amount, Status: ClaimClaimed, DecisionID: c.op.DecisionID, At: c.now}
			if err := putJSON(tx, tClaims, claimKey, cl); err != nil {
				return err
			}
			if err := credit(tx, r.AssetID, rd.Token, r.Wallet, sp.amount); err != nil {
				return err
			}
			s, err := loadAsset(tx, r.AssetID)
			if err != nil {
				return err
			}
			if err := c.event(tx, Event{Type: EvRevClaimed, To: r.Wallet, Amount: sp.amount, Before: s.Buckets, After: s.Buckets, Data: map[string]string{"round_id": itoa(rd.ID), "token": rd.Token, "shares": itoa(shares)}}); err != nil {
				return err
			}
			return setResult(c, cl)
		}
		sp.onReject = func(ctx context.Context, tx Tx, c *opCtx) error {
			cl := Claim{AssetID: r.AssetID, RoundID: r.RoundID, Wallet: r.Wallet, Shares: shares, Amount: sp.amount, Status: ClaimWithheld, Reasons: c.op.Reasons, DecisionID: c.op.DecisionID, At: c.now}
			if err := putJSON(tx, tClaims, claimKey, cl); err != nil {
				return err
			}
			s, err := loadAsset(tx, r.AssetID)
			if err != nil {
				return err
			}
			return c.event(tx, Event{Type: EvRevWithheld, To: r.Wallet, Amount: sp.amount, Before: s.Buckets, After: s.Buckets, Data: map[string]string{"round_id": itoa(r.RoundID)}})
		}
		return sp, nil
	case KindRevReclaim:
		var r ReclaimRequest
		if err := dec(&r); err != nil {
			return nil, err
		}
		sp := &spec{kind: kind, assetID: r.AssetID, pause: "-"}
		sp.check = func(ctx context.Context, tx Tx, sp *spec) error {
			rd, err := loadRound(tx, r.AssetID, r.RoundID)
			if err != nil {
				return err
			}
			if l.clock().Before(rd.ExpiresAt) {
				return ErrRoundNotExpired
			}
			sp.amount = rd.TotalAmount - rd.TotalClaimed - rd.Reclaimed
			if sp.amount <= 0 {
				return ErrNothingToReclaim
			}
			return nil
		}
		sp.apply = func(ctx context.Context, tx Tx, c *opCtx) error {
			rd, err := loadRound(tx, r.AssetID, r.RoundID)
			if err != nil {
				return err
			}
			rd.Reclaimed += sp.amount
			rd.Finalized = true
			if err := putJSON(tx, tRounds, roundKey(r.AssetID, r.RoundID), rd); err != nil {
				return err
			}
			cfg, err := loadRevCfg(tx, r.AssetID, l.revDef)
			if err != nil {
				return err
			}
			admin := cmpOr(cfg.AdminWallet, TreasuryWallet(sp.asset))
			if err := credit(tx, r.AssetID, rd.Token, admin, sp.amount); err != nil {
				return err
			}
			s, err := loadAsset(tx, r.AssetID)
			if err != nil {
				return err
			}
			if err := c.event(tx, Event{Type: EvRevReclaimed, To: admin, Amount: sp.amount, Before: s.Buckets, After: s.Buckets, Data: map[string]string{"round_id": itoa(rd.ID)}}); err != nil {
				return err
			}
			return setResult(c, rd)
		}
		return sp, nil
	case KindRevSchedSet:
		var r ScheduleRequest
		if err := dec(&r); err != nil {
			return nil, err
		}
		sp := &spec{kind: kind, assetID: r.AssetID, pause: "-"}
		sp.check = func(ctx context.Context, tx Tx, sp *spec) error {
			cfg, err := loadRevCfg(tx, r.AssetID, l.revDef)
			if err != nil {
				return err
			}
			if r.First.IsZero() || r.Interval <= 0 || r.Total < 0 || r.Amount <= 0 || validToken(r.Token) != nil || r.Interval < cfg.MinIntervalSeconds {
				return ErrInvalidScheduleConfig
			}
			return nil
		}
		sp.apply = func(ctx context.Context, tx Tx, c *opCtx) error {
			s := Schedule{AssetID: r.AssetID, Enabled: true, First: r.First.UTC(), Interval: r.Interval, Total: r.Total, Token: r.Token, Amount: r.Amount}
			if err := putJSON(tx, tSched, r.AssetID, s); err != nil {
				return err
			}
			st, err := loadAsset(tx, r.AssetID)
			if err != nil {
				return err
			}
			if err := c.event(tx, Event{Type: EvRevScheduleSet, Amount: r.Amount, Before: st.Buckets, After: st.Buckets, Data: map[string]string{
				"first_distribution_time": s.First.Format(time.RFC3339), "interval_seconds": itoa(s.Interval), "total_distributions": itoa(s.Total), "token": s.Token}}); err != nil {
				return err
			}
			return setResult(c, s)
		}
		return sp, nil
	case KindRevSchedOff:
		var r AssetRequest
		if err := dec(&r); err != nil {
			return nil, err
		}
		sp := &spec{kind: kind, assetID: r.AssetID, pause: "-"}
		sp.check = func(ctx context.Context, tx Tx, sp *spec) error {
			_, ok, err := tx.Get(tSched, r.AssetID)
			if err == nil && !ok {
				err = ErrScheduleNotConfigured
			}
			return err
		}
		sp.apply = func(ctx context.Context, tx Tx, c *opCtx) error {
			var s Schedule
			if _, err := getJSON(tx, tSched, r.AssetID, &s); err != nil {
				return err
			}
			s.Enabled = false
			if err := putJSON(tx, tSched, r.AssetID, s); err != nil {
				return err
			}
			st, err := loadAsset(tx, r.AssetID)
			if err != nil {
				return err
			}
			if err := c.event(tx, Event{Type: EvRevSchedOff, Before: st.Buckets, After: st.Buckets}); err != nil {
				return err
			}
			return setResult(c, s)
		}
		return sp, nil
	case KindRevPush:
		var r PushRequest
		if err := dec(&r); err != nil {
			return nil, err
		}
		if err := validToken(r.Token); err != nil {
			return nil, err
		}
		if err := checkAmount(r.Amount); err != nil {
			return nil, err
		}
		sp := &spec{kind: kind, assetID: r.AssetID, pause: string(policies.ActionDistribution), amount: r.Amount}
		sp.apply = func(ctx context.Context, tx Tx, c *opCtx) error {
			cfg, err := loadRevCfg(tx, r.AssetID, l.revDef)
			if err != nil {
				return err
			}
			holders, total, err := holderShares(tx, r.AssetID, RedemptionWallet(sp.asset))
			if err != nil {
				return err
			}
			if total == 0 {
				return invalid("asset_id", "has no holders to distribute to")
			}
			res := PushResult{AssetID: r.AssetID, Token: r.Token, Deposited: r.Amount, Commission: mulDiv(r.Amount, cfg.CommissionBps, 10000)}
			net := r.Amount - res.Commission
			for _, h := range holders {
				h.Amount = mulDiv(h.Shares, net, total)
				res.TotalPaid += h.Amount
				res.Payments = append(res.Payments, h)
				if err := credit(tx, r.AssetID, r.Token, h.Wallet, h.Amount); err != nil {
					return err
				}
			}
			if res.TotalPaid > net {
				return fmt.Errorf("%w: push pays %d of %d", ErrInvariant, res.TotalPaid, net)
			}
			s, err := loadAsset(tx, r.AssetID)
			if err != nil {
				return err
			}
			if err := c.event(tx, Event{Type: EvRevPush, Amount: res.TotalPaid, Before: s.Buckets, After: s.Buckets, Data: map[string]string{"token": r.Token, "deposited": itoa(r.Amount), "commission": itoa(res.Commission), "holders": itoa(int64(len(holders)))}}); err != nil {
				return err
			}
			return setResult(c, res)
		}
		return sp, nil
	case KindBatch:
		return nil, fmt.Errorf("%w: batch distribution is not a stored operation kind", ErrInvalid)
	}
	return nil, fmt.Errorf("%w: unknown operation kind %q", ErrInvalid, kind)
}

type lastRound struct {
	ID        int64     `json:"id"`
	CreatedAt time.Time `json:"created_at"`
}

func (l *Ledger) checkTooSoon(tx Tx, assetID string) error {
	cfg, err := loadRevCfg(tx, assetID, l.revDef)
	if err != nil {
		return err
	}
	var last lastRound
	ok, err := getJSON(tx, tMeta, "lastround"+sep+assetID, &last)
	if err != nil || !ok {
		return err
	}
	if l.clock().Before(last.CreatedAt.Add(time.Duration(cfg.MinIntervalSeconds) * time.Second)) {
		return ErrDistributionTooSoon
	}
	return nil
}

func (l *Ledger) createRound(tx Tx, c *opCtx, sp *spec, token string, amount int64, scheduled bool) (Round, error) {
	cfg, err := loadRevCfg(tx, sp.assetID, l.revDef)
	if err != nil {
		return Round{}, err
	}
	holders, total, err := holderShares(tx, sp.assetID, RedemptionWallet(sp.asset))
	if err != nil {
		return Round{}, err
	}
	if total == 0 {
		return Round{}, invalid("asset_id", "has no holders at the record date")
	}
	var last lastRound
	if _, err := getJSON(tx, tMeta, "lastround"+sep+sp.assetID, &last); err != nil {
		return Round{}, err
	}
	rd := Round{AssetID: sp.assetID, ID: last.ID + 1, Token: token, Deposited: amount, Commission: mulDiv(amount, cfg.CommissionBps, 10000),
		TotalShares: total, Holders: int64(len(holders)), CreatedAt: c.now, Scheduled: scheduled,
		ClaimableFrom: c.now.Add(time.Duration(cfg.ClaimDelaySeconds) * time.Second),
		ExpiresAt:     c.now.Add(time.Duration(cfg.RoundExpirySeconds) * time.Second)}
	rd.TotalAmount = amount - rd.Commission
	for _, h := range holders {
		if err := tx.Put(tShares, k(roundKey(sp.assetID, rd.ID), h.Wallet), []byte(itoa(h.Shares))); err != nil {
			return Round{}, err
		}
	}
	if err := putJSON(tx, tRounds, roundKey(sp.assetID, rd.ID), rd); err != nil {
		return Round{}, err
	}
	if err := putJSON(tx, tMeta, "lastround"+sep+sp.assetID, lastRound{ID: rd.ID, CreatedAt: rd.CreatedAt}); err != nil {
		return Round{}, err
	}
	if err := credit(tx, sp.assetID, token, "commission", rd.Commission); err != nil {
		return Round{}, err
	}
	s, err := loadAsset(tx, sp.assetID)
	if err != nil {
		return Round{}, err
	}
	return rd, c.event(tx, Event{Type: EvRevDistCreated, Amount: rd.TotalAmount, Before: s.Buckets, After: s.Buckets, Data: map[string]string{
		"round_id": itoa(rd.ID), "token": token, "deposited": itoa(amount), "commission": itoa(rd.Commission), "total_shares": itoa(total)}})
}
