package ledger

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/clearancehq/clearance/policies"
	"github.com/clearancehq/clearance/registry"
)

// Clearer asks the gateway's decision API whether a movement may happen.
// The gateway's implementation opens a review case on REVIEW and returns
// its id.
type Clearer interface {
	Clear(ctx context.Context, r ClearRequest) (Clearance, error)
}

// ClearRequest is one movement to clear.
type ClearRequest struct {
	Action   policies.Action
	AssetID  string
	From, To string
	Amount   int64
	Actor    string
	// Origin is "ledger:<operation id>".
	Origin string
}

// Clearance is the gateway's answer.
type Clearance struct {
	Effect     policies.Effect
	Reasons    []policies.Reason
	DecisionID string
	CaseID     string
}

// ClearerFunc adapts a function to Clearer.
type ClearerFunc func(ctx context.Context, r ClearRequest) (Clearance, error)

// Clear calls f.
func (f ClearerFunc) Clear(ctx context.Context, r ClearRequest) (Clearance, error) { return f(ctx, r) }

// Registry is the part of the registry store the ledger uses: reads, and
// the wallet and asset updates that freeze, unfreeze and pause delegate to.
// registry.Store satisfies it.
type Registry interface {
	registry.Reader
	UpdateWallet(ctx context.Context, w registry.Wallet, expectedVersion int64, c registry.Change) (registry.Wallet, error)
	UpdateAsset(ctx context.Context, a registry.Asset, expectedVersion int64, c registry.Change) (registry.Asset, error)
}

// Options tune a Ledger.
type Options struct {
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger; nil discards.
	Logger *slog.Logger
	// RevenueDefaults is the revenue config of assets that set none; zero
	// means DefaultRevenueConfig.
	RevenueDefaults *RevenueConfig
}

// Ledger is the reference token ledger. It is safe for concurrent use.
type Ledger struct {
	store   Store
	reg     Registry
	clearer Clearer
	now     func() time.Time
	log     *slog.Logger
	revDef  RevenueConfig
}

// New builds a ledger over store, reading (and, for freeze and pause,
// writing) registry facts through reg, and clearing every movement with
// clearer.
func New(store Store, reg Registry, clearer Clearer, opts Options) (*Ledger, error) {
	if store == nil || reg == nil || clearer == nil {
		return nil, errors.New("ledger: store, registry and clearer are required")
	}
	l := &Ledger{store: store, reg: reg, clearer: clearer, now: opts.Now, log: opts.Logger, revDef: DefaultRevenueConfig()}
	if l.now == nil {
		l.now = time.Now
	}
	if l.log == nil {
		l.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opts.RevenueDefaults != nil {
		l.revDef = *opts.RevenueDefaults
	}
	return l, nil
}

func (l *Ledger) clock() time.Time { return l.now().UTC().Truncate(time.Microsecond) }

// ---- keys and JSON helpers ----

const sep = "|"

func k(parts ...string) string { return strings.Join(parts, sep) }

func seqKey(n int64) string { return fmt.Sprintf("%020d", n) }

func checkID(field, s string) error {
	if s == "" {
		return invalid(field, "required")
	}
	if len(s) > 200 {
		return invalid(field, "longer than 200 characters")
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r == '|' {
			return invalid(field, "contains a control character or '|'")
		}
	}
	return nil
}

func getJSON(tx Tx, table, key string, v any) (bool, error) {
	b, ok, err := tx.Get(table, key)
	if err != nil || !ok {
		return false, err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return false, fmt.Errorf("ledger: decode %s/%s: %w", table, key, err)
	}
	return true, nil
}

func putJSON(tx Tx, table, key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("ledger: encode %s/%s: %w", table, key, err)
	}
	return tx.Put(table, key, b)
}

// ---- asset and wallet state ----

func loadAsset(tx Tx, assetID string) (assetState, error) {
	var s assetState
	ok, err := getJSON(tx, tAssets, assetID, &s)
	if err != nil {
		return s, err
	}
	if !ok {
		s.AssetID = assetID
	}
	return s, nil
}

func saveAsset(tx Tx, s assetState) error {
	if !s.Buckets.Check() {
		return fmt.Errorf("%w: asset %s total %d != sum of buckets %+v", ErrInvariant, s.AssetID, s.Buckets.Total, s.Buckets)
	}
	return putJSON(tx, tAssets, s.AssetID, s)
}

func loadWallet(tx Tx, assetID, wallet string) (WalletHolding, error) {
	var w WalletHolding
	ok, err := getJSON(tx, tWallets, k(assetID, wallet), &w)
	if err != nil {
		return w, err
	}
	if !ok {
		w = WalletHolding{AssetID: assetID, Wallet: wallet}
	}
	return w, nil
}

