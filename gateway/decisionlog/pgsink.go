package decisionlog

import (
	"context"
	"embed"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/clearancehq/clearance/registry/pgmigrate"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrate applies the decision log's migrations; it is idempotent.
func Migrate(ctx context.Context, pool *pgxpool.Pool) error {
	return pgmigrate.Apply(ctx, pool, "decisionlog", migrations, nil)
}

// PGSink stores the log in PostgreSQL. Writers from several replicas
// serialise on the single head row, so the chain stays linear.
type PGSink struct{ pool *pgxpool.Pool }

// NewPGSink returns a sink on pool; run Migrate first.
func NewPGSink(pool *pgxpool.Pool) *PGSink { return &PGSink{pool: pool} }

// AppendBatch implements Sink.
func (s *PGSink) AppendBatch(ctx context.Context, entries []Entry) ([]Entry, error) {
	out := make([]Entry, len(entries))
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var seq int64
		var prev string
		if err := tx.QueryRow(ctx, `SELECT seq, hash FROM decisionlog_head WHERE id=1 FOR UPDATE`).Scan(&seq, &prev); err != nil {
			return err
		}
		rows := make([][]any, 0, len(entries))
		for i, e := range entries {
			seq++
			e.Seq = seq
			e.PrevHash = prev
			canon := Canonical(e)
			e.Hash = HashCanonical(prev, canon)
			rows = append(rows, []any{e.Seq, e.Kind, e.DecisionID, canon, e.PrevHash, e.Hash})
			prev = e.Hash
			out[i] = e
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"decisionlog_entries"}, []string{"seq", "kind", "decision_id", "body", "prev_hash", "hash"}, pgx.CopyFromRows(rows)); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE decisionlog_head SET seq=$1, hash=$2 WHERE id=1`, seq, prev)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("decisionlog: pg append: %w", err)
	}
	return out, nil
}

// Get implements Sink.
func (s *PGSink) Get(ctx context.Context, id string) ([]Entry, error) {
	rows, err := s.pool.Query(ctx, `SELECT body, hash FROM decisionlog_entries WHERE decision_id=$1 ORDER BY seq`, id)
	if err != nil {
		return nil, fmt.Errorf("decisionlog: pg get %s: %w", id, err)
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		var b []byte
		var h string
		if err := rows.Scan(&b, &h); err != nil {
			return nil, err
		}
		e, err := decodeStored(b, h)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, ErrNotFound
	}
	return out, nil
}

// Scan implements Sink.
func (s *PGSink) Scan(ctx context.Context, fn func(Entry) error) error {
	rows, err := s.pool.Query(ctx, `SELECT body, hash FROM decisionlog_entries ORDER BY seq`)
	if err != nil {
		return fmt.Errorf("decisionlog: pg scan: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var b []byte
		var h string
		if err := rows.Scan(&b, &h); err != nil {
			return err
		}
		e, err := decodeStored(b, h)
		if err != nil {
			return err
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	return rows.Err()
}
