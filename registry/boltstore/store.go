package boltstore

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/clearancehq/clearance/registry"
	"github.com/clearancehq/clearance/registry/internal/storecore"
)

var (
	bMeta        = []byte("registry_meta")
	bInvestors   = []byte("registry_investors")
	bWallets     = []byte("registry_wallets")
	bAssets      = []byte("registry_assets")
	bWhitelist   = []byte("registry_whitelist")
	bByInvestor  = []byte("registry_wallets_by_investor") // investor\x00address, current owner
	bEverOwned   = []byte("registry_wallets_ever")        // investor\x00address, any owner ever
	bHInvestor   = []byte("registry_h_investor")
	bHWallet     = []byte("registry_h_wallet")
	bHAsset      = []byte("registry_h_asset")
	bHWhitelist  = []byte("registry_h_whitelist")
	keySeq       = []byte("seq")
	allBuckets   = [][]byte{bMeta, bInvestors, bWallets, bAssets, bWhitelist, bByInvestor, bEverOwned, bHInvestor, bHWallet, bHAsset, bHWhitelist}
	errRollback  = errors.New("boltstore: rollback")
	historyByKnd = map[string][]byte{
		registry.KindInvestor: bHInvestor, registry.KindWallet: bHWallet,
		registry.KindAsset: bHAsset, registry.KindWhitelist: bHWhitelist,
	}
)

// Store is a registry.Store on bbolt. It is safe for concurrent use.
type Store struct {
	db  *bolt.DB
	log *slog.Logger
	bus storecore.Bus
	// writeMu spans commit and publication so events reach subscribers in
	// Seq order.
	writeMu sync.Mutex
	cache   *readCache
}

var _ registry.Store = (*Store)(nil)