func saveWallet(tx Tx, w WalletHolding) error {
	var sum int64
	for _, lot := range w.Lots {
		if lot.Amount <= 0 {
			return fmt.Errorf("%w: wallet %s has an empty lot", ErrInvariant, w.Wallet)
		}
		sum += lot.Amount
	}
	if sum != w.Balance || w.Balance < 0 {
		return fmt.Errorf("%w: wallet %s lots %d != balance %d", ErrInvariant, w.Wallet, sum, w.Balance)
	}
	if w.Balance == 0 {
		return tx.Delete(tWallets, k(w.AssetID, w.Wallet))
	}
	return putJSON(tx, tWallets, k(w.AssetID, w.Wallet), w)
}

// takeLots removes amount from w, oldest lots first, and returns the lots
// taken (with their acquisition times).
func takeLots(w *WalletHolding, amount int64) ([]Lot, error) {
	if amount > w.Balance {
		return nil, fmt.Errorf("%w: wallet %s holds %d, needs %d", ErrInsufficientBalance, w.Wallet, w.Balance, amount)
	}
	var taken []Lot
	rest := amount
	for rest > 0 && len(w.Lots) > 0 {
		lot := &w.Lots[0]
		n := min(lot.Amount, rest)
		taken = append(taken, Lot{AcquiredAt: lot.AcquiredAt, Amount: n})
		lot.Amount -= n
		rest -= n
		if lot.Amount == 0 {
			w.Lots = w.Lots[1:]
		}
	}
	w.Balance -= amount
	return taken, nil
}

// addLots merges lots into w keeping them ordered by acquisition time.
func addLots(w *WalletHolding, lots ...Lot) {
	for _, lot := range lots {
		if lot.Amount <= 0 {
			continue
		}
		w.Balance += lot.Amount
		i, found := slices.BinarySearchFunc(w.Lots, lot.AcquiredAt, func(a Lot, t time.Time) int { return a.AcquiredAt.Compare(t) })
		if found {
			w.Lots[i].Amount += lot.Amount
			continue
		}
		w.Lots = slices.Insert(w.Lots, i, lot)
	}
}

// ---- registry facts ----

func (l *Ledger) asset(ctx context.Context, id string) (registry.Asset, error) {
	if err := checkID("asset_id", id); err != nil {
		return registry.Asset{}, err
	}
	a, err := l.reg.Asset(ctx, id, time.Time{})
	if errors.Is(err, registry.ErrNotFound) {
		return a, fmt.Errorf("%w: asset %s", ErrNotFound, id)
	}
	if err != nil {
		return a, fmt.Errorf("ledger: read asset %s: %w", id, err)
	}
	return a, nil
}

// TreasuryWallet is the asset's issuance wallet.
func TreasuryWallet(a registry.Asset) string {
	if a.TreasuryWallet != "" {
		return a.TreasuryWallet
	}
	return "treasury:" + a.ID
}

// RedemptionWallet is the asset's redemption wallet.
func RedemptionWallet(a registry.Asset) string {
	if a.RedemptionWallet != "" {
		return a.RedemptionWallet
	}
	return "redemption:" + a.ID
}

func paused(a registry.Asset, action string) bool {
	for _, p := range a.PausedActions {
		if p == "ALL" || (action != "" && p == action) {
			return true
		}
	}
	return false
}

// regWallet reads a wallet from the registry; ok is false if unknown.
func (l *Ledger) regWallet(ctx context.Context, addr string) (registry.Wallet, bool, error) {
	w, err := l.reg.Wallet(ctx, addr, time.Time{})
	if errors.Is(err, registry.ErrNotFound) {
		return w, false, nil
	}
	if err != nil {
		return w, false, fmt.Errorf("ledger: read wallet %s: %w", addr, err)
	}
	return w, true, nil
}

// available returns how much of a wallet's balance may move: nothing when
// fully frozen, balance minus the frozen amount when partially frozen.
func available(rw registry.Wallet, known bool, balance int64) int64 {
	if !known {
		return balance
	}
	if rw.Frozen {
		return 0
	}
	return max(0, balance-rw.FrozenAmount)
}

// ---- events ----

type head struct {
	Seq  int64  `json:"seq"`
	Hash string `json:"hash"`
}

// GenesisHash is the prev_hash of the first event.
const GenesisHash = "0000000000000000000000000000000000000000000000000000000000000000"

