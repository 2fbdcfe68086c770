package postgres

import (
	"context"
	"embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/clearancehq/clearance/registry/pgmigrate"

	"github.com/clearancehq/clearance/registry"
	"github.com/clearancehq/clearance/registry/internal/storecore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrate applies the embedded migrations not yet recorded in
// registry_schema_migrations. It is idempotent and safe to run
// concurrently (an advisory lock serialises runs).
func Migrate(ctx context.Context, pool *pgxpool.Pool) error {
	return pgmigrate.Apply(ctx, pool, "registry", migrations, nil)
}

// Store is a registry.Store on PostgreSQL. It is safe for concurrent use.
type Store struct {
	pool     *pgxpool.Pool
	log      *slog.Logger
	bus      storecore.Bus
	commitMu sync.Mutex
}

var _ registry.Store = (*Store)(nil)

// New returns a store on pool; run Migrate first. A nil logger discards.
func New(pool *pgxpool.Pool, logger *slog.Logger) (*Store, error) {
	if pool == nil {
		return nil, errors.New("registry/postgres: nil pool")
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Store{pool: pool, log: logger.With("component", "registry.postgres")}, nil
}

// Ping checks the connection (the registry.Pinger-style health check).
func (s *Store) Ping(ctx context.Context) error { return s.pool.Ping(ctx) }

func notFound(kind, id string) error {
	return fmt.Errorf("registry: %s %q: %w", kind, id, registry.ErrNotFound)
}

// ---- the write planner ----

const (
	modeCreate = iota
	modeUpdate
	modeUpsert
)

type op struct {
	m        registry.Mutation
	mode     int
	expected int64
}

type outcome struct {
	registry.MutationResult
	inv *registry.Investor
	w   *registry.Wallet
	a   *registry.Asset
	wl  *registry.WhitelistEntry
}

// state is the transaction's view of the rows a batch touches.
type state struct {
	inv map[string]*registry.Investor
	w   map[string]*registry.Wallet
	a   map[string]*registry.Asset
	wl  map[string]*registry.WhitelistEntry
}

func (s *Store) load(ctx context.Context, tx pgx.Tx, ops []op) (*state, error) {
	st := &state{inv: map[string]*registry.Investor{}, w: map[string]*registry.Wallet{}, a: map[string]*registry.Asset{}, wl: map[string]*registry.WhitelistEntry{}}
	var invIDs, addrs, assetIDs, wlA, wlI []string
	for _, o := range ops {
		switch {
		case o.m.Investor != nil:
			invIDs = append(invIDs, o.m.Investor.ID)
		case o.m.Wallet != nil:
			if _, a, err := registry.NormalizeAddress(o.m.Wallet.Address); err == nil {
				addrs = append(addrs, a)
			}
			invIDs = append(invIDs, o.m.Wallet.InvestorID)
		case o.m.Asset != nil:
			assetIDs = append(assetIDs, o.m.Asset.ID)
		case o.m.Whitelist != nil:
			invIDs = append(invIDs, o.m.Whitelist.InvestorID)
			assetIDs = append(assetIDs, o.m.Whitelist.AssetID)
			wlA = append(wlA, o.m.Whitelist.AssetID)
			wlI = append(wlI, o.m.Whitelist.InvestorID)
		}
	}
	if len(invIDs) > 0 {
		if err := loadJSON(ctx, tx, `SELECT data FROM registry_investors WHERE id = ANY($1) ORDER BY id FOR UPDATE`, invIDs, func(v *registry.Investor) { st.inv[v.ID] = v }); err != nil {
			return nil, err
		}
	}
	if len(addrs) > 0 {
		if err := loadJSON(ctx, tx, `SELECT data FROM registry_wallets WHERE address = ANY($1) ORDER BY address FOR UPDATE`, addrs, func(v *registry.Wallet) { st.w[v.Address] = v }); err != nil {
			return nil, err
		}
	}
	if len(assetIDs) > 0 {
		if err := loadJSON(ctx, tx, `SELECT data FROM registry_assets WHERE id = ANY($1) ORDER BY id FOR UPDATE`, assetIDs, func(v *registry.Asset) { st.a[v.ID] = v }); err != nil {
			return nil, err
		}
	}
	if len(wlA) > 0 {
		rows, err := tx.Query(ctx, `SELECT w.asset_id, w.investor_id, w.active, w.version, w.updated_at FROM registry_whitelist w
			JOIN unnest($1::text[], $2::text[]) AS k(a, i) ON w.asset_id = k.a AND w.investor_id = k.i
			ORDER BY w.asset_id, w.investor_id FOR UPDATE OF w`, wlA, wlI)
		if err != nil {
			return nil, fmt.Errorf("registry/postgres: load whitelist: %w", err)
		}
		for rows.Next() {
			var e registry.WhitelistEntry
			if err := rows.Scan(&e.AssetID, &e.InvestorID, &e.Active, &e.Version, &e.UpdatedAt); err != nil {
				rows.Close()
				return nil, fmt.Errorf("registry/postgres: load whitelist: %w", err)
			}
			e.UpdatedAt = e.UpdatedAt.UTC()
			st.wl[registry.WhitelistID(e.AssetID, e.InvestorID)] = &e
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("registry/postgres: load whitelist: %w", err)
		}
	}
	return st, nil
}

func loadJSON[T any](ctx context.Context, tx pgx.Tx, sql string, keys []string, put func(*T)) error {
	rows, err := tx.Query(ctx, sql, keys)
	if err != nil {
		return fmt.Errorf("registry/postgres: load: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var raw []byte
		if err := rows.Scan(&raw); err != nil {
			return fmt.Errorf("registry/postgres: load: %w", err)
		}
		v := new(T)
		if err := json.Unmarshal(raw, v); err != nil {
			return fmt.Errorf("registry/postgres: decode: %w", err)
		}
		put(v)
	}
	return rows.Err()
}

// apply runs ops in one transaction. With allOrNothing, any failed op
// rolls everything back and apply returns ErrInvalid.
func (s *Store) apply(ctx context.Context, ops []op, c registry.Change, allOrNothing bool) ([]outcome, error) {
	if err := storecore.CheckChange(c); err != nil {
		return nil, err
	}
	at := storecore.CommitTime(c)
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{})
	if err != nil {
		return nil, fmt.Errorf("registry/postgres: begin: %w", err)
	}
	defer tx.Rollback(ctx)
	st, err := s.load(ctx, tx, ops)
	if err != nil {
		return nil, err
	}
	batch := &pgx.Batch{}
	outs := make([]outcome, len(ops))
	var events []registry.Event
	failed := false
	for i, o := range ops {
		out := plan(st, o, c, at, batch)
		outs[i] = out
		if out.Err != nil {
			failed = true
			continue
		}
		if out.Changed {
			ev := registry.Event{Kind: out.Kind, ID: out.ID, Version: out.Version, At: at}
			switch {
			case out.a != nil:
				ev.AssetID = out.a.ID
			case out.wl != nil:
				ev.ID, ev.AssetID = out.wl.InvestorID, out.wl.AssetID
			}
			events = append(events, ev)
		}
	}
	if failed && allOrNothing {
		for i := range outs {
			outs[i].Changed = false
		}
		return outs, fmt.Errorf("registry: some rows are invalid, nothing applied: %w", registry.ErrInvalid)
	}
	if len(events) == 0 {
		return outs, nil
	}
	batch.Queue(`UPDATE registry_seq SET seq = seq + $1 WHERE id = 1 RETURNING seq`, int64(len(events)))
	br := tx.SendBatch(ctx, batch)
	for range batch.Len() - 1 {
		if _, err := br.Exec(); err != nil {
			br.Close()
			return nil, mapWriteErr(err)
		}
	}
	var last int64
	if err := br.QueryRow().Scan(&last); err != nil {
		br.Close()
		return nil, fmt.Errorf("registry/postgres: seq: %w", err)
	}
	if err := br.Close(); err != nil {
		return nil, mapWriteErr(err)
	}
	first := last - int64(len(events)) + 1
	for i := range events {
		events[i].Seq = first + int64(i)
	}
	// Commit and publish under commitMu: the seq row lock orders commits,
	// and the mutex keeps publication in that order within this process.
	s.commitMu.Lock()
	defer s.commitMu.Unlock()
	if err := tx.Commit(ctx); err != nil {
		return nil, mapWriteErr(err)
	}
	s.bus.Publish(events)
	return outs, nil
}

func mapWriteErr(err error) error {
	if strings.Contains(err.Error(), "SQLSTATE 23505") {
		return fmt.Errorf("registry: concurrent write to the same key: %w", registry.ErrConflict)
	}
	return fmt.Errorf("registry/postgres: write: %w", err)
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		// Registry types are plain data; Marshal cannot fail on them.
		panic(fmt.Sprintf("registry/postgres: encode: %v", err))
	}
	return b
}

func checkVersion(kind, id string, exists bool, cur int64, o op) (changedNeeded bool, err error) {
	switch o.mode {
	case modeCreate:
		if exists {
			return false, fmt.Errorf("registry: %s %q already exists: %w", kind, id, registry.ErrConflict)
		}
	case modeUpdate:
		if !exists {
			return false, notFound(kind, id)
		}
		if cur != o.expected {
			return false, fmt.Errorf("registry: %s %q is at version %d, not %d: %w", kind, id, cur, o.expected, registry.ErrConflict)
		}
	}
	return true, nil
}

// plan applies one op to st and queues its writes.
func plan(st *state, o op, c registry.Change, at time.Time, b *pgx.Batch) outcome {
	out := outcome{MutationResult: registry.MutationResult{Kind: o.m.Kind()}}
	fail := func(err error) outcome { out.Err = err; return out }
	switch out.Kind {
	case registry.KindInvestor:
		inv := *o.m.Investor
		out.ID = inv.ID
		if err := registry.ValidateInvestor(&inv); err != nil {
			return fail(err)
		}
		prev := st.inv[inv.ID]
		if _, err := checkVersion(out.Kind, inv.ID, prev != nil, verOf(prev), o); err != nil {
			return fail(err)
		}
		if prev != nil {
			if o.mode == modeUpsert {
				if cand, err := storecore.PrepareInvestor(inv, prev, prev.UpdatedAt); err == nil && storecore.SameContent(cand, *prev) {
					out.Version, out.inv = prev.Version, prev
					return out
				}
			}
			if err := storecore.CheckMonotonic(prev.UpdatedAt, at); err != nil {
				return fail(err)
			}
		}
		v, err := storecore.PrepareInvestor(inv, prev, at)
		if err != nil {
			return fail(err)
		}
		v.Version = verOf(prev) + 1
		data := mustJSON(v)
		if prev == nil {
			b.Queue(`INSERT INTO registry_investors (id, version, updated_at, status, jurisdiction, category, data) VALUES ($1,$2,$3,$4,$5,$6,$7)`,
				v.ID, v.Version, at, v.Status, v.Jurisdiction, v.Category, data)
		} else {
			b.Queue(`UPDATE registry_investors SET version=$2, updated_at=$3, status=$4, jurisdiction=$5, category=$6, data=$7 WHERE id=$1`,
				v.ID, v.Version, at, v.Status, v.Jurisdiction, v.Category, data)
		}
		b.Queue(`INSERT INTO registry_investor_history (id, version, at, actor, reason, data) VALUES ($1,$2,$3,$4,$5,$6)`, v.ID, v.Version, at, c.Actor, c.Reason, data)
		st.inv[v.ID] = &v
		out.Version, out.Changed, out.inv = v.Version, true, &v
		return out
	case registry.KindWallet:
		out.ID = o.m.Wallet.Address
		v, err := storecore.PrepareWallet(*o.m.Wallet, at)
		if err != nil {
			return fail(err)
		}
		out.ID = v.Address
		if st.inv[v.InvestorID] == nil {
			return fail(&registry.ValidationError{Field: "investor_id", Rule: "no such investor"})
		}
		prev := st.w[v.Address]
		if _, err := checkVersion(out.Kind, v.Address, prev != nil, verOf(prev), o); err != nil {
			return fail(err)
		}
		if prev != nil {
			if o.mode == modeUpsert && storecore.SameContent(v, *prev) {
				out.Version, out.w = prev.Version, prev
				return out
			}
			if err := storecore.CheckMonotonic(prev.UpdatedAt, at); err != nil {
				return fail(err)
			}
		}
		v.Version = verOf(prev) + 1
		data := mustJSON(v)
		if prev == nil {
			b.Queue(`INSERT INTO registry_wallets (address, chain, investor_id, version, updated_at, data) VALUES ($1,$2,$3,$4,$5,$6)`,
				v.Address, v.Chain, v.InvestorID, v.Version, at, data)
		} else {
			b.Queue(`UPDATE registry_wallets SET chain=$2, investor_id=$3, version=$4, updated_at=$5, data=$6 WHERE address=$1`,
				v.Address, v.Chain, v.InvestorID, v.Version, at, data)
		}
		b.Queue(`INSERT INTO registry_wallet_history (address, version, investor_id, at, actor, reason, data) VALUES ($1,$2,$3,$4,$5,$6,$7)`,
			v.Address, v.Version, v.InvestorID, at, c.Actor, c.Reason, data)
		st.w[v.Address] = &v
		out.Version, out.Changed, out.w = v.Version, true, &v
		return out
	case registry.KindAsset:
		out.ID = o.m.Asset.ID
		v, err := storecore.PrepareAsset(*o.m.Asset, at)
		if err != nil {
			return fail(err)
		}
		prev := st.a[v.ID]
		if _, err := checkVersion(out.Kind, v.ID, prev != nil, verOf(prev), o); err != nil {
			return fail(err)
		}
		if prev != nil {
			if o.mode == modeUpsert && storecore.SameContent(v, *prev) {
				out.Version, out.a = prev.Version, prev
				return out
			}
			if err := storecore.CheckMonotonic(prev.UpdatedAt, at); err != nil {
				return fail(err)
			}
		}
		v.Version = verOf(prev) + 1
		data := mustJSON(v)
		if prev == nil {
			b.Queue(`INSERT INTO registry_assets (id, version, updated_at, pack, data) VALUES ($1,$2,$3,$4,$5)`, v.ID, v.Version, at, v.Pack, data)
		} else {
			b.Queue(`UPDATE registry_assets SET version=$2, updated_at=$3, pack=$4, data=$5 WHERE id=$1`, v.ID, v.Version, at, v.Pack, data)
		}
		b.Queue(`INSERT INTO registry_asset_history (id, version, at, actor, reason, data) VALUES ($1,$2,$3,$4,$5,$6)`, v.ID, v.Version, at, c.Actor, c.Reason, data)
		st.a[v.ID] = &v
		out.Version, out.Changed, out.a = v.Version, true, &v
		return out
	case registry.KindWhitelist:
		e := *o.m.Whitelist
		id := registry.WhitelistID(e.AssetID, e.InvestorID)
		out.ID = id
		if err := registry.ValidateWhitelist(e.AssetID, e.InvestorID); err != nil {
			return fail(err)
		}
		if st.a[e.AssetID] == nil {
			return fail(notFound(registry.KindAsset, e.AssetID))
		}
		if st.inv[e.InvestorID] == nil {
			return fail(notFound(registry.KindInvestor, e.InvestorID))
		}
		prev := st.wl[id]
		if prev != nil && prev.Active == e.Active {
			out.Version, out.wl = prev.Version, prev
			return out
		}
		if prev == nil && !e.Active {
			return fail(fmt.Errorf("registry: whitelist entry %s: %w", id, registry.ErrNotFound))
		}
		if prev != nil {
			if err := storecore.CheckMonotonic(prev.UpdatedAt, at); err != nil {
				return fail(err)
			}
		}
		v := registry.WhitelistEntry{AssetID: e.AssetID, InvestorID: e.InvestorID, Active: e.Active, Version: verOfWL(prev) + 1, UpdatedAt: at}
		if prev == nil {
			b.Queue(`INSERT INTO registry_whitelist (asset_id, investor_id, active, version, updated_at) VALUES ($1,$2,$3,$4,$5)`, v.AssetID, v.InvestorID, v.Active, v.Version, at)
		} else {
			b.Queue(`UPDATE registry_whitelist SET active=$3, version=$4, updated_at=$5 WHERE asset_id=$1 AND investor_id=$2`, v.AssetID, v.InvestorID, v.Active, v.Version, at)
		}
		b.Queue(`INSERT INTO registry_whitelist_history (asset_id, investor_id, version, active, at, actor, reason) VALUES ($1,$2,$3,$4,$5,$6,$7)`,
			v.AssetID, v.InvestorID, v.Version, v.Active, at, c.Actor, c.Reason)
		st.wl[id] = &v
		out.Version, out.Changed, out.wl = v.Version, true, &v
		return out
	}
	return fail(&registry.ValidationError{Field: "kind", Rule: "exactly one of investor, wallet, asset, whitelist must be set"})
}

type versioned interface {
	*registry.Investor | *registry.Wallet | *registry.Asset
}

func verOf[T versioned](p T) int64 {
	switch x := any(p).(type) {
	case *registry.Investor:
		if x != nil {
			return x.Version
		}
	case *registry.Wallet:
		if x != nil {
			return x.Version
		}
	case *registry.Asset:
		if x != nil {
			return x.Version
		}
	}
	return 0
}

func verOfWL(p *registry.WhitelistEntry) int64 {
	if p == nil {
		return 0
	}
	return p.Version
}

func (s *Store) one(ctx context.Context, o op, c registry.Change) (outcome, error) {
	outs, err := s.apply(ctx, []op{o}, c, false)
	if err != nil {
		return outcome{}, err
	}
	return outs[0], outs[0].Err
}

// CreateInvestor implements registry.Store.
func (s *Store) CreateInvestor(ctx context.Context, inv registry.Investor, c registry.Change) (registry.Investor, error) {
	o, err := s.one(ctx, op{m: registry.Mutation{Investor: &inv}, mode: modeCreate}, c)
	if err != nil {
		return registry.Investor{}, err
	}
	return *o.inv, nil
}

// UpdateInvestor implements registry.Store.
func (s *Store) UpdateInvestor(ctx context.Context, inv registry.Investor, expected int64, c registry.Change) (registry.Investor, error) {
	o, err := s.one(ctx, op{m: registry.Mutation{Investor: &inv}, mode: modeUpdate, expected: expected}, c)
	if err != nil {
		return registry.Investor{}, err
	}
	return *o.inv, nil
}

// CreateWallet implements registry.Store.
func (s *Store) CreateWallet(ctx context.Context, w registry.Wallet, c registry.Change) (registry.Wallet, error) {
	o, err := s.one(ctx, op{m: registry.Mutation{Wallet: &w}, mode: modeCreate}, c)
	if err != nil {
		return registry.Wallet{}, err
	}
	return *o.w, nil
}

// UpdateWallet implements registry.Store.
func (s *Store) UpdateWallet(ctx context.Context, w registry.Wallet, expected int64, c registry.Change) (registry.Wallet, error) {
	o, err := s.one(ctx, op{m: registry.Mutation{Wallet: &w}, mode: modeUpdate, expected: expected}, c)
	if err != nil {
		return registry.Wallet{}, err
	}
	return *o.w, nil
}

// CreateAsset implements registry.Store.
func (s *Store) CreateAsset(ctx context.Context, a registry.Asset, c registry.Change) (registry.Asset, error) {
	o, err := s.one(ctx, op{m: registry.Mutation{Asset: &a}, mode: modeCreate}, c)
	if err != nil {
		return registry.Asset{}, err
	}
	return *o.a, nil
}

// UpdateAsset implements registry.Store.
func (s *Store) UpdateAsset(ctx context.Context, a registry.Asset, expected int64, c registry.Change) (registry.Asset, error) {
	o, err := s.one(ctx, op{m: registry.Mutation{Asset: &a}, mode: modeUpdate, expected: expected}, c)
	if err != nil {
		return registry.Asset{}, err
	}
	return *o.a, nil
}

// AddToWhitelist implements registry.Store.
func (s *Store) AddToWhitelist(ctx context.Context, assetID, investorID string, c registry.Change) (registry.WhitelistEntry, error) {
	o, err := s.one(ctx, op{m: registry.Mutation{Whitelist: &registry.WhitelistEntry{AssetID: assetID, InvestorID: investorID, Active: true}}, mode: modeUpsert}, c)
	if err != nil {
		return registry.WhitelistEntry{}, err
	}
	return *o.wl, nil
}

// RemoveFromWhitelist implements registry.Store.
func (s *Store) RemoveFromWhitelist(ctx context.Context, assetID, investorID string, c registry.Change) (registry.WhitelistEntry, error) {
	o, err := s.one(ctx, op{m: registry.Mutation{Whitelist: &registry.WhitelistEntry{AssetID: assetID, InvestorID: investorID}}, mode: modeUpsert}, c)
	if err != nil {
		return registry.WhitelistEntry{}, err
	}
	return *o.wl, nil
}

// Upsert implements registry.Store.
func (s *Store) Upsert(ctx context.Context, rows []registry.Mutation, c registry.Change, opts registry.UpsertOptions) ([]registry.MutationResult, error) {
	ops := make([]op, len(rows))
	for i, m := range rows {
		ops[i] = op{m: m, mode: modeUpsert}
	}
	outs, err := s.apply(ctx, ops, c, opts.AllOrNothing)
	if outs == nil {
		return nil, err
	}
	res := make([]registry.MutationResult, len(outs))
	for i, o := range outs {
		res[i] = o.MutationResult
	}
	return res, err
}

// ---- reads ----

func getJSON[T any](ctx context.Context, s *Store, sql string, args ...any) (T, bool, error) {
	var v T
	var raw []byte
	err := s.pool.QueryRow(ctx, sql, args...).Scan(&raw)
	if errors.Is(err, pgx.ErrNoRows) {
		return v, false, nil
	}
	if err != nil {
		return v, false, fmt.Errorf("registry/postgres: read: %w", err)
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return v, false, fmt.Errorf("registry/postgres: decode: %w", err)
	}
	return v, true, nil
}

// Investor implements registry.Reader.
func (s *Store) Investor(ctx context.Context, id string, asOf time.Time) (registry.Investor, error) {
	var v registry.Investor
	var ok bool
	var err error
	if asOf.IsZero() {
		v, ok, err = getJSON[registry.Investor](ctx, s, `SELECT data FROM registry_investors WHERE id = $1`, id)
	} else {
		v, ok, err = getJSON[registry.Investor](ctx, s, `SELECT data FROM registry_investor_history WHERE id = $1 AND at <= $2 ORDER BY version DESC LIMIT 1`, id, asOf)
	}
	if err == nil && !ok {
		err = notFound(registry.KindInvestor, id)
	}
	return v, err
}

// Wallet implements registry.Reader. The address is normalised first.
func (s *Store) Wallet(ctx context.Context, address string, asOf time.Time) (registry.Wallet, error) {
	_, addr, err := registry.NormalizeAddress(address)
	if err != nil {
		return registry.Wallet{}, notFound(registry.KindWallet, address)
	}
	var v registry.Wallet
	var ok bool
	if asOf.IsZero() {
		v, ok, err = getJSON[registry.Wallet](ctx, s, `SELECT data FROM registry_wallets WHERE address = $1`, addr)
	} else {
		v, ok, err = getJSON[registry.Wallet](ctx, s, `SELECT data FROM registry_wallet_history WHERE address = $1 AND at <= $2 ORDER BY version DESC LIMIT 1`, addr, asOf)
	}
	if err == nil && !ok {
		err = notFound(registry.KindWallet, addr)
	}
	return v, err
}

// Asset implements registry.Reader.
func (s *Store) Asset(ctx context.Context, id string, asOf time.Time) (registry.Asset, error) {
	var v registry.Asset
	var ok bool
	var err error
	if asOf.IsZero() {
		v, ok, err = getJSON[registry.Asset](ctx, s, `SELECT data FROM registry_assets WHERE id = $1`, id)
	} else {
		v, ok, err = getJSON[registry.Asset](ctx, s, `SELECT data FROM registry_asset_history WHERE id = $1 AND at <= $2 ORDER BY version DESC LIMIT 1`, id, asOf)
	}
	if err == nil && !ok {
		err = notFound(registry.KindAsset, id)
	}
	return v, err
}

// Whitelisted implements registry.Reader.
func (s *Store) Whitelisted(ctx context.Context, assetID, investorID string, asOf time.Time) (bool, error) {
	var active bool
	var err error
	if asOf.IsZero() {
		err = s.pool.QueryRow(ctx, `SELECT active FROM registry_whitelist WHERE asset_id = $1 AND investor_id = $2`, assetID, investorID).Scan(&active)
	} else {
		err = s.pool.QueryRow(ctx, `SELECT active FROM registry_whitelist_history WHERE asset_id = $1 AND investor_id = $2 AND at <= $3 ORDER BY version DESC LIMIT 1`, assetID, investorID, asOf).Scan(&active)
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("registry/postgres: whitelisted: %w", err)
	}
	return active, nil
}

func queryJSON[T any](ctx context.Context, s *Store, sql string, args ...any) ([]T, error) {
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("registry/postgres: query: %w", err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		var raw []byte
		if err := rows.Scan(&raw); err != nil {
			return nil, fmt.Errorf("registry/postgres: scan: %w", err)
		}
		var v T
		if err := json.Unmarshal(raw, &v); err != nil {
			return nil, fmt.Errorf("registry/postgres: decode: %w", err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("registry/postgres: query: %w", err)
	}
	return out, nil
}

// WalletsOf implements registry.Reader.
func (s *Store) WalletsOf(ctx context.Context, investorID string, asOf time.Time) ([]registry.Wallet, error) {
	if asOf.IsZero() {
		return queryJSON[registry.Wallet](ctx, s, `SELECT data FROM registry_wallets WHERE investor_id = $1 ORDER BY address`, investorID)
	}
	ws, err := queryJSON[registry.Wallet](ctx, s, `SELECT DISTINCT ON (h.address) h.data FROM registry_wallet_history h
		WHERE h.address IN (SELECT address FROM registry_wallet_history WHERE investor_id = $1) AND h.at <= $2
		ORDER BY h.address, h.version DESC`, investorID, asOf)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(ws, func(w registry.Wallet) bool { return w.InvestorID != investorID }), nil
}

// ---- lists ----

func decodeCursor(c string) (string, error) {
	if c == "" {
		return "", nil
	}
	k, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || len(k) > 512 {
		return "", &registry.ValidationError{Field: "page_token", Rule: "malformed page token"}
	}
	return string(k), nil
}

func encodeCursor(k string) string { return base64.RawURLEncoding.EncodeToString([]byte(k)) }

// page trims a limit+1 result to limit and returns the next token.
func page[T any](items []T, limit int, key func(T) string) ([]T, string) {
	if len(items) <= limit {
		return items, ""
	}
	items = items[:limit]
	return items, encodeCursor(key(items[limit-1]))
}

// ListInvestors implements registry.Store.
func (s *Store) ListInvestors(ctx context.Context, f registry.InvestorFilter, p registry.PageRequest) ([]registry.Investor, string, error) {
	after, err := decodeCursor(p.Cursor)
	if err != nil {
		return nil, "", err
	}
	n := p.PageLimit()
	items, err := queryJSON[registry.Investor](ctx, s, `SELECT data FROM registry_investors
		WHERE id > $1 AND ($2 = '' OR status = $2) AND ($3 = '' OR jurisdiction = $3) AND ($4 = '' OR category = $4)
		ORDER BY id LIMIT $5`, after, f.Status, f.Jurisdiction, f.Category, n+1)
	if err != nil {
		return nil, "", err
	}
	out, next := page(items, n, func(v registry.Investor) string { return v.ID })
	return out, next, nil
}

// ListWallets implements registry.Store.
func (s *Store) ListWallets(ctx context.Context, f registry.WalletFilter, p registry.PageRequest) ([]registry.Wallet, string, error) {
	after, err := decodeCursor(p.Cursor)
	if err != nil {
		return nil, "", err
	}
	n := p.PageLimit()
	var items []registry.Wallet
	if f.InvestorID != "" {
		items, err = queryJSON[registry.Wallet](ctx, s, `SELECT data FROM registry_wallets
			WHERE investor_id = $1 AND address > $2 AND ($3 = '' OR chain = $3) ORDER BY address LIMIT $4`, f.InvestorID, after, f.Chain, n+1)
	} else {
		items, err = queryJSON[registry.Wallet](ctx, s, `SELECT data FROM registry_wallets
			WHERE address > $1 AND ($2 = '' OR chain = $2) ORDER BY address LIMIT $3`, after, f.Chain, n+1)
	}
	if err != nil {
		return nil, "", err
	}
	out, next := page(items, n, func(v registry.Wallet) string { return v.Address })
	return out, next, nil
}

// ListAssets implements registry.Store.
func (s *Store) ListAssets(ctx context.Context, f registry.AssetFilter, p registry.PageRequest) ([]registry.Asset, string, error) {
	after, err := decodeCursor(p.Cursor)
	if err != nil {
		return nil, "", err
	}
	n := p.PageLimit()
	items, err := queryJSON[registry.Asset](ctx, s, `SELECT data FROM registry_assets
		WHERE id > $1 AND ($2 = '' OR pack = $2) ORDER BY id LIMIT $3`, after, f.Pack, n+1)
	if err != nil {
		return nil, "", err
	}
	out, next := page(items, n, func(v registry.Asset) string { return v.ID })
	return out, next, nil
}

// ListWhitelist implements registry.Store.
func (s *Store) ListWhitelist(ctx context.Context, assetID string, p registry.PageRequest) ([]registry.WhitelistEntry, string, error) {
	after, err := decodeCursor(p.Cursor)
	if err != nil {
		return nil, "", err
	}
	ca, ci, _ := strings.Cut(after, "/")
	n := p.PageLimit()
	rows, err := s.pool.Query(ctx, `SELECT asset_id, investor_id, active, version, updated_at FROM registry_whitelist
		WHERE active AND ($1 = '' OR asset_id = $1) AND (asset_id, investor_id) > ($2, $3)
		ORDER BY asset_id, investor_id LIMIT $4`, assetID, ca, ci, n+1)
	if err != nil {
		return nil, "", fmt.Errorf("registry/postgres: list whitelist: %w", err)
	}
	defer rows.Close()
	var items []registry.WhitelistEntry
	for rows.Next() {
		var e registry.WhitelistEntry
		if err := rows.Scan(&e.AssetID, &e.InvestorID, &e.Active, &e.Version, &e.UpdatedAt); err != nil {
			return nil, "", fmt.Errorf("registry/postgres: list whitelist: %w", err)
		}
		e.UpdatedAt = e.UpdatedAt.UTC()
		items = append(items, e)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("registry/postgres: list whitelist: %w", err)
	}
	out, next := page(items, n, func(e registry.WhitelistEntry) string { return registry.WhitelistID(e.AssetID, e.InvestorID) })
	return out, next, nil
}

// ---- history, change points, events ----

// History implements registry.Store.
func (s *Store) History(ctx context.Context, kind, id string) ([]registry.Revision, error) {
	var sql string
	args := []any{id}
	switch kind {
	case registry.KindInvestor:
		sql = `SELECT version, at, actor, reason, data FROM registry_investor_history WHERE id = $1 ORDER BY version`
	case registry.KindWallet:
		if _, addr, err := registry.NormalizeAddress(id); err == nil {
			id = addr
			args = []any{id}
		}
		sql = `SELECT version, at, actor, reason, data FROM registry_wallet_history WHERE address = $1 ORDER BY version`
	case registry.KindAsset:
		sql = `SELECT version, at, actor, reason, data FROM registry_asset_history WHERE id = $1 ORDER BY version`
	case registry.KindWhitelist:
		a, i, _ := strings.Cut(id, "/")
		sql = `SELECT version, at, actor, reason, active FROM registry_whitelist_history WHERE asset_id = $1 AND investor_id = $2 ORDER BY version`
		args = []any{a, i}
	default:
		return nil, &registry.ValidationError{Field: "kind", Rule: "must be investor, wallet, asset or whitelist"}
	}
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("registry/postgres: history: %w", err)
	}
	defer rows.Close()
	var out []registry.Revision
	for rows.Next() {
		r := registry.Revision{Kind: kind, ID: id}
		if kind == registry.KindWhitelist {
			var active bool
			if err := rows.Scan(&r.Version, &r.At, &r.Actor, &r.Reason, &active); err != nil {
				return nil, fmt.Errorf("registry/postgres: history: %w", err)
			}
			r.At = r.At.UTC()
			a, i, _ := strings.Cut(id, "/")
			r.Whitelist = &registry.WhitelistEntry{AssetID: a, InvestorID: i, Active: active, Version: r.Version, UpdatedAt: r.At}
			out = append(out, r)
			continue
		}
		var raw []byte
		if err := rows.Scan(&r.Version, &r.At, &r.Actor, &r.Reason, &raw); err != nil {
			return nil, fmt.Errorf("registry/postgres: history: %w", err)
		}
		r.At = r.At.UTC()
		var target any
		switch kind {
		case registry.KindInvestor:
			r.Investor = new(registry.Investor)
			target = r.Investor
		case registry.KindWallet:
			r.Wallet = new(registry.Wallet)
			target = r.Wallet
		case registry.KindAsset:
			r.Asset = new(registry.Asset)
			target = r.Asset
		}
		if err := json.Unmarshal(raw, target); err != nil {
			return nil, fmt.Errorf("registry/postgres: decode history: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("registry/postgres: history: %w", err)
	}
	return out, nil
}

// ChangePoints implements registry.Store.
func (s *Store) ChangePoints(ctx context.Context, assetID, wallet string, from, to time.Time) ([]registry.ChangePoint, error) {
	return storecore.ChangePoints(ctx, s.History, assetID, wallet, from, to)
}

// Subscribe implements registry.Store. Events are those committed through
// this Store value; other replicas learn of changes through the event relay
// cmd/clearance wires (Redis pub/sub).
func (s *Store) Subscribe(fn func(registry.Event)) func() { return s.bus.Subscribe(fn) }

// Seq implements registry.Store.
func (s *Store) Seq(ctx context.Context) (int64, error) {
	var n int64
	if err := s.pool.QueryRow(ctx, `SELECT seq FROM registry_seq WHERE id = 1`).Scan(&n); err != nil {
		return 0, fmt.Errorf("registry/postgres: seq: %w", err)
	}
	return n, nil
}
