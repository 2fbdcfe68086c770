package pgstore

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/clearancehq/clearance/registry/pgmigrate"

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
	return pgmigrate.Apply(ctx, pool, "ledger", migrations, func(version string) string {
		if version == "0001_tables" {
			return tablesSQL()
		}
		return ""
	})
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