// EventHash is the chained hash of e: sha256(prev_hash || canonical JSON of
// e with Hash empty), hex-encoded.
func EventHash(e Event) string {
	e.Hash = ""
	b, _ := json.Marshal(e)
	h := sha256.New()
	h.Write([]byte(e.PrevHash))
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil))
}

func appendEvent(tx Tx, e *Event) error {
	var hd head
	if _, err := getJSON(tx, tMeta, "head", &hd); err != nil {
		return err
	}
	if hd.Hash == "" {
		hd.Hash = GenesisHash
	}
	e.Seq = hd.Seq + 1
	e.PrevHash = hd.Hash
	e.At = e.At.UTC()
	e.Hash = EventHash(*e)
	sk := seqKey(e.Seq)
	if err := putJSON(tx, tEvents, sk, e); err != nil {
		return err
	}
	if err := tx.Put(tEvAsset, k(e.AssetID, sk), nil); err != nil {
		return err
	}
	for _, w := range []string{e.From, e.To} {
		if w != "" {
			if err := tx.Put(tEvWallet, k(e.AssetID, w, sk), nil); err != nil {
				return err
			}
		}
	}
	if e.From != "" && e.From == e.To {
		// indexed once above (same key), nothing more to do
	}
	return putJSON(tx, tMeta, "head", head{Seq: e.Seq, Hash: e.Hash})
}

// ---- idempotent operation engine ----

// spec describes one mutating operation for the engine.
type spec struct {
	kind    string
	assetID string
	// action is the gateway action to clear with; "" means no clearance.
	action policies.Action
	// pause is the action name checked against the asset's paused actions
	// (defaults to action).
	pause    string
	from, to string
	amount   int64
	invID    string
	// check validates against current state; it runs before clearing and
	// again inside the applying transaction, and may fill amount.
	check func(ctx context.Context, tx Tx, sp *spec) error
	// apply performs the state change and appends events.
	apply func(ctx context.Context, tx Tx, c *opCtx) error
	// onPark, onReject and onCancel change state when the operation is
	// parked for review, denied, or cancelled by a reviewer (optional).
	onPark, onReject, onCancel func(ctx context.Context, tx Tx, c *opCtx) error
	// external performs a registry write before the applying transaction
	// (freeze, pause); it must be idempotent (optional).
	external func(ctx context.Context, actor string) error
	asset    registry.Asset
}

// opCtx is the applying operation's context.
type opCtx struct {
	op  *Operation
	sp  *spec
	now time.Time
}

