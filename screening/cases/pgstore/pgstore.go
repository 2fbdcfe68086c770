package pgstore

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/clearancehq/clearance/registry/pgmigrate"

	"github.com/clearancehq/clearance/screening/cases"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrate applies the embedded migrations not yet recorded in
// cases_schema_migrations, each in its own transaction, under an advisory
// lock so concurrent replicas do not race.
func Migrate(ctx context.Context, pool *pgxpool.Pool) error {
	return pgmigrate.Apply(ctx, pool, "cases", migrations, nil)
}

// Store implements cases.Store.
type Store struct{ pool *pgxpool.Pool }

var _ cases.Store = (*Store)(nil)

// New returns a store on pool. Call Migrate first.
func New(pool *pgxpool.Pool) (*Store, error) {
	if pool == nil {
		return nil, errors.New("cases/pgstore: nil pool")
	}
	return &Store{pool: pool}, nil
}

func decode(b []byte) (cases.Case, error) {
	var c cases.Case
	if err := json.Unmarshal(b, &c); err != nil {
		return c, fmt.Errorf("cases/pgstore: decode case: %w", err)
	}
	return c, nil
}

// Create implements cases.Store.
func (s *Store) Create(ctx context.Context, c cases.Case) (cases.Case, bool, error) {
	body, err := json.Marshal(c)
	if err != nil {
		return cases.Case{}, false, err
	}
	tag, err := s.pool.Exec(ctx, `INSERT INTO cases_cases (id, decision_id, status, asset_id, assignee, risk_score, expires_at, body)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (decision_id) DO NOTHING`,
		c.ID, c.DecisionID, string(c.Status), c.AssetID, c.Assignee, c.RiskScore, c.ExpiresAt, body)
	if err != nil {
		return cases.Case{}, false, fmt.Errorf("cases/pgstore: create: %w", err)
	}
	if tag.RowsAffected() == 1 {
		return c, true, nil
	}
	var b []byte
	if err := s.pool.QueryRow(ctx, `SELECT body FROM cases_cases WHERE decision_id = $1`, c.DecisionID).Scan(&b); err != nil {
		return cases.Case{}, false, fmt.Errorf("cases/pgstore: create: existing: %w", err)
	}
	out, err := decode(b)
	return out, false, err
}

// Get implements cases.Store.
func (s *Store) Get(ctx context.Context, id string) (cases.Case, error) {
	var b []byte
	err := s.pool.QueryRow(ctx, `SELECT body FROM cases_cases WHERE id = $1`, id).Scan(&b)
	if errors.Is(err, pgx.ErrNoRows) {
		return cases.Case{}, fmt.Errorf("%w: case %s", cases.ErrNotFound, id)
	}
	if err != nil {
		return cases.Case{}, fmt.Errorf("cases/pgstore: get: %w", err)
	}
	return decode(b)
}

// Update implements cases.Store.
func (s *Store) Update(ctx context.Context, id string, fn func(c *cases.Case) ([]cases.Delivery, error)) (cases.Case, error) {
	var out cases.Case
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var b []byte
		err := tx.QueryRow(ctx, `SELECT body FROM cases_cases WHERE id = $1 FOR UPDATE`, id).Scan(&b)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("%w: case %s", cases.ErrNotFound, id)
		}
		if err != nil {
			return fmt.Errorf("cases/pgstore: update: %w", err)
		}
		c, err := decode(b)
		if err != nil {
			return err
		}
		ds, err := fn(&c)
		if err != nil {
			return err
		}
		if c.ID != id {
			return errors.New("cases/pgstore: update changed the case id")
		}
		body, err := json.Marshal(c)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE cases_cases SET status = $2, assignee = $3, risk_score = $4, expires_at = $5, body = $6 WHERE id = $1`,
			id, string(c.Status), c.Assignee, c.RiskScore, c.ExpiresAt, body); err != nil {
			return fmt.Errorf("cases/pgstore: update: %w", err)
		}
		for _, d := range ds {
			if _, err := tx.Exec(ctx, `INSERT INTO cases_deliveries (case_id, hook, next_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
				d.CaseID, d.Hook, d.NextAt); err != nil {
				return fmt.Errorf("cases/pgstore: update: delivery: %w", err)
			}
		}
		out = c
		return nil
	})
	return out, err
}

// List implements cases.Store.
func (s *Store) List(ctx context.Context, f cases.Filter) ([]cases.Case, string, error) {
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if f.PageToken != "" {
		add("id > $%d", f.PageToken)
	}
	if f.Status != "" {
		add("status = $%d", string(f.Status))
	}
	if f.AssetID != "" {
		add("asset_id = $%d", f.AssetID)
	}
	if f.Assignee != "" {
		add("assignee = $%d", f.Assignee)
	}
	if f.MinRisk > 0 {
		add("risk_score >= $%d", f.MinRisk)
	}
	q := `SELECT body FROM cases_cases`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	args = append(args, f.PageSize+1)
	q += fmt.Sprintf(" ORDER BY id LIMIT $%d", len(args))
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, "", fmt.Errorf("cases/pgstore: list: %w", err)
	}
	bodies, err := pgx.CollectRows(rows, pgx.RowTo[[]byte])
	if err != nil {
		return nil, "", fmt.Errorf("cases/pgstore: list: %w", err)
	}
	out := make([]cases.Case, 0, len(bodies))
	for _, b := range bodies {
		c, err := decode(b)
		if err != nil {
			return nil, "", err
		}
		out = append(out, c)
	}
	next := ""
	if len(out) > f.PageSize {
		out = out[:f.PageSize]
		next = out[len(out)-1].ID
	}
	return out, next, nil
}

