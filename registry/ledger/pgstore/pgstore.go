package pgstore

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/clearancehq/clearance/registry/ledger"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is a ledger.Store over PostgreSQL.
type Store struct {
	pool *pgxpool.Pool
}

var _ ledger.Store = (*Store)(nil)

// New returns a store on pool; call Migrate first. pool stays owned by the
// caller.
func New(pool *pgxpool.Pool) (*Store, error) {
	if pool == nil {
		return nil, errors.New("ledger/pgstore: nil pool")
	}
	return &Store{pool: pool}, nil
}

// Migrate applies the embedded migrations that are not yet recorded in
// ledger_schema_migrations. It is idempotent and safe to run concurrently.
func Migrate(ctx context.Context, pool *pgxpool.Pool) error {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	tx, err := pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("ledger/pgstore: migrate: %w", err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('ledger_schema_migrations'))`); err != nil {
		return fmt.Errorf("ledger/pgstore: migrate lock: %w", err)
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS ledger_schema_migrations (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return fmt.Errorf("ledger/pgstore: migrate: %w", err)
	}
	for _, n := range names {
		v := strings.TrimSuffix(strings.TrimPrefix(n, "migrations/"), ".sql")
		var done bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM ledger_schema_migrations WHERE version = $1)`, v).Scan(&done); err != nil {
			return fmt.Errorf("ledger/pgstore: migrate: %w", err)
		}
		if done {
			continue
		}
		sql, err := migrations.ReadFile(n)
		if err != nil {
			return err
		}
		stmt := string(sql)
		if v == "0001_tables" {
			stmt += tablesSQL()
		}
		if _, err := tx.Exec(ctx, stmt); err != nil {
			return fmt.Errorf("ledger/pgstore: migration %s: %w", v, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO ledger_schema_migrations (version) VALUES ($1)`, v); err != nil {
			return fmt.Errorf("ledger/pgstore: migrate: %w", err)
		}
	}
	return tx.Commit(ctx)
}

func tablesSQL() string {
	var b strings.Builder
	for _, t := range ledger.Tables {
		fmt.Fprintf(&b, "\nCREATE TABLE IF NOT EXISTS %s (k text COLLATE \"C\" PRIMARY KEY, v bytea NOT NULL);", table(t))
	}
	return b.String()
}

func table(t string) string { return pgx.Identifier{"ledger_" + t}.Sanitize() }

func retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01")
}

// Update runs fn in one transaction holding the ledger write lock.
func (s *Store) Update(ctx context.Context, fn func(ledger.Tx) error) error {
	return s.run(ctx, false, fn)
}

// View runs fn in one read-only snapshot.
func (s *Store) View(ctx context.Context, fn func(ledger.Tx) error) error {
	return s.run(ctx, true, fn)
}

func (s *Store) run(ctx context.Context, readOnly bool, fn func(ledger.Tx) error) error {
	for attempt := 0; ; attempt++ {
		err := s.once(ctx, readOnly, fn)
		if err == nil || !retryable(err) || attempt >= 20 {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(attempt+1) * 5 * time.Millisecond):
		}
	}
}

func (s *Store) once(ctx context.Context, readOnly bool, fn func(ledger.Tx) error) error {
	opts := pgx.TxOptions{IsoLevel: pgx.ReadCommitted}
	if readOnly {
		opts = pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}
	}
	tx, err := s.pool.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("ledger/pgstore: begin: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if !readOnly {
		if _, err := tx.Exec(ctx, `SELECT id FROM ledger_lock WHERE id = 1 FOR UPDATE`); err != nil {
			return fmt.Errorf("ledger/pgstore: lock: %w", err)
		}
	}
	if err := fn(&ptx{ctx: ctx, tx: tx}); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("ledger/pgstore: commit: %w", err)
	}
	return nil
}

type ptx struct {
	ctx context.Context
	tx  pgx.Tx
}

func (t *ptx) Get(tbl, key string) ([]byte, bool, error) {
	var v []byte
	err := t.tx.QueryRow(t.ctx, `SELECT v FROM `+table(tbl)+` WHERE k = $1`, key).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("ledger/pgstore: get %s: %w", tbl, err)
	}
	return v, true, nil
}

func (t *ptx) Put(tbl, key string, value []byte) error {
	if value == nil {
		value = []byte{}
	}
	_, err := t.tx.Exec(t.ctx, `INSERT INTO `+table(tbl)+` (k, v) VALUES ($1, $2) ON CONFLICT (k) DO UPDATE SET v = EXCLUDED.v`, key, value)
	if err != nil {
		return fmt.Errorf("ledger/pgstore: put %s: %w", tbl, err)
	}
	return nil
}

func (t *ptx) Delete(tbl, key string) error {
	if _, err := t.tx.Exec(t.ctx, `DELETE FROM `+table(tbl)+` WHERE k = $1`, key); err != nil {
		return fmt.Errorf("ledger/pgstore: delete %s: %w", tbl, err)
	}
	return nil
}

func (t *ptx) Scan(tbl, prefix, after string, limit int) ([]ledger.KV, error) {
	q := `SELECT k, v FROM ` + table(tbl) + ` WHERE k >= $1 AND left(k, $2) = $1 AND k > $3 ORDER BY k`
	args := []any{prefix, len([]rune(prefix)), after}
	if limit > 0 {
		q += ` LIMIT $4`
		args = append(args, limit)
	}
	rows, err := t.tx.Query(t.ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("ledger/pgstore: scan %s: %w", tbl, err)
	}
	defer rows.Close()
	var out []ledger.KV
	for rows.Next() {
		var kv ledger.KV
		if err := rows.Scan(&kv.Key, &kv.Value); err != nil {
			return nil, fmt.Errorf("ledger/pgstore: scan %s: %w", tbl, err)
		}
		out = append(out, kv)
	}
	return out, rows.Err()
}