func (c *opCtx) event(tx Tx, e Event) error {
	e.AssetID = cmpOr(e.AssetID, c.sp.assetID)
	e.Actor = c.op.Actor
	e.DecisionID = c.op.DecisionID
	e.IdempotencyKey = c.op.IdempotencyKey
	e.OperationID = c.op.ID
	if e.At.IsZero() {
		e.At = c.now
	}
	if err := appendEvent(tx, &e); err != nil {
		return err
	}
	c.op.EventSeqs = append(c.op.EventSeqs, e.Seq)
	return nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func opID(key string) string {
	s := sha256.Sum256([]byte("ledger-op\x00" + key))
	return "op_" + hex.EncodeToString(s[:12])
}

func bodyHash(kind string, body []byte) string {
	h := sha256.New()
	h.Write([]byte(kind))
	h.Write([]byte{0})
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// replay returns the stored operation for key, or nil if the key is new.
func replay(tx Tx, key, hash string) (*Operation, error) {
	var id string
	b, ok, err := tx.Get(tIdem, key)
	if err != nil || !ok {
		return nil, err
	}
	id = string(b)
	var op Operation
	ok, err = getJSON(tx, tOps, id, &op)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("%w: idempotency key %q points to missing operation %s", ErrInvariant, key, id)
	}
	if op.BodyHash != hash {
		return nil, fmt.Errorf("%w: key %q was used for %s %s", ErrIdempotencyConflict, key, op.Kind, op.ID)
	}
	op.Replayed = true
	return &op, nil
}

func replayErr(op *Operation) error {
	if op.Status == OpRejected {
		return &RejectedError{Op: op}
	}
	return nil
}

func saveOp(tx Tx, op *Operation) error {
	if err := putJSON(tx, tOps, op.ID, op); err != nil {
		return err
	}
	return tx.Put(tIdem, op.IdempotencyKey, []byte(op.ID))
}

// run executes one operation through the engine: idempotency, checks,
// clearance, and one applying transaction.
func (l *Ledger) run(ctx context.Context, kind string, req any, key, actor string) (*Operation, error) {
	if err := checkID("idempotency_key", key); err != nil {
		return nil, err
	}
	body, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("ledger: encode request: %w", err)
	}
	hash := bodyHash(kind, body)
	var prev *Operation
	if err := l.store.View(ctx, func(tx Tx) error {
		var err error
		prev, err = replay(tx, key, hash)
		return err
	}); err != nil {
		return nil, err
	}
	if prev != nil {
		return prev, replayErr(prev)
	}
	sp, err := l.build(ctx, kind, body)
	if err != nil {
		return nil, err
	}
	if err := l.precheck(ctx, sp); err != nil {
		return nil, err
	}
	now := l.clock()
	op := &Operation{
		ID: opID(key), Kind: kind, AssetID: sp.assetID, IdempotencyKey: key, BodyHash: hash,
		Request: body, Actor: actor, CreatedAt: now, InvestmentID: sp.invID,
	}
	c := &opCtx{op: op, sp: sp, now: now}
	if sp.action != "" {
		cl, err := l.clearer.Clear(ctx, ClearRequest{
			Action: sp.action, AssetID: sp.assetID, From: sp.from, To: sp.to,
			Amount: sp.amount, Actor: actor, Origin: "ledger:" + op.ID,
		})
		if err != nil {
			l.log.WarnContext(ctx, "ledger: clearance failed closed", "op", op.ID, "kind", kind, "err", err)
			return nil, fmt.Errorf("%w: %v", ErrClearance, err)
		}
		op.DecisionID, op.CaseID, op.Reasons = cl.DecisionID, cl.CaseID, cl.Reasons
		switch cl.Effect {
		case policies.Allow:
		case policies.Review:
			op.Status = OpPendingReview
			return l.finish(ctx, c, key, hash, sp.onPark)
		default:
			op.Status = OpRejected
			return l.finish(ctx, c, key, hash, sp.onReject)
		}
	}
	op.Status = OpApplied
	if sp.external != nil {
		if err := sp.external(ctx, actor); err != nil {
			return nil, err
		}
	}
	return l.finish(ctx, c, key, hash, func(ctx context.Context, tx Tx, c *opCtx) error {
		if sp.check != nil {
			if err := sp.check(ctx, tx, sp); err != nil {
				return err
			}
		}
		return sp.apply(ctx, tx, c)
	})
}

// finish persists the operation with its state change in one transaction.
func (l *Ledger) finish(ctx context.Context, c *opCtx, key, hash string, fn func(context.Context, Tx, *opCtx) error) (*Operation, error) {
	var out *Operation
	base := *c.op
	err := l.store.Update(ctx, func(tx Tx) error {
		// Reset per attempt: Update may retry fn.
		op := base
		op.EventSeqs = nil
		c.op = &op
		prev, err := replay(tx, key, hash)
		if err != nil {
			return err
		}
		if prev != nil {
			out = prev
			return nil
		}
		if fn != nil {
			if err := fn(ctx, tx, c); err != nil {
				return err
			}
		}
		if err := saveOp(tx, &op); err != nil {
			return err
		}
		out = &op
		return nil
	})
	if err != nil {
		return nil, err
	}
	if out.Status == OpRejected {
		return out, &RejectedError{Op: out}
	}
	return out, nil
}

// precheck validates the operation against registry facts and current
// ledger state, before the gateway is asked.
func (l *Ledger) precheck(ctx context.Context, sp *spec) error {
	a, err := l.asset(ctx, sp.assetID)
	if err != nil {
		return err
	}
	sp.asset = a
	p := sp.pause
	if p == "" {
		p = string(sp.action)
	}
	if p != "-" && paused(a, p) {
		return fmt.Errorf("%w: %s is paused on asset %s", ErrPaused, cmpOr(p, sp.kind), a.ID)
	}
	if sp.check == nil {
		return nil
	}
	return l.store.View(ctx, func(tx Tx) error { return sp.check(ctx, tx, sp) })
}

