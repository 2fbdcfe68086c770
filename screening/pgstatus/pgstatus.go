package pgstatus

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/clearancehq/clearance/registry/pgmigrate"

	"github.com/clearancehq/clearance/screening"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrate applies the migrations; it is idempotent.
func Migrate(ctx context.Context, pool *pgxpool.Pool) error {
	return pgmigrate.Apply(ctx, pool, "screening", migrations, nil)
}

// Store implements screening.StatusStore on PostgreSQL.
type Store struct{ pool *pgxpool.Pool }

var _ screening.StatusStore = (*Store)(nil)

// New returns a store on pool; run Migrate first.
func New(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

func (s *Store) get(ctx context.Context, kind, subject string) (screening.StatusRecord, bool, error) {
	var body []byte
	err := s.pool.QueryRow(ctx, `SELECT body FROM screening_status WHERE kind=$1 AND subject=$2`, kind, subject).Scan(&body)
	if errors.Is(err, pgx.ErrNoRows) {
		return screening.StatusRecord{}, false, nil
	}
	if err != nil {
		return screening.StatusRecord{}, false, fmt.Errorf("pgstatus: read %s %s: %w", kind, subject, err)
	}
	var rec screening.StatusRecord
	if err := json.Unmarshal(body, &rec); err != nil {
		return rec, false, fmt.Errorf("pgstatus: decode %s %s: %w", kind, subject, err)
	}
	return rec, true, nil
}

func (s *Store) put(ctx context.Context, kind string, rec screening.StatusRecord) error {
	if err := screening.ValidateRecord(&rec); err != nil {
		return err
	}
	body, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	_, err = s.pool.Exec(ctx, `INSERT INTO screening_status (kind, subject, body) VALUES ($1,$2,$3)
		ON CONFLICT (kind, subject) DO UPDATE SET body = EXCLUDED.body`, kind, rec.Subject, body)
	if err != nil {
		return fmt.Errorf("pgstatus: write %s %s: %w", kind, rec.Subject, err)
	}
	return nil
}

// Investor implements screening.StatusStore.
func (s *Store) Investor(ctx context.Context, id string) (screening.StatusRecord, bool, error) {
	return s.get(ctx, "investor", id)
}

// PutInvestor implements screening.StatusStore.
func (s *Store) PutInvestor(ctx context.Context, rec screening.StatusRecord) error {
	return s.put(ctx, "investor", rec)
}

// Wallet implements screening.StatusStore.
func (s *Store) Wallet(ctx context.Context, addr string) (screening.StatusRecord, bool, error) {
	return s.get(ctx, "wallet", addr)
}

// PutWallet implements screening.StatusStore.
func (s *Store) PutWallet(ctx context.Context, rec screening.StatusRecord) error {
	return s.put(ctx, "wallet", rec)
}

// PutException implements screening.StatusStore.
func (s *Store) PutException(ctx context.Context, e screening.Exception) error {
	if e.ID == "" || e.InvestorID == "" {
		return errors.New("pgstatus: exception needs an id and an investor id")
	}
	body, err := json.Marshal(e)
	if err != nil {
		return err
	}
	_, err = s.pool.Exec(ctx, `INSERT INTO screening_exceptions (id, investor_id, created_at, body) VALUES ($1,$2,$3,$4)
		ON CONFLICT (id) DO UPDATE SET body = EXCLUDED.body`, e.ID, e.InvestorID, e.CreatedAt, body)
	if err != nil {
		return fmt.Errorf("pgstatus: write exception %s: %w", e.ID, err)
	}
	return nil
}

// Exception implements screening.StatusStore.
func (s *Store) Exception(ctx context.Context, id string) (screening.Exception, bool, error) {
	var body []byte
	err := s.pool.QueryRow(ctx, `SELECT body FROM screening_exceptions WHERE id=$1`, id).Scan(&body)
	if errors.Is(err, pgx.ErrNoRows) {
		return screening.Exception{}, false, nil
	}
	if err != nil {
		return screening.Exception{}, false, fmt.Errorf("pgstatus: read exception %s: %w", id, err)
	}
	var e screening.Exception
	return e, true, json.Unmarshal(body, &e)
}

// Exceptions implements screening.StatusStore.
func (s *Store) Exceptions(ctx context.Context, investorID string) ([]screening.Exception, error) {
	rows, err := s.pool.Query(ctx, `SELECT body FROM screening_exceptions WHERE investor_id=$1 ORDER BY created_at, id`, investorID)
	if err != nil {
		return nil, fmt.Errorf("pgstatus: list exceptions: %w", err)
	}
	defer rows.Close()
	var out []screening.Exception
	for rows.Next() {
		var body []byte
		if err := rows.Scan(&body); err != nil {
			return nil, err
		}
		var e screening.Exception
		if err := json.Unmarshal(body, &e); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// Checkpoint implements screening.StatusStore.
func (s *Store) Checkpoint(ctx context.Context, key string) (string, bool, error) {
	var v string
	err := s.pool.QueryRow(ctx, `SELECT value FROM screening_checkpoints WHERE key=$1`, key).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("pgstatus: read checkpoint: %w", err)
	}
	return v, true, nil
}

// SetCheckpoint implements screening.StatusStore.
func (s *Store) SetCheckpoint(ctx context.Context, key, value string) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO screening_checkpoints (key, value) VALUES ($1,$2)
		ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`, key, value)
	if err != nil {
		return fmt.Errorf("pgstatus: write checkpoint: %w", err)
	}
	return nil
}