// New opens the registry buckets in db, creating them if needed. The
// caller owns db and closes it. A nil logger discards.
func New(db *bolt.DB, logger *slog.Logger) (*Store, error) {
	if db == nil {
		return nil, errors.New("boltstore: nil db")
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	err := db.Update(func(tx *bolt.Tx) error {
		for _, b := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return fmt.Errorf("create bucket %s: %w", b, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("boltstore: init: %w", err)
	}
	return &Store{db: db, log: logger.With("component", "registry.boltstore"), cache: newReadCache(200_000)}, nil
}

// ---- encoding helpers ----

func histKey(id string, version int64) []byte {
	k := make([]byte, len(id)+1+8)
	copy(k, id)
	binary.BigEndian.PutUint64(k[len(id)+1:], uint64(version))
	return k
}

func pairKey(a, b string) []byte { return []byte(a + "\x00" + b) }

func getJSON(b *bolt.Bucket, key []byte, v any) (bool, error) {
	raw := b.Get(key)
	if raw == nil {
		return false, nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return false, fmt.Errorf("boltstore: decode %s: %w", key, err)
	}
	return true, nil
}

func putJSON(b *bolt.Bucket, key []byte, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("boltstore: encode: %w", err)
	}
	return b.Put(key, raw)
}

func nextSeq(tx *bolt.Tx) (int64, error) {
	m := tx.Bucket(bMeta)
	var n uint64
	if raw := m.Get(keySeq); len(raw) == 8 {
		n = binary.BigEndian.Uint64(raw)
	}
	n++
	buf := make([]byte, 8)
	binary.BigEndian.PutUint64(buf, n)
	return int64(n), m.Put(keySeq, buf)
}

func notFound(kind, id string) error {
	return fmt.Errorf("registry: %s %q: %w", kind, id, registry.ErrNotFound)
}

// commit records a revision in history, bumps the sequence and returns the
// event to publish after commit.
func commit(tx *bolt.Tx, rev registry.Revision, assetID string) (registry.Event, error) {
	if err := putJSON(tx.Bucket(historyByKnd[rev.Kind]), histKey(rev.ID, rev.Version), rev); err != nil {
		return registry.Event{}, err
	}
	seq, err := nextSeq(tx)
	if err != nil {
		return registry.Event{}, err
	}
	id := rev.ID
	if rev.Kind == registry.KindWhitelist {
		id = rev.Whitelist.InvestorID
	}
	return registry.Event{Kind: rev.Kind, ID: id, AssetID: assetID, Version: rev.Version, At: rev.At, Seq: seq}, nil
}

// update runs fn in one transaction and publishes its events after commit.
func (s *Store) update(ctx context.Context, fn func(tx *bolt.Tx, events *[]registry.Event) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	var events []registry.Event
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	err := s.db.Update(func(tx *bolt.Tx) error { return fn(tx, &events) })
	// Empty the read cache after every write attempt (a failed commit
	// changes nothing, but emptying is always safe).
	s.cache.invalidate()
	if err != nil {
		return err
	}
	s.bus.Publish(events)
	return nil
}

// ---- writes: investors ----

func (s *Store) putInvestor(tx *bolt.Tx, inv registry.Investor, expected int64, create bool, c registry.Change, at time.Time) (registry.Investor, registry.Event, error) {
	b := tx.Bucket(bInvestors)
	var prev registry.Investor
	ok, err := getJSON(b, []byte(inv.ID), &prev)
	if err != nil {
		return inv, registry.Event{}, err
	}
	var pp *registry.Investor
	switch {
	case create && ok:
		return inv, registry.Event{}, fmt.Errorf("registry: investor %q already exists: %w", inv.ID, registry.ErrConflict)
	case !create && !ok:
		return inv, registry.Event{}, notFound(registry.KindInvestor, inv.ID)
	case !create:
		if prev.Version != expected {
			return inv, registry.Event{}, fmt.Errorf("registry: investor %q is at version %d, not %d: %w", inv.ID, prev.Version, expected, registry.ErrConflict)
		}
		if err := storecore.CheckMonotonic(prev.UpdatedAt, at); err != nil {
			return inv, registry.Event{}, err
		}
		pp = &prev
	}
	inv, err = storecore.PrepareInvestor(inv, pp, at)
	if err != nil {
		return inv, registry.Event{}, err
	}
	inv.Version = prev.Version + 1
	if err := putJSON(b, []byte(inv.ID), inv); err != nil {
		return inv, registry.Event{}, err
	}
	ev, err := commit(tx, registry.Revision{Kind: registry.KindInvestor, ID: inv.ID, Version: inv.Version, At: at, Actor: c.Actor, Reason: c.Reason, Investor: &inv}, "")
	return inv, ev, err
}

// CreateInvestor implements registry.Store.
func (s *Store) CreateInvestor(ctx context.Context, inv registry.Investor, c registry.Change) (registry.Investor, error) {
	return s.writeInvestor(ctx, inv, 0, true, c)
}

// UpdateInvestor implements registry.Store.
func (s *Store) UpdateInvestor(ctx context.Context, inv registry.Investor, expected int64, c registry.Change) (registry.Investor, error) {
	return s.writeInvestor(ctx, inv, expected, false, c)
}

func (s *Store) writeInvestor(ctx context.Context, inv registry.Investor, expected int64, create bool, c registry.Change) (registry.Investor, error) {
	if err := storecore.CheckChange(c); err != nil {
		return registry.Investor{}, err
	}
	if err := registry.ValidateInvestor(&inv); err != nil {
		return registry.Investor{}, err
	}
	at := storecore.CommitTime(c)
	var out registry.Investor
	err := s.update(ctx, func(tx *bolt.Tx, evs *[]registry.Event) error {
		v, ev, err := s.putInvestor(tx, inv, expected, create, c, at)
		if err != nil {
			return err
		}
		out = v
		*evs = append(*evs, ev)
		return nil
	})
	return out, err
}

// ---- writes: wallets ----

func (s *Store) putWallet(tx *bolt.Tx, w registry.Wallet, expected int64, create bool, c registry.Change, at time.Time) (registry.Wallet, registry.Event, error) {
	w, err := storecore.PrepareWallet(w, at)
	if err != nil {
		return w, registry.Event{}, err
	}
	if tx.Bucket(bInvestors).Get([]byte(w.InvestorID)) == nil {
		return w, registry.Event{}, &registry.ValidationError{Field: "investor_id", Rule: "no such investor"}
	}
	b := tx.Bucket(bWallets)
	var prev registry.Wallet
	ok, err := getJSON(b, []byte(w.Address), &prev)
	if err != nil {
		return w, registry.Event{}, err
	}
	switch {
	case create && ok:
		return w, registry.Event{}, fmt.Errorf("registry: wallet %s on %s already exists: %w", w.Address, w.Chain, registry.ErrConflict)
	case !create && !ok:
		return w, registry.Event{}, notFound(registry.KindWallet, w.Address)
	case !create:
		if prev.Version != expected {
			return w, registry.Event{}, fmt.Errorf("registry: wallet %s is at version %d, not %d: %w", w.Address, prev.Version, expected, registry.ErrConflict)
		}
		if err := storecore.CheckMonotonic(prev.UpdatedAt, at); err != nil {
			return w, registry.Event{}, err
		}
		if prev.InvestorID != w.InvestorID {
			if err := tx.Bucket(bByInvestor).Delete(pairKey(prev.InvestorID, w.Address)); err != nil {
				return w, registry.Event{}, err
			}
		}
	}
	w.Version = prev.Version + 1
	if err := putJSON(b, []byte(w.Address), w); err != nil {
		return w, registry.Event{}, err
	}
	if err := tx.Bucket(bByInvestor).Put(pairKey(w.InvestorID, w.Address), nil); err != nil {
		return w, registry.Event{}, err
	}
	if err := tx.Bucket(bEverOwned).Put(pairKey(w.InvestorID, w.Address), nil); err != nil {
		return w, registry.Event{}, err
	}
	ev, err := commit(tx, registry.Revision{Kind: registry.KindWallet, ID: w.Address, Version: w.Version, At: at, Actor: c.Actor, Reason: c.Reason, Wallet: &w}, "")
	return w, ev, err
}

// CreateWallet implements registry.Store.
func (s *Store) CreateWallet(ctx context.Context, w registry.Wallet, c registry.Change) (registry.Wallet, error) {
	return s.writeWallet(ctx, w, 0, true, c)
}

// UpdateWallet implements registry.Store.
func (s *Store) UpdateWallet(ctx context.Context, w registry.Wallet, expected int64, c registry.Change) (registry.Wallet, error) {
	return s.writeWallet(ctx, w, expected, false, c)
}

func (s *Store) writeWallet(ctx context.Context, w registry.Wallet, expected int64, create bool, c registry.Change) (registry.Wallet, error) {
	if err := storecore.CheckChange(c); err != nil {
		return registry.Wallet{}, err
	}
	at := storecore.CommitTime(c)
	var out registry.Wallet
	err := s.update(ctx, func(tx *bolt.Tx, evs *[]registry.Event) error {
		v, ev, err := s.putWallet(tx, w, expected, create, c, at)
		if err != nil {
			return err
		}
		out = v
		*evs = append(*evs, ev)
		return nil
	})
	return out, err
}

// ---- writes: assets ----

func (s *Store) putAsset(tx *bolt.Tx, a registry.Asset, expected int64, create bool, c registry.Change, at time.Time) (registry.Asset, registry.Event, error) {
	a, err := storecore.PrepareAsset(a, at)
	if err != nil {
		return a, registry.Event{}, err
	}
	b := tx.Bucket(bAssets)
	var prev registry.Asset
	ok, err := getJSON(b, []byte(a.ID), &prev)
	if err != nil {
		return a, registry.Event{}, err
	}
	switch {
	case create && ok:
		return a, registry.Event{}, fmt.Errorf("registry: asset %q already exists: %w", a.ID, registry.ErrConflict)
	case !create && !ok:
		return a, registry.Event{}, notFound(registry.KindAsset, a.ID)
	case !create:
		if prev.Version != expected {
			return a, registry.Event{}, fmt.Errorf("registry: asset %q is at version %d, not %d: %w", a.ID, prev.Version, expected, registry.ErrConflict)
		}
		if err := storecore.CheckMonotonic(prev.UpdatedAt, at); err != nil {
			return a, registry.Event{}, err
		}
	}
	a.Version = prev.Version + 1
	if err := putJSON(b, []byte(a.ID), a); err != nil {
		return a, registry.Event{}, err
	}
	ev, err := commit(tx, registry.Revision{Kind: registry.KindAsset, ID: a.ID, Version: a.Version, At: at, Actor: c.Actor, Reason: c.Reason, Asset: &a}, a.ID)
	return a, ev, err
}

// CreateAsset implements registry.Store.
func (s *Store) CreateAsset(ctx context.Context, a registry.Asset, c registry.Change) (registry.Asset, error) {
	return s.writeAsset(ctx, a, 0, true, c)
}

// UpdateAsset implements registry.Store.
func (s *Store) UpdateAsset(ctx context.Context, a registry.Asset, expected int64, c registry.Change) (registry.Asset, error) {
	return s.writeAsset(ctx, a, expected, false, c)
}

func (s *Store) writeAsset(ctx context.Context, a registry.Asset, expected int64, create bool, c registry.Change) (registry.Asset, error) {
	if err := storecore.CheckChange(c); err != nil {
		return registry.Asset{}, err
	}
	at := storecore.CommitTime(c)
	var out registry.Asset
	err := s.update(ctx, func(tx *bolt.Tx, evs *[]registry.Event) error {
		v, ev, err := s.putAsset(tx, a, expected, create, c, at)
		if err != nil {
			return err
		}
		out = v
		*evs = append(*evs, ev)
		return nil
	})
	return out, err
}

// ---- writes: whitelist ----

// putWhitelist sets the entry's active flag. changed is false if it already
// had that state (no new version).
func (s *Store) putWhitelist(tx *bolt.Tx, assetID, investorID string, active bool, c registry.Change, at time.Time) (registry.WhitelistEntry, *registry.Event, error) {
	if err := registry.ValidateWhitelist(assetID, investorID); err != nil {
		return registry.WhitelistEntry{}, nil, err
	}
	if tx.Bucket(bAssets).Get([]byte(assetID)) == nil {
		return registry.WhitelistEntry{}, nil, notFound(registry.KindAsset, assetID)
	}
	if tx.Bucket(bInvestors).Get([]byte(investorID)) == nil {
		return registry.WhitelistEntry{}, nil, notFound(registry.KindInvestor, investorID)
	}
	id := registry.WhitelistID(assetID, investorID)
	b := tx.Bucket(bWhitelist)
	var prev registry.WhitelistEntry
	ok, err := getJSON(b, []byte(id), &prev)
	if err != nil {
		return prev, nil, err
	}
	if ok && prev.Active == active {
		return prev, nil, nil
	}
	if !ok && !active {
		return prev, nil, fmt.Errorf("registry: whitelist entry %s: %w", id, registry.ErrNotFound)
	}
	if ok {
		if err := storecore.CheckMonotonic(prev.UpdatedAt, at); err != nil {
			return prev, nil, err
		}
	}
	e := registry.WhitelistEntry{AssetID: assetID, InvestorID: investorID, Active: active, Version: prev.Version + 1, UpdatedAt: at}
	if err := putJSON(b, []byte(id), e); err != nil {
		return e, nil, err
	}
	ev, err := commit(tx, registry.Revision{Kind: registry.KindWhitelist, ID: id, Version: e.Version, At: at, Actor: c.Actor, Reason: c.Reason, Whitelist: &e}, assetID)
	return e, &ev, err
}

func (s *Store) writeWhitelist(ctx context.Context, assetID, investorID string, active bool, c registry.Change) (registry.WhitelistEntry, error) {
	if err := storecore.CheckChange(c); err != nil {
		return registry.WhitelistEntry{}, err
	}
	at := storecore.CommitTime(c)
	var out registry.WhitelistEntry
	err := s.update(ctx, func(tx *bolt.Tx, evs *[]registry.Event) error {
		e, ev, err := s.putWhitelist(tx, assetID, investorID, active, c, at)
		if err != nil {
			return err
		}
		out = e
		if ev != nil {
			*evs = append(*evs, *ev)
		}
		return nil
	})
	return out, err
}

// AddToWhitelist implements registry.Store.
func (s *Store) AddToWhitelist(ctx context.Context, assetID, investorID string, c registry.Change) (registry.WhitelistEntry, error) {
	return s.writeWhitelist(ctx, assetID, investorID, true, c)
}

// RemoveFromWhitelist implements registry.Store.
func (s *Store) RemoveFromWhitelist(ctx context.Context, assetID, investorID string, c registry.Change) (registry.WhitelistEntry, error) {
	return s.writeWhitelist(ctx, assetID, investorID, false, c)
}

// ---- bulk ----

// Upsert implements registry.Store.
func (s *Store) Upsert(ctx context.Context, rows []registry.Mutation, c registry.Change, opts registry.UpsertOptions) ([]registry.MutationResult, error) {
	if err := storecore.CheckChange(c); err != nil {
		return nil, err
	}
	at := storecore.CommitTime(c)
	results := make([]registry.MutationResult, len(rows))
	failed := false
	err := s.update(ctx, func(tx *bolt.Tx, evs *[]registry.Event) error {
		failed = false
		*evs = (*evs)[:0]
		for i, m := range rows {
			r := s.upsertRow(tx, m, c, at, evs)
			results[i] = r
			if r.Err != nil {
				failed = true
			}
		}
		if failed && opts.AllOrNothing {
			return errRollback
		}
		return nil
	})
	if errors.Is(err, errRollback) {
		for i := range results {
			if results[i].Err == nil {
				results[i].Changed = false
			}
		}
		return results, fmt.Errorf("registry: upsert: some rows are invalid, nothing applied: %w", registry.ErrInvalid)
	}
	return results, err
}

func (s *Store) upsertRow(tx *bolt.Tx, m registry.Mutation, c registry.Change, at time.Time, evs *[]registry.Event) registry.MutationResult {
	r := registry.MutationResult{Kind: m.Kind()}
	switch r.Kind {
	case registry.KindInvestor:
		inv := *m.Investor
		r.ID = inv.ID
		var prev registry.Investor
		ok, err := getJSON(tx.Bucket(bInvestors), []byte(inv.ID), &prev)
		if err != nil {
			r.Err = err
			return r
		}
		if ok {
			cand, err := storecore.PrepareInvestor(inv, &prev, prev.UpdatedAt)
			if err == nil && storecore.SameContent(cand, prev) {
				r.Version = prev.Version
				return r
			}
		}
		v, ev, err := s.putInvestor(tx, inv, prev.Version, !ok, c, at)
		return finish(r, v.Version, ev, err, evs)
	case registry.KindWallet:
		w := *m.Wallet
		r.ID = w.Address
		cand, err := storecore.PrepareWallet(w, at)
		if err != nil {
			r.Err = err
			return r
		}
		r.ID = cand.Address
		var prev registry.Wallet
		ok, err := getJSON(tx.Bucket(bWallets), []byte(cand.Address), &prev)
		if err != nil {
			r.Err = err
			return r
		}
		if ok && storecore.SameContent(cand, prev) {
			r.Version = prev.Version
			return r
		}
		v, ev, err := s.putWallet(tx, w, prev.Version, !ok, c, at)
		return finish(r, v.Version, ev, err, evs)
	case registry.KindAsset:
		a := *m.Asset
		r.ID = a.ID
		var prev registry.Asset
		ok, err := getJSON(tx.Bucket(bAssets), []byte(a.ID), &prev)
		if err != nil {
			r.Err = err
			return r
		}
		if ok {
			cand, err := storecore.PrepareAsset(a, at)
			if err == nil && storecore.SameContent(cand, prev) {
				r.Version = prev.Version
				return r
			}
		}
		v, ev, err := s.putAsset(tx, a, prev.Version, !ok, c, at)
		return finish(r, v.Version, ev, err, evs)
	case registry.KindWhitelist:
		wl := *m.Whitelist
		r.ID = registry.WhitelistID(wl.AssetID, wl.InvestorID)
		e, ev, err := s.putWhitelist(tx, wl.AssetID, wl.InvestorID, wl.Active, c, at)
		if err != nil {
			r.Err = err
			return r
		}
		r.Version = e.Version
		if ev != nil {
			r.Changed = true
			*evs = append(*evs, *ev)
		}
		return r
	}
	r.Err = &registry.ValidationError{Field: "kind", Rule: "exactly one of investor, wallet, asset, whitelist must be set"}
	return r
}

func finish(r registry.MutationResult, version int64, ev registry.Event, err error, evs *[]registry.Event) registry.MutationResult {
	if err != nil {
		r.Err = err
		return r
	}
	r.Version, r.Changed = version, true
	*evs = append(*evs, ev)
	return r
}

// ---- reads ----

func (s *Store) view(ctx context.Context, fn func(tx *bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.View(fn)
}

// asOfRevision walks the history of id backwards from version cur and
// returns the latest revision committed at or before asOf.
func asOfRevision(tx *bolt.Tx, kind, id string, cur int64, asOf time.Time) (registry.Revision, bool, error) {
	c := tx.Bucket(historyByKnd[kind]).Cursor()
	prefix := append([]byte(id), 0)
	k, v := c.Seek(histKey(id, cur))
	if k == nil || !bytes.Equal(k, histKey(id, cur)) {
		k, v = c.Prev()
	}
	for ; k != nil && bytes.HasPrefix(k, prefix); k, v = c.Prev() {
		var r registry.Revision
		if err := json.Unmarshal(v, &r); err != nil {
			return r, false, fmt.Errorf("boltstore: decode history %s: %w", id, err)
		}
		if !r.At.After(asOf) {
			return r, true, nil
		}
	}
	return registry.Revision{}, false, nil
}

// Investor implements registry.Reader.
func (s *Store) Investor(ctx context.Context, id string, asOf time.Time) (registry.Investor, error) {
	if asOf.IsZero() {
		if v, ok := get(s.cache, investorsOf, id); ok {
			return cloneInvestor(v), ctx.Err()
		}
	}
	gen := s.cache.begin()
	var out registry.Investor
	err := s.view(ctx, func(tx *bolt.Tx) error { return investorAt(tx, id, asOf, &out) })
	if err == nil && asOf.IsZero() {
		put(s.cache, investorsOf, gen, id, cloneInvestor(out))
	}
	return out, err
}

func investorAt(tx *bolt.Tx, id string, asOf time.Time, out *registry.Investor) error {
	ok, err := getJSON(tx.Bucket(bInvestors), []byte(id), out)
	if err != nil {
		return err
	}
	if !ok {
		return notFound(registry.KindInvestor, id)
	}
	if asOf.IsZero() || !asOf.Before(out.UpdatedAt) {
		return nil
	}
	r, ok, err := asOfRevision(tx, registry.KindInvestor, id, out.Version, asOf)
	if err != nil {
		return err
	}
	if !ok || r.Investor == nil {
		return notFound(registry.KindInvestor, id)
	}
	*out = *r.Investor
	return nil
}

// Wallet implements registry.Reader. The address is normalised first.
func (s *Store) Wallet(ctx context.Context, address string, asOf time.Time) (registry.Wallet, error) {
	_, addr, err := registry.NormalizeAddress(address)
	if err != nil {
		return registry.Wallet{}, notFound(registry.KindWallet, address)
	}
	if asOf.IsZero() {
		if v, ok := get(s.cache, walletsOf, addr); ok {
			return v, ctx.Err()
		}
	}
	gen := s.cache.begin()
	var out registry.Wallet
	err = s.view(ctx, func(tx *bolt.Tx) error { return walletAt(tx, addr, asOf, &out) })
	if err == nil && asOf.IsZero() {
		put(s.cache, walletsOf, gen, addr, out)
	}
	return out, err
}

func walletAt(tx *bolt.Tx, addr string, asOf time.Time, out *registry.Wallet) error {
	ok, err := getJSON(tx.Bucket(bWallets), []byte(addr), out)
	if err != nil {
		return err
	}
	if !ok {
		return notFound(registry.KindWallet, addr)
	}
	if asOf.IsZero() || !asOf.Before(out.UpdatedAt) {
		return nil
	}
	r, ok, err := asOfRevision(tx, registry.KindWallet, addr, out.Version, asOf)
	if err != nil {
		return err
	}
	if !ok || r.Wallet == nil {
		return notFound(registry.KindWallet, addr)
	}
	*out = *r.Wallet
	return nil
}

// Asset implements registry.Reader.
func (s *Store) Asset(ctx context.Context, id string, asOf time.Time) (registry.Asset, error) {
	if asOf.IsZero() {
		if v, ok := get(s.cache, assetsOf, id); ok {
			return cloneAsset(v), ctx.Err()
		}
		gen := s.cache.begin()
		out, err := s.asset(ctx, id, asOf)
		if err == nil {
			put(s.cache, assetsOf, gen, id, cloneAsset(out))
		}
		return out, err
	}
	return s.asset(ctx, id, asOf)
}

func (s *Store) asset(ctx context.Context, id string, asOf time.Time) (registry.Asset, error) {
	var out registry.Asset
	err := s.view(ctx, func(tx *bolt.Tx) error {
		ok, err := getJSON(tx.Bucket(bAssets), []byte(id), &out)
		if err != nil {
			return err
		}
		if !ok {
			return notFound(registry.KindAsset, id)
		}
		if asOf.IsZero() || !asOf.Before(out.UpdatedAt) {
			return nil
		}
		r, ok, err := asOfRevision(tx, registry.KindAsset, id, out.Version, asOf)
		if err != nil {
			return err
		}
		if !ok || r.Asset == nil {
			return notFound(registry.KindAsset, id)
		}
		out = *r.Asset
		return nil
	})
	return out, err
}

// Whitelisted implements registry.Reader.
func (s *Store) Whitelisted(ctx context.Context, assetID, investorID string, asOf time.Time) (bool, error) {
	key := registry.WhitelistID(assetID, investorID)
	if asOf.IsZero() {
		if v, ok := get(s.cache, whitelistOf, key); ok {
			return v, ctx.Err()
		}
		gen := s.cache.begin()
		v, err := s.whitelisted(ctx, assetID, investorID, asOf)
		if err == nil {
			put(s.cache, whitelistOf, gen, key, v)
		}
		return v, err
	}
	return s.whitelisted(ctx, assetID, investorID, asOf)
}

func (s *Store) whitelisted(ctx context.Context, assetID, investorID string, asOf time.Time) (bool, error) {
	var active bool
	err := s.view(ctx, func(tx *bolt.Tx) error {
		id := registry.WhitelistID(assetID, investorID)
		var e registry.WhitelistEntry
		ok, err := getJSON(tx.Bucket(bWhitelist), []byte(id), &e)
		if err != nil || !ok {
			return err
		}
		if asOf.IsZero() || !asOf.Before(e.UpdatedAt) {
			active = e.Active
			return nil
		}
		r, ok, err := asOfRevision(tx, registry.KindWhitelist, id, e.Version, asOf)
		if err != nil || !ok || r.Whitelist == nil {
			return err
		}
		active = r.Whitelist.Active
		return nil
	})
	return active, err
}

// WalletsOf implements registry.Reader.
func (s *Store) WalletsOf(ctx context.Context, investorID string, asOf time.Time) ([]registry.Wallet, error) {
	var out []registry.Wallet
	err := s.view(ctx, func(tx *bolt.Tx) error {
		idx := bByInvestor
		if !asOf.IsZero() {
			idx = bEverOwned
		}
		prefix := []byte(investorID + "\x00")
		c := tx.Bucket(idx).Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			addr := string(k[len(prefix):])
			var w registry.Wallet
			err := walletAt(tx, addr, asOf, &w)
			if errors.Is(err, registry.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			if w.InvestorID == investorID {
				out = append(out, w)
			}
		}
		return nil
	})
	return out, err
}

// ---- lists ----

func encodeCursor(k []byte) string { return base64.RawURLEncoding.EncodeToString(k) }

func decodeCursor(s string) ([]byte, error) {
	if s == "" {
		return nil, nil
	}
	k, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(k) > 512 {
		return nil, &registry.ValidationError{Field: "page_token", Rule: "malformed page token"}
	}
	return k, nil
}

// scan pages through bucket b from after cursor, keeping values accepted by
// keep, and returns the next-page token.
func scan[T any](tx *bolt.Tx, b []byte, prefix []byte, p registry.PageRequest, keep func(T) bool) ([]T, string, error) {
	after, err := decodeCursor(p.Cursor)
	if err != nil {
		return nil, "", err
	}
	limit := p.PageLimit()
	c := tx.Bucket(b).Cursor()
	var k, v []byte
	if after != nil {
		k, v = c.Seek(after)
		if k != nil && bytes.Equal(k, after) {
			k, v = c.Next()
		}
	} else {
		k, v = c.Seek(prefix)
	}
	out := make([]T, 0, min(limit, 64))
	var last []byte
	for ; k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		var x T
		if err := json.Unmarshal(v, &x); err != nil {
			return nil, "", fmt.Errorf("boltstore: decode %s: %w", k, err)
		}
		if !keep(x) {
			continue
		}
		if len(out) == limit {
			return out, encodeCursor(last), nil
		}
		out = append(out, x)
		last = append(last[:0], k...)
	}
	return out, "", nil
}

// ListInvestors implements registry.Store.
func (s *Store) ListInvestors(ctx context.Context, f registry.InvestorFilter, p registry.PageRequest) ([]registry.Investor, string, error) {
	var out []registry.Investor
	var next string
	err := s.view(ctx, func(tx *bolt.Tx) error {
		var err error
		out, next, err = scan(tx, bInvestors, nil, p, func(i registry.Investor) bool {
			return (f.Status == "" || i.Status == f.Status) && (f.Jurisdiction == "" || i.Jurisdiction == f.Jurisdiction) && (f.Category == "" || i.Category == f.Category)
		})
		return err
	})
	return out, next, err
}

// ListWallets implements registry.Store.
func (s *Store) ListWallets(ctx context.Context, f registry.WalletFilter, p registry.PageRequest) ([]registry.Wallet, string, error) {
	var out []registry.Wallet
	var next string
	err := s.view(ctx, func(tx *bolt.Tx) error {
		var err error
		out, next, err = scan(tx, bWallets, nil, p, func(w registry.Wallet) bool {
			return (f.InvestorID == "" || w.InvestorID == f.InvestorID) && (f.Chain == "" || w.Chain == f.Chain)
		})
		return err
	})
	return out, next, err
}

// ListAssets implements registry.Store.
func (s *Store) ListAssets(ctx context.Context, f registry.AssetFilter, p registry.PageRequest) ([]registry.Asset, string, error) {
	var out []registry.Asset
	var next string
	err := s.view(ctx, func(tx *bolt.Tx) error {
		var err error
		out, next, err = scan(tx, bAssets, nil, p, func(a registry.Asset) bool { return f.Pack == "" || a.Pack == f.Pack })
		return err
	})
	return out, next, err
}

// ListWhitelist implements registry.Store.
func (s *Store) ListWhitelist(ctx context.Context, assetID string, p registry.PageRequest) ([]registry.WhitelistEntry, string, error) {
	var prefix []byte
	if assetID != "" {
		prefix = []byte(assetID + "/")
	}
	var out []registry.WhitelistEntry
	var next string
	err := s.view(ctx, func(tx *bolt.Tx) error {
		var err error
		out, next, err = scan(tx, bWhitelist, prefix, p, func(e registry.WhitelistEntry) bool { return e.Active })
		return err
	})
	return out, next, err
}

// ---- history, change points, events ----

// History implements registry.Store.
func (s *Store) History(ctx context.Context, kind, id string) ([]registry.Revision, error) {
	hb, ok := historyByKnd[kind]
	if !ok {
		return nil, &registry.ValidationError{Field: "kind", Rule: "must be investor, wallet, asset or whitelist"}
	}
	if kind == registry.KindWallet {
		if _, addr, err := registry.NormalizeAddress(id); err == nil {
			id = addr
		}
	}
	var out []registry.Revision
	err := s.view(ctx, func(tx *bolt.Tx) error {
		prefix := append([]byte(id), 0)
		c := tx.Bucket(hb).Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			var r registry.Revision
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("boltstore: decode history %s: %w", id, err)
			}
			out = append(out, r)
		}
		return nil
	})
	return out, err
}

// ChangePoints implements registry.Store.
func (s *Store) ChangePoints(ctx context.Context, assetID, wallet string, from, to time.Time) ([]registry.ChangePoint, error) {
	return storecore.ChangePoints(ctx, s.History, assetID, wallet, from, to)
}

// Subscribe implements registry.Store.
func (s *Store) Subscribe(fn func(registry.Event)) func() { return s.bus.Subscribe(fn) }

// Seq implements registry.Store.
func (s *Store) Seq(ctx context.Context) (int64, error) {
	var n int64
	err := s.view(ctx, func(tx *bolt.Tx) error {
		if raw := tx.Bucket(bMeta).Get(keySeq); len(raw) == 8 {
			n = int64(binary.BigEndian.Uint64(raw))
		}
		return nil
	})
	return n, err
}