// Operation returns a stored operation.
func (l *Ledger) Operation(ctx context.Context, id string) (*Operation, error) {
	if err := checkID("operation_id", id); err != nil {
		return nil, err
	}
	var op Operation
	err := l.store.View(ctx, func(tx Tx) error {
		ok, err := getJSON(tx, tOps, id, &op)
		if err == nil && !ok {
			err = fmt.Errorf("%w: operation %s", ErrNotFound, id)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &op, nil
}

// isDomainErr reports whether err is a business-rule failure (as opposed
// to an infrastructure error).
func isDomainErr(err error) bool {
	var re *RevenueError
	return errors.Is(err, ErrInsufficientBalance) || errors.Is(err, ErrWrongState) || errors.Is(err, ErrPaused) ||
		errors.Is(err, ErrFrozen) || errors.Is(err, ErrNotFound) || errors.Is(err, ErrInvalid) ||
		errors.Is(err, ErrAlreadyClaimed) || errors.Is(err, ErrPrerequisites) || errors.As(err, &re)
}

// Settle executes (approved) or cancels a PENDING_REVIEW operation, exactly
// once: settling an already settled operation returns it unchanged (with
// Replayed set). An approved operation whose checks no longer pass ends
// FAILED with the error, and nothing changes.
func (l *Ledger) Settle(ctx context.Context, operationID string, approved bool, actor, note string) (*Operation, error) {
	op, err := l.Operation(ctx, operationID)
	if err != nil {
		return nil, err
	}
	if len(note) > 2000 {
		return nil, invalid("note", "longer than 2000 characters")
	}
	if op.Status != OpPendingReview {
		if op.SettledAt.IsZero() {
			return nil, fmt.Errorf("%w: operation %s is %s, not PENDING_REVIEW", ErrWrongState, op.ID, op.Status)
		}
		op.Replayed = true
		return op, nil
	}
	sp, err := l.build(ctx, op.Kind, op.Request)
	if err != nil {
		return nil, err
	}
	var applyErr error
	if approved {
		applyErr = l.precheck(ctx, sp)
	}
	now := l.clock()
	var out *Operation
	settle := func(final string, fn func(context.Context, Tx, *opCtx) error) error {
		return l.store.Update(ctx, func(tx Tx) error {
			var cur Operation
			if _, err := getJSON(tx, tOps, op.ID, &cur); err != nil {
				return err
			}
			if cur.Status != OpPendingReview {
				cur.Replayed = true
				out = &cur
				return nil
			}
			cur.EventSeqs = slices.Clone(cur.EventSeqs)
			c := &opCtx{op: &cur, sp: sp, now: now}
			cur.Status, cur.SettledAt, cur.SettledBy, cur.SettleNote = final, now, actor, note
			if fn != nil {
				if err := fn(ctx, tx, c); err != nil {
					return err
				}
			}
			out = &cur
			return putJSON(tx, tOps, cur.ID, &cur)
		})
	}
	failed := func(cause error) (*Operation, error) {
		err := settle(OpFailed, func(ctx context.Context, tx Tx, c *opCtx) error {
			c.op.Error = cause.Error()
			if sp.onCancel != nil {
				return sp.onCancel(ctx, tx, c)
			}
			return nil
		})
		return out, err
	}
	if !approved {
		err := settle(OpCancelled, func(ctx context.Context, tx Tx, c *opCtx) error {
			if sp.onCancel != nil {
				if err := sp.onCancel(ctx, tx, c); err != nil {
					return err
				}
			}
			return c.event(tx, Event{Type: EvCancelledOp, From: sp.from, To: sp.to, Amount: sp.amount, Data: map[string]string{"kind": op.Kind, "note": note}})
		})
		return out, err
	}
	if applyErr != nil {
		if isDomainErr(applyErr) {
			return failed(applyErr)
		}
		return nil, applyErr
	}
	if sp.external != nil {
		if err := sp.external(ctx, op.Actor); err != nil {
			if isDomainErr(err) {
				return failed(err)
			}
			return nil, err
		}
	}
	err = settle(OpApplied, func(ctx context.Context, tx Tx, c *opCtx) error {
		if sp.check != nil {
			if err := sp.check(ctx, tx, sp); err != nil {
				return err
			}
		}
		return sp.apply(ctx, tx, c)
	})
	if err != nil && isDomainErr(err) {
		return failed(err)
	}
	return out, err
}

// PendingOperations lists operations parked for review (oldest first).
func (l *Ledger) PendingOperations(ctx context.Context, limit int) ([]Operation, error) {
	var out []Operation
	err := l.store.View(ctx, func(tx Tx) error {
		kvs, err := tx.Scan(tOps, "", "", 0)
		if err != nil {
			return err
		}
		for _, kv := range kvs {
			var op Operation
			if err := json.Unmarshal(kv.Value, &op); err != nil {
				return err
			}
			if op.Status == OpPendingReview {
				out = append(out, op)
				if limit > 0 && len(out) >= limit {
					break
				}
			}
		}
		return nil
	})
	slices.SortFunc(out, func(a, b Operation) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return out, err
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// Now is the ledger's clock.
func (l *Ledger) Now() time.Time { return l.clock() }