// Due implements cases.Store.
func (s *Store) Due(ctx context.Context, now time.Time, limit int) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT id FROM cases_cases WHERE status IN ('OPEN', 'ASSIGNED') AND expires_at <= $1 ORDER BY expires_at LIMIT $2`, now, limit)
	if err != nil {
		return nil, fmt.Errorf("cases/pgstore: due: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("cases/pgstore: due: %w", err)
	}
	return ids, nil
}

const deliveryCols = `case_id, hook, delivered, attempts, last_error, next_at, lease_until, delivered_at`

func scanDelivery(row pgx.CollectableRow) (cases.Delivery, error) {
	var d cases.Delivery
	var lease, deliveredAt *time.Time
	if err := row.Scan(&d.CaseID, &d.Hook, &d.Delivered, &d.Attempts, &d.LastError, &d.NextAt, &lease, &deliveredAt); err != nil {
		return d, err
	}
	d.NextAt = d.NextAt.UTC()
	if lease != nil {
		d.LeaseUntil = lease.UTC()
	}
	if deliveredAt != nil {
		d.DeliveredAt = deliveredAt.UTC()
	}
	return d, nil
}

// Pending implements cases.Store.
func (s *Store) Pending(ctx context.Context, now time.Time, hooks []string, limit int) ([]cases.Delivery, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+deliveryCols+` FROM cases_deliveries
		WHERE NOT delivered AND next_at <= $1 AND (lease_until IS NULL OR lease_until <= $1) AND hook = ANY($2)
		ORDER BY next_at LIMIT $3`, now, hooks, limit)
	if err != nil {
		return nil, fmt.Errorf("cases/pgstore: pending: %w", err)
	}
	ds, err := pgx.CollectRows(rows, scanDelivery)
	if err != nil {
		return nil, fmt.Errorf("cases/pgstore: pending: %w", err)
	}
	return ds, nil
}

// Claim implements cases.Store.
func (s *Store) Claim(ctx context.Context, caseID, hook string, now, leaseUntil time.Time) (cases.Delivery, bool, error) {
	rows, err := s.pool.Query(ctx, `UPDATE cases_deliveries SET lease_until = $4
		WHERE case_id = $1 AND hook = $2 AND NOT delivered AND next_at <= $3 AND (lease_until IS NULL OR lease_until <= $3)
		RETURNING `+deliveryCols, caseID, hook, now, leaseUntil)
	if err != nil {
		return cases.Delivery{}, false, fmt.Errorf("cases/pgstore: claim: %w", err)
	}
	ds, err := pgx.CollectRows(rows, scanDelivery)
	if err != nil {
		return cases.Delivery{}, false, fmt.Errorf("cases/pgstore: claim: %w", err)
	}
	if len(ds) == 0 {
		return cases.Delivery{}, false, nil
	}
	return ds[0], true, nil
}

// Finish implements cases.Store.
func (s *Store) Finish(ctx context.Context, caseID, hook string, at time.Time, deliverErr string, nextAt time.Time) error {
	var tag, err = s.pool.Exec(ctx, `UPDATE cases_deliveries SET attempts = attempts + 1, lease_until = NULL,
		delivered = ($4 = ''), delivered_at = CASE WHEN $4 = '' THEN $3::timestamptz END,
		last_error = $4, next_at = CASE WHEN $4 = '' THEN next_at ELSE $5::timestamptz END
		WHERE case_id = $1 AND hook = $2 AND NOT delivered`, caseID, hook, at, deliverErr, nextAt)
	if err != nil {
		return fmt.Errorf("cases/pgstore: finish: %w", err)
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	var exists bool
	if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM cases_deliveries WHERE case_id = $1 AND hook = $2)`, caseID, hook).Scan(&exists); err != nil {
		return fmt.Errorf("cases/pgstore: finish: %w", err)
	}
	if !exists {
		return fmt.Errorf("%w: delivery %s/%s", cases.ErrNotFound, caseID, hook)
	}
	return nil
}

// Deliveries implements cases.Store.
func (s *Store) Deliveries(ctx context.Context, caseID string) ([]cases.Delivery, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+deliveryCols+` FROM cases_deliveries WHERE case_id = $1 ORDER BY hook`, caseID)
	if err != nil {
		return nil, fmt.Errorf("cases/pgstore: deliveries: %w", err)
	}
	ds, err := pgx.CollectRows(rows, scanDelivery)
	if err != nil {
		return nil, fmt.Errorf("cases/pgstore: deliveries: %w", err)
	}
	return ds, nil
}
